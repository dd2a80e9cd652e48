package sandbox

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Refusal codes of csp.RefusedError returned by Apply. They are stable so
// callers can branch on them.
const (
	CodeNotActive                  = "subscription_not_active"
	CodeQuantityMin                = csp.CodeQuantityMin
	CodeNotAnIncrease              = "not_an_increase"
	CodeNotADecrease               = "not_a_decrease"
	CodeMaxSeats                   = "max_seats_exceeded"
	CodeRemovalWindowClosed        = "removal_window_closed"
	CodeCancellationWindowClosed   = "cancellation_window_closed"
	CodeAutoRenewOff               = "auto_renew_off"
	CodeInvalidEndDate             = "invalid_end_date"
	CodeUpgradeNotAllowed          = "upgrade_not_allowed"
	CodeUpgradeQuantity            = "upgrade_quantity_exceeds_subscription"
	CodeNoPrice                    = "no_price"
	CodeTargetOfferMismatch        = "target_offer_mismatch"
	CodeTargetNotActive            = "target_not_active"
	CodeTargetEndsEarlier          = "target_ends_earlier"
	CodeTargetTermShorter          = "target_term_shorter"
	CodeTargetInCancellationWindow = "target_in_cancellation_window"
)

func refuse(code, format string, args ...any) error {
	return &csp.RefusedError{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Apply performs op for the customer. Shape errors are plain errors, the
// portal's own rules give *csp.RefusedError, a stale FromQuantity gives
// csp.ErrConflict and unknown ids csp.ErrNotFound (both wrapped). A
// refused or failed operation changes nothing.
func (s *Sandbox) Apply(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	if err := op.CheckApply("sandbox"); err != nil {
		return csp.Result{}, err
	}
	if op.Kind == csp.ChangePurchase {
		return s.purchase(ctx, customerID, op)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var res csp.Result
	now, wrote, err := s.update(ctx, func(next *state, now time.Time) ([]Event, bool, error) {
		res = csp.Result{}
		if _, ok := next.pending(customerID, op.Key); ok {
			// Sent again while accepted and not yet visible: the
			// portal knows this key, nothing more is written.
			sub, err := next.subscription(customerID, op.SubscriptionID)
			if err != nil {
				return nil, false, err
			}
			res = csp.Result{Subscription: sub.Clone(), Pending: true}
			return nil, false, nil
		}
		if s.delay <= 0 {
			r, events, err := s.applyOp(next, customerID, op, now)
			res = r
			return events, err == nil && !r.AlreadyApplied, err
		}
		// Judge the write now, as a portal does when it accepts it, but
		// let it show only after the delay.
		r, _, err := s.applyOp(next.clone(), customerID, op, now)
		if err != nil || r.AlreadyApplied {
			res = r
			return nil, false, err
		}
		sub, _ := next.subscription(customerID, op.SubscriptionID)
		res = csp.Result{Subscription: sub.Clone(), Pending: true}
		visible := now.Add(s.delay)
		next.Pending = append(next.Pending, pendingWrite{Key: op.Key, CustomerID: customerID, Op: op, AcceptedAt: now, VisibleAt: visible})
		return []Event{{At: now, Kind: EventAccepted, CustomerID: customerID, SubscriptionID: op.SubscriptionID,
			Operation: op.Kind, Key: op.Key, Detail: "visible at " + visible.Format(time.RFC3339)}}, true, nil
	})
	if err != nil {
		return csp.Result{}, err
	}
	res.Receipt = s.receipt(now, op, res.Pending)
	if wrote && s.failP > 0 && s.rand() < s.failP {
		s.log.Info("sandbox: write made, answer dropped (fail_after_write)", "customer_id", customerID, "key", op.Key)
		return csp.Result{}, fmt.Errorf("sandbox: %s on %s: the change was made but its answer was lost: %w",
			op.Kind, op.SubscriptionID, csp.ErrUnavailable)
	}
	return res, nil
}

// receipt is the sandbox's answer to a write: 202 when accepted for
// later, 200 otherwise, with a correlation id unique to the state it
// answered from.
func (s *Sandbox) receipt(now time.Time, op csp.Operation, pending bool) csp.Receipt {
	r := csp.Receipt{Status: 200, CorrelationID: fmt.Sprintf("sandbox-%d-%s", s.st.Revision, op.Key), At: now}
	if pending {
		r.Status = 202
		r.OrderID = "sandbox-order-" + op.Key
	}
	return r
}

// applyOp applies op to st (a copy the caller may discard) at now and
// returns the result and the event to record. An error or an
// AlreadyApplied result means st should not be saved.
func (s *Sandbox) applyOp(st *state, customerID string, op csp.Operation, now time.Time) (csp.Result, []Event, error) {
	cs, err := st.customer(customerID)
	if err != nil {
		return csp.Result{}, nil, err
	}
	sub, err := st.subscription(customerID, op.SubscriptionID)
	if err != nil {
		return csp.Result{}, nil, err
	}
	a := applier{s: s, st: st, cs: cs, sub: sub, op: op, now: now}
	res, err := a.apply()
	if err != nil || res.AlreadyApplied {
		return res, nil, err
	}
	for _, t := range a.touched {
		st.touch(t)
	}
	ev := Event{At: now, Kind: EventApplied, CustomerID: customerID, SubscriptionID: sub.ID,
		Operation: op.Kind, Key: op.Key, Detail: a.detail}
	res.Subscription = sub.Clone()
	if a.target != nil {
		t := a.target.Clone()
		res.Target = &t
	}
	return res, []Event{ev}, nil
}

// applier applies one operation to a copy of the state.
type applier struct {
	s   *Sandbox
	st  *state
	cs  *customerData
	sub *csp.Subscription
	op  csp.Operation
	now time.Time

	target  *csp.Subscription
	touched []*csp.Subscription
	detail  string
}

func (a *applier) apply() (csp.Result, error) {
	switch a.op.Kind {
	case csp.ChangeAddSeats:
		return a.addSeats()
	case csp.ChangeRemoveSeats:
		return a.removeSeats()
	case csp.ChangeSetRenewalQuantity:
		return a.setRenewalQuantity()
	case csp.ChangeAutoRenewOn, csp.ChangeAutoRenewOff:
		return a.setAutoRenew()
	case csp.ChangeCancel:
		return a.cancel()
	case csp.ChangeAlignEndDate:
		return a.alignEndDate()
	case csp.ChangeUpgrade:
		return a.upgrade()
	}
	return csp.Result{}, fmt.Errorf("sandbox: operation: unknown kind %q", a.op.Kind)
}

func (a *applier) already() (csp.Result, error) {
	return csp.Result{Subscription: a.sub.Clone(), AlreadyApplied: true}, nil
}

func (a *applier) requireActive(sub *csp.Subscription) error {
	if sub.Status != csp.StatusActive {
		return refuse(CodeNotActive, "subscription %s is %s", sub.ID, sub.Status)
	}
	return nil
}

// checkQuantityChange is the absolute-write contract of add and remove:
// done if already there, conflict if the subscription moved since the
// decision.
func (a *applier) checkQuantityChange() (done bool, err error) {
	if err := a.requireActive(a.sub); err != nil {
		return false, err
	}
	if a.sub.Quantity == a.op.Quantity {
		return true, nil
	}
	if a.sub.Quantity != a.op.FromQuantity {
		return false, fmt.Errorf("sandbox: subscription %s has %d seats, the request was made on %d: %w",
			a.sub.ID, a.sub.Quantity, a.op.FromQuantity, csp.ErrConflict)
	}
	return false, nil
}

// checkMaxSeats enforces the offer's per-customer cap for quantity seats
// of offerID on a line, counting the customer's other live lines.
func (a *applier) checkMaxSeats(offerID string, quantity int, except ...string) error {
	offer, ok := a.s.cat.Offer(offerID)
	if !ok || offer.MaxSeats == 0 {
		return nil
	}
	total := quantity
	for _, o := range a.cs.Subscriptions {
		if o.OfferID != offerID || slices.Contains(except, o.ID) {
			continue
		}
		switch o.Status {
		case csp.StatusActive, csp.StatusSuspended, csp.StatusPending:
			total += o.Quantity
		}
	}
	if total > offer.MaxSeats {
		return refuse(CodeMaxSeats, "%s is limited to %d seats per customer, this would make %d", offer.Name, offer.MaxSeats, total)
	}
	return nil
}

func (a *applier) addSeats() (csp.Result, error) {
	done, err := a.checkQuantityChange()
	if done || err != nil {
		return a.result(done, err)
	}
	if a.op.Quantity < a.sub.Quantity {
		return csp.Result{}, refuse(CodeNotAnIncrease, "subscription %s has %d seats; %d is a removal", a.sub.ID, a.sub.Quantity, a.op.Quantity)
	}
	if err := a.checkMaxSeats(a.sub.OfferID, a.op.Quantity, a.sub.ID); err != nil {
		return csp.Result{}, err
	}
	added := a.op.Quantity - a.sub.Quantity
	a.sub.Lots = append(a.sub.Lots, csp.SeatLot{Quantity: added, PurchasedAt: a.now, RemovableUntil: a.now.Add(a.s.window)})
	a.setQuantity(a.op.Quantity)
	a.detail = fmt.Sprintf("quantity %d -> %d", a.op.FromQuantity, a.op.Quantity)
	return csp.Result{}, nil
}

func (a *applier) removeSeats() (csp.Result, error) {
	done, err := a.checkQuantityChange()
	if done || err != nil {
		return a.result(done, err)
	}
	if a.op.Quantity > a.sub.Quantity {
		return csp.Result{}, refuse(CodeNotADecrease, "subscription %s has %d seats; %d is an addition", a.sub.ID, a.sub.Quantity, a.op.Quantity)
	}
	remove := a.sub.Quantity - a.op.Quantity
	if open := a.sub.RemovableAt(a.now); remove > open {
		return csp.Result{}, refuse(CodeRemovalWindowClosed, "%d seats of subscription %s can be removed now, not %d", open, a.sub.ID, remove)
	}
	a.sub.Lots = takeSeats(a.sub.Lots, remove, func(l csp.SeatLot) bool {
		return !a.now.Before(l.PurchasedAt) && a.now.Before(l.RemovableUntil)
	})
	a.setQuantity(a.op.Quantity)
	a.detail = fmt.Sprintf("quantity %d -> %d", a.op.FromQuantity, a.op.Quantity)
	return csp.Result{}, nil
}

// setQuantity changes the quantity mid-term. Like Microsoft, any mid-term
// quantity change deletes the scheduled renewal instructions.
func (a *applier) setQuantity(n int) {
	a.sub.Quantity = n
	a.sub.Renewal = nil
	a.touched = append(a.touched, a.sub)
}

func (a *applier) setRenewalQuantity() (csp.Result, error) {
	if err := a.requireActive(a.sub); err != nil {
		return csp.Result{}, err
	}
	if a.sub.RenewalQuantity() == a.op.Quantity {
		return a.already()
	}
	if !a.sub.AutoRenew {
		return csp.Result{}, refuse(CodeAutoRenewOff, "subscription %s does not renew; turn auto-renew on to schedule its renewal", a.sub.ID)
	}
	if err := a.checkMaxSeats(a.sub.OfferID, a.op.Quantity, a.sub.ID); err != nil {
		return csp.Result{}, err
	}
	from := a.sub.RenewalQuantity()
	if a.sub.Renewal == nil {
		a.sub.Renewal = &csp.RenewalInstructions{}
	}
	a.sub.Renewal.Quantity = a.op.Quantity
	a.touched = append(a.touched, a.sub)
	a.detail = fmt.Sprintf("renewal quantity %d -> %d", from, a.op.Quantity)
	return csp.Result{}, nil
}

func (a *applier) setAutoRenew() (csp.Result, error) {
	if err := a.requireActive(a.sub); err != nil {
		return csp.Result{}, err
	}
	on := *a.op.AutoRenew
	if a.sub.AutoRenew == on {
		return a.already()
	}
	a.sub.AutoRenew = on
	if !on {
		// Scheduled instructions need auto-renew on; keeping them on a
		// subscription that will expire would show a renewal that cannot
		// happen.
		a.sub.Renewal = nil
	}
	a.touched = append(a.touched, a.sub)
	a.detail = fmt.Sprintf("auto-renew %t", on)
	return csp.Result{}, nil
}

func (a *applier) cancel() (csp.Result, error) {
	if a.sub.Status == csp.StatusCancelled {
		return a.already()
	}
	if err := a.requireActive(a.sub); err != nil {
		return csp.Result{}, err
	}
	if until := a.sub.CancellationAllowedUntil; until == nil || !a.now.Before(*until) {
		return csp.Result{}, refuse(CodeCancellationWindowClosed, "subscription %s can no longer be cancelled; turn auto-renew off to end it at term end", a.sub.ID)
	}
	a.sub.Status = csp.StatusCancelled
	a.sub.AutoRenew = false
	a.sub.Renewal = nil
	a.sub.CancellationAllowedUntil = nil
	a.touched = append(a.touched, a.sub)
	a.detail = "cancelled"
	return csp.Result{}, nil
}

func (a *applier) alignEndDate() (csp.Result, error) {
	if err := a.requireActive(a.sub); err != nil {
		return csp.Result{}, err
	}
	end := a.op.CustomTermEnd.In(a.s.loc)
	if r := a.sub.Renewal; r != nil && r.CustomTermEnd != nil && r.CustomTermEnd.Equal(end) {
		return a.already()
	}
	if !a.sub.AutoRenew {
		return csp.Result{}, refuse(CodeAutoRenewOff, "subscription %s does not renew; turn auto-renew on to align its end date", a.sub.ID)
	}
	if a.op.TargetSubscriptionID != "" {
		if _, err := a.st.subscription(a.cs.Customer.ID, a.op.TargetSubscriptionID); err != nil {
			return csp.Result{}, err
		}
	}
	// The custom end date shortens the next term: it must fall inside it.
	nextTerm := a.sub.Term
	if r := a.sub.Renewal; r != nil && r.Term != "" {
		nextTerm = r.Term
	}
	start := a.sub.TermEnd
	if limit := a.sub.EndAfter(1, nextTerm.Months(), a.s.loc); !end.After(start) || end.After(limit) {
		return csp.Result{}, refuse(CodeInvalidEndDate, "the next term of %s runs from %s to %s; %s is outside it",
			a.sub.ID, start.Format(time.DateOnly), limit.Format(time.DateOnly), end.Format(time.RFC3339))
	}
	if a.sub.Renewal == nil {
		a.sub.Renewal = &csp.RenewalInstructions{}
	}
	a.sub.Renewal.CustomTermEnd = &end
	a.touched = append(a.touched, a.sub)
	a.detail = "next term ends " + end.Format(time.RFC3339)
	return csp.Result{}, nil
}

func (a *applier) upgrade() (csp.Result, error) {
	// The seats moved are relative to the current state, so a retry is
	// recognised by its key, not by the state.
	if u, ok := a.st.upgradeApplied(a.cs.Customer.ID, a.sub.ID, a.op.Key); ok {
		res := csp.Result{Subscription: a.sub.Clone(), AlreadyApplied: true}
		if t, err := a.st.subscription(a.cs.Customer.ID, u.TargetID); err == nil {
			c := t.Clone()
			res.Target = &c
		}
		return res, nil
	}
	src := a.sub
	if err := a.requireActive(src); err != nil {
		return csp.Result{}, err
	}
	if a.op.FromQuantity > 0 && src.Quantity != a.op.FromQuantity {
		return csp.Result{}, fmt.Errorf("sandbox: subscription %s has %d seats, the request was made on %d: %w",
			src.ID, src.Quantity, a.op.FromQuantity, csp.ErrConflict)
	}
	if !a.s.cat.CanUpgrade(src.OfferID, a.op.TargetOfferID) {
		return csp.Result{}, refuse(CodeUpgradeNotAllowed, "%s cannot be upgraded to %q: only to a higher plan of the same segment", src.Name, a.op.TargetOfferID)
	}
	if a.op.Quantity > src.Quantity {
		return csp.Result{}, refuse(CodeUpgradeQuantity, "subscription %s has %d seats, cannot upgrade %d", src.ID, src.Quantity, a.op.Quantity)
	}
	offer, _ := a.s.cat.Offer(a.op.TargetOfferID)
	price, ok := offer.Price(src.Term, src.Billing)
	if !ok {
		return csp.Result{}, refuse(CodeNoPrice, "%s is not sold with term %s billed %s", offer.Name, src.Term, src.Billing)
	}

	var target *csp.Subscription
	if a.op.TargetSubscriptionID != "" {
		t, err := a.st.subscription(a.cs.Customer.ID, a.op.TargetSubscriptionID)
		if err != nil {
			return csp.Result{}, err
		}
		if t.OfferID != a.op.TargetOfferID {
			return csp.Result{}, refuse(CodeTargetOfferMismatch, "subscription %s is %s, not %q", t.ID, t.Name, a.op.TargetOfferID)
		}
		if err := mergeRefusal(*src, *t, a.now); err != nil {
			return csp.Result{}, err
		}
		target = t
	}
	if err := a.checkMaxSeats(offer.ID, a.op.Quantity); err != nil {
		return csp.Result{}, err
	}

	// Upgraded seats cannot be removed for a refund (an upgrade is
	// irreversible), so their lot's window is closed from the start.
	lot := csp.SeatLot{Quantity: a.op.Quantity, PurchasedAt: a.now, RemovableUntil: a.now}
	if target != nil {
		target.Quantity += a.op.Quantity
		target.Lots = append(target.Lots, lot)
		target.Renewal = nil // a mid-term quantity change, as for add seats
	} else {
		target = &csp.Subscription{
			ID:         a.st.newSubscriptionID(),
			CustomerID: src.CustomerID,
			OfferID:    offer.ID,
			Name:       offer.Name,
			Quantity:   a.op.Quantity,
			Term:       src.Term,
			Billing:    src.Billing,
			TermStart:  src.TermStart,
			TermEnd:    src.TermEnd, // the guide: an upgrade keeps the end date
			AutoRenew:  src.AutoRenew,
			Status:     csp.StatusActive,
			UnitPrice:  price.Unit,
			Lots:       []csp.SeatLot{lot},
		}
		a.cs.Subscriptions = append(a.cs.Subscriptions, target)
	}

	from := src.Quantity
	src.Quantity -= a.op.Quantity
	src.Lots = takeSeats(src.Lots, a.op.Quantity, func(csp.SeatLot) bool { return true })
	src.Renewal = nil
	if src.Quantity == 0 {
		// Partner Center leaves a fully transitioned source at 0 seats,
		// suspended; the sandbox cancels it so that it can never renew
		// or be counted as a live line.
		src.Status = csp.StatusCancelled
		src.AutoRenew = false
		src.CancellationAllowedUntil = nil
	}
	a.st.Upgrades = append(a.st.Upgrades, appliedUpgrade{
		Key: a.op.Key, CustomerID: a.cs.Customer.ID, SourceID: src.ID, TargetID: target.ID, At: a.now,
	})
	a.target = target
	a.touched = append(a.touched, src, target)
	a.detail = fmt.Sprintf("%d of %d seats upgraded to %s in %s", a.op.Quantity, from, offer.Name, target.ID)
	return csp.Result{}, nil
}

// mergeRefusal says why src's upgrade cannot be merged into target, or nil
// when it can: the target must be active, must not end before the source
// or have a shorter term, and must not itself be in its cancellation
// window.
func mergeRefusal(src, target csp.Subscription, now time.Time) error {
	switch {
	case target.ID == src.ID:
		return refuse(CodeTargetOfferMismatch, "a subscription cannot be upgraded into itself")
	case target.CustomerID != src.CustomerID:
		return refuse(CodeTargetNotActive, "subscription %s belongs to another customer", target.ID)
	case target.Status != csp.StatusActive:
		return refuse(CodeTargetNotActive, "subscription %s is %s", target.ID, target.Status)
	case target.Trial:
		return refuse(CodeTargetNotActive, "subscription %s is a trial", target.ID)
	case target.TermEnd.Before(src.TermEnd):
		return refuse(CodeTargetEndsEarlier, "subscription %s ends %s, before %s (%s)", target.ID,
			target.TermEnd.Format(time.RFC3339), src.ID, src.TermEnd.Format(time.RFC3339))
	case target.Term.Months() < src.Term.Months():
		return refuse(CodeTargetTermShorter, "subscription %s has a %s term, shorter than %s", target.ID, target.Term, src.Term)
	case target.CancellationAllowedUntil != nil && now.Before(*target.CancellationAllowedUntil):
		return refuse(CodeTargetInCancellationWindow, "subscription %s can still be cancelled until %s", target.ID,
			target.CancellationAllowedUntil.Format(time.RFC3339))
	}
	return nil
}

// takeSeats removes n seats from the newest lots that match, dropping
// emptied lots. The caller has checked that enough seats match.
func takeSeats(lots []csp.SeatLot, n int, match func(csp.SeatLot) bool) []csp.SeatLot {
	out := append([]csp.SeatLot(nil), lots...)
	for i := len(out) - 1; i >= 0 && n > 0; i-- {
		if !match(out[i]) {
			continue
		}
		k := min(n, out[i].Quantity)
		out[i].Quantity -= k
		n -= k
	}
	kept := out[:0]
	for _, l := range out {
		if l.Quantity > 0 {
			kept = append(kept, l)
		}
	}
	return kept
}

func (a *applier) result(done bool, err error) (csp.Result, error) {
	if err != nil {
		return csp.Result{}, err
	}
	if done {
		return a.already()
	}
	return csp.Result{}, nil
}
