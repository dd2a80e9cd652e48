package cards

import (
	"fmt"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/bot/i18n"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/workflows/reminders"
)

// usageMeasured is the oldest counting time of a usage list: what is
// shown is at least that fresh.
func usageMeasured(us []csp.Usage) time.Time {
	var t time.Time
	for _, u := range us {
		if t.IsZero() || (!u.MeasuredAt.IsZero() && u.MeasuredAt.Before(t)) {
			t = u.MeasuredAt
		}
	}
	return t
}

// usagePart is what a subscription's usage says after its name: "22 of
// 25 assigned · 3 unused (26,40 € a month)".
func (rd *Renderer) usagePart(l string, s csp.Subscription, u csp.Usage) string {
	parts := []string{rd.tr.T(l, "usage.assigned", map[string]any{"Assigned": rd.tr.Number(l, u.Assigned), "Bought": rd.tr.Number(l, u.Bought)})}
	switch {
	case u.Over() > 0:
		parts = append(parts, rd.tr.N(l, "usage.over", u.Over(), nil))
	case u.Unused() > 0 && s.Trial:
		parts = append(parts, rd.tr.N(l, "usage.unused_trial", u.Unused(), nil))
	case u.Unused() > 0:
		parts = append(parts, rd.tr.N(l, "usage.unused", u.Unused(), map[string]any{"Amount": rd.tr.Money(l, csp.UnusedMonthly(s, u))}))
	default:
		parts = append(parts, rd.tr.T(l, "usage.all_used", nil))
	}
	if u.Pooled {
		parts = append(parts, rd.tr.T(l, "usage.pooled", map[string]any{"Name": s.Name}))
	}
	return strings.Join(parts, " · ")
}

// Usage answers "how many licences are used?": one line per live
// subscription, what its unused seats cost, and when it was counted.
func (rd *Renderer) Usage(l string, c Customer, subs []csp.Subscription, us []csp.Usage) chat.Message {
	var b strings.Builder
	unused := 0
	var cost csp.Money
	for _, s := range subs {
		if s.Status != csp.StatusActive && s.Status != csp.StatusSuspended {
			continue
		}
		u, ok := csp.UsageOf(us, s.ID)
		if !ok {
			fmt.Fprintf(&b, "• *%s* — %s\n", s.Name, rd.tr.T(l, "usage.not_reported", nil))
			continue
		}
		fmt.Fprintf(&b, "• *%s* — %s\n", s.Name, rd.usagePart(l, s, u))
		if !s.Trial {
			unused += u.Unused()
			cost = cost.Add(csp.UnusedMonthly(s, u))
		}
	}
	if unused > 0 {
		b.WriteString(rd.tr.N(l, "usage.total_unused", unused, map[string]any{"Amount": rd.tr.Money(l, cost)}))
	} else {
		b.WriteString(rd.tr.T(l, "usage.none_unused", nil))
	}
	m := chat.Message{Kind: chat.KindList, Title: rd.tr.T(l, "usage.title", map[string]any{"Customer": c.Name}), Text: b.String()}
	if at := usageMeasured(us); !at.IsZero() {
		m.Context = rd.tr.T(l, "usage.measured", map[string]any{"At": rd.tr.DateTime(l, at, rd.Loc(c.ID))})
	}
	return m
}

// usageCell is the usage column of the subscription list: " · 22/25
// assigned", or nothing when the portal did not count this subscription.
func (rd *Renderer) usageCell(l string, s csp.Subscription, us []csp.Usage) string {
	u, ok := csp.UsageOf(us, s.ID)
	if !ok {
		return ""
	}
	return " · " + rd.tr.Tf(l, "usage.cell", i18n.Arg{Name: "Assigned", Value: rd.tr.Number(l, u.Assigned)}, i18n.Arg{Name: "Bought", Value: rd.tr.Number(l, u.Bought)})
}

// DelegatedAccess answers "which admin access does the reseller have?":
// each relationship with its state, end and roles.
func (rd *Renderer) DelegatedAccess(l string, c Customer, rs []csp.DelegatedRelationship) chat.Message {
	m := chat.Message{Kind: chat.KindList, Title: rd.tr.T(l, "gdap.title", map[string]any{"Customer": c.Name})}
	if len(rs) == 0 {
		m.Text = rd.tr.T(l, "gdap.none", map[string]any{"Customer": c.Name})
		return m
	}
	loc := rd.Loc(c.ID)
	var b strings.Builder
	for _, r := range rs {
		name := r.Name
		if name == "" {
			name = r.ID
		}
		end := map[string]any{}
		if !r.End.IsZero() {
			// The end instant is exclusive: the last day is the one before.
			end["End"] = rd.tr.Date(l, r.End.Add(-time.Nanosecond), loc)
		}
		var state string
		switch r.Status {
		case csp.DelegatedActive:
			state = rd.tr.T(l, "gdap.active", nil)
			if !r.End.IsZero() {
				state = rd.tr.T(l, "gdap.active_until", end)
			}
			if r.AutoExtend {
				state += " (" + rd.tr.T(l, "gdap.extends", nil) + ")"
			}
		case csp.DelegatedExpired:
			state = rd.tr.T(l, "gdap.expired", nil)
			if !r.End.IsZero() {
				state = rd.tr.T(l, "gdap.expired_on", end)
			}
		case csp.DelegatedExpiring:
			state = rd.tr.T(l, "gdap.expiring", end)
		case csp.DelegatedPending:
			state = rd.tr.T(l, "gdap.pending", nil)
		case csp.DelegatedTerminated:
			state = rd.tr.T(l, "gdap.terminated", nil)
		default:
			state = rd.tr.T(l, "gdap.unknown", nil)
		}
		fmt.Fprintf(&b, "• *%s* — %s", name, state)
		if len(r.Roles) > 0 {
			b.WriteString(" · " + rd.tr.T(l, "gdap.roles", map[string]any{"Roles": strings.Join(r.Roles, ", ")}))
		}
		b.WriteString("\n")
	}
	m.Text = strings.TrimRight(b.String(), "\n")
	return m
}

// RightSize adds to a renewal or removal-window reminder how many seats
// are unused and one button to act on it: schedule the renewal at the
// number in use, or remove the unused seats the window still covers.
// The button starts a change like any other (preview, rules, approval).
// Nothing is added when every seat is used, when nobody uses any (that
// is a cancellation, not a right-sizing), or for other kinds.
func (rd *Renderer) RightSize(l string, it reminders.Item, u csp.Usage, m *chat.Message) {
	s := it.Subscription
	if u.SubscriptionID != s.ID || u.Assigned < 1 || s.Trial {
		return
	}
	loc := rd.reminderLoc(it)
	data := map[string]any{"Assigned": rd.tr.Number(l, u.Assigned), "At": rd.tr.Date(l, u.MeasuredAt, loc)}
	var act chat.Action
	switch it.Kind {
	case reminders.KindRenewal:
		renewal := s.RenewalQuantity()
		n := renewal - u.Assigned
		if n <= 0 {
			return
		}
		data["Unused"], data["Renewal"] = rd.tr.Number(l, n), rd.tr.Number(l, renewal)
		data["Amount"] = rd.tr.Money(l, s.Price().Monthly().Mul(n))
		m.Text += "\n" + rd.tr.N(l, "rightsize.renewal", n, data)
		act = chat.Action{ID: chat.ActStart, Label: rd.tr.N(l, "rightsize.btn.renewal", u.Assigned, nil),
			Value: chat.StartValue(csp.ChangeSetRenewalQuantity, s, u.Assigned)}
	case reminders.KindWindowOpen, reminders.KindWindowClosing:
		n := min(u.Unused(), it.RemovableSeats, s.Quantity-1)
		if n <= 0 {
			return
		}
		data["Unused"], data["Seats"] = rd.tr.Number(l, n), rd.tr.Number(l, s.Quantity)
		data["Amount"] = rd.tr.Money(l, s.Price().Monthly().Mul(n))
		m.Text += "\n" + rd.tr.N(l, "rightsize.window", n, data)
		act = chat.Action{ID: chat.ActStart, Label: rd.tr.N(l, "rightsize.btn.remove", n, nil),
			Value: chat.StartValue(csp.ChangeRemoveSeats, s, n)}
	default:
		return
	}
	m.Actions = append([]chat.Action{act}, m.Actions...)
}

// UnusedSummary renders the monthly summary of what unused seats cost.
func (rd *Renderer) UnusedSummary(l string, it reminders.Item, customer string) chat.Message {
	sum := it.Unused
	if sum == nil {
		return chat.Message{Text: string(it.Kind)}
	}
	loc := rd.reminderLoc(it)
	var b strings.Builder
	b.WriteString(rd.tr.T(l, "summary.text", map[string]any{"Month": rd.tr.Date(l, sum.Month, loc), "Customer": customer}) + "\n")
	for _, line := range sum.Lines {
		b.WriteString(rd.tr.N(l, "summary.line", line.Usage.Unused(), map[string]any{
			"Name": line.Subscription.Name, "Unused": rd.tr.Number(l, line.Usage.Unused()),
			"Bought": rd.tr.Number(l, line.Usage.Bought), "Amount": rd.tr.Money(l, line.Monthly),
		}) + "\n")
	}
	b.WriteString(rd.tr.T(l, "summary.footer", map[string]any{"At": rd.tr.DateTime(l, sum.MeasuredAt, loc)}))
	return chat.Message{Title: rd.tr.T(l, "summary.title", map[string]any{"Amount": rd.tr.Money(l, sum.Total)}), Text: b.String()}
}

// CustomerName is a customer's display name, or its id.
func (rd *Renderer) CustomerName(customerID string) string {
	if c, ok := rd.customers[customerID]; ok && c.Name != "" {
		return c.Name
	}
	return customerID
}
