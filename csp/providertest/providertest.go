// Package providertest is the conformance suite every csp.Provider
// passes (the sandbox, the CloudCockpit client against its fake, Partner
// Center), like store/storetest for stores. A provider's test calls Run
// with a function that returns a fresh portal holding a customer with
// known subscriptions, and a way to move the portal's clock:
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, func(t *testing.T) providertest.Harness {
//			clk := clock.NewManual(start)
//			p, _ := sandbox.Open(t.TempDir(), sandbox.Options{Clock: clk})
//			t.Cleanup(func() { p.Close() })
//			return providertest.Harness{Provider: p, CustomerID: "contoso",
//				Cancellable: "sub-1", Advance: clk.Advance}
//		})
//	}
//
// What the suite pins down, beyond csp.Provider's comments:
//
//   - Capabilities: SettleTime > 0; every declared kind is a known one
//     with a valid delivery; irreversible kinds (upgrade, cancellation)
//     are send-once.
//   - Reads agree: Subscriptions and Subscription give the same
//     subscription; unknown customers and subscriptions wrap
//     csp.ErrNotFound.
//   - Absolute kinds: the same change applied twice (two attempts, two
//     keys) has one effect, and the second says AlreadyApplied; a stale
//     FromQuantity is csp.ErrConflict and changes nothing.
//   - Send-once kinds: Observe before Apply never says done; after Apply
//     it says done, or pending/unknown until the clock has moved; Apply
//     twice with the same Key moves seats once.
//   - Any write the portal accepted is observed as done, or pending or
//     unknown until it shows, never "not done" within SettleTime.
//   - Refusals (a quantity of 0, a kind the provider does not declare)
//     are *csp.RefusedError and change nothing.
//   - Every write that was sent carries a Receipt with a 2xx status and a
//     correlation id.
//   - Usage and DelegatedAccess read without writing; each either
//     answers (usage of live subscriptions, seats as bought, a
//     measuring time) or says the portal cannot tell
//     (csp.ErrUsageUnsupported, csp.ErrAccessUnsupported).
//   - Purchases (when the harness names an offer to buy): the order's key
//     is its id, so a purchase sent twice with one key — before it
//     completes and after — buys one subscription; Observe follows the
//     order to the new subscription; an aligned purchase ends on the
//     other subscription's end date; a quantity of 0 or an offer the
//     portal does not sell is refused and buys nothing.
//
// The customer must have at least one active, non-trial subscription
// with auto-renew on and an annual term, and, when the provider declares
// upgrades, one with an eligible upgrade. Subtests run in parallel, each
// with its own harness.
package providertest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Harness is one fresh portal for one test.
type Harness struct {
	// Provider under test.
	Provider csp.Provider
	// CustomerID is the customer whose subscriptions the suite changes.
	CustomerID string
	// Cancellable is an active subscription of that customer that the
	// portal lets be cancelled now; "" skips the cancellation checks.
	Cancellable string
	// Advance moves the portal's clock forward by d, so that accepted
	// writes can show (a manual clock's Advance).
	Advance func(d time.Duration)
	// PurchaseOffer is a catalog offer the portal sells the customer
	// with an annual term billed monthly; "" skips the purchase checks.
	PurchaseOffer string
	// ForgetsPurchaseKeys: the portal does not recognise a purchase sent
	// again with its key (Partner Center without MS-RequestId replay),
	// and the client has no order id of its own to look for; the
	// duplicate purchase is not checked. The workflow never sends a
	// purchase twice with one key, so this only matters to a caller
	// that does.
	ForgetsPurchaseKeys bool
}

// Run runs the whole suite. newHarness is called once per subtest with
// that subtest's t, and must register its own cleanup (t.Cleanup).
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	cases := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"Capabilities", testCapabilities},
		{"Reads", testReads},
		{"NotFound", testNotFound},
		{"Absolute/" + string(csp.ChangeAddSeats), absolute(csp.ChangeAddSeats)},
		{"Absolute/" + string(csp.ChangeRemoveSeats), absolute(csp.ChangeRemoveSeats)},
		{"Absolute/" + string(csp.ChangeSetRenewalQuantity), absolute(csp.ChangeSetRenewalQuantity)},
		{"Absolute/" + string(csp.ChangeAutoRenewOff), absolute(csp.ChangeAutoRenewOff)},
		{"Absolute/" + string(csp.ChangeAutoRenewOn), absolute(csp.ChangeAutoRenewOn)},
		{"Absolute/" + string(csp.ChangeAlignEndDate), absolute(csp.ChangeAlignEndDate)},
		{"StaleFromQuantity", testStale},
		{"Refusals", testRefusals},
		{"SendOnce/" + string(csp.ChangeCancel), testCancel},
		{"SendOnce/" + string(csp.ChangeUpgrade), testUpgrade},
		{"SendOnce/UpgradeSameKeyTwice", testUpgradeSameKey},
		{"Usage", testUsage},
		{"DelegatedAccess", testDelegatedAccess},
		{"SendOnce/" + string(csp.ChangePurchase), testPurchase},
		{"SendOnce/PurchaseSameKeyTwice", testPurchaseSameKey},
		{"SendOnce/PurchaseAligned", testPurchaseAligned},
		{"PurchaseRefusals", testPurchaseRefusals},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if h.Provider == nil || h.CustomerID == "" || h.Advance == nil {
				t.Fatal("providertest: the harness needs a Provider, a CustomerID and an Advance")
			}
			c.fn(t, h)
		})
	}
}

// NewKey returns a fresh random operation key (a version 4 UUID), as the
// workflow gives every attempt.
func NewKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func testCapabilities(t *testing.T, h Harness) {
	caps := h.Provider.Capabilities()
	if caps.SettleTime <= 0 {
		t.Errorf("SettleTime %v, want > 0", caps.SettleTime)
	}
	if len(caps.Operations) == 0 {
		t.Error("no operations declared")
	}
	known := map[csp.ChangeKind]bool{}
	for _, k := range csp.Kinds() {
		known[k] = true
	}
	for k, d := range caps.Operations {
		if !known[k] {
			t.Errorf("declared kind %q is not one of csp.Kinds()", k)
		}
		if d != csp.DeliveryAbsolute && d != csp.DeliverySendOnce {
			t.Errorf("kind %s: delivery %q is neither absolute nor send-once", k, d)
		}
		if spec, _ := k.Spec(); spec.Irreversible && d != csp.DeliverySendOnce {
			t.Errorf("kind %s is irreversible but declared %s: it must be sent once", k, d)
		}
	}
	if h.Provider.Name() == "" {
		t.Error("Name is empty")
	}
}

func testReads(t *testing.T, h Harness) {
	ctx := t.Context()
	subs := subscriptions(t, h)
	if len(subs) == 0 {
		t.Fatal("the harness customer has no subscriptions")
	}
	custs, err := h.Provider.Customers(ctx)
	if err != nil {
		t.Fatalf("Customers: %v", err)
	}
	found := false
	for _, c := range custs {
		found = found || c.ID == h.CustomerID
	}
	if !found {
		t.Errorf("Customers does not list %q: %+v", h.CustomerID, custs)
	}
	for _, s := range subs {
		one, err := h.Provider.Subscription(ctx, h.CustomerID, s.ID)
		if err != nil {
			t.Errorf("Subscription(%s): %v", s.ID, err)
			continue
		}
		if a, b := summary(s), summary(one); a != b {
			t.Errorf("Subscriptions and Subscription disagree on %s:\n list %s\n  one %s", s.ID, a, b)
		}
		if s.CustomerID != h.CustomerID {
			t.Errorf("%s: customer %q, want %q", s.ID, s.CustomerID, h.CustomerID)
		}
	}
}

func summary(s csp.Subscription) string {
	return fmt.Sprintf("id=%s offer=%s qty=%d status=%s auto=%t term=%s billing=%s trial=%t end=%s",
		s.ID, s.OfferID, s.Quantity, s.Status, s.AutoRenew, s.Term, s.Billing, s.Trial, s.TermEnd.Format(time.RFC3339))
}

func testNotFound(t *testing.T, h Harness) {
	ctx := t.Context()
	if _, err := h.Provider.Subscription(ctx, h.CustomerID, "no-such-subscription"); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("unknown subscription: %v, want csp.ErrNotFound", err)
	}
	if _, err := h.Provider.Subscriptions(ctx, "no-such-customer"); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("unknown customer: %v, want csp.ErrNotFound", err)
	}
	if !h.Provider.Capabilities().Supports(csp.ChangeAddSeats) {
		return
	}
	_, err := h.Provider.Apply(ctx, h.CustomerID, csp.Operation{Key: NewKey(), Kind: csp.ChangeAddSeats,
		SubscriptionID: "no-such-subscription", FromQuantity: 1, Quantity: 2})
	if !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("Apply on an unknown subscription: %v, want csp.ErrNotFound", err)
	}
}

// absolute checks that kind, when declared absolute, applied twice has
// one effect.
func absolute(kind csp.ChangeKind) func(*testing.T, Harness) {
	return func(t *testing.T, h Harness) {
		caps := h.Provider.Capabilities()
		if caps.DeliveryOf(kind) != csp.DeliveryAbsolute || !caps.Supports(kind) {
			t.Skipf("%s is not an absolute write of %s", kind, h.Provider.Name())
		}
		sub := pick(t, h, func(s csp.Subscription) bool {
			return s.Status == csp.StatusActive && !s.Trial && s.AutoRenew && s.Term.Months() >= 2
		})
		op := prepare(t, h, kind, sub)
		op.Key = NewKey()
		first := apply(t, h, op)
		checkReceipt(t, first)
		obs := settle(t, h, op, first.Receipt)
		after := *obs.Subscription

		again := op
		again.Key = NewKey()
		second := apply(t, h, again)
		if !second.AlreadyApplied {
			t.Errorf("the same %s applied again (new key) was not AlreadyApplied: %+v", kind, second)
		}
		h.Advance(caps.SettleTime)
		now := get(t, h, sub.ID)
		if a, b := summary(after), summary(now); a != b {
			t.Errorf("the second %s changed the subscription:\n after first  %s\n after second %s", kind, a, b)
		}
		if !op.SatisfiedBy(now) {
			t.Errorf("%s is not visible after settling: %s", kind, summary(now))
		}
	}
}

// prepare builds an operation of kind on sub, first making whatever
// earlier change it needs (seats to remove, auto-renew off to turn on).
func prepare(t *testing.T, h Harness, kind csp.ChangeKind, sub csp.Subscription) csp.Operation {
	t.Helper()
	op := csp.Operation{Kind: kind, SubscriptionID: sub.ID, FromQuantity: sub.Quantity}
	switch kind {
	case csp.ChangeAddSeats:
		op.Quantity = sub.Quantity + 1
	case csp.ChangeRemoveSeats:
		// Seats bought now can be removed now.
		add := csp.Operation{Key: NewKey(), Kind: csp.ChangeAddSeats, SubscriptionID: sub.ID, FromQuantity: sub.Quantity, Quantity: sub.Quantity + 1}
		settle(t, h, add, apply(t, h, add).Receipt)
		op.FromQuantity, op.Quantity = sub.Quantity+1, sub.Quantity
	case csp.ChangeSetRenewalQuantity:
		op.Quantity = sub.RenewalQuantity() + 1
	case csp.ChangeAutoRenewOff:
		op.AutoRenew = new(false)
	case csp.ChangeAutoRenewOn:
		off := csp.Operation{Key: NewKey(), Kind: csp.ChangeAutoRenewOff, SubscriptionID: sub.ID, AutoRenew: new(false)}
		settle(t, h, off, apply(t, h, off).Receipt)
		op.AutoRenew = new(true)
	case csp.ChangeAlignEndDate:
		end := sub.TermEnd.AddDate(0, sub.Term.Months()/2, 0)
		op.CustomTermEnd = &end
	}
	return op
}

func testStale(t *testing.T, h Harness) {
	if !h.Provider.Capabilities().Supports(csp.ChangeAddSeats) {
		t.Skip("no add_seats")
	}
	sub := pick(t, h, func(s csp.Subscription) bool { return s.Status == csp.StatusActive && !s.Trial })
	before := subscriptions(t, h)
	op := csp.Operation{Key: NewKey(), Kind: csp.ChangeAddSeats, SubscriptionID: sub.ID,
		FromQuantity: sub.Quantity + 5, Quantity: sub.Quantity + 6}
	_, err := h.Provider.Apply(t.Context(), h.CustomerID, op)
	if !errors.Is(err, csp.ErrConflict) {
		t.Errorf("a change decided on %d seats applied to %d: %v, want csp.ErrConflict", op.FromQuantity, sub.Quantity, err)
	}
	h.Advance(h.Provider.Capabilities().SettleTime)
	sameSubscriptions(t, before, subscriptions(t, h))
}

func testRefusals(t *testing.T, h Harness) {
	ctx := t.Context()
	caps := h.Provider.Capabilities()
	sub := pick(t, h, func(s csp.Subscription) bool { return s.Status == csp.StatusActive && !s.Trial })
	before := subscriptions(t, h)
	if caps.Supports(csp.ChangeAddSeats) {
		_, err := h.Provider.Apply(ctx, h.CustomerID, csp.Operation{Key: NewKey(), Kind: csp.ChangeAddSeats,
			SubscriptionID: sub.ID, FromQuantity: sub.Quantity, Quantity: 0})
		var refused *csp.RefusedError
		if !errors.As(err, &refused) || refused.Code == "" {
			t.Errorf("0 seats: %v, want a *csp.RefusedError with a code", err)
		}
	}
	for _, k := range csp.Kinds() {
		if caps.Supports(k) {
			continue
		}
		op := prepareShape(k, sub)
		_, err := h.Provider.Apply(ctx, h.CustomerID, op)
		var refused *csp.RefusedError
		if !errors.As(err, &refused) {
			t.Errorf("undeclared kind %s: %v, want a *csp.RefusedError", k, err)
		}
	}
	h.Advance(caps.SettleTime)
	sameSubscriptions(t, before, subscriptions(t, h))
}

// prepareShape is a well-formed operation of kind k on sub, for kinds the
// provider must refuse.
func prepareShape(k csp.ChangeKind, sub csp.Subscription) csp.Operation {
	op := csp.Operation{Key: NewKey(), Kind: k, SubscriptionID: sub.ID, FromQuantity: sub.Quantity, Quantity: sub.Quantity + 1}
	switch k {
	case csp.ChangeAutoRenewOff, csp.ChangeAutoRenewOn:
		op.AutoRenew = new(k == csp.ChangeAutoRenewOn)
	case csp.ChangeAlignEndDate:
		end := sub.TermEnd.AddDate(0, 1, 0)
		op.CustomTermEnd = &end
	case csp.ChangeUpgrade:
		op.TargetOfferID, op.Quantity = "some-higher-offer", 1
	case csp.ChangePurchase:
		op.SubscriptionID, op.TargetOfferID, op.Quantity = "", "some-offer", 1
		op.Term, op.Billing = csp.TermAnnual, csp.BillingMonthly
	}
	return op
}

func testCancel(t *testing.T, h Harness) {
	caps := h.Provider.Capabilities()
	if !caps.Supports(csp.ChangeCancel) || h.Cancellable == "" {
		t.Skip("no cancellation to test")
	}
	op := csp.Operation{Key: NewKey(), Kind: csp.ChangeCancel, SubscriptionID: h.Cancellable}
	sendOnce(t, h, op)
	if s := get(t, h, h.Cancellable); s.Status != csp.StatusCancelled {
		t.Errorf("after the cancellation: %s", summary(s))
	}
}

// upgradeOp finds an eligible upgrade and builds it for one seat.
func upgradeOp(t *testing.T, h Harness) (csp.Operation, csp.Subscription) {
	t.Helper()
	if !h.Provider.Capabilities().Supports(csp.ChangeUpgrade) {
		t.Skip("no upgrades")
	}
	for _, s := range subscriptions(t, h) {
		if s.Status != csp.StatusActive || s.Trial || s.Quantity < 2 {
			continue
		}
		opts, err := h.Provider.EligibleUpgrades(t.Context(), h.CustomerID, s.ID)
		if err != nil {
			t.Fatalf("EligibleUpgrades(%s): %v", s.ID, err)
		}
		for _, o := range opts {
			return csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: s.ID, FromQuantity: s.Quantity, Quantity: 1,
				TargetOfferID: o.OfferID, TargetSubscriptionID: o.TargetSubscriptionID}, s
		}
	}
	t.Fatal("the harness customer has no subscription with an eligible upgrade")
	return csp.Operation{}, csp.Subscription{}
}

func testUpgrade(t *testing.T, h Harness) {
	op, src := upgradeOp(t, h)
	op.Key = NewKey()
	target := targetSeats(t, h, op)
	sendOnce(t, h, op)
	if s := get(t, h, src.ID); s.Quantity != src.Quantity-1 {
		t.Errorf("source has %d seats after upgrading 1 of %d", s.Quantity, src.Quantity)
	}
	if got := targetSeats(t, h, op); got != target+1 {
		t.Errorf("target offer has %d seats after upgrading 1 seat into it, had %d", got, target)
	}
}

func testUpgradeSameKey(t *testing.T, h Harness) {
	op, src := upgradeOp(t, h)
	op.Key = NewKey()
	target := targetSeats(t, h, op)
	first := apply(t, h, op)
	second, err := h.Provider.Apply(t.Context(), h.CustomerID, op)
	if err != nil {
		t.Fatalf("the same upgrade (same key) sent again: %v", err)
	}
	_ = second
	settle(t, h, op, first.Receipt)
	// Sent again once it shows, too.
	if _, err := h.Provider.Apply(t.Context(), h.CustomerID, op); err != nil {
		t.Fatalf("the same upgrade (same key) sent after it showed: %v", err)
	}
	// Let anything a second send queued show: time and reads move on.
	for range 12 {
		h.Advance(h.Provider.Capabilities().SettleTime / 4)
		subscriptions(t, h)
	}
	if s := get(t, h, src.ID); s.Quantity != src.Quantity-1 {
		t.Errorf("source has %d seats after one upgrade of 1 seat sent three times with one key, want %d", s.Quantity, src.Quantity-1)
	}
	if got := targetSeats(t, h, op); got != target+1 {
		t.Errorf("target offer has %d seats, want %d", got, target+1)
	}
}

// targetSeats counts the live seats of the upgrade's target offer.
func targetSeats(t *testing.T, h Harness, op csp.Operation) int {
	n := 0
	for _, s := range subscriptions(t, h) {
		if s.OfferID == op.TargetOfferID && s.Status == csp.StatusActive {
			n += s.Quantity
		}
	}
	return n
}

// sendOnce checks the observation contract of a send-once write.
func sendOnce(t *testing.T, h Harness, op csp.Operation) {
	t.Helper()
	if h.Provider.Capabilities().DeliveryOf(op.Kind) != csp.DeliverySendOnce {
		t.Fatalf("%s is not declared send-once", op.Kind)
	}
	obs, err := h.Provider.Observe(t.Context(), h.CustomerID, op, csp.Receipt{})
	if err != nil {
		t.Fatalf("Observe before Apply: %v", err)
	}
	if obs.Outcome == csp.ObservedDone {
		t.Fatalf("Observe before Apply says done: %+v", obs)
	}
	res := apply(t, h, op)
	checkReceipt(t, res)
	settle(t, h, op, res.Receipt)
}

// settle observes op until it is done, moving the clock a quarter of the
// settle time between observations. A write the portal accepted is not
// "not done" before the settle time has passed.
func settle(t *testing.T, h Harness, op csp.Operation, r csp.Receipt) csp.Observation {
	t.Helper()
	step := h.Provider.Capabilities().SettleTime / 4
	var obs csp.Observation
	for i := range 12 {
		var err error
		obs, err = h.Provider.Observe(t.Context(), h.CustomerID, op, r)
		if err != nil {
			t.Fatalf("Observe %s: %v", op.Kind, err)
		}
		switch obs.Outcome {
		case csp.ObservedDone:
			if obs.Subscription == nil {
				t.Fatalf("Observe %s: done without the subscription", op.Kind)
			}
			return obs
		case csp.ObservedNotDone:
			if i >= 4 {
				t.Fatalf("%s not done after the settle time: %+v", op.Kind, obs)
			}
			t.Fatalf("Observe %s after an accepted write says not done: %+v", op.Kind, obs)
		case csp.ObservedPending, csp.ObservedUnknown:
		default:
			t.Fatalf("Observe %s: unknown outcome %q", op.Kind, obs.Outcome)
		}
		h.Advance(step)
	}
	t.Fatalf("%s not done after 3 settle times: %+v", op.Kind, obs)
	return obs
}

func apply(t *testing.T, h Harness, op csp.Operation) csp.Result {
	t.Helper()
	res, err := h.Provider.Apply(t.Context(), h.CustomerID, op)
	if err != nil {
		t.Fatalf("Apply %s on %s: %v", op.Kind, op.SubscriptionID, err)
	}
	return res
}

func checkReceipt(t *testing.T, res csp.Result) {
	t.Helper()
	if res.AlreadyApplied {
		return
	}
	if r := res.Receipt; r.Status < 200 || r.Status > 299 || r.CorrelationID == "" {
		t.Errorf("write sent without a receipt (2xx status, correlation id): %+v", r)
	}
}

func subscriptions(t *testing.T, h Harness) []csp.Subscription {
	t.Helper()
	subs, err := h.Provider.Subscriptions(context.WithoutCancel(t.Context()), h.CustomerID)
	if err != nil {
		t.Fatalf("Subscriptions: %v", err)
	}
	return subs
}

func get(t *testing.T, h Harness, id string) csp.Subscription {
	t.Helper()
	s, err := h.Provider.Subscription(t.Context(), h.CustomerID, id)
	if err != nil {
		t.Fatalf("Subscription(%s): %v", id, err)
	}
	return s
}

func pick(t *testing.T, h Harness, ok func(csp.Subscription) bool) csp.Subscription {
	t.Helper()
	for _, s := range subscriptions(t, h) {
		if ok(s) {
			return s
		}
	}
	t.Fatal("the harness customer has no active, non-trial, annual subscription with auto-renew on")
	return csp.Subscription{}
}

func sameSubscriptions(t *testing.T, before, after []csp.Subscription) {
	t.Helper()
	if reflect.DeepEqual(before, after) {
		return
	}
	for i := range max(len(before), len(after)) {
		var a, b string
		if i < len(before) {
			a = summary(before[i])
		}
		if i < len(after) {
			b = summary(after[i])
		}
		if a != b {
			t.Errorf("changed:\n before %s\n after  %s", a, b)
		}
	}
	if !t.Failed() {
		t.Errorf("subscriptions changed (in fields beyond the summary)")
	}
}

// purchaseOp is a purchase of n seats of the harness's offer, annual and
// billed monthly, with a fresh key.
func purchaseOp(t *testing.T, h Harness, n int) csp.Operation {
	t.Helper()
	if h.PurchaseOffer == "" || !h.Provider.Capabilities().Supports(csp.ChangePurchase) {
		t.Skip("no purchase to test")
	}
	return csp.Operation{Key: NewKey(), Kind: csp.ChangePurchase, TargetOfferID: h.PurchaseOffer, Quantity: n,
		Term: csp.TermAnnual, Billing: csp.BillingMonthly}
}

// newLines returns the subscriptions of after that are not in before.
func newLines(before, after []csp.Subscription) []csp.Subscription {
	known := map[string]bool{}
	for _, s := range before {
		known[s.ID] = true
	}
	var out []csp.Subscription
	for _, s := range after {
		if !known[s.ID] {
			out = append(out, s)
		}
	}
	return out
}

func testPurchase(t *testing.T, h Harness) {
	op := purchaseOp(t, h, 3)
	before := subscriptions(t, h)
	obs, err := h.Provider.Observe(t.Context(), h.CustomerID, op, csp.Receipt{})
	if err != nil {
		t.Fatalf("Observe a purchase before it is sent: %v", err)
	}
	if obs.Outcome == csp.ObservedDone {
		t.Fatalf("Observe a purchase before it is sent says done: %+v", obs)
	}
	res := apply(t, h, op)
	checkReceipt(t, res)
	done := settle(t, h, op, res.Receipt)
	got := *done.Subscription
	if got.OfferID != h.PurchaseOffer || got.Quantity != 3 || got.Term != csp.TermAnnual || got.Billing != csp.BillingMonthly ||
		got.Status != csp.StatusActive || got.CustomerID != h.CustomerID {
		t.Errorf("the observed purchase: %s, want 3 active annual seats of %s billed monthly", summary(got), h.PurchaseOffer)
	}
	lines := newLines(before, subscriptions(t, h))
	if len(lines) != 1 || lines[0].ID != got.ID {
		t.Fatalf("after one purchase the new lines are %d (%+v), want the one observed (%s)", len(lines), lines, got.ID)
	}
	if !lines[0].TermEnd.After(lines[0].TermStart) {
		t.Errorf("the new line's term: %s", summary(lines[0]))
	}
	if op.SatisfiedBy(got) {
		t.Error("a purchase is recognised by its order, never by a subscription alone")
	}
}

func testPurchaseSameKey(t *testing.T, h Harness) {
	op := purchaseOp(t, h, 2)
	if h.ForgetsPurchaseKeys {
		t.Skip("the portal does not recognise a purchase's key")
	}
	before := subscriptions(t, h)
	first := apply(t, h, op)
	if _, err := h.Provider.Apply(t.Context(), h.CustomerID, op); err != nil {
		t.Fatalf("the same purchase (same order id) sent again: %v", err)
	}
	settle(t, h, op, first.Receipt)
	// Sent again once it shows, too: the order is known by its id.
	if _, err := h.Provider.Apply(t.Context(), h.CustomerID, op); err != nil {
		t.Fatalf("the same purchase sent after it completed: %v", err)
	}
	for range 12 {
		h.Advance(h.Provider.Capabilities().SettleTime / 4)
		subscriptions(t, h)
	}
	lines := newLines(before, subscriptions(t, h))
	if len(lines) != 1 || lines[0].Quantity != 2 {
		t.Errorf("one purchase of 2 seats sent three times with one order id made %d new lines: %+v", len(lines), lines)
	}
}

func testPurchaseAligned(t *testing.T, h Harness) {
	op := purchaseOp(t, h, 1)
	if !h.Provider.Capabilities().AlignsPurchases {
		t.Skip("the portal does not align purchases")
	}
	ref := pick(t, h, func(s csp.Subscription) bool {
		return s.Status == csp.StatusActive && !s.Trial && s.AutoRenew && s.Term == csp.TermAnnual
	})
	end := ref.TermEnd
	op.TargetSubscriptionID, op.CustomTermEnd = ref.ID, &end
	res := apply(t, h, op)
	got := *settle(t, h, op, res.Receipt).Subscription
	y1, m1, d1 := got.TermEnd.Date()
	y2, m2, d2 := ref.TermEnd.In(got.TermEnd.Location()).Date()
	if y1 != y2 || m1 != m2 || d1 != d2 {
		t.Errorf("aligned with %s (ends %s), the new line ends %s", ref.ID, ref.TermEnd.Format(time.DateOnly), got.TermEnd.Format(time.DateOnly))
	}
}

func testPurchaseRefusals(t *testing.T, h Harness) {
	op := purchaseOp(t, h, 1)
	before := subscriptions(t, h)
	for name, bad := range map[string]csp.Operation{
		"no seat":     {Key: NewKey(), Kind: csp.ChangePurchase, TargetOfferID: op.TargetOfferID, Quantity: 0, Term: op.Term, Billing: op.Billing},
		"not in sale": {Key: NewKey(), Kind: csp.ChangePurchase, TargetOfferID: "no-such-offer", Quantity: 1, Term: op.Term, Billing: op.Billing},
	} {
		_, err := h.Provider.Apply(t.Context(), h.CustomerID, bad)
		var refused *csp.RefusedError
		if !errors.As(err, &refused) || refused.Code == "" {
			t.Errorf("%s: %v, want a *csp.RefusedError with a code", name, err)
		}
		obs, err := h.Provider.Observe(t.Context(), h.CustomerID, bad, csp.Receipt{})
		if err != nil || obs.Outcome == csp.ObservedDone {
			t.Errorf("%s: observed %+v %v after a refusal", name, obs, err)
		}
	}
	h.Advance(h.Provider.Capabilities().SettleTime)
	sameSubscriptions(t, before, subscriptions(t, h))
}
