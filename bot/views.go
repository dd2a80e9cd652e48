package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/intent"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
	"github.com/licensebot/licensebot/workflows/reminders"
)

func (e *Engine) locOf(customerID string) *time.Location {
	if c, ok := e.customers[customerID]; ok && c.Location != nil {
		return c.Location
	}
	return time.UTC
}

func (e *Engine) helpMessage(tc *turnCtx) Message {
	id := "help.body"
	if tc.turn.Person.Role == "account_manager" {
		id = "help.body_am"
	}
	return Message{Kind: KindHelp, Title: e.tr.T(tc.lang, "help.title", nil),
		Text: e.tr.T(tc.lang, id, map[string]any{"Window": e.window(tc.lang, tc.customer.ID)})}
}

// window says the customer's removal window in words: "72 hours", or
// "7 days" for Microsoft's 168 hours.
func (e *Engine) window(lang, customerID string) string {
	h := int(e.opt.Service.Policy(customerID).RemovalWindow.Hours())
	if h > 72 && h%24 == 0 {
		return e.tr.N(lang, "window.days", h/24, nil)
	}
	return e.tr.N(lang, "window.hours", h, nil)
}

// endDate is the commitment end date people see: the day before the
// term's end instant.
func (e *Engine) endDate(tc *turnCtx, s csp.Subscription) string {
	loc := e.locOf(s.CustomerID)
	return e.tr.Date(tc.lang, s.TermEnd.In(loc).AddDate(0, 0, -1), loc)
}

// statusLine: "auto-renews on 26 Nov 2027" or "ends on …" or "expired".
func (e *Engine) statusLine(tc *turnCtx, s csp.Subscription) string {
	data := map[string]any{"End": e.endDate(tc, s)}
	switch {
	case s.Status != csp.StatusActive:
		return e.tr.T(tc.lang, "status."+string(s.Status), data)
	case s.Trial && s.AutoRenew:
		return e.tr.T(tc.lang, "sub.trial_converts", data)
	case s.Trial:
		return e.tr.T(tc.lang, "sub.trial_ends", data)
	case s.AutoRenew:
		return e.tr.T(tc.lang, "sub.auto_renews", data)
	}
	return e.tr.T(tc.lang, "sub.ends", data)
}

// windowLine says whether seats can be removed now, and until when.
func (e *Engine) windowLine(tc *turnCtx, s csp.Subscription) string {
	now := e.opt.Clock.Now()
	loc := e.locOf(s.CustomerID)
	if s.Status != csp.StatusActive {
		return ""
	}
	if until, ok := s.NextWindowCloses(now); ok {
		return e.tr.N(tc.lang, "sub.window_open", s.RemovableAt(now), map[string]any{"Until": e.tr.DateTime(tc.lang, until, loc)})
	}
	if s.AutoRenew {
		return e.tr.T(tc.lang, "sub.window_next", map[string]any{"At": e.tr.Date(tc.lang, s.TermEnd, loc)})
	}
	return ""
}

func (e *Engine) costLine(tc *turnCtx, s csp.Subscription) string {
	p := s.Price()
	total := p.Unit.Mul(s.Quantity)
	return e.tr.T(tc.lang, "cost."+string(s.Billing), map[string]any{"Amount": e.tr.Money(tc.lang, total)})
}

func (e *Engine) listSubscriptions(ctx context.Context, tc *turnCtx) error {
	if tc.customer.ID == "" {
		tc.say(Message{Text: e.tr.T(tc.lang, "no_customer", nil)})
		return nil
	}
	subs, err := e.opt.Provider.Subscriptions(ctx, tc.customer.ID)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, s := range subs {
		fmt.Fprintf(&b, "• *%s* — %s · %s · %s", s.Name, e.tr.N(tc.lang, "seats", s.Quantity, nil),
			e.statusLine(tc, s), e.costLine(tc, s))
		if s.HasScheduledRenewal() && s.RenewalQuantity() != s.Quantity {
			b.WriteString(" · " + e.tr.N(tc.lang, "sub.renewal_at", s.RenewalQuantity(), nil))
		}
		if w := e.windowLine(tc, s); w != "" && s.RemovableAt(e.opt.Clock.Now()) > 0 {
			b.WriteString(" · " + w)
		}
		b.WriteString("\n")
	}
	if len(subs) == 0 {
		b.WriteString(e.tr.T(tc.lang, "list.empty", nil))
	}
	tc.say(Message{Kind: KindList, Title: e.tr.T(tc.lang, "list.title", map[string]any{"Customer": tc.customer.Name}),
		Text: strings.TrimRight(b.String(), "\n")})
	return nil
}

func (e *Engine) showSubscription(ctx context.Context, tc *turnCtx, in intent.Intent) error {
	if len(in.Offers) == 0 {
		return e.listSubscriptions(ctx, tc)
	}
	subs, err := e.opt.Provider.Subscriptions(ctx, tc.customer.ID)
	if err != nil {
		return err
	}
	matches := subsMatching(subs, in.Offers[0].Candidates, "")
	if len(matches) == 0 {
		tc.say(Message{Text: e.tr.T(tc.lang, "no_such_subscription", map[string]any{"Product": e.offerNames(tc.customer.ID, in.Offers[0].Candidates)})})
		return nil
	}
	for _, s := range matches {
		tc.say(e.subscriptionCard(tc, s))
	}
	return nil
}

func (e *Engine) subscriptionCard(tc *turnCtx, s csp.Subscription) Message {
	loc := e.locOf(s.CustomerID)
	l := tc.lang
	f := []Field{
		{e.tr.T(l, "field.status", nil), e.statusLine(tc, s)},
		{e.tr.T(l, "field.seats", nil), e.tr.Number(l, s.Quantity)},
		{e.tr.T(l, "field.renewal_quantity", nil), e.tr.Number(l, s.RenewalQuantity())},
		{e.tr.T(l, "field.term", nil), e.tr.T(l, "term."+string(s.Term), nil) + " / " + e.tr.T(l, "billing."+string(s.Billing), nil)},
		{e.tr.T(l, "field.start", nil), e.tr.Date(l, s.TermStart, loc)},
		{e.tr.T(l, "field.end", nil), e.endDate(tc, s)},
		{e.tr.T(l, "field.cost", nil), e.costLine(tc, s)},
	}
	if w := e.windowLine(tc, s); w != "" {
		f = append(f, Field{e.tr.T(l, "field.window", nil), w})
	}
	m := Message{Kind: KindList, Title: s.Name, Fields: f}
	if s.Status == csp.StatusActive {
		m.Actions = []Action{
			{ID: ActStart, Label: e.tr.T(l, "btn.add_seats", nil), Value: startValue(csp.ChangeAddSeats, s, 0)},
			{ID: ActStart, Label: e.tr.T(l, "btn.reduce_renewal", nil), Value: startValue(csp.ChangeSetRenewalQuantity, s, 0)},
		}
		if s.AutoRenew {
			m.Actions = append(m.Actions, Action{ID: ActStart, Label: e.tr.T(l, "btn.auto_renew_off", nil), Value: startValue(csp.ChangeAutoRenewOff, s, 0)})
		}
		if len(e.catalogOf(s.CustomerID).UpgradeTargets(s.OfferID)) > 0 {
			m.Actions = append(m.Actions, Action{ID: ActStart, Label: e.tr.T(l, "btn.upgrade", nil), Value: startValue(csp.ChangeUpgrade, s, 0)})
		}
	}
	return m
}

func (e *Engine) showCatalog(tc *turnCtx, in intent.Intent) {
	l := tc.lang
	var offers []csp.Offer
	if len(in.Offers) > 0 {
		for _, id := range in.Offers[0].Candidates {
			if o, ok := e.catalogOf(tc.customer.ID).Offer(id); ok {
				offers = append(offers, o)
			}
		}
	} else {
		offers = append(offers, e.catalogOf(tc.customer.ID).Offers...)
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
			prices = append(prices, e.tr.T(l, "price."+string(p.Term)+"."+string(p.Billing), map[string]any{"Amount": e.tr.Money(l, p.Unit)}))
		}
		fmt.Fprintf(&b, "• %s — %s\n", o.Name, strings.Join(prices, " · "))
	}
	tc.say(Message{Kind: KindList, Title: e.tr.T(l, "catalog.title", nil), Text: strings.TrimRight(b.String(), "\n")})
}

func (e *Engine) myRequests(ctx context.Context, tc *turnCtx) error {
	var mine []workflows.Request
	for _, c := range e.customersOf(tc.turn.Person) {
		reqs, err := e.opt.Service.List(ctx, c)
		if err != nil {
			return err
		}
		for _, r := range reqs {
			if strings.EqualFold(r.Requester, tc.turn.Person.Email) {
				mine = append(mine, r)
			}
		}
	}
	if len(mine) == 0 {
		tc.say(Message{Text: e.tr.T(tc.lang, "requests.none", nil)})
		return nil
	}
	var b strings.Builder
	for i, r := range mine {
		if i == 10 {
			b.WriteString(e.tr.N(tc.lang, "requests.more", len(mine)-10, nil))
			break
		}
		fmt.Fprintf(&b, "• *%s* — %s — %s\n", r.ID, e.changeSummary(tc.lang, r.Change, r), e.tr.T(tc.lang, "state."+string(r.State), nil))
	}
	m := Message{Kind: KindList, Title: e.tr.T(tc.lang, "requests.title", nil), Text: strings.TrimRight(b.String(), "\n")}
	for _, r := range mine {
		if r.State == workflows.StatePendingApproval && len(m.Actions) < 5 {
			m.Actions = append(m.Actions, Action{ID: ActWithdraw, Label: e.tr.T(tc.lang, "btn.withdraw_id", map[string]any{"ID": r.ID}), Value: r.CustomerID + ":" + r.ID})
		}
	}
	tc.say(m)
	return nil
}

func (e *Engine) pendingApprovals(ctx context.Context, tc *turnCtx) error {
	reqs, err := e.opt.Service.Pending(ctx, tc.turn.Person, e.customersOf(tc.turn.Person))
	if err != nil {
		return err
	}
	if len(reqs) == 0 {
		tc.say(Message{Text: e.tr.T(tc.lang, "approvals.none", nil)})
		return nil
	}
	for _, r := range reqs {
		tc.say(e.approvalCard(tc.lang, r, tc.turn.Person))
	}
	return nil
}

func (e *Engine) withdraw(ctx context.Context, tc *turnCtx, id string) error {
	custs := e.customersOf(tc.turn.Person)
	if id != "" {
		r, err := e.opt.Service.Find(ctx, strings.ToUpper(id), custs)
		if err != nil {
			return e.requestError(tc, err)
		}
		return e.withdrawOne(ctx, tc, reqRef{CustomerID: r.CustomerID, ID: r.ID})
	}
	var pending []workflows.Request
	for _, c := range custs {
		reqs, err := e.opt.Service.List(ctx, c)
		if err != nil {
			return err
		}
		for _, r := range reqs {
			if r.State == workflows.StatePendingApproval && strings.EqualFold(r.Requester, tc.turn.Person.Email) {
				pending = append(pending, r)
			}
		}
	}
	switch len(pending) {
	case 0:
		tc.say(Message{Text: e.tr.T(tc.lang, "withdraw.none", nil)})
		return nil
	case 1:
		return e.withdrawOne(ctx, tc, reqRef{CustomerID: pending[0].CustomerID, ID: pending[0].ID})
	}
	m := Message{Kind: KindQuestion, Text: e.tr.T(tc.lang, "withdraw.which", nil)}
	for _, r := range pending {
		m.Actions = append(m.Actions, Action{ID: ActWithdraw, Label: r.ID + " · " + e.changeSummary(tc.lang, r.Change, r), Value: r.CustomerID + ":" + r.ID})
	}
	tc.say(m)
	return nil
}

func (e *Engine) withdrawOne(ctx context.Context, tc *turnCtx, ref reqRef) error {
	req, err := e.opt.Service.Withdraw(ctx, tc.turn.Person, ref.CustomerID, ref.ID)
	return e.decided(ctx, tc, req, err)
}

// Personal reminders are scheduled here and delivered by the reminders
// engine, which owns the queue and the payload type (it cannot import the
// bot).
const (
	QueuePersonal = reminders.QueuePersonal
)

// PersonalReminder is the payload of a "remind me when the window opens".
type PersonalReminder = reminders.Personal

func (e *Engine) remindLater(ctx context.Context, tc *turnCtx, dr *draft, alt altChoice) error {
	payload, _ := json.Marshal(PersonalReminder{To: tc.turn.Person.Email, Lang: tc.lang,
		SubscriptionID: dr.Change.SubscriptionID, Kind: dr.Change.Kind, Quantity: dr.Change.Quantity})
	id := reminders.PersonalID(tc.turn.Person.Email, dr.Change.SubscriptionID)
	if err := e.opt.Store.Schedule(ctx, dr.CustomerID, QueuePersonal, store.ScheduledItem{ID: id, Due: alt.Remind, Payload: payload}); err != nil {
		return err
	}
	tc.d.Draft = nil
	tc.say(Message{Text: e.tr.T(tc.lang, "remind.scheduled", map[string]any{"At": e.tr.DateTime(tc.lang, alt.Remind, e.locOf(dr.CustomerID))})})
	return nil
}
