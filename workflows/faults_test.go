package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/store/redis"
	"github.com/licensebot/licensebot/store/redis/redistest"
	"github.com/licensebot/licensebot/workflows"
)

// The fault-injection suite: a request's life is a sequence of steps
// (store writes, the portal call, the notifications). For every kind of
// change and every step k, a process "dies" at step k — that step and
// everything after it fails — and a fresh Service over the same store and
// portal takes over, as a restarted replica would. Whatever k, the change
// reaches the portal exactly once, the request ends completed, and the
// people concerned are told of the outcome.

// changeCase is one kind of change, how to ask for it and how to see it
// done exactly once.
type changeCase struct {
	name      string
	requester workflows.Person
	change    csp.Change
	// effect checks the portal after the change, reporting what is off.
	effect func(subs map[string]csp.Subscription) error
}

func faultCases() []changeCase {
	qty := func(id string, want int) func(map[string]csp.Subscription) error {
		return func(subs map[string]csp.Subscription) error {
			if got := subs[id].Quantity; got != want {
				return fmt.Errorf("%s has %d seats, want %d", id, got, want)
			}
			return nil
		}
	}
	return []changeCase{
		{name: "add", requester: claire, change: csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 2},
			effect: qty("sub-1", 12)},
		{name: "remove", requester: claire, change: csp.Change{Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", Quantity: 1},
			effect: qty("sub-1", 9)},
		{name: "renewal", requester: claire, change: csp.Change{Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "sub-3", Quantity: 20},
			effect: func(subs map[string]csp.Subscription) error {
				if r := subs["sub-3"].Renewal; r == nil || r.Quantity != 20 {
					return fmt.Errorf("sub-3 renewal %+v, want 20 seats", r)
				}
				return nil
			}},
		{name: "auto-renew", requester: claire, change: csp.Change{Kind: csp.ChangeAutoRenewOff, SubscriptionID: "sub-6"},
			effect: func(subs map[string]csp.Subscription) error {
				if subs["sub-6"].AutoRenew {
					return errors.New("sub-6 still renews automatically")
				}
				return nil
			}},
		{name: "upgrade-merge", requester: claire, change: csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", Quantity: 5,
			TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4"},
			effect: func(subs map[string]csp.Subscription) error {
				return errors.Join(qty("sub-3", 20)(subs), qty("sub-4", 10)(subs))
			}},
		{name: "upgrade-new", requester: claire, change: csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", Quantity: 5,
			TargetOfferID: "o365-e5"},
			effect: func(subs map[string]csp.Subscription) error {
				n, seats := 0, 0
				for _, s := range subs {
					if s.OfferID == "o365-e5" {
						n, seats = n+1, seats+s.Quantity
					}
				}
				if n != 1 || seats != 5 {
					return errors.Join(qty("sub-3", 20)(subs), fmt.Errorf("%d E5 lines with %d seats, want one with 5", n, seats))
				}
				return qty("sub-3", 20)(subs)
			}},
		{name: "cancel", requester: claire, change: csp.Change{Kind: csp.ChangeCancel, SubscriptionID: "sub-1"},
			effect: func(subs map[string]csp.Subscription) error {
				if s := subs["sub-1"].Status; s != csp.StatusCancelled {
					return fmt.Errorf("sub-1 is %s, want cancelled", s)
				}
				return nil
			}},
	}
}

// crash makes every call fail from step k on, as if the process had died
// there. Steps are counted across the store's writes, the portal's writes
// and the notifications.
type crash struct {
	mu    sync.Mutex
	k     int // 0: never
	n     int
	steps []string
}

var errDead = errors.New("process died here")

func (c *crash) step(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead() {
		return errDead
	}
	c.n++
	c.steps = append(c.steps, name)
	if c.k > 0 && c.n >= c.k {
		return errDead
	}
	return nil
}

func (c *crash) dead() bool { return c.k > 0 && c.n >= c.k }

func (c *crash) alive() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead() {
		return errDead
	}
	return nil
}

// crashStore fails every call once the process died; writes count as
// steps.
type crashStore struct {
	store.Store
	c *crash
}

func (s *crashStore) Create(ctx context.Context, ref store.Ref, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	if err := s.c.step("store.create"); err != nil {
		return store.Document{}, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return s.Store.Create(ctx, ref, data, audit...)
}

func (s *crashStore) Update(ctx context.Context, ref store.Ref, v int64, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	if err := s.c.step("store.update"); err != nil {
		return store.Document{}, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return s.Store.Update(ctx, ref, v, data, audit...)
}

// UpdateAndClaim is the write that ends a call's work on a request,
// with the outbox's claim (store.ClaimingUpdater, run by the store
// beneath). It is two steps: the process may die before the write, or
// after the write and the claim were made but before it heard so — the
// transition is then committed, untold, and its claim held by a dead
// process.
func (s *crashStore) UpdateAndClaim(ctx context.Context, ref store.Ref, v int64, data []byte, claim string, ttl time.Duration, audit ...store.AuditEntry) (store.Document, bool, error) {
	if err := s.c.step("store.update+claim"); err != nil {
		return store.Document{}, false, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	doc, claimed, err := store.UpdateAndClaim(ctx, s.Store, ref, v, data, claim, ttl, audit...)
	if err := s.c.step("store.update+claim done"); err != nil {
		return store.Document{}, false, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return doc, claimed, err
}

func (s *crashStore) Get(ctx context.Context, ref store.Ref) (store.Document, error) {
	if err := s.c.alive(); err != nil {
		return store.Document{}, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return s.Store.Get(ctx, ref)
}

func (s *crashStore) List(ctx context.Context, scope, coll string) ([]store.Document, error) {
	if err := s.c.alive(); err != nil {
		return nil, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return s.Store.List(ctx, scope, coll)
}

func (s *crashStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := s.c.alive(); err != nil {
		return false, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return s.Store.Claim(ctx, key, ttl)
}

func (s *crashStore) Release(ctx context.Context, key string) error {
	if err := s.c.alive(); err != nil {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return s.Store.Release(ctx, key)
}

// crashProvider counts portal writes as steps; reads fail once dead.
type crashProvider struct {
	csp.Provider
	c *crash
}

func (p *crashProvider) Apply(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	if err := p.c.step("portal.apply"); err != nil {
		return csp.Result{}, fmt.Errorf("%w: %w", csp.ErrUnavailable, err)
	}
	return p.Provider.Apply(ctx, customerID, op)
}

func (p *crashProvider) Subscription(ctx context.Context, customerID, id string) (csp.Subscription, error) {
	if err := p.c.alive(); err != nil {
		return csp.Subscription{}, fmt.Errorf("%w: %w", csp.ErrUnavailable, err)
	}
	return p.Provider.Subscription(ctx, customerID, id)
}

func (p *crashProvider) Subscriptions(ctx context.Context, customerID string) ([]csp.Subscription, error) {
	if err := p.c.alive(); err != nil {
		return nil, fmt.Errorf("%w: %w", csp.ErrUnavailable, err)
	}
	return p.Provider.Subscriptions(ctx, customerID)
}

// told records what each person was told: the states their card showed.
type told struct {
	mu   sync.Mutex
	seen map[string][]workflows.State // "email request" → states told
	c    *crash                       // nil: never dies
}

func (t *told) RequestChanged(_ context.Context, r workflows.Request, pending []workflows.Transition) error {
	if t.c != nil {
		if err := t.c.step("notify"); err != nil {
			return err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, who := range []string{r.Requester, marc.Email} {
		for _, tr := range pending {
			if !strings.EqualFold(tr.ShownTo, who) {
				key := who + " " + r.ID
				t.seen[key] = append(t.seen[key], r.State)
				break
			}
		}
	}
	return nil
}

// faultWorld is one store and one portal, shared by the process that
// dies and the one that takes over.
type faultWorld struct {
	st    store.Store
	sb    *sandbox.Sandbox
	clock *clock.Manual
	// expireClaims lets the claims a dead process held lapse, as time
	// would.
	expireClaims func(t *testing.T)
}

type backend struct {
	name string
	open func(t *testing.T, clk *clock.Manual) (store.Store, func(t *testing.T))
}

func faultBackends(t *testing.T) []backend {
	bbolt := backend{name: "bolt", open: func(t *testing.T, clk *clock.Manual) (store.Store, func(t *testing.T)) {
		st, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		// bbolt's claims expire on the injected clock.
		return st, func(*testing.T) { clk.Advance(10 * time.Minute) }
	}}
	target := redistest.Start(t)
	rds := backend{name: "redis", open: func(t *testing.T, clk *clock.Manual) (store.Store, func(t *testing.T)) {
		st, in := redistestStore(t, target)
		return st, func(t *testing.T) {
			clk.Advance(10 * time.Minute)
			if in.Mini != nil {
				in.Mini.FastForward(10 * time.Minute)
				return
			}
			// A real server's TTLs run on real time: delete the claims,
			// which is what ten minutes would do.
			opts, err := goredis.ParseURL(in.URL)
			if err != nil {
				t.Fatal(err)
			}
			c := goredis.NewClient(opts)
			defer c.Close()
			ctx := context.Background()
			keys, err := c.Keys(ctx, in.Prefix+":claim:*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) > 0 {
				if err := c.Del(ctx, keys...).Err(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}}
	return []backend{bbolt, rds}
}

func newFaultWorld(t *testing.T, b backend) *faultWorld {
	loc := paris(t)
	clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, loc))
	sb, err := sandbox.Open(t.TempDir(), sandbox.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	st, expire := b.open(t, clk)
	return &faultWorld{st: st, sb: sb, clock: clk, expireClaims: expire}
}

func (w *faultWorld) service(t *testing.T, st store.Store, p csp.Provider, n workflows.Notifier) *workflows.Service {
	t.Helper()
	loc := paris(t)
	svc, err := workflows.New(workflows.Options{Store: st, Provider: p, Clock: w.clock, Notifier: n,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc, nina}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(loc) }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func (w *faultWorld) subs(t *testing.T) map[string]csp.Subscription {
	t.Helper()
	list, err := w.sb.Subscriptions(context.Background(), "contoso")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]csp.Subscription{}
	for _, s := range list {
		out[s.ID] = s
	}
	return out
}

// flow is what the people do: ask, and approve when asked to. It returns
// the state the requester's own reply showed ("" when their turn failed).
func flow(ctx context.Context, svc *workflows.Service, cc changeCase) workflows.State {
	req, err := svc.Submit(ctx, cc.requester, "contoso", cc.change, "", "draft-"+cc.name)
	if err != nil {
		return ""
	}
	if req.State == workflows.StatePendingApproval {
		_, _ = svc.Approve(ctx, marc, "contoso", req.ID, "")
	}
	return req.State
}

// settle is the restarted replica: it reconciles until nothing moves,
// and the approver presses Approve again on a card still pending.
func settle(t *testing.T, w *faultWorld, svc *workflows.Service) []workflows.Request {
	t.Helper()
	ctx := context.Background()
	for round := 0; round < 6; round++ {
		w.expireClaims(t)
		if _, err := svc.Reconcile(ctx, "contoso"); err != nil {
			t.Fatalf("reconcile: %v", err)
		}
		reqs, err := svc.List(ctx, "contoso")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reqs {
			if r.State == workflows.StatePendingApproval {
				if _, err := svc.Approve(ctx, marc, "contoso", r.ID, ""); err != nil {
					t.Fatalf("approve %s again: %v", r.ID, err)
				}
			}
		}
	}
	reqs, err := svc.List(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

func TestCrashAtEveryStepChangesThePortalOnce(t *testing.T) {
	for _, b := range faultBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, cc := range faultCases() {
				t.Run(cc.name, func(t *testing.T) {
					// A dry run counts the steps of this change's life.
					dry := newFaultWorld(t, b)
					c0 := &crash{}
					flow(context.Background(), dry.service(t, &crashStore{dry.st, c0}, &crashProvider{dry.sb, c0}, &told{seen: map[string][]workflows.State{}, c: c0}), cc)
					if err := cc.effect(dry.subs(t)); err != nil {
						t.Fatalf("without a crash: %v", err)
					}
					t.Logf("steps: %s", strings.Join(c0.steps, ", "))
					for k := 1; k <= c0.n; k++ {
						t.Run(fmt.Sprintf("die at %d %s", k, c0.steps[k-1]), func(t *testing.T) {
							crashAt(t, b, cc, k)
						})
					}
				})
			}
		})
	}
}

func crashAt(t *testing.T, b backend, cc changeCase, k int) {
	w := newFaultWorld(t, b)
	c := &crash{k: k}
	tl := &told{seen: map[string][]workflows.State{}}
	dying := &told{seen: tl.seen, c: c}
	replied := flow(context.Background(), w.service(t, &crashStore{w.st, c}, &crashProvider{w.sb, c}, dying), cc)

	fresh := w.service(t, w.st, w.sb, tl)
	reqs := settle(t, w, fresh)
	subs := w.subs(t)
	if len(reqs) == 0 {
		// The process died before the request was stored: nothing may
		// have reached the portal.
		if cc.effect(subs) == nil {
			t.Fatal("no request stored, yet the portal changed")
		}
		return
	}
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.State != workflows.StateCompleted {
		t.Fatalf("request %s is %s (history %+v), want completed", r.ID, r.State, r.History)
	}
	if err := cc.effect(subs); err != nil {
		t.Fatalf("portal: %v", err)
	}
	if len(r.Pending()) != 0 {
		t.Fatalf("%d transitions still untold", len(r.Pending()))
	}
	// The requester heard the outcome: in their own turn's reply, or
	// from the outbox (when that turn failed, or someone else's turn or
	// the restarted replica finished it).
	states := tl.seen[r.Requester+" "+r.ID]
	if replied != workflows.StateCompleted && (len(states) == 0 || states[len(states)-1] != workflows.StateCompleted) {
		t.Fatalf("requester's reply showed %q and the outbox told %v; want one of them to say completed", replied, states)
	}
	// Told once: only a process that died after telling and before
	// recording it told (a Notifier bears that twice).
	if !slices.Contains(c.steps[:k-1], "notify") {
		n := 0
		for _, st := range states {
			if st == workflows.StateCompleted {
				n++
			}
		}
		if n > 1 {
			t.Fatalf("the outbox told the requester %v: completed %d times", states, n)
		}
	}
}

// redistestStore opens a Redis store on its own key prefix of target.
func redistestStore(t *testing.T, target *redistest.Target) (store.Store, redistest.Instance) {
	t.Helper()
	in := target.Instance(t)
	opts, err := redis.ParseURL(in.URL)
	if err != nil {
		t.Fatal(err)
	}
	opts.Prefix = in.Prefix
	st, err := redis.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, in
}

// portalFault is a portal that answers as real ones sometimes do.
type portalFault string

const (
	// visibleLater: accepted (202) at once, visible after a few reads.
	visibleLater portalFault = "accepted, visible after 3 reads"
	// neverVisible: accepted (202), never applied.
	neverVisible portalFault = "accepted, never visible"
	// errorAfterWrite: applied, then a 503.
	errorAfterWrite portalFault = "applied, then 503"
	// throttledOnce: 429 with Retry-After on the first call, nothing done.
	throttledOnce portalFault = "429 once"
	// timeoutAfterWrite: applied, then the answer is lost.
	timeoutAfterWrite portalFault = "applied, then a timeout"
)

// faultyPortal wraps the sandbox with one portalFault.
type faultyPortal struct {
	csp.Provider
	fault portalFault
	mu    sync.Mutex
	calls int
	reads int
	held  []heldOp
}

type heldOp struct {
	customer string
	op       csp.Operation
}

func (p *faultyPortal) Apply(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	p.mu.Lock()
	p.calls++
	first := p.calls == 1
	p.mu.Unlock()
	accepted := csp.Result{Pending: true, Receipt: csp.Receipt{Status: 202, CorrelationID: "corr-" + op.Key}}
	switch p.fault {
	case visibleLater, neverVisible:
		p.mu.Lock()
		p.held = append(p.held, heldOp{customerID, op})
		p.mu.Unlock()
		return accepted, nil
	case errorAfterWrite:
		if _, err := p.Provider.Apply(ctx, customerID, op); err != nil {
			return csp.Result{}, err
		}
		return csp.Result{Receipt: csp.Receipt{Status: 503}}, fmt.Errorf("portal answered 503: %w", csp.ErrUnavailable)
	case throttledOnce:
		if first {
			return csp.Result{Receipt: csp.Receipt{Status: 429}}, fmt.Errorf("portal answered 429, retry after 30s: %w", csp.ErrUnavailable)
		}
	case timeoutAfterWrite:
		if _, err := p.Provider.Apply(ctx, customerID, op); err != nil {
			return csp.Result{}, err
		}
		return csp.Result{}, fmt.Errorf("%w: %w", csp.ErrUnavailable, context.DeadlineExceeded)
	}
	return p.Provider.Apply(ctx, customerID, op)
}

// read counts a read and, for visibleLater, lets held writes land on the
// third.
func (p *faultyPortal) read(ctx context.Context) {
	p.mu.Lock()
	p.reads++
	var land []heldOp
	if p.fault == visibleLater && p.reads >= 3 {
		land, p.held = p.held, nil
	}
	p.mu.Unlock()
	for _, h := range land {
		_, _ = p.Provider.Apply(ctx, h.customer, h.op)
	}
}

func (p *faultyPortal) Subscription(ctx context.Context, customerID, id string) (csp.Subscription, error) {
	p.read(ctx)
	return p.Provider.Subscription(ctx, customerID, id)
}

func (p *faultyPortal) Observe(ctx context.Context, customerID string, op csp.Operation, rc csp.Receipt) (csp.Observation, error) {
	p.read(ctx)
	obs, err := p.Provider.Observe(ctx, customerID, op, rc)
	if err != nil || obs.Outcome == csp.ObservedDone {
		return obs, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.held {
		if h.op.Key == op.Key {
			// The portal knows the operation: it is in progress.
			obs.Outcome = csp.ObservedPending
		}
	}
	return obs, nil
}

func TestPortalFaultsNeitherDoubleNorLoseAChange(t *testing.T) {
	faults := []portalFault{visibleLater, neverVisible, errorAfterWrite, throttledOnce, timeoutAfterWrite}
	for _, b := range faultBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, cc := range faultCases() {
				for _, pf := range faults {
					t.Run(cc.name+"/"+string(pf), func(t *testing.T) {
						w := newFaultWorld(t, b)
						tl := &told{seen: map[string][]workflows.State{}}
						portal := &faultyPortal{Provider: w.sb, fault: pf}
						svc := w.service(t, w.st, portal, tl)
						flow(context.Background(), svc, cc)
						reqs := settle(t, w, svc)
						if len(reqs) != 1 {
							t.Fatalf("%d requests, want 1", len(reqs))
						}
						r := reqs[0]
						subs := w.subs(t)
						if pf == neverVisible {
							if r.State != workflows.StateNeedsAttention {
								t.Fatalf("request is %s, want needs_attention", r.State)
							}
							if cc.effect(subs) == nil {
								t.Fatal("the portal shows a change it never applied")
							}
							if states := tl.seen[marc.Email+" "+r.ID]; len(states) == 0 || states[len(states)-1] != workflows.StateNeedsAttention {
								t.Fatalf("the account manager was told %v, want needs_attention last", states)
							}
							return
						}
						if r.State != workflows.StateCompleted {
							t.Fatalf("request is %s (attempts %+v), want completed", r.State, r.Attempts)
						}
						if err := cc.effect(subs); err != nil {
							t.Fatalf("portal: %v", err)
						}
						for i, a := range r.Attempts {
							for _, b := range r.Attempts[:i] {
								if a.Key == b.Key {
									t.Fatalf("operation key %s used twice", a.Key)
								}
							}
						}
					})
				}
			}
		})
	}
}
