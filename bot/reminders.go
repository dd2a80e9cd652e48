package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/workflows/reminders"
)

// ErrNoDeliverer: the engine has nowhere to send reminders.
var ErrNoDeliverer = errors.New("bot: no deliverer for reminders")

var _ reminders.Sender = (*Engine)(nil)

// Remind implements reminders.Sender: it renders a reminder in the
// recipient's language and hands it to the Deliverer. An error means it
// was not delivered (the reminders engine retries later). The message
// Key is the reminder's id and due instant, so a retried send replaces
// rather than repeats where the platform allows it.
func (e *Engine) Remind(ctx context.Context, it reminders.Item) error {
	if e.opt.Deliverer == nil {
		return ErrNoDeliverer
	}
	lang := e.langOf(ctx, it.To)
	m := e.cards.Reminder(lang, it)
	e.usageReminder(ctx, lang, it, &m) // bot/usage.go
	m.To, m.Lang, m.Kind = it.To.Email, lang, KindReminder
	m.Key = "reminder:" + it.Key
	m.CustomerID = it.CustomerID
	e.retireStale(&m, it.CustomerID) // stale.go
	if err := e.opt.Deliverer.Deliver(ctx, it.To, m); err != nil {
		return fmt.Errorf("deliver reminder %s: %w", it.ID, err)
	}
	return nil
}

// reminderTarget parses "customer:subscription[:…]" and checks that the
// person may act for that customer.
func (e *Engine) reminderTarget(tc *turnCtx, value string) (customer, sub, rest string, ok bool) {
	customer, tail, found := strings.Cut(value, ":")
	if !found || customer == "" {
		return "", "", "", false
	}
	sub, rest, _ = strings.Cut(tail, ":")
	for _, c := range e.customersOf(tc.turn.Person) {
		if c == customer && sub != "" {
			return customer, sub, rest, true
		}
	}
	return "", "", "", false
}

func (e *Engine) subscriptionName(ctx context.Context, customer, sub string) string {
	if s, err := e.opt.Provider.Subscription(ctx, customer, sub); err == nil {
		return s.Name
	}
	return sub
}

// keepReminder is [Keep as is] / [Keep it]: nothing changes, and the
// remaining reminders of this term stop for this person.
func (e *Engine) keepReminder(ctx context.Context, tc *turnCtx, value string) error {
	customer, sub, rest, ok := e.reminderTarget(tc, value)
	secs, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil {
		tc.say(Message{Text: e.tr.T(tc.lang, "stale_preview", nil)})
		return nil
	}
	termEnd := time.Unix(secs, 0)
	if err := reminders.Keep(ctx, e.opt.Store, customer, tc.turn.Person.Email, sub, termEnd, e.opt.Clock.Now()); err != nil {
		return err
	}
	loc := e.locOf(customer)
	tc.say(Message{Text: e.tr.T(tc.lang, "reminder.kept", map[string]any{
		"Name": e.subscriptionName(ctx, customer, sub),
		"End":  e.tr.Date(tc.lang, termEnd.In(loc).AddDate(0, 0, -1), loc),
	})})
	return nil
}

// muteReminders is [Stop these reminders] (muted) and its [Undo].
func (e *Engine) muteReminders(ctx context.Context, tc *turnCtx, value string, muted bool) error {
	customer, sub, _, ok := e.reminderTarget(tc, value)
	if !ok {
		tc.say(Message{Text: e.tr.T(tc.lang, "stale_preview", nil)})
		return nil
	}
	if err := reminders.Mute(ctx, e.opt.Store, customer, tc.turn.Person.Email, sub, muted, e.opt.Clock.Now()); err != nil {
		return err
	}
	data := map[string]any{"Name": e.subscriptionName(ctx, customer, sub)}
	if !muted {
		tc.say(Message{Text: e.tr.T(tc.lang, "reminder.unmuted", data)})
		return nil
	}
	tc.say(Message{Text: e.tr.T(tc.lang, "reminder.muted", data), Actions: []Action{
		{ID: ActUnmute, Label: e.tr.T(tc.lang, "reminder.btn.undo", nil), Value: customer + ":" + sub},
	}})
	return nil
}
