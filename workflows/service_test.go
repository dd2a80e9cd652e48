package workflows_test

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
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/telemetry"
	"github.com/licensebot/licensebot/workflows"
)

var (
	alice  = workflows.Person{Email: "alice@contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: "contoso"}
	claire = workflows.Person{Email: "claire@contoso.example", Name: "Claire", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"}
	marc   = workflows.Person{Email: "marc@erp-cloud.example", Name: "Marc", Role: rules.RoleAccountManager, Customers: []string{"contoso"}}
	nina   = workflows.Person{Email: "nina@erp-cloud.example", Name: "Nina", Role: rules.RoleAccountManager, Backup: true}
)

type recorder struct {
	mu  sync.Mutex
	trs []workflows.Transition
}

func (r *recorder) RequestChanged(_ context.Context, _ workflows.Request, pending []workflows.Transition) error {
	r.mu.Lock()
	r.trs = append(r.trs, pending...)
	r.mu.Unlock()
	return nil
}

type fixture struct {
	svc   *workflows.Service
	sb    *sandbox.Sandbox
	st    store.Store
	clock *clock.Manual
	rec   *recorder
}

func paris(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	loc := paris(t)
	clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, loc))
	dir := t.TempDir()
	sb, err := sandbox.Open(dir, sandbox.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(filepath.Join(dir, "db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); sb.Close() })
	rec := &recorder{}
	svc, err := workflows.New(workflows.Options{
		Store: st, Provider: sb, Clock: clk, Notifier: rec,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc, nina}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(loc) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, sb: sb, st: st, clock: clk, rec: rec}
}

func (f *fixture) sub(t *testing.T, id string) csp.Subscription {
	t.Helper()
	s, err := f.sb.Subscription(context.Background(), "contoso", id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAllowedChangeRunsAtOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// 2 Business Standard seats at 11.70 € = 23.40 € a month: under the
	// member limit of 50 €.
	req, err := f.svc.Submit(ctx, alice, "contoso", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 2}, "", "d1")
	if err != nil {
		t.Fatal(err)
	}
	if req.State != workflows.StateCompleted {
		t.Fatalf("state = %s, want completed", req.State)
	}
	if got := f.sub(t, "sub-1").Quantity; got != 12 {
		t.Fatalf("quantity = %d, want 12", got)
	}
	audit, err := f.st.ReadAudit(ctx, "contoso", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action)
	}
	want := []string{"request.submitted", "request.approved", "request.executing", "request.completed"}
	if len(actions) != len(want) {
		t.Fatalf("audit = %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("audit = %v, want %v", actions, want)
		}
	}
}

func TestDoubleConfirmSubmitsOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ch := csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 1}
	if _, err := f.svc.Submit(ctx, alice, "contoso", ch, "", "same"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Submit(ctx, alice, "contoso", ch, "", "same"); !errors.Is(err, workflows.ErrDuplicate) {
		t.Fatalf("second submit: %v, want ErrDuplicate", err)
	}
	if got := f.sub(t, "sub-1").Quantity; got != 11 {
		t.Fatalf("quantity = %d, want 11", got)
	}
}

func TestUpgradeNeedsAccountManagerAndNobodyApprovesOwn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ch := csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", Quantity: 5, TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4"}
	req, err := f.svc.Submit(ctx, marc, "contoso", ch, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if req.State != workflows.StatePendingApproval || req.ApproverRole != rules.RoleAccountManager {
		t.Fatalf("state %s approver %s, want pending_approval by account_manager", req.State, req.ApproverRole)
	}
	if _, err := f.svc.Approve(ctx, marc, "contoso", req.ID, ""); !errors.Is(err, workflows.ErrSelfApproval) {
		t.Fatalf("self approval: %v, want ErrSelfApproval", err)
	}
	if _, err := f.svc.Approve(ctx, claire, "contoso", req.ID, ""); !errors.Is(err, workflows.ErrNotApprover) {
		t.Fatalf("licence admin approving an upgrade: %v, want ErrNotApprover", err)
	}
	if got := f.sub(t, "sub-3").Quantity; got != 25 {
		t.Fatalf("nothing should have run; E1 = %d", got)
	}
	done, err := f.svc.Approve(ctx, nina, "contoso", req.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if done.State != workflows.StateCompleted {
		t.Fatalf("state = %s (%s), want completed", done.State, done.Failure)
	}
	e1, e3 := f.sub(t, "sub-3"), f.sub(t, "sub-4")
	if e1.Quantity != 20 || e3.Quantity != 10 {
		t.Fatalf("E1 %d E3 %d, want 20 and 10", e1.Quantity, e3.Quantity)
	}
}

func TestConcurrentApprovalsExecuteOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ch := csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", Quantity: 5, TargetOfferID: "o365-e3"}
	req, err := f.svc.Submit(ctx, alice, "contoso", ch, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var wins, stale atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(p workflows.Person) {
			defer wg.Done()
			_, err := f.svc.Approve(ctx, p, "contoso", req.ID, "")
			var se *workflows.StateError
			switch {
			case err == nil:
				wins.Add(1)
			case errors.As(err, &se):
				stale.Add(1)
			default:
				t.Error(err)
			}
		}([]workflows.Person{marc, nina}[i%2])
	}
	wg.Wait()
	if wins.Load() != 1 || stale.Load() != 19 {
		t.Fatalf("wins %d stale %d, want 1 and 19", wins.Load(), stale.Load())
	}
	subs, _ := f.sb.Subscriptions(ctx, "contoso")
	lines := 0
	for _, s := range subs {
		if s.OfferID == "o365-e3" && s.ID != "sub-4" {
			lines++
			if s.Quantity != 5 {
				t.Fatalf("new E3 line has %d seats, want 5", s.Quantity)
			}
		}
	}
	if lines != 1 {
		t.Fatalf("%d new E3 lines, want exactly 1", lines)
	}
}

func TestRejectAndWithdraw(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ch := csp.Change{Kind: csp.ChangeAutoRenewOff, SubscriptionID: "sub-5"}
	req, err := f.svc.Submit(ctx, alice, "contoso", ch, "", "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.svc.Reject(ctx, marc, "contoso", req.ID, "we keep the trial")
	if err != nil {
		t.Fatal(err)
	}
	if out.State != workflows.StateRejected || out.Comment != "we keep the trial" || out.Approver != marc.Email {
		t.Fatalf("got %+v", out)
	}
	// A late approve on a rejected request says what happened.
	_, err = f.svc.Approve(ctx, nina, "contoso", req.ID, "")
	var se *workflows.StateError
	if !errors.As(err, &se) || se.Request.State != workflows.StateRejected {
		t.Fatalf("approve after reject: %v", err)
	}
	if !f.sub(t, "sub-5").AutoRenew {
		t.Fatal("auto-renew changed although the request was rejected")
	}
	req2, err := f.svc.Submit(ctx, alice, "contoso", ch, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Withdraw(ctx, claire, "contoso", req2.ID); !errors.Is(err, workflows.ErrNotRequester) {
		t.Fatalf("withdraw by someone else: %v", err)
	}
	w, err := f.svc.Withdraw(ctx, alice, "contoso", req2.ID)
	if err != nil || w.State != workflows.StateWithdrawn {
		t.Fatalf("withdraw: %v %s", err, w.State)
	}
}

func TestApprovalExpiresWhenWindowCloses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Cancelling Business Standard is legal only until its window closes
	// (T0 + 2 days, 00:00 Paris).
	req, err := f.svc.Submit(ctx, alice, "contoso", csp.Change{Kind: csp.ChangeCancel, SubscriptionID: "sub-1"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if req.Deadline.IsZero() {
		t.Fatal("cancel request has no deadline")
	}
	f.clock.Set(req.Deadline.Add(-time.Second))
	if n, err := f.svc.ExpireDue(ctx, "contoso"); err != nil || n != 0 {
		t.Fatalf("expired %d before the deadline (%v)", n, err)
	}
	f.clock.Set(req.Deadline)
	if n, err := f.svc.ExpireDue(ctx, "contoso"); err != nil || n != 1 {
		t.Fatalf("expired %d at the deadline (%v), want 1", n, err)
	}
	got, _ := f.svc.Get(ctx, "contoso", req.ID)
	if got.State != workflows.StateExpired {
		t.Fatalf("state %s, want expired", got.State)
	}
	if _, err := f.svc.Approve(ctx, marc, "contoso", req.ID, ""); err == nil {
		t.Fatal("approving an expired request succeeded")
	}
	if f.sub(t, "sub-1").Status != csp.StatusActive {
		t.Fatal("subscription changed")
	}
}

// failingProvider applies nothing: it simulates a crash between the
// portal write and the state change, or an outage.
type failingProvider struct {
	csp.Provider
	fail atomic.Bool
}

func (p *failingProvider) Apply(ctx context.Context, c string, op csp.Operation) (csp.Result, error) {
	if p.fail.Load() {
		return csp.Result{}, csp.ErrUnavailable
	}
	return p.Provider.Apply(ctx, c, op)
}

func TestReconcileFinishesExecutingRequests(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fp := &failingProvider{Provider: f.sb}
	fp.fail.Store(true)
	loc := paris(t)
	svc, _ := workflows.New(workflows.Options{
		Store: f.st, Provider: fp, Clock: f.clock,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(loc) },
	})
	// The portal does not answer: whether the write landed is unknown, so
	// the request stays executing (its card says "being carried out"),
	// never "nothing was changed".
	req, err := svc.Submit(ctx, claire, "contoso", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 3}, "", "")
	if err != nil || req.State != workflows.StateExecuting {
		t.Fatalf("submit during outage: %v %s, want the request left executing", err, req.State)
	}
	reqs, _ := svc.List(ctx, "contoso")
	if len(reqs) != 1 || reqs[0].State != workflows.StateExecuting {
		t.Fatalf("requests %+v, want one executing", reqs)
	}
	fp.fail.Store(false)
	// Too fresh to take over: another replica may still be running it.
	if n, _ := svc.Reconcile(ctx, "contoso"); n != 0 {
		t.Fatalf("reconciled %d requests younger than ReconcileAfter", n)
	}
	f.clock.Advance(workflows.ReconcileAfter)
	// Apply twice by hand first: reconciliation must recognise the change
	// as done rather than add 3 more.
	if _, err := f.sb.Apply(ctx, "contoso", reqs[0].Operation); err != nil {
		t.Fatal(err)
	}
	n, err := svc.Reconcile(ctx, "contoso")
	if err != nil || n != 1 {
		t.Fatalf("reconciled %d (%v), want 1", n, err)
	}
	got, _ := svc.Get(ctx, "contoso", reqs[0].ID)
	if got.State != workflows.StateCompleted {
		t.Fatalf("state %s, want completed", got.State)
	}
	if q := f.sub(t, "sub-1").Quantity; q != 13 {
		t.Fatalf("quantity %d, want 13 (not 16)", q)
	}
}

func TestRefusedChangeStoresNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// E1's removal window closed long ago.
	_, err := f.svc.Submit(ctx, claire, "contoso", csp.Change{Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-3", Quantity: 2}, "", "")
	var re *workflows.RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("submit: %v, want RefusedError", err)
	}
	reqs, _ := f.svc.List(ctx, "contoso")
	if len(reqs) != 0 {
		t.Fatalf("%d requests stored for a refused change", len(reqs))
	}
	if f.sub(t, "sub-3").Quantity != 25 {
		t.Fatal("quantity changed")
	}
}

// Two members each ask for +3 seats on the same line: both would be fixed
// as "5 → 8", and the second would look already applied once the first
// ran. The second is refused until the first is done.
func TestSecondOpenSeatChangeOnALineIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	add := csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-4", Quantity: 3}
	r1, err := f.svc.Submit(ctx, alice, "contoso", add, "", "a")
	if err != nil || r1.State != workflows.StatePendingApproval {
		t.Fatalf("first: %v %s", err, r1.State)
	}
	_, err = f.svc.Submit(ctx, alice, "contoso", add, "", "b")
	var open *workflows.OpenRequestError
	if !errors.As(err, &open) || open.Request.ID != r1.ID {
		t.Fatalf("second: %v, want OpenRequestError naming %s", err, r1.ID)
	}
	if _, err := f.svc.Approve(ctx, claire, "contoso", r1.ID, ""); err != nil {
		t.Fatal(err)
	}
	r2, err := f.svc.Submit(ctx, alice, "contoso", add, "", "c")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Approve(ctx, claire, "contoso", r2.ID, ""); err != nil {
		t.Fatal(err)
	}
	if q := f.sub(t, "sub-4").Quantity; q != 11 {
		t.Fatalf("E3 has %d seats, want 11", q)
	}
}

// flakyProvider fails the next N subscription reads.
type flakyProvider struct {
	csp.Provider
	failReads atomic.Int32
}

func (p *flakyProvider) Subscriptions(ctx context.Context, c string) ([]csp.Subscription, error) {
	if p.failReads.Add(-1) >= 0 {
		return nil, csp.ErrUnavailable
	}
	return p.Provider.Subscriptions(ctx, c)
}

// A confirmation that failed on a portal blip can be confirmed again: the
// draft is not taken by a request that was never stored.
func TestDraftStaysConfirmableAfterABlip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fp := &flakyProvider{Provider: f.sb}
	svc, _ := workflows.New(workflows.Options{Store: f.st, Provider: fp, Clock: f.clock,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(paris(t)) }})
	fp.failReads.Store(1)
	ch := csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 1}
	if _, err := svc.Submit(ctx, alice, "contoso", ch, "", "d1"); !errors.Is(err, csp.ErrUnavailable) {
		t.Fatalf("during the blip: %v", err)
	}
	req, err := svc.Submit(ctx, alice, "contoso", ch, "", "d1")
	if err != nil || req.State != workflows.StateCompleted {
		t.Fatalf("confirm again: %v %s, want completed", err, req.State)
	}
	if q := f.sub(t, "sub-1").Quantity; q != 11 {
		t.Fatalf("quantity %d, want 11", q)
	}
}

// blipStore fails the approved → executing write once.
type blipStore struct {
	store.Store
	failNext atomic.Bool
}

func (b *blipStore) Update(ctx context.Context, ref store.Ref, v int64, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	if len(audit) > 0 && audit[0].Action == "request.executing" && b.failNext.CompareAndSwap(true, false) {
		return store.Document{}, store.ErrUnavailable
	}
	return b.Store.Update(ctx, ref, v, data, audit...)
}

// A store blip right after an approval leaves the request approved; the
// next reconciliation runs it rather than leaving it approved for ever.
func TestApprovedButNotStartedIsReconciled(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bs := &blipStore{Store: f.st}
	svc, _ := workflows.New(workflows.Options{Store: bs, Provider: f.sb, Clock: f.clock,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(paris(t)) }})
	req, err := svc.Submit(ctx, alice, "contoso", csp.Change{Kind: csp.ChangeAutoRenewOff, SubscriptionID: "sub-2"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	bs.failNext.Store(true)
	if _, err := svc.Approve(ctx, marc, "contoso", req.ID, ""); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("approve during the blip: %v", err)
	}
	if got, _ := svc.Get(ctx, "contoso", req.ID); got.State != workflows.StateApproved {
		t.Fatalf("state %s, want approved", got.State)
	}
	f.clock.Advance(workflows.ReconcileAfter)
	if n, err := svc.Reconcile(ctx, "contoso"); err != nil || n != 1 {
		t.Fatalf("reconciled %d (%v), want 1", n, err)
	}
	if f.sub(t, "sub-2").AutoRenew {
		t.Fatal("auto-renew still on: the approved request never ran")
	}
}

// An upgrade whose answer was lost after the portal applied it is
// recognised as done by its key, not failed because the source is now
// cancelled.
func TestReconciledUpgradeThatLandedCompletes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fp := &failingProvider{Provider: f.sb}
	svc, _ := workflows.New(workflows.Options{Store: f.st, Provider: fp, Clock: f.clock,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(paris(t)) }})
	req, err := svc.Submit(ctx, alice, "contoso", csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", TargetOfferID: "o365-e3"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	fp.fail.Store(true)
	if got, err := svc.Approve(ctx, marc, "contoso", req.ID, ""); err != nil || got.State != workflows.StateExecuting {
		t.Fatalf("approve during the outage: %v %s", err, got.State)
	}
	fp.fail.Store(false)
	r, _ := svc.Get(ctx, "contoso", req.ID)
	if _, err := f.sb.Apply(ctx, "contoso", r.Operation); err != nil { // it did land
		t.Fatal(err)
	}
	f.clock.Advance(workflows.ReconcileAfter)
	if _, err := svc.Reconcile(ctx, "contoso"); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.Get(ctx, "contoso", req.ID)
	if got.State != workflows.StateCompleted {
		t.Fatalf("state %s (failure %q), want completed", got.State, got.Failure)
	}
}

// slowProvider takes longer to apply than the caller's turn allows.
type slowProvider struct{ csp.Provider }

func (p slowProvider) Apply(ctx context.Context, c string, op csp.Operation) (csp.Result, error) {
	time.Sleep(80 * time.Millisecond)
	if err := ctx.Err(); err != nil {
		return csp.Result{}, err
	}
	return p.Provider.Apply(ctx, c, op)
}

// Execution is detached from the caller's deadline: an approval pressed
// on a platform that gives a turn only seconds still completes.
func TestExecutionOutlivesTheTurnDeadline(t *testing.T) {
	f := newFixture(t)
	svc, _ := workflows.New(workflows.Options{Store: f.st, Provider: slowProvider{f.sb}, Clock: f.clock,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(paris(t)) }})
	req, err := svc.Submit(context.Background(), alice, "contoso", csp.Change{Kind: csp.ChangeAutoRenewOff, SubscriptionID: "sub-2"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	got, err := svc.Approve(ctx, marc, "contoso", req.ID, "")
	if err != nil || got.State != workflows.StateCompleted {
		t.Fatalf("approve under a short deadline: %v %s, want completed", err, got.State)
	}
}

// pendingProvider accepts writes asynchronously: Apply says Pending and
// the change shows only later.
type pendingProvider struct {
	csp.Provider
	pending atomic.Bool
}

func (p *pendingProvider) Apply(ctx context.Context, c string, op csp.Operation) (csp.Result, error) {
	if p.pending.Load() {
		return csp.Result{Pending: true}, nil
	}
	return p.Provider.Apply(ctx, c, op)
}

// A write the portal accepted but has not applied yet is not reported
// done: it stays executing until reconciliation sees it.
func TestPendingWriteIsNotReportedDone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pp := &pendingProvider{Provider: f.sb}
	pp.pending.Store(true)
	svc, _ := workflows.New(workflows.Options{Store: f.st, Provider: pp, Clock: f.clock,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(paris(t)) }})
	req, err := svc.Submit(ctx, claire, "contoso", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 1}, "", "")
	if err != nil || req.State != workflows.StateExecuting {
		t.Fatalf("submit: %v %s, want executing", err, req.State)
	}
	// The portal applies it in its own time.
	if _, err := f.sb.Apply(ctx, "contoso", req.Operation); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(workflows.ReconcileAfter)
	if _, err := svc.Reconcile(ctx, "contoso"); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Get(ctx, "contoso", req.ID); got.State != workflows.StateCompleted {
		t.Fatalf("state %s, want completed once visible", got.State)
	}
}

// noRenewalQuantity is a portal without renewal quantities (CloudCockpit).
type noRenewalQuantity struct{ csp.Provider }

func (p noRenewalQuantity) Capabilities() csp.Capabilities {
	c := p.Provider.Capabilities()
	ops := map[csp.ChangeKind]csp.Delivery{}
	for k, d := range c.Operations {
		if k != csp.ChangeSetRenewalQuantity {
			ops[k] = d
		}
	}
	c.Operations = ops
	return c
}

// What the portal cannot do is refused before anyone approves it, even
// when the provider is wrapped (serve instruments it with metrics): the
// wrapper used to hide an optional interface, so the change went through
// approval and failed at execution.
func TestUnsupportedChangeIsRefusedUpFront(t *testing.T) {
	f := newFixture(t)
	wrapped := telemetry.InstrumentProvider(noRenewalQuantity{f.sb}, telemetry.New(), f.clock)
	svc, _ := workflows.New(workflows.Options{Store: f.st, Provider: wrapped, Clock: f.clock,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(paris(t)) }})
	_, err := svc.Submit(context.Background(), claire, "contoso", csp.Change{Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "sub-3", Quantity: 20}, "", "")
	var re *workflows.RefusedError
	if !errors.As(err, &re) || re.Evaluation.Decision.Reason != workflows.ReasonNotSupportedByPortal {
		t.Fatalf("err = %v, want a refusal not_supported_by_portal", err)
	}
	if _, err := svc.Submit(context.Background(), claire, "contoso", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 1}, "", ""); err != nil {
		t.Fatalf("a supported change: %v", err)
	}
}
