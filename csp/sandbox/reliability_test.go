package sandbox

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Harness {
		clk := clock.NewManual(seedTime(t))
		return providertest.Harness{Provider: openAt(t, t.TempDir(), clk), CustomerID: cust, Cancellable: "sub-1", Advance: clk.Advance, PurchaseOffer: "o365-e5"}
	})
}

// With AcceptDelay every write is pending first: the suite's "pending
// then done after the clock moves".
func TestConformanceAcceptDelay(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Harness {
		clk := clock.NewManual(seedTime(t))
		s, err := Open(t.TempDir(), Options{Clock: clk, AcceptDelay: 10 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return providertest.Harness{Provider: s, CustomerID: cust, Cancellable: "sub-1", Advance: clk.Advance, PurchaseOffer: "o365-e5"}
	})
}

// Two sandboxes on one directory, called in turn, must behave as one
// portal: what one writes the other reads, and no change is lost.
func TestConformanceTwoProcessesOneDirectory(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Harness {
		clk := clock.NewManual(seedTime(t))
		dir := t.TempDir()
		return providertest.Harness{Provider: &alternating{ps: [2]*Sandbox{openAt(t, dir, clk), openAt(t, dir, clk)}},
			CustomerID: cust, Cancellable: "sub-1", Advance: clk.Advance, PurchaseOffer: "o365-e5"}
	})
}

// alternating sends each call to the next of two sandboxes.
type alternating struct {
	ps [2]*Sandbox
	n  atomic.Int64
}

func (a *alternating) next() *Sandbox                 { return a.ps[a.n.Add(1)%2] }
func (a *alternating) Name() string                   { return "sandbox" }
func (a *alternating) Capabilities() csp.Capabilities { return a.next().Capabilities() }
func (a *alternating) Catalog(ctx context.Context, customerID string) (*csp.Catalog, error) {
	return a.next().Catalog(ctx, customerID)
}
func (a *alternating) Customers(ctx context.Context) ([]csp.Customer, error) {
	return a.next().Customers(ctx)
}
func (a *alternating) Subscriptions(ctx context.Context, c string) ([]csp.Subscription, error) {
	return a.next().Subscriptions(ctx, c)
}
func (a *alternating) Subscription(ctx context.Context, c, id string) (csp.Subscription, error) {
	return a.next().Subscription(ctx, c, id)
}
func (a *alternating) EligibleUpgrades(ctx context.Context, c, id string) ([]csp.UpgradeOption, error) {
	return a.next().EligibleUpgrades(ctx, c, id)
}
func (a *alternating) Apply(ctx context.Context, c string, op csp.Operation) (csp.Result, error) {
	return a.next().Apply(ctx, c, op)
}
func (a *alternating) Observe(ctx context.Context, c string, op csp.Operation, r csp.Receipt) (csp.Observation, error) {
	return a.next().Observe(ctx, c, op, r)
}
func (a *alternating) Usage(ctx context.Context, c string) ([]csp.Usage, error) {
	return a.next().Usage(ctx, c)
}
func (a *alternating) DelegatedAccess(ctx context.Context, c string) ([]csp.DelegatedRelationship, error) {
	return a.next().DelegatedAccess(ctx, c)
}

// Concurrent upgrades through two sandboxes on one directory: each moves
// its seat once; a lost update would leave too many seats behind.
func TestTwoSandboxesConcurrentWrites(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	dir := t.TempDir()
	ps := []*Sandbox{openAt(t, dir, clk), openAt(t, dir, clk)}
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			op := csp.Operation{Key: providertest.NewKey(), Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3",
				TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4", Quantity: 1}
			if _, err := ps[i%2].Apply(context.Background(), cust, op); err != nil {
				t.Errorf("upgrade %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for _, s := range ps {
		if q := get(t, s, "sub-3").Quantity; q != 25-n {
			t.Errorf("sub-3 has %d seats, want %d", q, 25-n)
		}
		if q := get(t, s, "sub-4").Quantity; q != 5+n {
			t.Errorf("sub-4 has %d seats, want %d", q, 5+n)
		}
	}
}

func TestAcceptDelay(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	s, err := Open(t.TempDir(), Options{Clock: clk, AcceptDelay: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	op := csp.Operation{Key: "k1", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 12}
	res, err := s.Apply(ctx, cust, op)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pending || res.Receipt.Status != 202 || res.Receipt.OrderID == "" || res.Subscription.Quantity != 10 {
		t.Fatalf("accepted write: %+v", res)
	}
	if q := get(t, s, "sub-1").Quantity; q != 10 {
		t.Errorf("visible before the delay: %d seats", q)
	}
	if obs := observe(t, s, op); obs.Outcome != csp.ObservedPending {
		t.Errorf("before the delay: %+v", obs)
	}
	// Sent again with its key while pending: nothing more is queued.
	if res, err := s.Apply(ctx, cust, op); err != nil || !res.Pending {
		t.Errorf("resent while pending: %+v, %v", res, err)
	}
	clk.Advance(9 * time.Minute)
	if q := get(t, s, "sub-1").Quantity; q != 10 {
		t.Errorf("visible after 9 of 10 minutes: %d seats", q)
	}
	clk.Advance(time.Minute)
	if q := get(t, s, "sub-1").Quantity; q != 12 {
		t.Errorf("not visible after the delay: %d seats", q)
	}
	if obs := observe(t, s, op); obs.Outcome != csp.ObservedDone {
		t.Errorf("after the delay: %+v", obs)
	}
	// A refusal is immediate, as on a real portal: nothing is queued.
	_, err = s.Apply(ctx, cust, csp.Operation{Key: "k2", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 12, Quantity: 400})
	assertRefused(t, err, CodeMaxSeats)
}

// An accepted write that can no longer be made when it is due to show is
// observed as not done, with the reason.
func TestAcceptDelayRejected(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	s, err := Open(t.TempDir(), Options{Clock: clk, AcceptDelay: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := csp.Operation{Key: "a", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 12}
	b := csp.Operation{Key: "b", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 11}
	apply(t, s, a)
	clk.Advance(time.Second)
	apply(t, s, b)
	clk.Advance(time.Minute)
	if q := get(t, s, "sub-1").Quantity; q != 12 {
		t.Errorf("sub-1 has %d seats, want 12 (a shown, b refused)", q)
	}
	if obs := observe(t, s, a); obs.Outcome != csp.ObservedDone {
		t.Errorf("a: %+v", obs)
	}
	if obs := observe(t, s, b); obs.Outcome != csp.ObservedNotDone || obs.Detail == "" {
		t.Errorf("b: %+v", obs)
	}
}

func TestFailAfterWrite(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	roll := 0.1
	s, err := Open(t.TempDir(), Options{Clock: clk, FailAfterWrite: 0.5, Rand: func() float64 { return roll }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	op := csp.Operation{Key: "k1", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 12}
	if _, err := s.Apply(ctx, cust, op); !errors.Is(err, csp.ErrUnavailable) {
		t.Fatalf("want an error wrapping csp.ErrUnavailable, got %v", err)
	}
	if q := get(t, s, "sub-1").Quantity; q != 12 {
		t.Errorf("the write did not take effect: %d seats", q)
	}
	if obs := observe(t, s, op); obs.Outcome != csp.ObservedDone {
		t.Errorf("observed %+v", obs)
	}
	// Nothing written, nothing lost: an already applied change answers.
	op.Key = "k2"
	if res, err := s.Apply(ctx, cust, op); err != nil || !res.AlreadyApplied {
		t.Errorf("resent: %+v, %v", res, err)
	}
	roll = 0.9
	op = csp.Operation{Key: "k3", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 12, Quantity: 13}
	if _, err := s.Apply(ctx, cust, op); err != nil {
		t.Errorf("a roll over the probability failed: %v", err)
	}
}

func TestBadReliabilityOptions(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	for _, o := range []Options{
		{Clock: clk, AcceptDelay: -time.Second},
		{Clock: clk, FailAfterWrite: 1.5},
		{Clock: clk, FailAfterWrite: -0.1},
	} {
		if _, err := Open(t.TempDir(), o); err == nil {
			t.Errorf("%+v: want an error", o)
		}
	}
}

// A StateStore that is not a file: the same portal through two
// sandboxes, as cmd does with the bot's store.
func TestCustomStateStore(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	m := &memState{}
	a, err := Open("", Options{Clock: clk, State: m})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open("", Options{Clock: clk, State: m})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, a, csp.Operation{Key: "1", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 12})
	if q := get(t, b, "sub-1").Quantity; q != 12 {
		t.Errorf("b sees %d seats, want 12", q)
	}
	apply(t, b, csp.Operation{Key: "2", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 12, Quantity: 13})
	if q := get(t, a, "sub-1").Quantity; q != 13 {
		t.Errorf("a sees %d seats, want 13", q)
	}
}

type memState struct {
	mu   sync.Mutex
	data []byte
	ver  int64
}

func (m *memState) Load(_ context.Context, have int64) ([]byte, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ver == 0 {
		return nil, 0, ErrNoState
	}
	return append([]byte(nil), m.data...), m.ver, nil
}

func (m *memState) Save(_ context.Context, ver int64, data []byte) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ver != m.ver {
		return 0, ErrStale
	}
	m.data, m.ver = append([]byte(nil), data...), m.ver+1
	return m.ver, nil
}

func observe(t *testing.T, s *Sandbox, op csp.Operation) csp.Observation {
	t.Helper()
	obs, err := s.Observe(context.Background(), cust, op, csp.Receipt{})
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// beforeSave runs hook once, just before the first Save: another process
// writing between this one's load and its save.
type beforeSave struct {
	StateStore
	once sync.Once
	hook func()
}

func (b *beforeSave) Save(ctx context.Context, ver int64, data []byte) (int64, error) {
	b.once.Do(b.hook)
	return b.StateStore.Save(ctx, ver, data)
}

// The write that loses the race on the file is redone from what the
// winner wrote: both changes survive.
func TestFileStateLostRaceIsRedone(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	dir := t.TempDir()
	b := openAt(t, dir, clk)
	racer := &beforeSave{StateStore: NewFileState(filepath.Join(dir, StateFile))}
	a, err := Open(dir, Options{Clock: clk, State: racer})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	racer.hook = func() {
		apply(t, b, csp.Operation{Key: "b", Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", TargetOfferID: "o365-e3", Quantity: 2})
	}
	apply(t, a, csp.Operation{Key: "a", Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4", Quantity: 1})
	for _, s := range []*Sandbox{a, b} {
		if q := get(t, s, "sub-3").Quantity; q != 22 {
			t.Errorf("sub-3 has %d seats, want 22 (both upgrades)", q)
		}
	}
	get(t, a, "sub-8") // b's new line
}

// A purchase whose answer is lost after the order was placed: Observe
// finds the order by its id, and the same order sent again buys nothing
// more.
func TestPurchaseAnswerLost(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	s, err := Open(t.TempDir(), Options{Clock: clk, FailAfterWrite: 1, Rand: func() float64 { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	before, _ := s.Subscriptions(ctx, cust)
	op := csp.Operation{Key: providertest.NewKey(), Kind: csp.ChangePurchase, TargetOfferID: "o365-e5", Quantity: 2,
		Term: csp.TermAnnual, Billing: csp.BillingMonthly}
	if _, err := s.Apply(ctx, cust, op); !errors.Is(err, csp.ErrUnavailable) {
		t.Fatalf("first send: %v, want its answer lost", err)
	}
	obs, err := s.Observe(ctx, cust, op, csp.Receipt{})
	if err != nil || obs.Outcome != csp.ObservedDone || obs.Subscription == nil || obs.Subscription.Quantity != 2 {
		t.Fatalf("observe: %+v %v", obs, err)
	}
	if _, err := s.Apply(ctx, cust, op); err != nil {
		t.Fatalf("sent again: %v", err)
	}
	after, _ := s.Subscriptions(ctx, cust)
	if len(after) != len(before)+1 {
		t.Errorf("%d lines after one order sent twice, had %d", len(after), len(before))
	}
	orders, err := s.Orders(ctx, cust)
	if err != nil || len(orders) != 1 || orders[0].Status != OrderCompleted {
		t.Errorf("orders %+v %v", orders, err)
	}
}
