package bot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/workflows"
	"github.com/licensebot/licensebot/workflows/reminders"
)

// Reminder actions. Values carry only ids; the server decides the rest.
const (
	ActKeep   = "keep"   // value: customer ":" subscription ":" term end (Unix seconds)
	ActMute   = "mute"   // value: customer ":" subscription
	ActUnmute = "unmute" // value: customer ":" subscription
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
	m := e.reminderMessage(lang, it)
	m.To, m.Lang, m.Kind = it.To.Email, lang, KindReminder
	m.Key = "reminder:" + it.Key
	m.CustomerID = it.CustomerID
	if err := e.opt.Deliverer.Deliver(ctx, it.To, m); err != nil {
		return fmt.Errorf("deliver reminder %s: %w", it.ID, err)
	}
	return nil
}

func (e *Engine) reminderLoc(it reminders.Item) *time.Location {
	if it.Location != nil {
		return it.Location
	}
	return e.locOf(it.CustomerID)
}

// reminderMessage renders one reminder for one reader.
func (e *Engine) reminderMessage(l string, it reminders.Item) Message {
	loc := e.reminderLoc(it)
	s := it.Subscription
	data := map[string]any{
		"Name":   s.Name,
		"End":    e.tr.Date(l, it.CommitmentEnd, loc),
		"In":     e.inDays(l, it.Now, it.CommitmentEnd, loc),
		"Seats":  e.tr.N(l, "seats", s.Quantity, nil),
		"Amount": e.tr.Money(l, it.NextTermCost),
		"Window": e.tr.N(l, "reminder.hours", int(it.RemovalWindow.Hours()), nil),
	}
	var m Message
	switch it.Kind {
	case reminders.KindRenewal:
		m = Message{Title: e.tr.T(l, "reminder.renewal.title", data), Text: e.tr.T(l, "reminder.renewal.text", data)}
		m.Fields = []Field{
			{e.tr.T(l, "field.seats", nil), e.tr.Number(l, s.Quantity)},
			{e.tr.T(l, "field.renewal_quantity", nil), e.tr.Number(l, s.RenewalQuantity())},
			{e.tr.T(l, "reminder.field.next_term_cost", nil), e.tr.Money(l, it.NextTermCost) + " (" +
				e.tr.T(l, "term."+string(nextOr(it.NextTermLength, s.Term)), nil) + ", " +
				e.tr.T(l, "billing."+string(nextOr(it.NextBilling, s.Billing)), nil) + ")"},
			{e.tr.T(l, "field.end", nil), e.tr.Date(l, it.CommitmentEnd, loc)},
		}
		if s.RenewalQuantity() > 1 {
			m.Actions = append(m.Actions, Action{ID: ActStart, Label: e.tr.T(l, "btn.reduce_renewal", nil), Value: startValue(csp.ChangeSetRenewalQuantity, s, 0)})
		}
		m.Actions = append(m.Actions,
			Action{ID: ActStart, Label: e.tr.T(l, "btn.auto_renew_off", nil), Value: startValue(csp.ChangeAutoRenewOff, s, 0)},
			Action{ID: ActKeep, Label: e.tr.T(l, "reminder.btn.keep_as_is", nil), Value: keepValue(it)},
			e.muteAction(l, it))
	case reminders.KindTrial:
		m = Message{Title: e.tr.T(l, "reminder.trial.title", data), Text: e.tr.T(l, "reminder.trial.text", data)}
		m.Actions = []Action{
			{ID: ActStart, Label: e.tr.T(l, "btn.auto_renew_off", nil), Value: startValue(csp.ChangeAutoRenewOff, s, 0)},
			{ID: ActKeep, Label: e.tr.T(l, "reminder.btn.keep_it", nil), Value: keepValue(it)},
			e.muteAction(l, it),
		}
	case reminders.KindWindowOpen, reminders.KindWindowClosing:
		data["Until"] = e.tr.DateTime(l, it.WindowCloses, loc)
		data["Start"] = e.tr.Date(l, s.TermStart, loc)
		data["Hours"] = e.tr.N(l, "reminder.hours", hoursLeft(it.Now, it.WindowCloses), nil)
		data["Removable"] = e.tr.N(l, "reminder.removable", it.RemovableSeats, nil)
		data["Committed"] = e.tr.N(l, "reminder.committed", s.Quantity, map[string]any{"End": data["End"]})
		id := "reminder.window_open"
		if it.Kind == reminders.KindWindowClosing {
			id = "reminder.window_closing"
		}
		m = Message{Title: e.tr.T(l, id+".title", data), Text: e.tr.T(l, id+".text", data)}
		m.Actions = []Action{
			{ID: ActStart, Label: e.tr.T(l, "reminder.btn.remove_seats", nil), Value: startValue(csp.ChangeRemoveSeats, s, 0)},
			e.muteAction(l, it),
		}
	case reminders.KindApprovalWaiting, reminders.KindApprovalEscalated:
		m = e.approvalReminder(l, it)
	case reminders.KindPersonal:
		data["Until"] = e.tr.DateTime(l, it.WindowCloses, loc)
		m = Message{Title: e.tr.T(l, "reminder.personal.title", data), Text: e.tr.T(l, "reminder.personal.text", data)}
		if pr := it.Personal; pr != nil {
			if pr.Kind == csp.ChangeRemoveSeats && pr.Quantity > 0 {
				m.Text += "\n" + e.tr.N(l, "reminder.personal.wanted", pr.Quantity, nil)
			}
			kind := pr.Kind
			if !kind.Valid() {
				kind = csp.ChangeRemoveSeats
			}
			m.Actions = []Action{{ID: ActStart, Label: e.tr.T(l, "reminder.btn.remove_seats", nil), Value: startValue(kind, s, 0)}}
		}
	default:
		m = Message{Text: string(it.Kind)}
	}
	if it.Late {
		m.Context = e.tr.T(l, "reminder.late", map[string]any{"Due": e.tr.DateTime(l, it.Due, loc)})
	}
	return m
}

// approvalReminder nudges an approver (with the approval card's fields
// and buttons) or tells a requester that the backups were brought in.
func (e *Engine) approvalReminder(l string, it reminders.Item) Message {
	r := it.Request
	loc := e.reminderLoc(it)
	data := map[string]any{
		"ID":        r.ID,
		"Summary":   e.changeSummary(l, r.Change, r),
		"Requester": r.NameOf(r.Requester),
		"Since":     e.tr.DateTime(l, pendingSince(r), loc),
	}
	if !r.Deadline.IsZero() {
		data["Deadline"] = e.tr.DateTime(l, r.Deadline, loc)
		data["Left"] = e.tr.N(l, "reminder.hours", hoursLeft(it.Now, r.Deadline), nil)
	}
	if it.Audience == reminders.AudienceRequester {
		return Message{
			Title: e.tr.T(l, "reminder.escalated_requester.title", data), Text: e.tr.T(l, "reminder.escalated_requester.text", data),
			RequestID: r.ID,
			Actions:   []Action{{ID: ActWithdraw, Label: e.tr.T(l, "btn.withdraw", nil), Value: r.CustomerID + ":" + r.ID}},
		}
	}
	card := e.approvalCard(l, r, it.To)
	id := "reminder.approval_waiting"
	if it.Kind == reminders.KindApprovalEscalated {
		id = "reminder.approval_escalated"
		if r.Deadline.IsZero() {
			id = "reminder.approval_waiting"
		}
	} else if r.Deadline.IsZero() {
		id = "reminder.approval_waiting_nodeadline"
	}
	return Message{
		Title: e.tr.T(l, id+".title", data), Text: e.tr.T(l, id+".text", data),
		Fields: card.Fields, Actions: card.Actions, RequestID: r.ID,
	}
}

func (e *Engine) muteAction(l string, it reminders.Item) Action {
	return Action{ID: ActMute, Label: e.tr.T(l, "reminder.btn.stop", nil), Value: it.CustomerID + ":" + it.Subscription.ID}
}

func keepValue(it reminders.Item) string {
	return it.CustomerID + ":" + it.Subscription.ID + ":" + strconv.FormatInt(it.Subscription.TermEnd.Unix(), 10)
}

// inDays says how far a day is: "today", "tomorrow", "in 7 days".
func (e *Engine) inDays(l string, now, day time.Time, loc *time.Location) string {
	if now.IsZero() || day.IsZero() {
		return ""
	}
	switch n := csp.DaysBetween(now, day, loc); {
	case n <= 0:
		return e.tr.T(l, "reminder.today", nil)
	case n == 1:
		return e.tr.T(l, "reminder.tomorrow", nil)
	default:
		return e.tr.N(l, "reminder.in_days", n, nil)
	}
}

// hoursLeft rounds up, so "closes in 12 hours" at 12:00 for midnight.
func hoursLeft(now, until time.Time) int {
	if !until.After(now) {
		return 0
	}
	return int(math.Ceil(until.Sub(now).Hours()))
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

// pendingSince is when a request started waiting for a decision.
func pendingSince(r workflows.Request) time.Time {
	for i := len(r.History) - 1; i >= 0; i-- {
		if r.History[i].To == workflows.StatePendingApproval {
			return r.History[i].At
		}
	}
	return r.CreatedAt
}

// nextOr is the next term's value, or the current one when not known.
func nextOr[T ~string](next, current T) T {
	if next != "" {
		return next
	}
	return current
}
