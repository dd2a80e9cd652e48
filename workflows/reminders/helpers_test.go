package reminders

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/catalog"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/workflows"
)

const cust = "contoso"

var (
	alice  = workflows.Person{Email: "alice@contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: cust}
	claire = workflows.Person{Email: "claire@contoso.example", Name: "Claire", Role: rules.RoleLicenceAdmin, CustomerID: cust}
	marc   = workflows.Person{Email: "marc@erp-cloud.example", Name: "Marc", Role: rules.RoleAccountManager, Customers: []string{cust}}
	nina   = workflows.Person{Email: "nina@erp-cloud.example", Name: "Nina", Role: rules.RoleAccountManager, Customers: []string{cust}, Backup: true}
)

func paris(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// fakeProvider is a csp.Provider whose subscriptions a test sets.
type fakeProvider struct {
	mu   sync.Mutex
	cat  *csp.Catalog
	subs map[string]csp.Subscription
	down bool
	// usage is what Usage reports per subscription; nil: the portal
	// cannot tell (summary_test.go).
	usage map[string]int
}

func newFakeProvider(t testing.TB, subs ...csp.Subscription) *fakeProvider {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProvider{cat: cat, subs: map[string]csp.Subscription{}}
	p.set(subs...)
	return p
}

func (p *fakeProvider) set(subs ...csp.Subscription) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range subs {
		p.subs[s.ID] = s.Clone()
	}
}

func (p *fakeProvider) Name() string                                          { return "fake" }
func (p *fakeProvider) Catalog(context.Context, string) (*csp.Catalog, error) { return p.cat, nil }
func (p *fakeProvider) Customers(context.Context) ([]csp.Customer, error)     { return nil, nil }
func (p *fakeProvider) Subscriptions(_ context.Context, _ string) ([]csp.Subscription, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return nil, csp.ErrUnavailable
	}
	out := make([]csp.Subscription, 0, len(p.subs))
	for _, s := range p.subs {
		out = append(out, s.Clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
func (p *fakeProvider) Subscription(ctx context.Context, c, id string) (csp.Subscription, error) {
	subs, err := p.Subscriptions(ctx, c)
	if err != nil {
		return csp.Subscription{}, err
	}
	for _, s := range subs {
		if s.ID == id {
			return s, nil
		}
	}
	return csp.Subscription{}, csp.ErrNotFound
}
func (p *fakeProvider) EligibleUpgrades(context.Context, string, string) ([]csp.UpgradeOption, error) {
	return nil, nil
}
func (p *fakeProvider) Apply(context.Context, string, csp.Operation) (csp.Result, error) {
	return csp.Result{}, errors.New("fake provider: read only")
}

// annual returns an annual subscription whose commitment end date is
// the local day `end` (the term ends at the following midnight), with
// its term-start lot and a 72-hour window.
func annual(id string, end time.Time, qty int) csp.Subscription {
	loc := end.Location()
	y, m, d := end.Date()
	termEnd := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	start := csp.AddMonths(termEnd, -12)
	return csp.Subscription{
		ID: id, CustomerID: cust, OfferID: "m365-apps-business", Name: "Microsoft 365 Apps for business " + id,
		Quantity: qty, Term: csp.TermAnnual, Billing: csp.BillingAnnual, TermStart: start, TermEnd: termEnd,
		AutoRenew: true, Status: csp.StatusActive, UnitPrice: csp.NewMoney(105.60, "EUR"),
		Lots: []csp.SeatLot{{Quantity: qty, PurchasedAt: start, RemovableUntil: start.Add(72 * time.Hour)}},
	}
}

// trial returns a one-month trial ending (commitment end date) on end.
func trial(id string, end time.Time, qty int) csp.Subscription {
	s := annual(id, end, qty)
	s.Term, s.Billing, s.Trial = csp.TermMonthly, csp.BillingMonthly, true
	s.OfferID, s.Name = "m365-business-premium", "Microsoft 365 Business Premium "+id
	s.TermStart = csp.AddMonths(s.TermEnd, -1)
	s.Lots = []csp.SeatLot{{Quantity: qty, PurchasedAt: s.TermStart, RemovableUntil: s.TermEnd}}
	return s
}

// renewed returns s rolled into its next term (as the portal does).
func renewed(s csp.Subscription) csp.Subscription {
	n := s.Clone()
	n.TermStart, n.TermEnd = s.TermEnd, csp.AddMonths(s.TermEnd, s.Term.Months())
	n.Quantity = s.RenewalQuantity()
	n.Renewal, n.Trial = nil, false
	n.Lots = []csp.SeatLot{{Quantity: n.Quantity, PurchasedAt: n.TermStart, RemovableUntil: n.TermStart.Add(72 * time.Hour)}}
	return n
}

// sink is a Sender recording what it is given.
type sink struct {
	mu    sync.Mutex
	items []Item
	fail  int // fail this many sends first
}

func (s *sink) Remind(_ context.Context, it Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("platform down")
	}
	s.items = append(s.items, it)
	return nil
}

func (s *sink) take() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.items
	s.items = nil
	return out
}

func (s *sink) all() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Item(nil), s.items...)
}

// lockedBuffer is a log destination safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type fixture struct {
	clk  *clock.Manual
	st   store.Store
	prov *fakeProvider
	svc  *workflows.Service
	eng  *Engine
	sink *sink
	logs *lockedBuffer
	pol  Policy
}

type fixtureOpt func(*Options)

func boltStore(t testing.TB, clk clock.Clock) store.Store {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newFixture wires an engine on st (bolt when nil) at now, with the
// default policy in Europe/Paris and subs as the portal's state.
func newFixture(t testing.TB, st store.Store, now time.Time, subs []csp.Subscription, opts ...fixtureOpt) *fixture {
	t.Helper()
	loc := paris(t)
	f := &fixture{clk: clock.NewManual(now), prov: newFakeProvider(t, subs...), sink: &sink{}, logs: &lockedBuffer{}}
	if st == nil {
		st = boltStore(t, f.clk)
	}
	f.st = st
	f.pol = DefaultPolicy(loc)
	svc, err := workflows.New(workflows.Options{
		Store: st, Provider: f.prov, Clock: f.clk,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc, nina}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(loc) },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	o := Options{
		Store: st, Provider: f.prov, Service: svc, Clock: f.clk, Sender: f.sink, Customers: []string{cust},
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Policy: func(string) Policy { return f.pol },
	}
	for _, fo := range opts {
		fo(&o)
	}
	f.eng, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetNotifier(f.eng)
	return f
}

func (f *fixture) tick(t testing.TB) Report {
	t.Helper()
	rep, err := f.eng.Tick(context.Background())
	if err != nil {
		t.Fatalf("tick at %s: %v", f.clk.Now(), err)
	}
	return rep
}

// at moves the clock and ticks.
func (f *fixture) at(t testing.TB, now time.Time) []Item {
	t.Helper()
	f.clk.Set(now)
	f.tick(t)
	return f.sink.take()
}

// describe is a compact, sortable form of sent items for assertions:
// "kind/lead:subscription-or-request→recipient".
func describe(items []Item) []string {
	var out []string
	for _, it := range items {
		subj := it.Subscription.ID
		if it.Request.ID != "" {
			subj = it.Request.ID
		}
		k := string(it.Kind)
		if it.LeadDays > 0 {
			k = fmt.Sprintf("%s/%d", k, it.LeadDays)
		}
		out = append(out, k+":"+subj+"→"+strings.SplitN(it.To.Email, "@", 2)[0])
	}
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (p *fakeProvider) Capabilities() csp.Capabilities {
	ops := map[csp.ChangeKind]csp.Delivery{}
	for _, k := range csp.Kinds() {
		ops[k] = csp.DeliveryAbsolute
	}
	return csp.Capabilities{Operations: ops, SettleTime: time.Minute}
}

func (p *fakeProvider) Observe(ctx context.Context, customerID string, op csp.Operation, _ csp.Receipt) (csp.Observation, error) {
	sub, err := p.Subscription(ctx, customerID, op.SubscriptionID)
	if err != nil {
		return csp.Observation{}, err
	}
	if op.SatisfiedBy(sub) {
		return csp.Observation{Outcome: csp.ObservedDone, Subscription: &sub}, nil
	}
	return csp.Observation{Outcome: csp.ObservedNotDone, Subscription: &sub}, nil
}
