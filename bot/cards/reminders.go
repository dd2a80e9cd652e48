package cards

import (
	"math"
	"time"

	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/workflows"
	"github.com/licensebot/licensebot/workflows/reminders"
)

func (rd *Renderer) reminderLoc(it reminders.Item) *time.Location {
	if it.Location != nil {
		return it.Location
	}
	return rd.Loc(it.CustomerID)
}

// Reminder renders one reminder for one reader. The dialogue sets who it
// goes to and its key.
func (rd *Renderer) Reminder(l string, it reminders.Item) chat.Message {
	loc := rd.reminderLoc(it)
	s := it.Subscription
	data := map[string]any{
		"Name":   s.Name,
		"End":    rd.tr.Date(l, it.CommitmentEnd, loc),
		"In":     rd.inDays(l, it.Now, it.CommitmentEnd, loc),
		"Seats":  rd.tr.N(l, "seats", s.Quantity, nil),
		"Amount": rd.tr.Money(l, it.NextTermCost),
		"Window": rd.tr.N(l, "reminder.hours", int(it.RemovalWindow.Hours()), nil),
	}
	var m chat.Message
	switch it.Kind {
	case reminders.KindRenewal:
		m = rd.renewalReminder(l, it, data, loc)
	case reminders.KindTrial:
		m = chat.Message{Title: rd.tr.T(l, "reminder.trial.title", data), Text: rd.tr.T(l, "reminder.trial.text", data)}
		m.Actions = []chat.Action{
			{ID: chat.ActStart, Label: rd.tr.T(l, "btn.auto_renew_off", nil), Value: chat.StartValue(csp.ChangeAutoRenewOff, s, 0)},
			{ID: chat.ActKeep, Label: rd.tr.T(l, "reminder.btn.keep_it", nil), Value: chat.KeepValue(it.CustomerID, s)},
			rd.muteAction(l, it),
		}
		m.Deadline = rd.tr.T(l, "summary.trial_ends", map[string]any{"At": data["End"]})
	case reminders.KindWindowOpen, reminders.KindWindowClosing:
		m = rd.windowReminder(l, it, data, loc)
	case reminders.KindApprovalWaiting, reminders.KindApprovalEscalated:
		m = rd.approvalReminder(l, it)
	case reminders.KindPersonal:
		m = rd.personalReminder(l, it, data, loc)
	default:
		m = chat.Message{Text: string(it.Kind)}
	}
	if it.Late {
		m.Context = rd.tr.T(l, "reminder.late", map[string]any{"Due": rd.tr.DateTime(l, it.Due, loc)})
	}
	stampReminder(&m, it) // stale.go
	return m
}

func (rd *Renderer) renewalReminder(l string, it reminders.Item, data map[string]any, loc *time.Location) chat.Message {
	s := it.Subscription
	m := chat.Message{Title: rd.tr.T(l, "reminder.renewal.title", data), Text: rd.tr.T(l, "reminder.renewal.text", data),
		Deadline: rd.tr.T(l, "summary.renews_on", map[string]any{"At": data["End"]})}
	m.Fields = []chat.Field{
		{Label: rd.tr.T(l, "field.seats", nil), Value: rd.tr.Number(l, s.Quantity)},
		{Label: rd.tr.T(l, "field.renewal_quantity", nil), Value: rd.tr.Number(l, s.RenewalQuantity())},
		{Label: rd.tr.T(l, "reminder.field.next_term_cost", nil), Value: rd.tr.Money(l, it.NextTermCost) + " (" +
			rd.tr.T(l, "term."+string(nextOr(it.NextTermLength, s.Term)), nil) + ", " +
			rd.tr.T(l, "billing."+string(nextOr(it.NextBilling, s.Billing)), nil) + ")"},
		{Label: rd.tr.T(l, "field.end", nil), Value: rd.tr.Date(l, it.CommitmentEnd, loc)},
	}
	if s.RenewalQuantity() > 1 {
		m.Actions = append(m.Actions, chat.Action{ID: chat.ActStart, Label: rd.tr.T(l, "btn.reduce_renewal", nil), Value: chat.StartValue(csp.ChangeSetRenewalQuantity, s, 0)})
	}
	m.Actions = append(m.Actions,
		chat.Action{ID: chat.ActStart, Label: rd.tr.T(l, "btn.auto_renew_off", nil), Value: chat.StartValue(csp.ChangeAutoRenewOff, s, 0)},
		chat.Action{ID: chat.ActKeep, Label: rd.tr.T(l, "reminder.btn.keep_as_is", nil), Value: chat.KeepValue(it.CustomerID, s), Secondary: true},
		rd.muteAction(l, it))
	return m
}

func (rd *Renderer) windowReminder(l string, it reminders.Item, data map[string]any, loc *time.Location) chat.Message {
	s := it.Subscription
	data["Until"] = rd.until(l, it.WindowCloses, loc)
	data["Start"] = rd.tr.Date(l, s.TermStart, loc)
	data["Hours"] = rd.tr.N(l, "reminder.hours", hoursLeft(it.Now, it.WindowCloses), nil)
	data["Removable"] = rd.tr.N(l, "reminder.removable", it.RemovableSeats, nil)
	data["Committed"] = rd.tr.N(l, "reminder.committed", s.Quantity, map[string]any{"End": data["End"]})
	id := "reminder.window_open"
	if it.Kind == reminders.KindWindowClosing {
		id = "reminder.window_closing"
	}
	m := chat.Message{Title: rd.tr.T(l, id+".title", data), Text: rd.tr.T(l, id+".text", data),
		Deadline: rd.tr.T(l, "summary.window_until", data)}
	if it.Kind == reminders.KindWindowClosing {
		m.Status = &chat.Status{Tone: chat.ToneWarning, Text: rd.tr.T(l, "status_line.window_closing", data)}
	}
	m.Actions = []chat.Action{
		{ID: chat.ActStart, Label: rd.tr.T(l, "reminder.btn.remove_seats", nil), Value: chat.StartValue(csp.ChangeRemoveSeats, s, 0)},
		rd.muteAction(l, it),
	}
	return m
}

func (rd *Renderer) personalReminder(l string, it reminders.Item, data map[string]any, loc *time.Location) chat.Message {
	data["Until"] = rd.until(l, it.WindowCloses, loc)
	m := chat.Message{Title: rd.tr.T(l, "reminder.personal.title", data), Text: rd.tr.T(l, "reminder.personal.text", data),
		Deadline: rd.tr.T(l, "summary.window_until", data)}
	if pr := it.Personal; pr != nil {
		if pr.Kind == csp.ChangeRemoveSeats && pr.Quantity > 0 {
			m.Text += "\n" + rd.tr.N(l, "reminder.personal.wanted", pr.Quantity, nil)
		}
		kind := pr.Kind
		if !kind.Valid() {
			kind = csp.ChangeRemoveSeats
		}
		m.Actions = []chat.Action{{ID: chat.ActStart, Label: rd.tr.T(l, "reminder.btn.remove_seats", nil), Value: chat.StartValue(kind, it.Subscription, 0)}}
	}
	return m
}

// approvalReminder nudges an approver (with the approval card's fields
// and buttons) or tells a requester that the backups were brought in.
func (rd *Renderer) approvalReminder(l string, it reminders.Item) chat.Message {
	r := it.Request
	loc := rd.reminderLoc(it)
	data := map[string]any{
		"ID":        r.ID,
		"Summary":   rd.Summary(l, r),
		"Requester": r.NameOf(r.Requester),
		"Since":     rd.tr.DateTime(l, pendingSince(r), loc),
	}
	if !r.Deadline.IsZero() {
		data["Deadline"] = rd.until(l, r.Deadline, loc)
		data["Left"] = rd.tr.N(l, "reminder.hours", hoursLeft(it.Now, r.Deadline), nil)
	}
	if it.Audience == reminders.AudienceRequester {
		return chat.Message{
			Title: rd.tr.T(l, "reminder.escalated_requester.title", data), Text: rd.tr.T(l, "reminder.escalated_requester.text", data),
			RequestID: r.ID,
			Actions:   []chat.Action{{ID: chat.ActWithdraw, Label: rd.tr.T(l, "btn.withdraw", nil), Value: chat.RequestValue(r.CustomerID, r.ID)}},
		}
	}
	card := rd.Approval(l, r, it.To)
	id := "reminder.approval_waiting"
	if it.Kind == reminders.KindApprovalEscalated {
		id = "reminder.approval_escalated"
		if r.Deadline.IsZero() {
			id = "reminder.approval_waiting"
		}
	} else if r.Deadline.IsZero() {
		id = "reminder.approval_waiting_nodeadline"
	}
	return chat.Message{
		Title: rd.tr.T(l, id+".title", data), Text: rd.tr.T(l, id+".text", data),
		Summary: card.Summary, Deadline: card.Deadline,
		Fields: card.Fields, Actions: card.Actions, RequestID: r.ID,
	}
}

func (rd *Renderer) muteAction(l string, it reminders.Item) chat.Action {
	return chat.Action{ID: chat.ActMute, Label: rd.tr.T(l, "reminder.btn.stop", nil), Value: it.CustomerID + ":" + it.Subscription.ID, Secondary: true}
}

// inDays says how far a day is: "today", "tomorrow", "in 7 days".
func (rd *Renderer) inDays(l string, now, day time.Time, loc *time.Location) string {
	if now.IsZero() || day.IsZero() {
		return ""
	}
	switch n := csp.DaysBetween(now, day, loc); {
	case n <= 0:
		return rd.tr.T(l, "reminder.today", nil)
	case n == 1:
		return rd.tr.T(l, "reminder.tomorrow", nil)
	default:
		return rd.tr.N(l, "reminder.in_days", n, nil)
	}
}

// hoursLeft rounds up, so "closes in 12 hours" at 12:00 for midnight.
func hoursLeft(now, until time.Time) int {
	if !until.After(now) {
		return 0
	}
	return int(math.Ceil(until.Sub(now).Hours()))
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
