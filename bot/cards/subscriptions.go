package cards

import (
	"fmt"
	"sort"
	"strings"

	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/bot/i18n"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/workflows"
)

// Help is what the bot can do, for members and admins or for account
// managers, with the customer's removal window.
func (rd *Renderer) Help(lang string, p workflows.Person, customerID string) chat.Message {
	id := "help.body"
	if p.Role == "account_manager" {
		id = "help.body_am"
	}
	return chat.Message{Kind: chat.KindHelp, Title: rd.tr.T(lang, "help.title", nil),
		Text: rd.tr.T(lang, id, map[string]any{"Window": rd.window(lang, customerID)})}
}

// statusLine: "auto-renews on 26 Nov 2027" or "ends on …" or "expired".
// These lines are written for every subscription of a list on every
// turn, so they pass their fields as i18n.Args rather than a map each.
func (rd *Renderer) statusLine(lang string, s csp.Subscription) string {
	end := i18n.Arg{Name: "End", Value: rd.EndDate(lang, s)}
	switch {
	case s.Status != csp.StatusActive:
		return rd.tr.Tf(lang, "status."+string(s.Status), end)
	case s.Trial && s.AutoRenew:
		return rd.tr.Tf(lang, "sub.trial_converts", end)
	case s.Trial:
		return rd.tr.Tf(lang, "sub.trial_ends", end)
	case s.AutoRenew:
		return rd.tr.Tf(lang, "sub.auto_renews", end)
	}
	return rd.tr.Tf(lang, "sub.ends", end)
}

// windowLine says whether seats can be removed now, and until when.
func (rd *Renderer) windowLine(lang string, s csp.Subscription) string {
	now := rd.now()
	loc := rd.Loc(s.CustomerID)
	if s.Status != csp.StatusActive {
		return ""
	}
	if until, ok := s.NextWindowCloses(now); ok {
		return rd.tr.Nf(lang, "sub.window_open", s.RemovableAt(now), i18n.Arg{Name: "Until", Value: rd.until(lang, until, loc)})
	}
	if s.AutoRenew {
		return rd.tr.Tf(lang, "sub.window_next", i18n.Arg{Name: "At", Value: rd.tr.Date(lang, s.TermEnd, loc)})
	}
	return ""
}

func (rd *Renderer) costLine(lang string, s csp.Subscription) string {
	p := s.Price()
	total := p.Unit.Mul(s.Quantity)
	return rd.tr.Tf(lang, "cost."+string(s.Billing), i18n.Arg{Name: "Amount", Value: rd.tr.Money(lang, total)})
}

// SubscriptionList is a customer's subscriptions, one line each, with
// their usage when the portal reported it (usage.go).
func (rd *Renderer) SubscriptionList(lang string, c Customer, subs []csp.Subscription, usage ...csp.Usage) chat.Message {
	var b strings.Builder
	b.Grow(256 * len(subs))
	for _, s := range subs {
		b.WriteString("• *")
		b.WriteString(s.Name)
		b.WriteString("* — ")
		b.WriteString(rd.tr.Nf(lang, "seats", s.Quantity))
		b.WriteString(" · ")
		b.WriteString(rd.statusLine(lang, s))
		b.WriteString(" · ")
		b.WriteString(rd.costLine(lang, s))
		b.WriteString(rd.usageCell(lang, s, usage))
		if s.HasScheduledRenewal() && s.RenewalQuantity() != s.Quantity {
			b.WriteString(" · ")
			b.WriteString(rd.tr.Nf(lang, "sub.renewal_at", s.RenewalQuantity()))
		}
		if w := rd.windowLine(lang, s); w != "" && s.RemovableAt(rd.now()) > 0 {
			b.WriteString(" · ")
			b.WriteString(w)
		}
		b.WriteString("\n")
	}
	if len(subs) == 0 {
		b.WriteString(rd.tr.T(lang, "list.empty", nil))
	}
	return chat.Message{Kind: chat.KindList, Title: rd.tr.T(lang, "list.title", map[string]any{"Customer": c.Name}),
		Text: strings.TrimRight(b.String(), "\n")}
}

// Subscription is one subscription's card, with the changes that can be
// started from it.
func (rd *Renderer) Subscription(l string, s csp.Subscription) chat.Message {
	loc := rd.Loc(s.CustomerID)
	field := func(id, value string) chat.Field { return chat.Field{Label: rd.tr.T(l, id, nil), Value: value} }
	f := []chat.Field{
		field("field.status", rd.statusLine(l, s)),
		field("field.seats", rd.tr.Number(l, s.Quantity)),
		field("field.renewal_quantity", rd.tr.Number(l, s.RenewalQuantity())),
		field("field.term", rd.tr.T(l, "term."+string(s.Term), nil)+" / "+rd.tr.T(l, "billing."+string(s.Billing), nil)),
		field("field.start", rd.tr.Date(l, s.TermStart, loc)),
		field("field.end", rd.EndDate(l, s)),
		field("field.cost", rd.costLine(l, s)),
	}
	if w := rd.windowLine(l, s); w != "" {
		f = append(f, field("field.window", w))
	}
	m := chat.Message{Kind: chat.KindList, Title: s.Name, Fields: f}
	if s.Status != csp.StatusActive {
		return m
	}
	start := func(label string, kind csp.ChangeKind) chat.Action {
		return chat.Action{ID: chat.ActStart, Label: rd.tr.T(l, label, nil), Value: chat.StartValue(kind, s, 0)}
	}
	m.Actions = []chat.Action{start("btn.add_seats", csp.ChangeAddSeats), start("btn.reduce_renewal", csp.ChangeSetRenewalQuantity)}
	if s.AutoRenew {
		m.Actions = append(m.Actions, start("btn.auto_renew_off", csp.ChangeAutoRenewOff))
	}
	if len(rd.catalogOf(s.CustomerID).UpgradeTargets(s.OfferID)) > 0 {
		m.Actions = append(m.Actions, start("btn.upgrade", csp.ChangeUpgrade))
	}
	return m
}

// Catalog lists the offers customerID can buy with their prices: the
// offers named by offerIDs, or with nil offerIDs the whole catalog by
// segment and tier.
func (rd *Renderer) Catalog(l, customerID string, offerIDs []string) chat.Message {
	cat := rd.catalogOf(customerID)
	var offers []csp.Offer
	if offerIDs != nil {
		for _, id := range offerIDs {
			if o, ok := cat.Offer(id); ok {
				offers = append(offers, o)
			}
		}
	} else {
		offers = append(offers, cat.Offers...)
		sort.SliceStable(offers, func(i, j int) bool {
			if offers[i].Segment != offers[j].Segment {
				return offers[i].Segment < offers[j].Segment
			}
			return offers[i].Tier < offers[j].Tier
		})
	}
	var b strings.Builder
	seg := ""
	for _, o := range offers {
		if o.Segment != seg {
			seg = o.Segment
			fmt.Fprintf(&b, "*%s*\n", seg)
		}
		var prices []string
		for _, p := range o.Prices {
			prices = append(prices, rd.tr.T(l, "price."+string(p.Term)+"."+string(p.Billing), map[string]any{"Amount": rd.tr.Money(l, p.Unit)}))
		}
		fmt.Fprintf(&b, "• %s — %s\n", o.Name, strings.Join(prices, " · "))
	}
	return chat.Message{Kind: chat.KindList, Title: rd.tr.T(l, "catalog.title", nil), Text: strings.TrimRight(b.String(), "\n")}
}

// HomeView is what a platform's home tab (Slack's App Home) shows a person.
type HomeView struct {
	Viewer   workflows.Person
	Customer Customer
	// Subscriptions are the customer's, as read.
	Subscriptions []csp.Subscription
	// Waiting are the viewer's own requests that wait for approval.
	Waiting []workflows.Request
	// Approvals are the requests that wait for the viewer's decision.
	Approvals []workflows.Request
}

// Home renders a person's overview: their customer's subscriptions with
// renewal dates and removal windows, their pending requests, and for
// approvers what waits for them.
func (rd *Renderer) Home(lang string, h HomeView) []chat.Message {
	var out []chat.Message
	if h.Customer.ID == "" {
		out = append(out, chat.Message{Text: rd.tr.T(lang, "no_customer", nil)})
	} else {
		out = append(out, rd.SubscriptionList(lang, h.Customer, h.Subscriptions))
	}
	if len(h.Waiting) > 0 {
		var mine []string
		for _, r := range h.Waiting {
			mine = append(mine, fmt.Sprintf("• *%s* — %s", r.ID, rd.Summary(lang, r)))
		}
		out = append(out, chat.Message{Kind: chat.KindList, Title: rd.tr.T(lang, "requests.title", nil), Text: strings.Join(mine, "\n")})
	}
	for _, r := range h.Approvals {
		out = append(out, rd.Approval(lang, r, h.Viewer))
	}
	return out
}
