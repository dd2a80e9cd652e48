package workflows

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/licensebot/licensebot/rules"
)

// Person is someone the bot knows, from the configuration, matched by
// e-mail (case-insensitive).
type Person struct {
	Email string     `json:"email" yaml:"email"`
	Name  string     `json:"name" yaml:"name"`
	Role  rules.Role `json:"role" yaml:"role"`
	// CustomerID is the customer a member or licence admin belongs to;
	// empty for the reseller's account managers.
	CustomerID string `json:"customer_id,omitempty" yaml:"customer_id"`
	// Customers are the customers an account manager looks after (empty:
	// all of them).
	Customers []string `json:"customers,omitempty" yaml:"customers"`
	// Backup marks a backup account manager, who is brought in when an
	// approval deadline nears.
	Backup bool `json:"backup,omitempty" yaml:"backup"`
	// Locale is the preferred language ("en", "fr"); empty means the
	// platform's or the customer's default.
	Locale string `json:"locale,omitempty" yaml:"locale"`
	// Orgs are the workspaces and tenants the person writes from; empty
	// for people listed in the configuration by e-mail alone.
	Orgs []Org `json:"orgs,omitempty" yaml:"-"`
	// Prefers is the platform the person chose for the bot's messages
	// ("slack" or "teams"); empty means where they last talked to it.
	Prefers string `json:"prefers,omitempty" yaml:"prefers"`
}

// DisplayName is the name, or the e-mail's local part.
func (p Person) DisplayName() string {
	if p.Name != "" {
		return p.Name
	}
	if i := strings.IndexByte(p.Email, '@'); i > 0 {
		return p.Email[:i]
	}
	return p.Email
}

// Serves reports whether an account manager looks after customerID.
func (p Person) Serves(customerID string) bool {
	if p.Role != rules.RoleAccountManager {
		return false
	}
	if len(p.Customers) == 0 {
		return true
	}
	for _, c := range p.Customers {
		if c == customerID {
			return true
		}
	}
	return false
}

// Directory finds people by e-mail and by role. It is immutable after
// NewDirectory and safe for concurrent use.
type Directory struct {
	people  []Person
	byEmail map[string]int
}

// NewDirectory indexes people by lower-cased e-mail.
func NewDirectory(people []Person) *Directory {
	d := &Directory{people: append([]Person(nil), people...), byEmail: map[string]int{}}
	for i := range d.people {
		d.people[i].Email = strings.ToLower(strings.TrimSpace(d.people[i].Email))
		d.byEmail[d.people[i].Email] = i
	}
	return d
}

// Lookup returns the person with that e-mail.
func (d *Directory) Lookup(email string) (Person, bool) {
	i, ok := d.byEmail[strings.ToLower(strings.TrimSpace(email))]
	if !ok {
		return Person{}, false
	}
	return d.people[i], true
}

// All returns everyone, sorted by e-mail.
func (d *Directory) All() []Person {
	out := append([]Person(nil), d.people...)
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out
}

// Approvers returns who approves for role at customerID: licence admins
// of that customer, or account managers serving it (primary ones first,
// backups after).
func (d *Directory) Approvers(role rules.Role, customerID string) []Person {
	var primary, backup []Person
	for _, p := range d.All() {
		switch {
		case role == rules.RoleLicenceAdmin && p.Role == rules.RoleLicenceAdmin && p.CustomerID == customerID:
			primary = append(primary, p)
		case role == rules.RoleAccountManager && p.Serves(customerID):
			if p.Backup {
				backup = append(backup, p)
			} else {
				primary = append(primary, p)
			}
		}
	}
	return append(primary, backup...)
}

// LicenceAdmins returns a customer's licence admins (reminder recipients).
func (d *Directory) LicenceAdmins(customerID string) []Person {
	return d.Approvers(rules.RoleLicenceAdmin, customerID)
}

var _ People = (*Directory)(nil)

// Person implements People. The configuration lists people by e-mail; an
// org is accepted when the person's Orgs are empty or include it.
func (d *Directory) Person(_ context.Context, org Org, email string) (Person, error) {
	p, ok := d.Lookup(email)
	if !ok || !p.TalksFrom(org) {
		return Person{}, fmt.Errorf("%s: %w", email, ErrUnknownPerson)
	}
	return p, nil
}

// ByEmail implements People.
func (d *Directory) ByEmail(_ context.Context, email string) (Person, error) {
	p, ok := d.Lookup(email)
	if !ok {
		return Person{}, fmt.Errorf("%s: %w", email, ErrUnknownPerson)
	}
	return p, nil
}

// Everyone implements People.
func (d *Directory) Everyone(context.Context) ([]Person, error) { return d.All(), nil }

// TalksFrom reports whether p may write from org: anywhere when no orgs
// are recorded for them (the configuration file's people), otherwise only
// from one of their orgs.
func (p Person) TalksFrom(org Org) bool {
	if len(p.Orgs) == 0 || org.IsZero() {
		return true
	}
	for _, o := range p.Orgs {
		if o.Key() == org.Key() {
			return true
		}
	}
	return false
}

// ApproversFor implements People.
func (d *Directory) ApproversFor(_ context.Context, role rules.Role, customerID string) ([]Person, error) {
	return d.Approvers(role, customerID), nil
}
