package sandbox

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Orders: the sandbox sells new subscriptions the way CloudCockpit does
// (POST /v1/Orders with the caller's order id). The operation's key is the
// order id; a second order with a known id is the same order, whatever
// became of it, so a purchase sent twice buys once. An order is
// Processing when it is placed and Completed once its provisioning time
// has passed (AcceptDelay, or at once when there is none): the new
// subscription appears then. An order that can no longer be provisioned
// when it falls due (the seat cap was reached meanwhile) ends Failed,
// and Observe says it did not take effect.

// OrderStatus is where an order is, with CloudCockpit's names.
type OrderStatus string

// Order statuses.
const (
	OrderProcessing OrderStatus = "Processing"
	OrderCompleted  OrderStatus = "Completed"
	OrderFailed     OrderStatus = "Failed"
)

// Refusal codes of a purchase, besides CodeQuantityMin, CodeMaxSeats and
// CodeInvalidEndDate.
const (
	CodeUnknownOffer     = csp.CodeUnknownOffer
	CodeAlignWithMissing = "align_target_not_active"
)

// Order is one purchase order of the sandbox.
type Order struct {
	ID         string        `json:"id"`
	CustomerID string        `json:"customer_id"`
	Op         csp.Operation `json:"op"`
	Status     OrderStatus   `json:"status"`
	CreatedAt  time.Time     `json:"created_at"`
	// DueAt is when provisioning ends and the order completes.
	DueAt time.Time `json:"due_at"`
	// SubscriptionID is the new subscription, once completed.
	SubscriptionID string `json:"subscription_id,omitempty"`
	// Reason says why a failed order failed.
	Reason string `json:"reason,omitempty"`
}

func (st *state) order(customerID, id string) (*Order, bool) {
	for i := range st.Orders {
		if o := &st.Orders[i]; o.CustomerID == customerID && o.ID == id {
			return o, true
		}
	}
	return nil, false
}

// ordersDue reports whether an order completes by now.
func (st *state) ordersDue(now time.Time) bool {
	for _, o := range st.Orders {
		if o.Status == OrderProcessing && !now.Before(o.DueAt) {
			return true
		}
	}
	return false
}

// Orders returns a customer's purchase orders, oldest first (the list
// CloudCockpit's GET /v1/Orders gives).
func (s *Sandbox) Orders(ctx context.Context, customerID string) ([]Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sync(ctx); err != nil {
		return nil, err
	}
	if _, err := s.st.customer(customerID); err != nil {
		return nil, err
	}
	var out []Order
	for _, o := range s.st.Orders {
		if o.CustomerID == customerID {
			out = append(out, o)
		}
	}
	return out, nil
}

// purchase places op's order, or answers with the order already placed
// under its key. The caller (Apply) has checked the operation's shape.
func (s *Sandbox) purchase(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res csp.Result
	now, wrote, err := s.update(ctx, func(next *state, now time.Time) ([]Event, bool, error) {
		res = csp.Result{}
		if o, ok := next.order(customerID, op.Key); ok {
			// The same order id again: the portal answers with the
			// order it has, and buys nothing more.
			res = s.orderResult(next, *o)
			return nil, false, nil
		}
		cs, err := next.customer(customerID)
		if err != nil {
			return nil, false, err
		}
		if _, _, err := s.judgeOrder(next, cs, op, now); err != nil {
			return nil, false, err
		}
		o := Order{ID: op.Key, CustomerID: customerID, Op: op, Status: OrderProcessing, CreatedAt: now, DueAt: now.Add(s.delay)}
		events := []Event{{At: now, Kind: EventAccepted, CustomerID: customerID, Operation: op.Kind, Key: op.Key,
			Detail: fmt.Sprintf("order for %d × %s, provisioned at %s", op.Quantity, op.TargetOfferID, o.DueAt.Format(time.RFC3339))}}
		if s.delay <= 0 {
			events = append(events, s.provision(next, &o, now))
		}
		next.Orders = append(next.Orders, o)
		res = s.orderResult(next, o)
		return events, true, nil
	})
	if err != nil {
		return csp.Result{}, op.ApplyError("sandbox", err)
	}
	res.Receipt = csp.Receipt{Status: 201, CorrelationID: fmt.Sprintf("sandbox-%d-%s", s.st.Revision, op.Key), OrderID: op.Key, At: now}
	if res.Pending {
		res.Receipt.Status = 202
	}
	if wrote && s.failP > 0 && s.rand() < s.failP {
		s.log.Info("sandbox: order placed, answer dropped (fail_after_write)", "customer_id", customerID, "key", op.Key)
		return csp.Result{}, fmt.Errorf("sandbox: purchase: the order was placed but its answer was lost: %w", csp.ErrUnavailable)
	}
	return res, nil
}

// orderResult is the result of an order as it stands.
func (s *Sandbox) orderResult(st *state, o Order) csp.Result {
	res := csp.Result{Pending: o.Status == OrderProcessing}
	if o.SubscriptionID != "" {
		if sub, err := st.subscription(o.CustomerID, o.SubscriptionID); err == nil {
			res.Subscription = sub.Clone()
		}
	}
	return res
}

// judgeOrder applies the portal's rules to an order at now: an offer it
// sells with that term and billing, the seat cap, and an aligned end
// inside the first term, with an active subscription to align with.
func (s *Sandbox) judgeOrder(st *state, cs *customerData, op csp.Operation, now time.Time) (csp.Offer, csp.Price, error) {
	offer, ok := s.cat.Offer(op.TargetOfferID)
	if !ok {
		return csp.Offer{}, csp.Price{}, refuse(CodeUnknownOffer, "the portal does not sell %q", op.TargetOfferID)
	}
	price, ok := offer.Price(op.Term, op.Billing)
	if !ok {
		return csp.Offer{}, csp.Price{}, refuse(CodeNoPrice, "%s is not sold with term %s billed %s", offer.Name, op.Term, op.Billing)
	}
	a := applier{s: s, st: st, cs: cs}
	if err := a.checkMaxSeats(offer.ID, op.Quantity); err != nil {
		return csp.Offer{}, csp.Price{}, err
	}
	if op.TargetSubscriptionID != "" {
		t, err := st.subscription(cs.Customer.ID, op.TargetSubscriptionID)
		if err != nil || t.Status != csp.StatusActive {
			return csp.Offer{}, csp.Price{}, refuse(CodeAlignWithMissing, "subscription %q is not an active subscription to align with", op.TargetSubscriptionID)
		}
	}
	if op.CustomTermEnd != nil {
		start := csp.StartOfDay(now, s.loc)
		natural := csp.TermEnd(start, op.Term)
		end := op.CustomTermEnd.In(s.loc)
		if !end.After(now) || end.After(natural) {
			return csp.Offer{}, csp.Price{}, refuse(CodeInvalidEndDate, "a %s term bought now runs to %s at most; %s is outside it",
				op.Term, natural.Format(time.DateOnly), end.Format(time.RFC3339))
		}
	}
	return offer, price, nil
}

// provision completes order o at at: the new subscription appears, or the
// order fails when the portal's rules no longer allow it.
func (s *Sandbox) provision(st *state, o *Order, at time.Time) Event {
	ev := Event{At: at, CustomerID: o.CustomerID, Operation: csp.ChangePurchase, Key: o.ID}
	fail := func(err error) Event {
		o.Status, o.Reason = OrderFailed, err.Error()
		ev.Kind, ev.Detail = EventRejected, "order failed: "+err.Error()
		return ev
	}
	cs, err := st.customer(o.CustomerID)
	if err != nil {
		return fail(err)
	}
	op := o.Op
	// The order was judged when it was placed; the end date is not
	// judged again (it was valid then), the rest is.
	op.CustomTermEnd = nil
	offer, price, err := s.judgeOrder(st, cs, op, at)
	if err != nil {
		return fail(err)
	}
	start := csp.StartOfDay(at, s.loc)
	end := csp.PurchaseEnd(start, op.Term, o.Op.CustomTermEnd, s.loc)
	window := at.Add(s.window)
	sub := &csp.Subscription{
		ID:                       st.newSubscriptionID(),
		CustomerID:               o.CustomerID,
		OfferID:                  offer.ID,
		Name:                     offer.Name,
		Quantity:                 op.Quantity,
		Term:                     op.Term,
		Billing:                  op.Billing,
		TermStart:                start,
		TermEnd:                  end,
		AnchorDay:                end.Day(),
		AutoRenew:                true,
		Status:                   csp.StatusActive,
		UnitPrice:                price.Unit,
		Lots:                     []csp.SeatLot{{Quantity: op.Quantity, PurchasedAt: at, RemovableUntil: window}},
		CancellationAllowedUntil: &window,
	}
	st.touch(sub)
	cs.Subscriptions = append(cs.Subscriptions, sub)
	o.Status, o.SubscriptionID = OrderCompleted, sub.ID
	ev.Kind, ev.SubscriptionID = EventApplied, sub.ID
	ev.Detail = fmt.Sprintf("order completed: %d × %s, %s/%s, term %s to %s", op.Quantity, offer.Name, op.Term, op.Billing,
		start.Format(time.RFC3339), end.Format(time.RFC3339))
	return ev
}

// settleOrders completes the orders due by now, in time order, each after
// the rollovers before it.
func (s *Sandbox) settleOrders(st *state, now time.Time) []Event {
	var due []int
	for i, o := range st.Orders {
		if o.Status == OrderProcessing && !now.Before(o.DueAt) {
			due = append(due, i)
		}
	}
	slices.SortStableFunc(due, func(a, b int) int { return st.Orders[a].DueAt.Compare(st.Orders[b].DueAt) })
	var events []Event
	for _, i := range due {
		at := st.Orders[i].DueAt
		events = append(events, s.advance(st, at)...)
		events = append(events, s.provision(st, &st.Orders[i], at))
	}
	return events
}

// observeOrder reports what became of the order with op's key: no such
// order proves the purchase did not take effect.
func (s *Sandbox) observeOrder(customerID string, op csp.Operation) (csp.Observation, error) {
	if _, err := s.st.customer(customerID); err != nil {
		return csp.Observation{}, err
	}
	o, ok := s.st.order(customerID, op.Key)
	if !ok {
		return csp.Observation{Outcome: csp.ObservedNotDone, Detail: "the portal has no order " + op.Key}, nil
	}
	obs := csp.Observation{Detail: "order " + o.ID + " is " + string(o.Status)}
	switch o.Status {
	case OrderProcessing:
		obs.Outcome = csp.ObservedPending
		obs.Detail += ", provisioned at " + o.DueAt.Format(time.RFC3339)
	case OrderFailed:
		obs.Outcome = csp.ObservedNotDone
		obs.Detail += ": " + o.Reason
	default:
		obs.Outcome = csp.ObservedDone
		if sub, err := s.st.subscription(customerID, o.SubscriptionID); err == nil {
			c := sub.Clone()
			obs.Subscription = &c
		}
	}
	return obs, nil
}
