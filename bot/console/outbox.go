// Package console is the terminal channel: an interactive prompt
// (`licensebot chat`), scripted transcripts (`licensebot chat --script`),
// and a store-backed outbox so that messages sent to someone who is not at
// the keyboard (an approval card for the account manager) wait for them
// until they are "switched to" with /as.
package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

const (
	collOutbox  = "console-outbox"
	collButtons = "console-buttons"
)

// Outbox keeps unread messages per person in the store. A message with a
// Key replaces an unread one with the same key, so a card that changed
// three times while someone was away shows once, current.
type Outbox struct {
	Store store.Store
	// Clock, when set, stamps each message with when it was sent, so a
	// message read much later says so.
	Clock clock.Clock
}

// Queued is an unread message and when it was sent (zero when the outbox
// had no clock).
type Queued struct {
	bot.Message
	SentAt time.Time `json:"sent_at,omitzero"`
}

var _ bot.Deliverer = (*Outbox)(nil)

// Deliver queues msg for p.
func (o *Outbox) Deliver(ctx context.Context, p workflows.Person, msg bot.Message) error {
	q := Queued{Message: msg}
	if o.Clock != nil {
		q.SentAt = o.Clock.Now()
	}
	return o.update(ctx, strings.ToLower(p.Email), func(list []Queued) []Queued {
		if msg.Key != "" {
			for i := range list {
				if list[i].Key == msg.Key {
					list[i] = q
					return list
				}
			}
		}
		return append(list, q)
	})
}

// Take returns and clears p's unread messages.
func (o *Outbox) Take(ctx context.Context, email string) ([]bot.Message, error) {
	qs, err := o.TakeQueued(ctx, email)
	msgs := make([]bot.Message, 0, len(qs))
	for _, q := range qs {
		msgs = append(msgs, q.Message)
	}
	return msgs, err
}

// TakeQueued is Take with when each message was sent.
func (o *Outbox) TakeQueued(ctx context.Context, email string) ([]Queued, error) {
	var taken []Queued
	err := o.update(ctx, strings.ToLower(email), func(list []Queued) []Queued {
		taken = list
		return nil
	})
	return taken, err
}

func (o *Outbox) update(ctx context.Context, email string, f func([]Queued) []Queued) error {
	_, err := store.UpdateJSON(ctx, o.Store, store.Ref{Collection: collOutbox, ID: email}, func(list *[]Queued, _ bool) ([]store.AuditEntry, error) {
		*list = f(*list)
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// buttons remembers, per person, the actions of the newest message shown
// to them that had any, so "[Approve]" in a script (or "1" at the prompt)
// can press it, even in a later invocation.
type buttons struct {
	Store store.Store
}

func (b buttons) save(ctx context.Context, email string, actions []bot.Action) error {
	_, err := store.UpdateJSON(ctx, b.Store, store.Ref{Collection: collButtons, ID: strings.ToLower(email)},
		func(cur *[]bot.Action, _ bool) ([]store.AuditEntry, error) {
			*cur = actions
			return nil, nil
		})
	return err
}

func (b buttons) load(ctx context.Context, email string) ([]bot.Action, error) {
	a, _, err := store.GetJSON[[]bot.Action](ctx, b.Store, store.Ref{Collection: collButtons, ID: strings.ToLower(email)})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load buttons: %w", err)
	}
	return a, nil
}
