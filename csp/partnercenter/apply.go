package partnercenter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// maxRounds bounds how often a PATCH is decided again after a 412.
const maxRounds = 3

// Apply performs op. Every PATCH sends the whole resource as just read,
// with the one change, If-Match on its etag and MS-RequestId = op.Key:
//
//   - add_seats, remove_seats: quantity
//   - auto_renew_on/off: autoRenewEnabled
//   - set_renewal_quantity: scheduledNextTermInstructions.quantity (the
//     instructions are cleared when the target is the current quantity
//     and nothing else is scheduled)
//   - align_end_date: scheduledNextTermInstructions.customTermEndDate
//   - cancel: status "deleted", inside cancellationAllowedUntilDate; sent
//     once (Capabilities says send-once): after a 5xx or a lost answer
//     it is observed, not sent again
//   - upgrade: POST …/transitions, then its operation is followed; not
//     sent when the history shows the same transition still under way
//
// A 412 means the subscription changed since it was read: Apply reads it
// again and decides again (done, conflict, or the same write on the new
// etag); it never re-sends the old body. A mid-term quantity change
// makes Partner Center delete scheduled next-term instructions; the
// result shows the subscription as it is afterwards.
func (c *Client) Apply(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	if err := op.CheckApply("partnercenter"); err != nil {
		return csp.Result{}, err
	}
	if op.Kind == csp.ChangePurchase {
		return c.applyPurchase(ctx, customerID, op)
	}
	a := applier{c: c, customerID: customerID, op: op,
		log: c.log.With("customer_id", customerID, "subscription_id", op.SubscriptionID, "operation", string(op.Kind), "key", op.Key)}
	var res csp.Result
	var err error
	if op.Kind == csp.ChangeUpgrade {
		res, err = a.upgrade(ctx)
	} else {
		res, err = a.patch(ctx)
	}
	return res, op.ApplyError("partnercenter", err)
}

type applier struct {
	c          *Client
	customerID string
	op         csp.Operation
	log        *slog.Logger
}

func (a *applier) path() string { return subscriptionPath(a.customerID, a.op.SubscriptionID) }

// decision is what a writer decided from a fresh read: done, or the
// change to make on the raw resource.
type decision struct {
	done   bool
	mutate func(raw map[string]any)
}

// decide looks at the subscription as just read and decides what to
// write, one step per kind of change.
func (a *applier) decide(w subscription, s csp.Subscription) (decision, error) {
	switch a.op.Kind {
	case csp.ChangeAddSeats, csp.ChangeRemoveSeats:
		return a.decideSeats(s)
	case csp.ChangeAutoRenewOn, csp.ChangeAutoRenewOff:
		return a.decideAutoRenew(s)
	case csp.ChangeSetRenewalQuantity:
		return a.decideRenewalQuantity(w, s)
	case csp.ChangeAlignEndDate:
		return a.decideEndDate(w, s)
	case csp.ChangeCancel:
		return a.decideCancel(s)
	}
	return decision{}, fmt.Errorf("operation: unknown kind %q", a.op.Kind)
}

func requireActive(s csp.Subscription) error {
	if s.Status != csp.StatusActive {
		return refuse(CodeNotActive, "subscription %s is %s", s.ID, s.Status)
	}
	return nil
}

// decideSeats: quantity = op.Quantity, only from the quantity the request
// was made on, and a removal only of seats still inside their window.
func (a *applier) decideSeats(s csp.Subscription) (decision, error) {
	op := a.op
	if err := requireActive(s); err != nil {
		return decision{}, err
	}
	if s.Quantity == op.Quantity {
		return decision{done: true}, nil
	}
	if s.Quantity != op.FromQuantity {
		return decision{}, fmt.Errorf("subscription %s has %d seats, the request was made on %d: %w",
			s.ID, s.Quantity, op.FromQuantity, csp.ErrConflict)
	}
	if op.Kind == csp.ChangeAddSeats && op.Quantity < s.Quantity {
		return decision{}, refuse(CodeNotAnIncrease, "subscription %s has %d seats; %d is a removal", s.ID, s.Quantity, op.Quantity)
	}
	if op.Kind == csp.ChangeRemoveSeats {
		if err := a.checkRemoval(s); err != nil {
			return decision{}, err
		}
	}
	if s.HasScheduledRenewal() {
		a.log.Warn("this mid-term change makes Partner Center delete the scheduled next-term instructions",
			"renewal_quantity", s.RenewalQuantity())
	}
	q := op.Quantity
	return decision{mutate: func(raw map[string]any) { raw["quantity"] = q }}, nil
}

// checkRemoval refuses a removal that is an addition or that takes seats
// whose removal window (refundableQuantity) has closed.
func (a *applier) checkRemoval(s csp.Subscription) error {
	op := a.op
	if op.Quantity > s.Quantity {
		return refuse(CodeNotADecrease, "subscription %s has %d seats; %d is an addition", s.ID, s.Quantity, op.Quantity)
	}
	if removable := s.RemovableAt(a.c.clock.Now()); s.Quantity-op.Quantity > removable {
		return refuse(CodeRemovalWindowClosed, "only %d of the %d seats of %s are still inside their removal window (refundableQuantity); %d cannot be removed before the term ends",
			removable, s.Quantity, s.ID, s.Quantity-op.Quantity)
	}
	return nil
}

// decideAutoRenew: autoRenewEnabled = *op.AutoRenew.
func (a *applier) decideAutoRenew(s csp.Subscription) (decision, error) {
	if err := requireActive(s); err != nil {
		return decision{}, err
	}
	on := *a.op.AutoRenew
	if s.AutoRenew == on {
		return decision{done: true}, nil
	}
	return decision{mutate: func(raw map[string]any) { raw["autoRenewEnabled"] = on }}, nil
}

// decideRenewalQuantity: scheduledNextTermInstructions.quantity, or no
// instructions at all when they would only repeat the current term.
func (a *applier) decideRenewalQuantity(w subscription, s csp.Subscription) (decision, error) {
	op := a.op
	if err := requireActive(s); err != nil {
		return decision{}, err
	}
	if s.RenewalQuantity() == op.Quantity {
		return decision{done: true}, nil
	}
	if !s.AutoRenew {
		return decision{}, refuse(CodeAutoRenewOff, "subscription %s does not renew; turn auto-renew on to schedule its renewal", s.ID)
	}
	in := a.instructions(w, s)
	in.Quantity = op.Quantity
	if op.Quantity == s.Quantity && in.CustomTermEndDate == "" && sameProduct(in, w) {
		return decision{mutate: func(raw map[string]any) { raw["scheduledNextTermInstructions"] = nil }}, nil
	}
	return decision{mutate: func(raw map[string]any) { raw["scheduledNextTermInstructions"] = in }}, nil
}

// decideEndDate: scheduledNextTermInstructions.customTermEndDate.
func (a *applier) decideEndDate(w subscription, s csp.Subscription) (decision, error) {
	if err := requireActive(s); err != nil {
		return decision{}, err
	}
	want := csp.StartOfDay(*a.op.CustomTermEnd, a.c.locOf(a.customerID))
	if r := s.Renewal; r != nil && r.CustomTermEnd != nil && r.CustomTermEnd.Equal(want) {
		return decision{done: true}, nil
	}
	if !s.AutoRenew {
		return decision{}, refuse(CodeAutoRenewOff, "subscription %s does not renew; turn auto-renew on to align its end date", s.ID)
	}
	in := a.instructions(w, s)
	in.CustomTermEndDate = wireLastDay(want, a.c.locOf(a.customerID))
	return decision{mutate: func(raw map[string]any) { raw["scheduledNextTermInstructions"] = in }}, nil
}

// decideCancel: status "deleted", inside cancellationAllowedUntilDate.
func (a *applier) decideCancel(s csp.Subscription) (decision, error) {
	if s.Status == csp.StatusCancelled {
		return decision{done: true}, nil
	}
	if err := requireActive(s); err != nil {
		return decision{}, err
	}
	if until := s.CancellationAllowedUntil; until == nil || !a.c.clock.Now().Before(*until) {
		why := "it has no cancellation window now"
		if until != nil {
			why = "its cancellation window closed on " + until.Format(time.RFC3339)
		}
		return decision{}, refuse(CodeCancellationWindowClosed, "subscription %s cannot be cancelled: %s; turn auto-renew off to end it at the end of its term", s.ID, why)
	}
	return decision{mutate: func(raw map[string]any) { raw["status"] = "deleted" }}, nil
}

// instructions returns the scheduled instructions to write: the current
// ones, or the current product, term and quantity.
func (a *applier) instructions(w subscription, s csp.Subscription) nextTermInstructions {
	if in := w.ScheduledNextTermInstructions; in != nil {
		return *in
	}
	parts := strings.Split(w.OfferID, ":")
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return nextTermInstructions{
		Product: nextTermProduct{ProductID: parts[0], SkuID: parts[1], AvailabilityID: parts[2],
			BillingCycle: w.BillingCycle, TermDuration: w.TermDuration},
		Quantity: s.Quantity,
	}
}

func sameProduct(in nextTermInstructions, w subscription) bool {
	return portal.SameProviderOffer(in.Product.ProductID+":"+in.Product.SkuID, w.OfferID) &&
		strings.EqualFold(in.Product.TermDuration, w.TermDuration) && strings.EqualFold(in.Product.BillingCycle, w.BillingCycle)
}

// patch reads, decides and PATCHes, up to maxRounds times on 412.
func (a *applier) patch(ctx context.Context) (csp.Result, error) {
	var rec csp.Receipt
	for round := 1; round <= maxRounds; round++ {
		w, raw, err := a.c.getSubscription(ctx, a.customerID, a.op.SubscriptionID)
		if err != nil {
			return csp.Result{Receipt: rec}, err
		}
		s := a.c.toSubscription(ctx, a.customerID, w)
		d, err := a.decide(w, s)
		if err != nil {
			return csp.Result{Subscription: s, Receipt: rec}, err
		}
		if d.done {
			if round == 1 {
				a.log.InfoContext(ctx, "already applied, nothing sent")
				return csp.Result{Subscription: s, AlreadyApplied: true}, nil
			}
			// Our earlier PATCH landed (its answer was lost, or a retry
			// met the new etag).
			a.log.InfoContext(ctx, "write confirmed by reading the subscription again", "round", round)
			return csp.Result{Subscription: s, Receipt: rec}, nil
		}
		if w.Attributes.Etag == "" {
			return csp.Result{Subscription: s}, fmt.Errorf("subscription %s has no etag; refusing to write without If-Match", s.ID)
		}
		d.mutate(raw)
		var out map[string]any
		resp, err := a.c.do(ctx, request{method: http.MethodPatch, path: a.path(), body: raw, ifMatch: w.Attributes.Etag,
			requestID: a.roundRequestID(round), once: a.op.Kind == csp.ChangeCancel, log: a.log}, &out)
		rec = resp.receipt(a.c.clock.Now())
		if errors.Is(err, errPrecondition) {
			a.log.InfoContext(ctx, "etag changed since the read (412); reading again and deciding again", "round", round)
			continue
		}
		if err != nil {
			return csp.Result{Subscription: s, Receipt: rec}, err
		}
		a.log.InfoContext(ctx, "partner center accepted the write", "status", resp.Status, "ms_correlation_id", resp.CorrelationID)
		after := s
		if len(out) > 0 {
			if nw, err := decodeSubscription(out); err == nil && nw.ID != "" {
				after = a.c.toSubscription(ctx, a.customerID, nw)
			}
		}
		if nd, err := a.decide(subscription{}, after); err == nil && nd.done {
			return csp.Result{Subscription: after, Receipt: rec}, nil
		}
		if fresh, err := a.c.Subscription(ctx, a.customerID, a.op.SubscriptionID); err == nil {
			after = fresh
			if nd, err := a.decide(subscription{}, after); err == nil && nd.done {
				return csp.Result{Subscription: after, Receipt: rec}, nil
			}
		}
		a.log.WarnContext(ctx, "write accepted but not visible yet; left pending")
		return csp.Result{Subscription: after, Receipt: rec, Pending: true}, nil
	}
	return csp.Result{Receipt: rec}, fmt.Errorf("subscription %s changed on every one of %d tries: %w", a.op.SubscriptionID, maxRounds, csp.ErrConflict)
}

// roundRequestID is the MS-RequestId of the PATCH of one round: the
// operation key's on the first, a new one after each 412, since Partner
// Center answers a repeated MS-RequestId with its first answer, and a
// write decided again on a new etag is a new call.
func (a *applier) roundRequestID(round int) string {
	if round == 1 {
		return requestID(a.op.Key)
	}
	return callRequestID(a.op.Key, fmt.Sprintf("after-412/%d", round))
}

// upgrade sends one transition and follows its operation.
func (a *applier) upgrade(ctx context.Context) (csp.Result, error) {
	src, err := a.c.Subscription(ctx, a.customerID, a.op.SubscriptionID)
	if err != nil {
		return csp.Result{}, err
	}
	if a.upgradeShows(src) {
		a.log.InfoContext(ctx, "already applied, nothing sent")
		return csp.Result{Subscription: src, AlreadyApplied: true, Target: a.readTarget(ctx, a.op.TargetSubscriptionID)}, nil
	}
	if err := a.checkUpgradeSource(src); err != nil {
		return csp.Result{}, err
	}
	if rec, t, ok, err := a.inFlight(ctx); err != nil {
		return csp.Result{Subscription: src}, err
	} else if ok {
		a.log.WarnContext(ctx, "the same transition is already under way; not sent again", "operation_id", rec.OrderID)
		return a.upgradeResult(ctx, src, rec, a.followTransition(ctx, rec.OrderID, transitionOutcome(t.Status)))
	}
	pick, err := a.pickTransition(ctx, src)
	if err != nil {
		return csp.Result{}, err
	}
	rec, outcome, err := a.sendTransition(ctx, src, pick)
	if err != nil {
		return csp.Result{Subscription: src, Receipt: rec}, err
	}
	outcome = a.followTransition(ctx, rec.OrderID, outcome)
	return a.upgradeResult(ctx, src, rec, outcome)
}

// upgradeShows: the source already has the seats the upgrade leaves it.
func (a *applier) upgradeShows(src csp.Subscription) bool {
	op := a.op
	return op.FromQuantity > 0 && src.Quantity == op.FromQuantity-op.Quantity && src.Quantity != op.FromQuantity
}

// checkUpgradeSource refuses an upgrade the source line cannot give.
func (a *applier) checkUpgradeSource(src csp.Subscription) error {
	op := a.op
	if err := requireActive(src); err != nil {
		return err
	}
	if op.FromQuantity > 0 && src.Quantity != op.FromQuantity {
		return fmt.Errorf("subscription %s has %d seats, the request was made on %d: %w",
			src.ID, src.Quantity, op.FromQuantity, csp.ErrConflict)
	}
	if op.Quantity > src.Quantity {
		return refuse(CodeUpgradeQuantity, "subscription %s has %d seats, cannot upgrade %d", src.ID, src.Quantity, op.Quantity)
	}
	return nil
}

// inFlight looks in the source's transition history for this upgrade,
// accepted and not finished: the same upgrade sent before, its answer
// lost or the workflow retrying with its key, whose seats have not moved
// yet. Sending it again would queue a second transition: Microsoft says
// to reset MS-RequestId once a call is answered and does not document
// that Partner Center recognises an answered one. The receipt is the
// history read's, naming the transition for Observe.
func (a *applier) inFlight(ctx context.Context) (csp.Receipt, transition, bool, error) {
	var col collection[transition]
	resp, err := a.c.do(ctx, request{method: http.MethodGet, path: a.path() + "/transitions", log: a.log}, &col)
	if err != nil {
		return csp.Receipt{}, transition{}, false, fmt.Errorf("transition history: %w", err)
	}
	for _, t := range col.Items {
		if transitionOutcome(t.Status) == csp.ObservedPending && a.c.sameUpgrade(a.op, t) {
			rec := resp.receipt(a.c.clock.Now())
			rec.OrderID = t.opID()
			rec.Location = a.path() + "/transitions?operationId=" + url.QueryEscape(rec.OrderID)
			return rec, t, true, nil
		}
	}
	return csp.Receipt{}, transition{}, false, nil
}

// sameUpgrade: t moves op's quantity to op's target offer (and line, when
// op names one).
func (c *Client) sameUpgrade(op csp.Operation, t transition) bool {
	return portal.SameProviderOffer(c.providerOffer(op.TargetOfferID), t.ToCatalogItemID) && t.Quantity == op.Quantity &&
		(t.ToSubscriptionID == op.TargetSubscriptionID || op.TargetSubscriptionID == "")
}

// pickTransition finds the eligible transition to the target offer (and
// line); without one it refuses with Partner Center's reasons.
func (a *applier) pickTransition(ctx context.Context, src csp.Subscription) (Eligibility, error) {
	op := a.op
	es, err := a.c.TransitionEligibilities(ctx, a.customerID, src.ID)
	if err != nil {
		return Eligibility{}, err
	}
	var why []string
	for _, e := range es {
		if e.OfferID != op.TargetOfferID || e.TargetSubscriptionID != op.TargetSubscriptionID {
			continue
		}
		if e.Eligible {
			return e, nil
		}
		why = append(why, e.Reasons...)
	}
	into := "a new line"
	if op.TargetSubscriptionID != "" {
		into = "subscription " + op.TargetSubscriptionID
	}
	reason := "Partner Center lists no such transition"
	if len(why) > 0 {
		reason = "Partner Center says: " + strings.Join(why, "; ")
	}
	return Eligibility{}, refuse(CodeUpgradeNotEligible, "%s cannot be upgraded to %q into %s: %s", src.ID, op.TargetOfferID, into, reason)
}

// sendTransition POSTs the transition, once. The receipt names its
// operation id and where to follow it.
func (a *applier) sendTransition(ctx context.Context, src csp.Subscription, pick Eligibility) (csp.Receipt, csp.Outcome, error) {
	op := a.op
	body := map[string]any{
		"toCatalogItemId": pick.CatalogItemID, "quantity": op.Quantity, "transitionType": pick.TransitionType,
		"termDuration": string(src.Term), "billingCycle": string(src.Billing),
	}
	if op.TargetSubscriptionID != "" {
		body["toSubscriptionId"] = op.TargetSubscriptionID
	}
	var t transition
	resp, err := a.c.do(ctx, request{method: http.MethodPost, path: a.path() + "/transitions", body: body,
		requestID: requestID(op.Key), once: true, log: a.log}, &t)
	rec := resp.receipt(a.c.clock.Now())
	if err != nil {
		return rec, "", err
	}
	rec.OrderID = t.opID()
	if rec.OrderID != "" {
		rec.Location = a.path() + "/transitions?operationId=" + url.QueryEscape(rec.OrderID)
	}
	a.log.InfoContext(ctx, "partner center accepted the transition", "operation_id", rec.OrderID, "status", t.Status)
	return rec, transitionOutcome(t.Status), nil
}

// followTransition reads the operation's status until it ends or the
// polls run out.
func (a *applier) followTransition(ctx context.Context, operationID string, outcome csp.Outcome) csp.Outcome {
	for i := 0; outcome == csp.ObservedPending && operationID != "" && i < a.c.polls; i++ {
		if err := a.c.sleep(ctx, a.c.interval); err != nil {
			break
		}
		got, err := a.c.transitionStatus(ctx, a.customerID, a.op.SubscriptionID, operationID)
		if err != nil {
			a.log.WarnContext(ctx, "could not read the transition's status", "err", err)
			continue
		}
		outcome = transitionOutcome(got.Status)
	}
	return outcome
}

// upgradeResult reads the lines again and reports the outcome: done,
// failed by Partner Center, or left pending.
func (a *applier) upgradeResult(ctx context.Context, src csp.Subscription, rec csp.Receipt, outcome csp.Outcome) (csp.Result, error) {
	after, err := a.c.Subscription(ctx, a.customerID, a.op.SubscriptionID)
	if err != nil {
		after = src
	}
	switch outcome {
	case csp.ObservedDone:
		return csp.Result{Subscription: after, Target: a.readTarget(ctx, a.op.TargetSubscriptionID), Receipt: rec}, nil
	case csp.ObservedNotDone:
		return csp.Result{Subscription: after, Receipt: rec}, refuse(CodePortalRefused, "Partner Center accepted the upgrade of %s and then failed it (operation %s)", src.ID, rec.OrderID)
	}
	a.log.WarnContext(ctx, "transition accepted but not finished; left pending", "operation_id", rec.OrderID)
	return csp.Result{Subscription: after, Receipt: rec, Pending: true}, nil
}

func (a *applier) readTarget(ctx context.Context, id string) *csp.Subscription {
	if id == "" {
		return nil
	}
	t, err := a.c.Subscription(ctx, a.customerID, id)
	if err != nil {
		a.log.WarnContext(ctx, "upgrade target not read", "target_subscription_id", id, "err", err)
		return nil
	}
	return &t
}

// transitionStatus reads one transition by its operation id.
func (c *Client) transitionStatus(ctx context.Context, customerID, subscriptionID, operationID string) (transition, error) {
	var col collection[transition]
	q := url.Values{"operationId": {operationID}}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: subscriptionPath(customerID, subscriptionID) + "/transitions", query: q}, &col); err != nil {
		return transition{}, err
	}
	for _, t := range col.Items {
		if t.opID() == operationID {
			return t, nil
		}
	}
	if len(col.Items) == 1 {
		return col.Items[0], nil
	}
	return transition{}, fmt.Errorf("transition %s: %w", operationID, csp.ErrNotFound)
}

func transitionOutcome(status string) csp.Outcome {
	switch strings.ToLower(status) {
	case "completed", "succeeded", "success":
		return csp.ObservedDone
	case "failed", "cancelled", "canceled":
		return csp.ObservedNotDone
	}
	return csp.ObservedPending
}

// Observe implements csp.Observer without writing: an upgrade by its
// operation id (or, without one, by the subscription's transition
// history since the receipt); any other change by reading the
// subscription.
func (c *Client) Observe(ctx context.Context, customerID string, op csp.Operation, receipt csp.Receipt) (csp.Observation, error) {
	if op.Kind == csp.ChangePurchase {
		return c.ObservePurchase(ctx, customerID, receipt)
	}
	sub, err := c.Subscription(ctx, customerID, op.SubscriptionID)
	if err != nil {
		return csp.Observation{}, err
	}
	obs := csp.Observation{Subscription: &sub}
	refused := receipt.Status >= 400 && receipt.Status < 500 && receipt.Status != http.StatusTooManyRequests
	if op.Kind == csp.ChangeUpgrade {
		return c.observeUpgrade(ctx, customerID, op, receipt, obs, refused)
	}
	done := op.SatisfiedBy(sub)
	if op.Kind == csp.ChangeSetRenewalQuantity {
		done = sub.RenewalQuantity() == op.Quantity
	}
	switch {
	case done:
		obs.Outcome = csp.ObservedDone
	case op.Kind != csp.ChangeCancel || refused:
		// A state write that does not show has not taken effect.
		obs.Outcome = csp.ObservedNotDone
	case sub.CancellationAllowedUntil == nil || !c.clock.Now().Before(*sub.CancellationAllowedUntil):
		obs.Outcome = csp.ObservedNotDone
		obs.Detail = "the cancellation window has closed and the subscription is still " + string(sub.Status)
	default:
		obs.Outcome = csp.ObservedUnknown
		obs.Detail = "the subscription is still " + string(sub.Status) + "; Partner Center's answer to the cancellation was not received"
	}
	return obs, nil
}

func (c *Client) observeUpgrade(ctx context.Context, customerID string, op csp.Operation, receipt csp.Receipt, obs csp.Observation, refused bool) (csp.Observation, error) {
	var t transition
	found := false
	if receipt.OrderID != "" {
		got, err := c.transitionStatus(ctx, customerID, op.SubscriptionID, receipt.OrderID)
		if err != nil && !errors.Is(err, csp.ErrNotFound) {
			return csp.Observation{}, err
		}
		t, found = got, err == nil
	} else {
		var col collection[transition]
		if _, err := c.do(ctx, request{method: http.MethodGet, path: subscriptionPath(customerID, op.SubscriptionID) + "/transitions"}, &col); err != nil {
			return csp.Observation{}, err
		}
		for _, h := range col.Items {
			created, ok := portal.ParseInstant(h.CreationDate)
			if c.sameUpgrade(op, h) && (!ok || receipt.At.IsZero() || !created.Before(receipt.At.Add(-5*time.Minute))) {
				t, found = h, true
				break
			}
		}
	}
	switch {
	case found:
		obs.Outcome = transitionOutcome(t.Status)
		obs.Detail = "transition " + t.opID() + " is " + t.Status
	case refused:
		obs.Outcome = csp.ObservedNotDone
		obs.Detail = fmt.Sprintf("Partner Center refused the transition (HTTP %d)", receipt.Status)
	default:
		obs.Outcome = csp.ObservedUnknown
		obs.Detail = "no transition of this subscription matches the request"
	}
	if obs.Outcome == csp.ObservedDone && op.TargetSubscriptionID != "" {
		if tgt, err := c.Subscription(ctx, customerID, op.TargetSubscriptionID); err == nil {
			obs.Target = &tgt
		}
	}
	return obs, nil
}
