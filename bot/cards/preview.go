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
// quantities, the money, who must approve and by when, the warnings.
func (rd *Renderer) Preview(l string, dr Draft, ev workflows.Evaluation) chat.Message {
	r := evalRequest(ev)
	d := ev.Decision
	loc := rd.Loc(dr.CustomerID)
	var lines []string
	lines = append(lines, rd.tr.T(l, "preview.intro", map[string]any{"Summary": rd.Summary(l, r)}))
	f := rd.quantityFields(l, r)
	f = append(f, rd.costFields(l, r)...)
	switch d.Outcome {
	case rules.NeedsApproval:
		f = append(f, chat.Field{Label: rd.tr.T(l, "field.approval", nil), Value: rd.tr.T(l, "approval.by", map[string]any{
			"Role": rd.approverName(l, d.Approver), "Why": rd.reason(l, string(d.Reason), nil)})})
		if !d.Deadline.IsZero() {
			f = append(f, chat.Field{Label: rd.tr.T(l, "field.deadline", nil), Value: rd.tr.DateTime(l, d.Deadline, loc)})
		}
	default:
		f = append(f, chat.Field{Label: rd.tr.T(l, "field.approval", nil), Value: rd.tr.T(l, "approval.none", nil)})
	}
	lines = append(lines, rd.warningLines(l, d, loc)...)
	confirm := ""
	if d.Irreversible {
		confirm = rd.tr.T(l, "confirm.irreversible", nil)
	}
	return chat.Message{
		Kind: chat.KindPreview, Title: rd.tr.T(l, "preview.title", nil), Text: strings.Join(lines, "\n"), Fields: f,
		Actions: []chat.Action{
			{ID: chat.ActConfirm, Label: rd.tr.T(l, "btn.confirm", nil), Style: chat.StylePrimary, Value: dr.ID, Confirm: confirm},
			{ID: chat.ActCancel, Label: rd.tr.T(l, "btn.cancel", nil), Value: dr.ID},
		},
	}
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
