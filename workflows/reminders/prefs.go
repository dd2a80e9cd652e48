package reminders

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licensebot/licensebot/store"
)

// A person's choices about one subscription's reminders, stored per
// customer and honoured at send time (so a choice made while a reminder
// is already scheduled still counts).
const collPrefs = "reminder-prefs"

// Prefs are one person's choices about one subscription's reminders.
type Prefs struct {
	// Muted: "Stop these reminders" — no subscription reminder about it
	// goes to this person (personal ones, which they asked for, do).
	Muted bool `json:"muted,omitempty"`
	// KeptTermEnd: "Keep as is" / "Keep it" for the term ending then —
	// the remaining renewal or trial reminders of that term are not sent
	// to this person.
	KeptTermEnd time.Time `json:"kept_term_end,omitzero"`
}

func prefsRef(customerID, email, subscriptionID string) store.Ref {
	return store.Ref{Scope: customerID, Collection: collPrefs, ID: strings.ToLower(strings.TrimSpace(email)) + "|" + subscriptionID}
}

// GetPrefs returns a person's choices about a subscription (zero when
// none were made).
func GetPrefs(ctx context.Context, st store.Documents, customerID, email, subscriptionID string) (Prefs, error) {
	p, _, err := store.GetJSON[Prefs](ctx, st, prefsRef(customerID, email, subscriptionID))
	if errors.Is(err, store.ErrNotFound) {
		return Prefs{}, nil
	}
	if err != nil {
		return Prefs{}, fmt.Errorf("read reminder preferences: %w", err)
	}
	return p, nil
}

func updatePrefs(ctx context.Context, st store.Documents, customerID, email, subscriptionID, action string, at time.Time, f func(*Prefs)) error {
	audit := store.AuditEntry{Scope: customerID, At: at, Actor: strings.ToLower(email), Action: action, Subject: subscriptionID}
	_, err := store.UpdateJSON(ctx, st, prefsRef(customerID, email, subscriptionID), func(p *Prefs, _ bool) ([]store.AuditEntry, error) {
		f(p)
		return []store.AuditEntry{audit}, nil
	})
	if err != nil {
		return fmt.Errorf("save reminder preferences: %w", err)
	}
	return nil
}

// Mute stops (muted true) or resumes the reminders about a subscription
// for one person. at is the clock's time, for the audit line.
func Mute(ctx context.Context, st store.Documents, customerID, email, subscriptionID string, muted bool, at time.Time) error {
	action := "reminders.muted"
	if !muted {
		action = "reminders.unmuted"
	}
	return updatePrefs(ctx, st, customerID, email, subscriptionID, action, at, func(p *Prefs) { p.Muted = muted })
}

// Keep records that a person keeps a subscription as it is for the term
// ending at termEnd: the remaining renewal or trial reminders of that
// term are not sent to them.
func Keep(ctx context.Context, st store.Documents, customerID, email, subscriptionID string, termEnd, at time.Time) error {
	return updatePrefs(ctx, st, customerID, email, subscriptionID, "reminders.kept", at, func(p *Prefs) { p.KeptTermEnd = termEnd.UTC() })
}
