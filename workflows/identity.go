package workflows

import (
	"context"
	"strings"

	"github.com/licensebot/licensebot/rules"
)

// Org is where a person talks from: a Slack workspace (team id, or the
// Enterprise Grid org id for an org-wide install), a Microsoft Teams
// tenant, or the terminal. The link from an Org to a customer, never the
// e-mail domain alone, decides whom a person acts for.
type Org struct {
	// Platform is "slack", "teams" or "console".
	Platform string `json:"platform"`
	// ID is the Slack team or enterprise id or the Teams tenant id; empty
	// for the terminal.
	ID string `json:"id,omitempty"`
}

// Key is a stable string for the org, for store keys and logs
// ("slack:T0123", "teams:72f9…", "console").
func (o Org) Key() string {
	if o.ID == "" {
		return o.Platform
	}
	return o.Platform + ":" + strings.ToLower(o.ID)
}

// IsZero reports whether no org is known (a message from configuration,
// a reminder).
func (o Org) IsZero() bool { return o.Platform == "" && o.ID == "" }

// People is the directory: who may use the bot, for which customer and in
// what role. It is an interface so that it can be backed by the
// configuration file (Directory) or by the store, where roles are granted
// and withdrawn in chat. Every method may do I/O.
type People interface {
	// Person returns who writes from org with that e-mail, or an error
	// wrapping ErrUnknownPerson.
	Person(ctx context.Context, org Org, email string) (Person, error)
	// ByEmail returns a known person wherever they talk from (recipients
	// of cards and reminders), or an error wrapping ErrUnknownPerson.
	ByEmail(ctx context.Context, email string) (Person, error)
	// Approvers returns who approves for role at customerID: primary
	// approvers first, backups after.
	ApproversFor(ctx context.Context, role rules.Role, customerID string) ([]Person, error)
	// Everyone lists every known person, sorted by e-mail.
	Everyone(ctx context.Context) ([]Person, error)
}
