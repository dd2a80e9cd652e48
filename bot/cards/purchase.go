package cards

import (
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// The cards of a purchase (a new subscription from the catalog): the
// choices of the dialogue (product, term and billing, end-date
// alignment), the preview, and the fields every card of a purchase
// request shows — what is bought, the term, the billing, the alignment,
// the price now (the first term) and per month. Buttons carry
// "draft id:choice" (chat.ActChoose).

// plan writes a term and billing cycle: "Annual, billed monthly".
func (rd *Renderer) plan(l string, t csp.Term, b csp.BillingCycle) string {
	return rd.tr.T(l, "term."+string(t), nil) + ", " + rd.tr.T(l, "billing."+string(b), nil)
}

// commitEnd is the commitment end date people see for an exclusive end.
func (rd *Renderer) commitEnd(l string, end time.Time, loc *time.Location) string {
	return rd.tr.Date(l, csp.StartOfDay(end, loc).AddDate(0, 0, -1), loc)
}

// PurchaseOffers asks which of several offers to buy.
func (rd *Renderer) PurchaseOffers(l string, dr Draft, offers []csp.Offer) chat.Message {
	m := chat.Message{Kind: chat.KindQuestion, Text: rd.tr.T(l, "purchase.ask.offer_choice", nil)}
	for _, o := range offers {
		m.Actions = append(m.Actions, chat.Action{ID: chat.ActChoose, Label: o.Name, Value: dr.ID + ":" + o.ID})
	}
	return m
}

// UnknownProduct says that product is not in the catalog, with a button
// to buy each of the nearest offers (none: the sentence alone).
func (rd *Renderer) UnknownProduct(l string, dr Draft, product string, nearest []csp.Offer) chat.Message {
	data := map[string]any{"Product": product}
	if len(nearest) == 0 {
		return chat.Message{Kind: chat.KindRefusal, Text: rd.tr.T(l, "purchase.unknown", data)}
	}
	m := chat.Message{Kind: chat.KindRefusal, Text: rd.tr.T(l, "purchase.unknown.nearest", data)}
	for _, o := range nearest {
		m.Actions = append(m.Actions, chat.Action{ID: chat.ActChoose, Label: rd.tr.T(l, "purchase.btn.buy_offer", map[string]any{"Name": o.Name}),
			Value: dr.ID + ":" + o.ID})
	}
	return m
}

// PurchaseHeld says the customer already has the offer: adding seats to
// a line held is offered first; a new subscription stays possible.
func (rd *Renderer) PurchaseHeld(l string, dr Draft, offer csp.Offer, quantity int, held []csp.Subscription) chat.Message {
	seats := 0
	for _, s := range held {
		seats += s.Quantity
	}
	m := chat.Message{Kind: chat.KindQuestion, Text: rd.tr.T(l, "purchase.held", map[string]any{
		"Name": offer.Name, "Seats": rd.tr.N(l, "purchase.seats", seats, nil), "Quantity": quantity})}
	// Each line in the text, with its name; its button is short enough
	// for a phone and told apart by its end date.
	for i, s := range held {
		style := chat.StyleDefault
		if i == 0 {
			style = chat.StylePrimary
		}
		if len(held) > 1 {
			m.Text += "\n" + rd.tr.T(l, "purchase.held_line", map[string]any{"Name": s.Name,
				"Seats": rd.tr.N(l, "purchase.seats", s.Quantity, nil), "End": rd.EndDate(l, s)})
		}
		m.Actions = append(m.Actions, chat.Action{ID: chat.ActChoose, Style: style, Value: dr.ID + ":add:" + s.ID,
			Label: rd.tr.T(l, "purchase.btn.add_to", map[string]any{"Quantity": quantity, "End": rd.EndDate(l, s)})})
	}
	m.Actions = append(m.Actions, chat.Action{ID: chat.ActChoose, Value: dr.ID + ":new", Label: rd.tr.T(l, "purchase.btn.new", nil)})
	return m
}

// PurchasePlans asks for the term and billing: the price of each is a
// line of the text, its button names the plan alone (a price would not
// fit a phone's button in French).
func (rd *Renderer) PurchasePlans(l string, dr Draft, offer csp.Offer, quantity int, plans []rules.Plan) chat.Message {
	m := chat.Message{Kind: chat.KindQuestion, Text: rd.tr.T(l, "purchase.ask.plan", map[string]any{"Name": offer.Name, "Quantity": quantity})}
	for _, p := range plans {
		data := map[string]any{"Term": rd.tr.T(l, "term."+string(p.Term), nil), "Billing": rd.tr.T(l, "billing."+string(p.Billing), nil),
			"Monthly": rd.tr.Money(l, p.Monthly), "PerTerm": rd.tr.Money(l, p.PerTerm)}
		id := "purchase.plan.monthly"
		if p.Billing.Months() > 1 {
			id = "purchase.plan.per_term"
		}
		m.Text += "\n" + rd.tr.T(l, id, data)
		m.Actions = append(m.Actions, chat.Action{ID: chat.ActChoose, Label: rd.tr.T(l, "purchase.btn.plan", data),
			Value: dr.ID + ":" + string(p.Term) + "/" + string(p.Billing)})
	}
	return m
}

// PurchaseAlignments lists the customer's end dates (the guide's "View
// subscription end-dates") and offers to end the new subscription with
// each that can be, or not at all, with each choice's first-term price.
// natural and full are the end and price without alignment. The text
// names each subscription; a button says the end date and the price
// alone, so it fits a phone ("End on 3 Aug 2027 · €1,518.38"), and two
// subscriptions ending the same day are one choice.
func (rd *Renderer) PurchaseAlignments(l string, dr Draft, term csp.Term, as []rules.Alignment, natural time.Time, full csp.Money) chat.Message {
	loc := rd.Loc(dr.CustomerID)
	text := rd.tr.T(l, "purchase.ask.align", nil)
	var actions []chat.Action
	offered := map[string]bool{}
	for _, a := range as {
		s := a.Subscription
		data := map[string]any{"Name": s.Name, "End": rd.commitEnd(l, a.End, loc)}
		if !a.OK {
			why := "purchase.align.too_late"
			if a.Reason == rules.CodeAlignEndTooEarly {
				why = "purchase.align.too_early"
			}
			data["Why"] = rd.tr.T(l, why, map[string]any{"Term": rd.tr.T(l, "term."+string(term), nil)})
			text += "\n" + rd.tr.T(l, "purchase.align.line_no", data)
			continue
		}
		if csp.DaysBetween(a.End, natural, loc) == 0 {
			// Ends with it anyway: the same as no alignment.
			text += "\n" + rd.tr.T(l, "purchase.align.line", data)
			continue
		}
		data["FirstTerm"] = rd.tr.Money(l, a.FirstTerm)
		text += "\n" + rd.tr.T(l, "purchase.align.line_price", data)
		if label := rd.tr.T(l, "purchase.btn.align", data); !offered[label] {
			offered[label] = true
			actions = append(actions, chat.Action{ID: chat.ActChoose, Label: label, Value: dr.ID + ":" + s.ID})
		}
	}
	none := map[string]any{"End": rd.commitEnd(l, natural, loc), "FirstTerm": rd.tr.Money(l, full)}
	text += "\n\n" + rd.tr.T(l, "purchase.align.none_line", none)
	actions = append(actions, chat.Action{ID: chat.ActChoose, Style: chat.StylePrimary, Value: dr.ID + ":none",
		Label: rd.tr.T(l, "purchase.btn.no_align", none)})
	return chat.Message{Kind: chat.KindQuestion, Text: text, Actions: actions}
}

// PurchasePreview shows the purchase before it is confirmed; a purchase
// that needs an approval is confirmed with "Send for approval".
func (rd *Renderer) PurchasePreview(l string, dr Draft, ev workflows.Evaluation) chat.Message {
	r := evalRequest(ev)
	r.CustomerID = dr.CustomerID
	d := ev.Decision
	loc := rd.Loc(dr.CustomerID)
	lines := []string{rd.tr.T(l, "purchase.preview.intro", map[string]any{"Quantity": d.ToQuantity, "Name": r.SubscriptionName})}
	f := rd.purchaseFields(l, r)
	confirm := rd.tr.T(l, "btn.confirm", nil)
	switch d.Outcome {
	case rules.NeedsApproval:
		f = append(f, chat.Field{Label: rd.tr.T(l, "field.approval", nil), Value: rd.tr.T(l, "approval.by", map[string]any{
			"Role": rd.approverName(l, d.Approver), "Why": rd.reason(l, string(d.Reason), nil)})})
		confirm = rd.tr.T(l, "btn.send_for_approval", nil)
	default:
		f = append(f, chat.Field{Label: rd.tr.T(l, "field.approval", nil), Value: rd.tr.T(l, "approval.none", nil)})
	}
	lines = append(lines, rd.warningLines(l, d, loc, false)...)
	return chat.Message{
		Kind: chat.KindPreview, Title: rd.tr.T(l, "purchase.preview.title", nil), Summary: rd.moneySummary(l, d.Cost),
		Text: strings.Join(lines, "\n"), Fields: f,
		Actions: []chat.Action{
			{ID: chat.ActConfirm, Label: confirm, Style: chat.StylePrimary, Value: dr.ID},
			{ID: chat.ActCancel, Label: rd.tr.T(l, "btn.cancel", nil), Value: dr.ID},
		},
	}
}

// purchaseFields are what every card of a purchase shows, rendered from
// the request alone.
func (rd *Renderer) purchaseFields(l string, r workflows.Request) []chat.Field {
	d, c := r.Decision, r.Change
	loc := rd.Loc(r.CustomerID)
	f := []chat.Field{
		{Label: rd.tr.T(l, "purchase.field.product", nil), Value: r.SubscriptionName},
		{Label: rd.tr.T(l, "field.seats", nil), Value: rd.tr.Number(l, d.ToQuantity)},
		{Label: rd.tr.T(l, "purchase.field.plan", nil), Value: rd.plan(l, c.Term, c.Billing)},
	}
	if end, err := time.Parse(time.RFC3339, d.Params[rules.ParamEnd]); err == nil {
		v := rd.commitEnd(l, end, loc)
		if r.TargetLineName != "" {
			v = rd.tr.T(l, "purchase.field.end_aligned", map[string]any{"End": v, "Line": r.TargetLineName})
		}
		f = append(f, chat.Field{Label: rd.tr.T(l, "purchase.field.end", nil), Value: v})
	}
	if !d.Cost.MonthlyAfter.IsZero() {
		f = append(f, chat.Field{Label: rd.tr.T(l, "purchase.field.per_month", nil), Value: rd.tr.Money(l, d.Cost.MonthlyAfter)})
	}
	if !d.Cost.FirstTerm.IsZero() {
		v := rd.tr.Money(l, d.Cost.FirstTerm)
		if !d.CustomTermEnd.IsZero() {
			v = rd.tr.T(l, "purchase.field.now_prorated", map[string]any{"Amount": v})
		}
		f = append(f, chat.Field{Label: rd.tr.T(l, "purchase.field.now", nil), Value: v})
	}
	if r.NewSubscriptionID != "" {
		f = append(f, chat.Field{Label: rd.tr.T(l, "purchase.field.new_line", nil), Value: r.NewSubscriptionID})
	}
	return f
}
