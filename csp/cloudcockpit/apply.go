package cloudcockpit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

func refuse(code, format string, args ...any) error {
	return &csp.RefusedError{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Apply performs op with absolute semantics, like the sandbox: it reads
// the subscription, answers AlreadyApplied when the target is already
// there, refuses a quantity change decided on another quantity with a
// wrapped csp.ErrConflict, and otherwise writes the absolute value:
//
//   - add_seats, remove_seats, auto_renew_on/off, align_end_date: PATCH
//     with the documented whole body (name, quantity,
//     nextBillingFrequency, autoRenewEnabled, autoRenewSettings) as just
//     read, the one value changed
//   - cancel: DELETE, sent once
//   - upgrade: POST …/upgrade with the matching eligible transition and
//     the quantity, sent once
//   - set_renewal_quantity: refused, CodeNotSupported (no API field)
//
// A send-once call carries the operation key (as a UUID) in
// X-Correlation-Id, which the portal writes into its audit log; before
// sending, Apply looks the key up there and does not send again what the
// portal already has. The portal accepts writes asynchronously; Apply
// re-reads the subscription until the target shows and returns
// Result.Pending (and no error) when it has not shown within the poll
// timeout. Every write sent returns the portal's Receipt.
func (c *Client) Apply(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	if err := op.CheckApply("cloudcockpit"); err != nil {
		return csp.Result{}, err
	}
	if op.Kind == csp.ChangePurchase {
		res, err := c.purchase(ctx, customerID, op)
		var refused *csp.RefusedError
		if err != nil && !errors.As(err, &refused) {
			err = fmt.Errorf("cloudcockpit: purchase of %s: %w", op.TargetOfferID, err)
		}
		return res, err
	}
	if op.Kind == csp.ChangeSetRenewalQuantity {
		return csp.Result{}, refuse(CodeNotSupported,
			"CloudCockpit's API cannot schedule a renewal quantity (its autoRenewSettings have only term, billing frequency and end date); "+
				"set it in the portal (Manage Renewal Settings), or remove seats within the window after the renewal")
	}
	a := applier{c: c, customerID: customerID, op: op,
		log: c.log.With("customer_id", customerID, "subscription_id", op.SubscriptionID, "operation", string(op.Kind), "key", op.Key)}
	res, err := a.apply(ctx)
	return res, op.ApplyError("cloudcockpit", err)
}

// applier applies one operation.
type applier struct {
	c          *Client
	customerID string
	op         csp.Operation
	log        *slog.Logger

	wire subscription // as read before the write
	sub  csp.Subscription
}

func (a *applier) apply(ctx context.Context) (csp.Result, error) {
	w, err := a.c.getSubscription(ctx, a.customerID, a.op.SubscriptionID)
	if err != nil {
		return csp.Result{}, err
	}
	a.wire, a.sub = w, a.c.toSubscription(ctx, a.customerID, w)
	switch a.op.Kind {
	case csp.ChangeAddSeats, csp.ChangeRemoveSeats:
		return a.setQuantity(ctx)
	case csp.ChangeAutoRenewOn, csp.ChangeAutoRenewOff:
		return a.setAutoRenew(ctx)
	case csp.ChangeCancel:
		return a.cancel(ctx)
	case csp.ChangeAlignEndDate:
		return a.alignEndDate(ctx)
	case csp.ChangeUpgrade:
		return a.upgrade(ctx)
	}
	return csp.Result{}, fmt.Errorf("operation: unknown kind %q", a.op.Kind)
}

func (a *applier) already(ctx context.Context) (csp.Result, error) {
	a.log.InfoContext(ctx, "already applied, nothing sent")
	return csp.Result{Subscription: a.sub, AlreadyApplied: true}, nil
}

func (a *applier) requireActive() error {
	if a.sub.Status != csp.StatusActive {
		return refuse(CodeNotActive, "subscription %s is %s", a.sub.ID, a.sub.Status)
	}
	return nil
}

func (a *applier) path() string { return subscriptionPath(a.customerID, a.op.SubscriptionID) }

func (a *applier) setQuantity(ctx context.Context) (csp.Result, error) {
	if err := a.requireActive(); err != nil {
		return csp.Result{}, err
	}
	if a.sub.Quantity == a.op.Quantity {
		return a.already(ctx)
	}
	if a.sub.Quantity != a.op.FromQuantity {
		return csp.Result{}, fmt.Errorf("subscription %s has %d seats, the request was made on %d: %w",
			a.sub.ID, a.sub.Quantity, a.op.FromQuantity, csp.ErrConflict)
	}
	if a.op.Kind == csp.ChangeAddSeats && a.op.Quantity < a.sub.Quantity {
		return csp.Result{}, refuse(CodeNotAnIncrease, "subscription %s has %d seats; %d is a removal", a.sub.ID, a.sub.Quantity, a.op.Quantity)
	}
	if a.op.Kind == csp.ChangeRemoveSeats && a.op.Quantity > a.sub.Quantity {
		return csp.Result{}, refuse(CodeNotADecrease, "subscription %s has %d seats; %d is an addition", a.sub.ID, a.sub.Quantity, a.op.Quantity)
	}
	want := a.op.Quantity
	body := a.patch()
	body.Quantity = want
	return a.write(ctx, request{method: http.MethodPatch, path: a.path(), body: body},
		func(s csp.Subscription) bool { return s.Quantity == want })
}

// patch is the whole PATCH body as just read: the caller changes one
// value. The portal requires every top-level field and refuses others.
func (a *applier) patch() patchBody {
	w := a.wire
	b := patchBody{
		Quantity:             w.Quantity,
		NextBillingFrequency: enumObj{Name: portal.FirstNonEmpty(w.NextBillingFrequency.Name, w.BillingFrequency.Name)},
		AutoRenewEnabled:     a.sub.AutoRenew,
	}
	if name := portal.FirstNonEmpty(w.Name, w.SubscriptionName); name != "" {
		b.Name = &name
	}
	term, billing := w.TermDuration.Name, w.BillingFrequency.Name
	var end *string
	if rs := w.AutoRenewSettings; rs != nil {
		term = portal.FirstNonEmpty(rs.Term.Name, term)
		billing = portal.FirstNonEmpty(rs.BillingFrequency.Name, billing)
		if d, ok := dateTime(rs.CustomTermEndDate); ok {
			end = &d
		}
	}
	// term and billingFrequency are required inside the settings: with
	// either unknown the settings are left out rather than invented.
	if term != "" && billing != "" {
		b.AutoRenewSettings = &patchSettings{Term: enumObj{term}, BillingFrequency: enumObj{billing}, CustomTermEndDate: end}
	}
	return b
}

// dateTime writes a calendar date the portal gave (a date or a
// date-time) as the date-time the PATCH body documents, keeping the date
// as written.
func dateTime(v string) (string, bool) {
	if len(v) < len(time.DateOnly) {
		return "", false
	}
	d, err := time.Parse(time.DateOnly, v[:len(time.DateOnly)])
	if err != nil {
		return "", false
	}
	return d.Format(time.DateOnly) + "T00:00:00Z", true
}

func (a *applier) setAutoRenew(ctx context.Context) (csp.Result, error) {
	if err := a.requireActive(); err != nil {
		return csp.Result{}, err
	}
	on := *a.op.AutoRenew
	if a.sub.AutoRenew == on {
		return a.already(ctx)
	}
	body := a.patch()
	body.AutoRenewEnabled = on
	return a.write(ctx, request{method: http.MethodPatch, path: a.path(), body: body},
		func(s csp.Subscription) bool { return s.AutoRenew == on })
}

func (a *applier) cancel(ctx context.Context) (csp.Result, error) {
	if a.sub.Status == csp.StatusCancelled {
		return a.already(ctx)
	}
	if err := a.requireActive(); err != nil {
		return csp.Result{}, err
	}
	cancelled := func(s csp.Subscription) bool { return s.Status == csp.StatusCancelled }
	if res, sent := a.sentBefore(ctx, cancelled); sent {
		return res, nil
	}
	return a.write(ctx, request{method: http.MethodDelete, path: a.path(), once: true, cid: KeyCorrelationID(a.op.Key)}, cancelled)
}

func (a *applier) alignEndDate(ctx context.Context) (csp.Result, error) {
	if err := a.requireActive(); err != nil {
		return csp.Result{}, err
	}
	want := csp.StartOfDay(*a.op.CustomTermEnd, a.c.locOf(a.customerID))
	sameEnd := func(s csp.Subscription) bool {
		return s.Renewal != nil && s.Renewal.CustomTermEnd != nil && s.Renewal.CustomTermEnd.Equal(want)
	}
	if sameEnd(a.sub) {
		return a.already(ctx)
	}
	if !a.sub.AutoRenew {
		return csp.Result{}, refuse(CodeAutoRenewOff, "subscription %s does not renew; turn auto-renew on to align its end date", a.sub.ID)
	}
	body := a.patch()
	if body.AutoRenewSettings == nil {
		return csp.Result{}, refuse(CodePortalRefused, "subscription %s: the portal gave no term and billing frequency to renew with", a.sub.ID)
	}
	end := lastDay(want, a.c.locOf(a.customerID)) + "T00:00:00Z"
	body.AutoRenewSettings.CustomTermEndDate = &end
	return a.write(ctx, request{method: http.MethodPatch, path: a.path(), body: body}, sameEnd)
}

func (a *applier) upgrade(ctx context.Context) (csp.Result, error) {
	op, src := a.op, a.sub
	// The source already has the seats the upgrade leaves it: taken as
	// done (see docs/CLOUDCOCKPIT.md for when that guess is wrong).
	if op.FromQuantity > 0 && src.Quantity == op.FromQuantity-op.Quantity {
		res, _ := a.already(ctx)
		res.Target = a.readTarget(ctx)
		return res, nil
	}
	if err := a.requireActive(); err != nil {
		return csp.Result{}, err
	}
	if op.FromQuantity > 0 && src.Quantity != op.FromQuantity {
		return csp.Result{}, fmt.Errorf("subscription %s has %d seats, the request was made on %d: %w",
			src.ID, src.Quantity, op.FromQuantity, csp.ErrConflict)
	}
	if op.Quantity > src.Quantity {
		return csp.Result{}, refuse(CodeUpgradeQuantity, "subscription %s has %d seats, cannot upgrade %d", src.ID, src.Quantity, op.Quantity)
	}
	pick, err := a.transition(ctx)
	if err != nil {
		return csp.Result{}, err
	}
	left := src.Quantity - op.Quantity
	moved := func(s csp.Subscription) bool {
		return s.Quantity == left || (left == 0 && s.Status != csp.StatusActive)
	}
	if res, sent := a.sentBefore(ctx, moved); sent {
		return res, nil
	}
	body := make(map[string]json.RawMessage, len(pick.raw)+1)
	for k, v := range pick.raw {
		body[k] = v
	}
	body["quantity"] = json.RawMessage(fmt.Sprint(op.Quantity))
	res, err := a.write(ctx, request{method: http.MethodPost, path: a.path() + "/upgrade", body: body, once: true,
		cid: KeyCorrelationID(op.Key)}, moved)
	if err != nil {
		return res, err
	}
	res.Target = a.readTarget(ctx)
	return res, nil
}

// transition finds the eligible transition the operation names.
func (a *applier) transition(ctx context.Context) (*transition, error) {
	op := a.op
	ts, err := a.c.transitions(ctx, a.customerID, a.sub.ID)
	if err != nil {
		return nil, fmt.Errorf("eligible transitions: %w", err)
	}
	var eligible []string
	for i, t := range ts {
		if a.c.matchesOffer(op.TargetOfferID, t.OfferID, t.ProviderOfferID, t.OfferName) && t.DestinationSubscriptionID == op.TargetSubscriptionID {
			return &ts[i], nil
		}
		into := "a new line"
		if t.DestinationSubscriptionID != "" {
			into = t.DestinationSubscriptionID
		}
		eligible = append(eligible, fmt.Sprintf("%s into %s", portal.FirstNonEmpty(t.OfferName, t.OfferID), into))
	}
	into := "a new line"
	if op.TargetSubscriptionID != "" {
		into = "subscription " + op.TargetSubscriptionID
	}
	return nil, refuse(CodeUpgradeNotEligible, "the portal offers no upgrade of %s to %q into %s (eligible: %s)",
		a.sub.ID, op.TargetOfferID, into, orNone(eligible))
}

// sentBefore looks the operation's key up in the portal's audit log: a
// send-once call that the portal already received (processing or
// succeeded) is not sent again, whoever sent it. A failed lookup is
// logged and the call goes ahead: the workflow sends each key once, so
// this guards retries, not the normal path.
func (a *applier) sentBefore(ctx context.Context, done func(csp.Subscription) bool) (csp.Result, bool) {
	cid := KeyCorrelationID(a.op.Key)
	e, found, err := a.c.auditFor(ctx, cid, a.c.clock.Now().Add(-auditLookback))
	if err != nil {
		a.log.WarnContext(ctx, "audit log not read; sending", "err", err)
		return csp.Result{}, false
	}
	if !found || strings.EqualFold(e.Status.Name, auditFailed) {
		return csp.Result{}, false
	}
	a.log.InfoContext(ctx, "the portal already has this operation; not sent again", "correlation_id", cid, "status", e.Status.Name)
	res := csp.Result{Subscription: a.sub, Pending: !done(a.sub),
		Receipt: csp.Receipt{Status: http.StatusAccepted, CorrelationID: cid, At: a.c.clock.Now()}}
	return res, true
}

// readTarget reads the upgrade's merge target, if any, for the result.
func (a *applier) readTarget(ctx context.Context) *csp.Subscription {
	if a.op.TargetSubscriptionID == "" {
		return nil
	}
	t, err := a.c.Subscription(ctx, a.customerID, a.op.TargetSubscriptionID)
	if err != nil {
		a.log.WarnContext(ctx, "upgrade target not read", "target_subscription_id", a.op.TargetSubscriptionID, "err", err)
		return nil
	}
	return &t
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// write sends r and confirms it by re-reading the subscription until done
// reports the target: at once, then every poll interval up to the poll
// timeout. Once the portal has accepted the write, a failed or cancelled
// confirmation is not an error: the result is Pending and the workflow
// observes the portal again later.
func (a *applier) write(ctx context.Context, r request, done func(csp.Subscription) bool) (csp.Result, error) {
	r.log = a.log
	resp, err := a.c.do(ctx, r, nil)
	if err != nil {
		return csp.Result{}, err
	}
	receipt := a.c.receipt(resp)
	a.log.InfoContext(ctx, "cloudcockpit accepted the write", "status", resp.status, "method", r.method,
		"correlation_id", receipt.CorrelationID, "location", receipt.Location)
	last := a.sub
	for i := 0; i <= a.c.polls; i++ {
		if i > 0 {
			if err := a.c.sleep(ctx, a.c.interval); err != nil {
				break
			}
		}
		s, err := a.c.Subscription(ctx, a.customerID, a.op.SubscriptionID)
		if errors.Is(err, csp.ErrNotFound) && r.method == http.MethodDelete {
			// A cancelled subscription the portal no longer shows.
			s, err = a.sub, nil
			s.Status = csp.StatusCancelled
			s.CancellationAllowedUntil = nil
		}
		if err != nil {
			a.log.WarnContext(ctx, "could not re-read the subscription to confirm the write", "err", err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		last = s
		if done(s) {
			a.log.InfoContext(ctx, "write confirmed", "reads", i+1)
			return csp.Result{Subscription: s, Receipt: receipt}, nil
		}
	}
	a.log.WarnContext(ctx, "write accepted but not visible yet; left pending")
	return csp.Result{Subscription: last, Pending: true, Receipt: receipt}, nil
}

// receipt records the portal's answer: status, the correlation id sent
// (or the one the portal echoes), Location, and an order or operation id
// if the body names one.
func (c *Client) receipt(resp response) csp.Receipt {
	r := csp.Receipt{Status: resp.status, CorrelationID: resp.cid, Location: resp.header.Get("Location"), At: c.clock.Now()}
	var body struct {
		ID            string `json:"id"`
		OrderID       string `json:"orderId"`
		OperationID   string `json:"operationId"`
		CorrelationID string `json:"correlationId"`
	}
	if json.Unmarshal(resp.body, &body) == nil {
		r.OrderID = portal.FirstNonEmpty(body.OrderID, body.OperationID, body.ID)
		r.CorrelationID = portal.FirstNonEmpty(r.CorrelationID, body.CorrelationID)
	}
	return r
}
