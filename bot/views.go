package bot

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/intent"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
	"github.com/licensebot/licensebot/workflows/reminders"
)

func (e *Engine) locOf(customerID string) *time.Location { return e.cards.Loc(customerID) }

func (e *Engine) listSubscriptions(ctx context.Context, tc *turnCtx) error {
	if tc.customer.ID == "" {
		tc.say(Message{Text: e.tr.T(tc.lang, "no_customer", nil)})
		return nil
	}
	subs, err := e.opt.Provider.Subscriptions(ctx, tc.customer.ID)
	if err != nil {
		return err
	}
	tc.say(e.cards.SubscriptionList(tc.lang, tc.customer, subs, e.usageOf(ctx, tc.customer.ID)...))
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
		tc.say(e.cards.Subscription(tc.lang, s))
	}
	return nil
}

// showCatalog shows the offers named, or the whole catalog.
func (e *Engine) showCatalog(tc *turnCtx, in intent.Intent) {
	var only []string // nil: all of them
	if len(in.Offers) > 0 {
		only = append([]string{}, in.Offers[0].Candidates...)
	}
	tc.say(e.cards.Catalog(tc.lang, tc.customer.ID, only))
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
	tc.say(e.cards.MyRequests(tc.lang, mine))
	return nil
}

func (e *Engine) pendingApprovals(ctx context.Context, tc *turnCtx) error {
	if tc.turn.Person.Role == rules.RoleMember {
		// A member approves nothing: "what's pending?" asks about their
		// own requests, not about approvals they could never give.
		return e.myRequests(ctx, tc)
	}
	reqs, err := e.opt.Service.Pending(ctx, tc.turn.Person, e.customersOf(tc.turn.Person))
	if err != nil {
		return err
	}
	if len(reqs) == 0 {
		tc.say(Message{Text: e.tr.T(tc.lang, "approvals.none", nil)})
		return nil
	}
	for _, r := range reqs {
		tc.say(e.cards.Approval(tc.lang, r, tc.turn.Person))
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
	tc.say(e.cards.WithdrawChoice(tc.lang, pending))
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
