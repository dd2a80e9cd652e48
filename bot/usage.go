package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/licensebot/licensebot/bot/intent"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/workflows/reminders"
)

// usageTurn answers the usage and delegated-access questions.
func (e *Engine) usageTurn(ctx context.Context, tc *turnCtx, in intent.Intent) error {
	if tc.customer.ID == "" {
		tc.say(Message{Text: e.tr.T(tc.lang, "no_customer", nil)})
		return nil
	}
	if in.Kind == intent.KindDelegatedAccess {
		return e.delegatedAccess(ctx, tc)
	}
	return e.usage(ctx, tc, in)
}

// portalName is the portal as a person knows it, for "… does not tell".
func (e *Engine) portalName(lang string) string {
	id := "usage.portal." + e.opt.Provider.Name()
	if !e.tr.Has(lang, id) {
		id = "usage.portal.other"
	}
	return e.tr.T(lang, id, nil)
}

// usage answers "how many E3 licences are used?": the subscriptions of
// the products named, or all of them, one line each.
func (e *Engine) usage(ctx context.Context, tc *turnCtx, in intent.Intent) error {
	subs, err := e.opt.Provider.Subscriptions(ctx, tc.customer.ID)
	if err != nil {
		return err
	}
	us, err := e.opt.Provider.Usage(ctx, tc.customer.ID)
	if errors.Is(err, csp.ErrUsageUnsupported) {
		e.log.InfoContext(ctx, "usage not reported by the portal", "customer_id", tc.customer.ID, "err", err)
		tc.say(Message{Text: e.tr.T(tc.lang, "usage.unsupported", map[string]any{"Portal": e.portalName(tc.lang)})})
		return nil
	}
	if err != nil {
		return err
	}
	if len(in.Offers) > 0 && len(in.Offers[0].Candidates) > 0 {
		subs = subsMatching(subs, in.Offers[0].Candidates, "")
		if len(subs) == 0 {
			tc.say(Message{Text: e.tr.T(tc.lang, "no_such_subscription", map[string]any{"Product": e.offerNames(tc.customer.ID, in.Offers[0].Candidates)})})
			return nil
		}
	}
	tc.say(e.cards.Usage(tc.lang, tc.customer, subs, us))
	return nil
}

// delegatedAccess answers "which admin access does the reseller have?".
func (e *Engine) delegatedAccess(ctx context.Context, tc *turnCtx) error {
	rs, err := e.opt.Provider.DelegatedAccess(ctx, tc.customer.ID)
	if errors.Is(err, csp.ErrAccessUnsupported) {
		e.log.InfoContext(ctx, "delegated access not reported by the portal", "customer_id", tc.customer.ID, "err", err)
		tc.say(Message{Text: e.tr.T(tc.lang, "gdap.unsupported", map[string]any{"Portal": e.portalName(tc.lang), "Customer": tc.customer.Name})})
		return nil
	}
	if err != nil {
		return err
	}
	tc.say(e.cards.DelegatedAccess(tc.lang, tc.customer, rs))
	return nil
}

// usageOf is the customer's usage for a list or a reminder, or nil when
// the portal cannot tell or did not answer: those views are still worth
// showing without it.
//
// The portal is asked at most once a minute per customer: on a renewal
// morning one customer gets dozens of reminders in one tick, each of
// which would otherwise call the portal's licences endpoint. Counts move
// by the day; the card says when they were counted.
func (e *Engine) usageOf(ctx context.Context, customerID string) []csp.Usage {
	now := e.opt.Clock.Now()
	if us, ok := e.usageCache.get(customerID, now); ok {
		return us
	}
	us, err := e.opt.Provider.Usage(ctx, customerID)
	if err != nil {
		if !errors.Is(err, csp.ErrUsageUnsupported) {
			e.log.WarnContext(ctx, "usage not read; shown without it", "customer_id", customerID, "err", err)
			return nil // not kept: the next view asks again
		}
		us = nil
	}
	e.usageCache.put(customerID, now, us)
	return us
}

// usageTTL is how long a customer's usage is reused.
const usageTTL = time.Minute

// usageMemo is the usage read last for each customer, and when.
type usageMemo struct {
	mu         sync.Mutex
	byCustomer map[string]usageRead
}

type usageRead struct {
	at time.Time
	us []csp.Usage
}

func (m *usageMemo) get(customerID string, now time.Time) ([]csp.Usage, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byCustomer[customerID]
	if !ok || now.Sub(r.at) >= usageTTL || now.Before(r.at) {
		return nil, false
	}
	return r.us, true
}

func (m *usageMemo) put(customerID string, now time.Time, us []csp.Usage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byCustomer[customerID] = usageRead{at: now, us: us}
}

// usageReminder completes a reminder with usage: a renewal or window
// reminder says how many seats are unused and offers to right-size
// (cards.RightSize); the monthly summary is rendered whole.
func (e *Engine) usageReminder(ctx context.Context, lang string, it reminders.Item, m *Message) {
	switch it.Kind {
	case reminders.KindUnusedSummary:
		*m = e.cards.UnusedSummary(lang, it, e.cards.CustomerName(it.CustomerID))
	case reminders.KindRenewal, reminders.KindWindowOpen, reminders.KindWindowClosing:
		if u, ok := csp.UsageOf(e.usageOf(ctx, it.CustomerID), it.Subscription.ID); ok {
			e.cards.RightSize(lang, it, u, m)
		}
	}
}
