package cards

import (
	"fmt"
	"strings"

	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// Preview shows what a change would do before it is confirmed: the
// money and the deadline on the top line, the quantities, who must
// approve and why (one row), the warnings. A change that goes for
// approval is sent with [Send for approval], not [Confirm].
func (rd *Renderer) Preview(l string, dr Draft, ev workflows.Evaluation) chat.Message {
	r := evalRequest(ev)
	d := ev.Decision
	loc := rd.Loc(dr.CustomerID)
	lines := []string{rd.tr.T(l, "preview.intro", map[string]any{"Summary": rd.Summary(l, r)})}
	f := []chat.Field{{Label: rd.tr.T(l, "field.subscription", nil), Value: r.SubscriptionName}}
	f = append(f, rd.quantityFields(l, r)...)
	f = append(f, rd.costFields(l, r)...)
	m := chat.Message{Kind: chat.KindPreview, Title: rd.tr.T(l, "preview.title", nil), Summary: rd.moneySummary(l, d.Cost)}
	confirm := chat.Action{ID: chat.ActConfirm, Label: rd.tr.T(l, "btn.confirm", nil), Style: chat.StylePrimary, Value: dr.ID}
	whyIrreversible := false
	switch d.Outcome {
	case rules.NeedsApproval:
		whyIrreversible = irreversibleWhy(d.Reason)
		f = append(f, chat.Field{Label: rd.tr.T(l, "field.approval", nil), Value: rd.tr.T(l, "approval.by", map[string]any{
			"Role": rd.approverName(l, d.Approver), "Why": rd.reason(l, string(d.Reason), nil)})})
		m.Deadline = rd.deadline(l, d.Deadline, loc)
		confirm.Label = rd.tr.T(l, "btn.send_for_approval", nil)
	default:
		f = append(f, chat.Field{Label: rd.tr.T(l, "field.approval", nil), Value: rd.tr.T(l, "approval.none", nil)})
	}
	lines = append(lines, rd.warningLines(l, d, loc, whyIrreversible)...)
	if d.Irreversible {
		id := "confirm.irreversible"
		if d.Outcome == rules.NeedsApproval {
			id = "confirm.irreversible_approval"
		}
		confirm.Confirm = rd.tr.T(l, id, nil)
	}
	m.Text, m.Fields = strings.Join(lines, "\n"), f
	m.Actions = []chat.Action{confirm, {ID: chat.ActCancel, Label: rd.tr.T(l, "btn.cancel", nil), Value: dr.ID}}
	return m
}

// Refusal explains why not, in a sentence or two, and offers the legal
// alternatives as buttons. offered are the alternatives that got a
// button, in order: button i carries "draft id:i", so the dialogue keeps
// them to know what a press means.
func (rd *Renderer) Refusal(l string, dr Draft, ev workflows.Evaluation) (m chat.Message, offered []rules.Alternative) {
	d := ev.Decision
	loc := rd.Loc(dr.CustomerID)
	data := map[string]any{
		"Name":      ev.Subscription.Name,
		"Quantity":  ev.Subscription.Quantity,
		"Removable": ev.Subscription.RemovableAt(rd.now()),
		"End":       rd.EndDate(l, ev.Subscription),
		"Renewal":   rd.tr.Date(l, ev.Subscription.TermEnd, loc),
		"Cap":       capOf(rd.catalogOf(dr.CustomerID), ev.Subscription.OfferID),
		"Window":    rd.window(l, dr.CustomerID),
	}
	if ev.TargetOffer != nil {
		data["Target"] = ev.TargetOffer.Name
	}
	if ev.Target != nil {
		data["Line"] = ev.Target.Name
		data["LineEnd"] = rd.EndDate(l, *ev.Target)
	}
	rd.paramData(l, d.Params, loc, data)
	m = chat.Message{Kind: chat.KindRefusal, Text: rd.reason(l, string(d.Reason), data)}
	subs := map[string]csp.Subscription{}
	for _, o := range ev.Others {
		subs[o.ID] = o
	}
	for _, a := range d.Alternatives {
		label := rd.altLabel(l, a, ev, subs)
		if label == "" {
			continue
		}
		offered = append(offered, a)
		m.Actions = append(m.Actions, chat.Action{ID: chat.ActAlt, Label: label, Value: fmt.Sprintf("%s:%d", dr.ID, len(offered)-1)})
	}
	if len(m.Actions) > 0 {
		m.Text += "\n" + rd.tr.T(l, "refusal.instead", nil)
	}
	return m, offered
}

func capOf(cat *csp.Catalog, offerID string) int {
	if o, ok := cat.Offer(offerID); ok {
		return o.MaxSeats
	}
	return 0
}

func (rd *Renderer) altLabel(l string, a rules.Alternative, ev workflows.Evaluation, subs map[string]csp.Subscription) string {
	data := map[string]any{}
	if a.Change != nil {
		data["Quantity"] = a.Change.Quantity
		if o, ok := rd.catalogOf(ev.Subscription.CustomerID).Offer(a.Change.TargetOfferID); ok {
			data["Target"] = o.Name
		}
		if t, ok := subs[a.Change.TargetSubscriptionID]; ok {
			data["Line"] = t.Name
		}
	}
	if !a.At.IsZero() {
		data["At"] = rd.tr.Date(l, a.At, rd.Loc(ev.Subscription.CustomerID))
	}
	s := rd.tr.T(l, "alt."+string(a.Code), data)
	if s == "alt."+string(a.Code) {
		return ""
	}
	return s
}
