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

	"github.com/licensebot/licensebot/bot"
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
}

var _ bot.Deliverer = (*Outbox)(nil)

// Deliver queues msg for p.
func (o *Outbox) Deliver(ctx context.Context, p workflows.Person, msg bot.Message) error {
	return o.update(ctx, strings.ToLower(p.Email), func(list []bot.Message) []bot.Message {
		if msg.Key != "" {
			for i := range list {
				if list[i].Key == msg.Key {
					list[i] = msg
					return list
				}
			}
		}
		return append(list, msg)
	})
}

// Take returns and clears p's unread messages.
func (o *Outbox) Take(ctx context.Context, email string) ([]bot.Message, error) {
	var taken []bot.Message
	err := o.update(ctx, strings.ToLower(email), func(list []bot.Message) []bot.Message {
		taken = list
		return nil
	})
	return taken, err
}

func (o *Outbox) update(ctx context.Context, email string, f func([]bot.Message) []bot.Message) error {
	_, err := store.UpdateJSON(ctx, o.Store, store.Ref{Collection: collOutbox, ID: email}, func(list *[]bot.Message, _ bool) ([]store.AuditEntry, error) {
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
