package sandbox

import (
	"fmt"
	"slices"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// due reports whether any subscription needs rolling over at now, so that
// most calls need neither a copy of the state nor a write.
func (st *state) due(now time.Time) bool {
	if st.ordersDue(now) {
		return true
	}
	for _, p := range st.Pending {
		if !now.Before(p.VisibleAt) {
			return true
		}
	}
	for _, cs := range st.Customers {
		for _, sub := range cs.Subscriptions {
			if sub.Status == csp.StatusActive && !now.Before(sub.TermEnd) {
				return true
			}
		}
	}
	return false
}

// settle brings st to now in time order: each accepted write that is due
// shows at its VisibleAt, after the rollovers before it; then everything
// rolls over to now. A write that can no longer be made then is recorded
// as rejected. It returns the new state and what happened.
func (s *Sandbox) settle(st *state, now time.Time) (*state, []Event) {
	var due, rest []pendingWrite
	for _, p := range st.Pending {
		if now.Before(p.VisibleAt) {
			rest = append(rest, p)
		} else {
			due = append(due, p)
		}
	}
	slices.SortStableFunc(due, func(a, b pendingWrite) int { return a.VisibleAt.Compare(b.VisibleAt) })
	var events []Event
	for _, p := range due {
		events = append(events, s.advance(st, p.VisibleAt)...)
		trial := st.clone()
		res, evs, err := s.applyOp(trial, p.CustomerID, p.Op, p.VisibleAt)
		switch {
		case err != nil:
			st.Rejected = append(st.Rejected, rejectedWrite{Key: p.Key, CustomerID: p.CustomerID, At: p.VisibleAt, Reason: err.Error()})
			events = append(events, Event{At: p.VisibleAt, Kind: EventRejected, CustomerID: p.CustomerID,
				SubscriptionID: p.Op.SubscriptionID, Operation: p.Op.Kind, Key: p.Key, Detail: err.Error()})
		case !res.AlreadyApplied:
			st = trial
			events = append(events, evs...)
		}
	}
	st.Pending = rest
	events = append(events, s.settleOrders(st, now)...)
	events = append(events, s.advance(st, now)...)
	return st, events
}

// advance rolls every active subscription of st whose term has ended by
// now into its next term (auto-renew on) or to expired (auto-renew off),
// as many terms as have passed. It returns what it did.
func (s *Sandbox) advance(st *state, now time.Time) []Event {
	var events []Event
	for _, cs := range st.Customers {
		for _, sub := range cs.Subscriptions {
			changed := false
			for sub.Status == csp.StatusActive && !now.Before(sub.TermEnd) {
				changed = true
				if !sub.AutoRenew {
					events = append(events, Event{
						At: sub.TermEnd, Kind: EventExpired, CustomerID: cs.Customer.ID, SubscriptionID: sub.ID,
						Detail: "auto-renew off: expired at term end",
					})
					sub.Status = csp.StatusExpired
					sub.CancellationAllowedUntil = nil
					sub.Renewal = nil
					break
				}
				ev, ok := s.renew(sub)
				ev.CustomerID = cs.Customer.ID
				events = append(events, ev)
				if !ok {
					break
				}
			}
			if changed {
				st.touch(sub)
			}
		}
	}
	return events
}

// renew starts sub's next term at its current term end, applying the
// scheduled renewal instructions and converting a trial to paid. It
// reports false when the next term could not be computed (the
// subscription is then suspended rather than looping forever).
func (s *Sandbox) renew(sub *csp.Subscription) (Event, bool) {
	start := sub.TermEnd.In(s.loc)
	kind := EventRenewed
	quantity := sub.RenewalQuantity()
	term, billing, offerID := sub.Term, sub.Billing, sub.OfferID
	if sub.Trial {
		// A trial with auto-renew on becomes a paid month-to-month
		// subscription, as in Partner Center.
		kind = EventTrialConverted
		term, billing = csp.TermMonthly, csp.BillingMonthly
	}
	var customEnd *time.Time
	if r := sub.Renewal; r != nil {
		if r.Term != "" {
			term = r.Term
		}
		if r.Billing != "" {
			billing = r.Billing
		}
		if r.OfferID != "" {
			offerID = r.OfferID
		}
		customEnd = r.CustomTermEnd
	}

	name, price := sub.Name, sub.UnitPrice
	if offer, ok := s.cat.Offer(offerID); ok {
		name = offer.Name
		if p, ok := offer.Price(term, billing); ok {
			price = p.Unit
		} else {
			s.log.Warn("no catalog price for renewal, keeping the current one",
				"subscription", sub.ID, "offer", offerID, "term", term, "billing", billing)
		}
	} else {
		s.log.Warn("renewal offer not in catalog, keeping the current one", "subscription", sub.ID, "offer", offerID)
	}

	anchor := sub.AnchorDay
	if anchor == 0 {
		anchor = sub.TermEnd.In(s.loc).Day()
		sub.AnchorDay = anchor
	}
	end := csp.AddMonthsOnDay(start, term.Months(), anchor)
	if customEnd != nil && customEnd.After(start) {
		// An aligned end date becomes the new anchor: later terms end on
		// the day they were aligned to.
		end = customEnd.In(s.loc)
		sub.AnchorDay = end.Day()
	}
	if !end.After(start) {
		sub.Status = csp.StatusSuspended
		return Event{At: start, Kind: kind, SubscriptionID: sub.ID,
			Detail: fmt.Sprintf("cannot compute the next term (%s): suspended", term)}, false
	}

	windowEnd := start.Add(s.window)
	sub.OfferID, sub.Name, sub.UnitPrice = offerID, name, price
	sub.Term, sub.Billing = term, billing
	sub.Quantity = quantity
	sub.TermStart, sub.TermEnd = start, end
	sub.Trial = false
	sub.Renewal = nil
	sub.Lots = []csp.SeatLot{{Quantity: quantity, PurchasedAt: start, RemovableUntil: windowEnd}}
	sub.CancellationAllowedUntil = &windowEnd
	return Event{At: start, Kind: kind, SubscriptionID: sub.ID,
		Detail: fmt.Sprintf("%s, %d seats, %s/%s at %s, term %s to %s", name, quantity, term, billing, price,
			start.Format(time.RFC3339), end.Format(time.RFC3339))}, true
}
