package failovertest_test

import (
	"context"

	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/redis"
	"github.com/licensebot/licensebot/store/redis/redistest"
	"github.com/licensebot/licensebot/workflows"
)

var (
	alice = workflows.Person{Email: "alice@contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: "contoso"}
	marc  = workflows.Person{Email: "marc@erp-cloud.example", Name: "Marc", Role: rules.RoleAccountManager, Customers: []string{"contoso"}}
)

const customer = "contoso"

// Where the flows change seats: Business Standard gains seats (a member
// may add them at once), E1 seats are upgraded into the E3 line (the
// account manager approves; a send-once write the portal de-duplicates by
// its operation key).
var (
	addSeats = func(n int) csp.Change {
		return csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: n}
	}
	upgradeOne = csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", Quantity: 1, TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4"}
)

// pausingPortal holds one armed Apply, before or after the portal's
// write, until the test has killed the master there.
type pausingPortal struct {
	csp.Provider
	mu      sync.Mutex
	at      string // "before", "after" or "" (not armed)
	reached chan struct{}
	release chan struct{}
}

func (p *pausingPortal) arm(at string) (reached, release chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.at, p.reached, p.release = at, make(chan struct{}), make(chan struct{})
	return p.reached, p.release
}

func (p *pausingPortal) Apply(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	p.mu.Lock()
	at, reached, release := p.at, p.reached, p.release
	p.at = ""
	p.mu.Unlock()
	hold := func() {
		close(reached)
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	if at == "before" {
		hold()
	}
	res, err := p.Provider.Apply(ctx, customerID, op)
	if at == "after" {
		hold()
	}
	return res, err
}

// ledger remembers which flow each request id was given to.
type ledger struct {
	mu  sync.Mutex
	ids map[string]string // request id -> flow token (its justification)
	t   *testing.T
}

func (l *ledger) record(id, token string) {
	if id == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, ok := l.ids[id]; ok && prev != token {
		l.t.Errorf("request id %s was given to flow %s and again to flow %s", id, prev, token)
		return
	}
	l.ids[id] = token
}

type harness struct {
	t      *testing.T
	tp     *topology
	prefix string
	clk    *clock.Manual
	portal *pausingPortal
	ledger *ledger
	teller *teller
	rng    *rand.Rand
	flows  int
}

// teller records what the requester was told of each request: the states
// the outbox told her, and the state her own turn's reply showed.
type teller struct {
	mu      sync.Mutex
	told    map[string][]workflows.State
	replied map[string]workflows.State
}

func (tl *teller) RequestChanged(_ context.Context, r workflows.Request, pending []workflows.Transition) error {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, tr := range pending {
		if !strings.EqualFold(tr.ShownTo, r.Requester) {
			tl.told[r.ID] = append(tl.told[r.ID], tr.To)
		}
	}
	return nil
}

func (tl *teller) reply(r workflows.Request) {
	if r.ID == "" {
		return
	}
	tl.mu.Lock()
	tl.replied[r.ID] = r.State
	tl.mu.Unlock()
}

// truthful checks what the requester heard: a completed request was said
// completed (in her reply or by the outbox); one that is not completed
// was never said to be.
func (tl *teller) truthful(t *testing.T, reqs []workflows.Request) {
	t.Helper()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, r := range reqs {
		saidDone := tl.replied[r.ID] == workflows.StateCompleted
		for _, s := range tl.told[r.ID] {
			saidDone = saidDone || s == workflows.StateCompleted
		}
		switch {
		case r.State == workflows.StateCompleted && !saidDone:
			t.Errorf("request %s completed, but the requester was never told (told %v, replied %q)", r.ID, tl.told[r.ID], tl.replied[r.ID])
		case r.State != workflows.StateCompleted && saidDone:
			t.Errorf("request %s is %s, but the requester was told it was done", r.ID, r.State)
		}
	}
}

// open connects a store through the bot's Sentinel settings, the way
// `licensebot serve` does (redis.OptionsFrom, redis.New).
func (h *harness) open() *redis.Store {
	h.t.Helper()
	opts, err := redis.OptionsFrom(redis.Settings{MasterName: masterName, SentinelAddrs: h.tp.sentinelAddrs(), Prefix: h.prefix})
	if err != nil {
		h.t.Fatal(err)
	}
	s, err := redis.New(opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = s.Close() })
	return s
}

func (h *harness) service(st store.Store) *workflows.Service {
	h.t.Helper()
	loc, _ := time.LoadLocation("Europe/Paris")
	svc, err := workflows.New(workflows.Options{
		Store: st, Provider: h.portal, Clock: h.clk, Notifier: h.teller,
		Directory: workflows.NewDirectory([]workflows.Person{alice, marc}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(loc) },
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return svc
}

// flow runs one request as people would: alice asks, and marc approves
// when approval is needed. Errors are expected around a kill; what
// happened is judged at the end from the portal and the store.
func (h *harness) flow(ctx context.Context, svc *workflows.Service) error {
	token, change := h.next()
	return h.run(ctx, svc, token, change)
}

// next draws the next flow; it runs on the test's goroutine, so the
// seeded sequence does not depend on scheduling.
func (h *harness) next() (string, csp.Change) {
	h.flows++
	token := fmt.Sprintf("flow-%d", h.flows)
	change := addSeats(1 + h.rng.IntN(3))
	if h.rng.IntN(3) == 0 {
		change = upgradeOne
	}
	return token, change
}

func (h *harness) run(ctx context.Context, svc *workflows.Service, token string, change csp.Change) error {
	req, err := svc.Submit(ctx, alice, customer, change, token, token)
	h.ledger.record(req.ID, token)
	if err == nil {
		h.teller.reply(req) // her own turn's reply shows this state
	}
	if err != nil || req.State != workflows.StatePendingApproval {
		return err
	}
	req, err = svc.Approve(ctx, marc, customer, req.ID, "")
	h.ledger.record(req.ID, token)
	return err
}

// settle plays a freshly started replica: a new store connection and a
// new Service on the same portal, reconciling (and marc pressing approve
// again where his press was lost) until no request is left working.
func (h *harness) settle(ctx context.Context) []workflows.Request {
	h.t.Helper()
	svc := h.service(h.open())
	var reqs []workflows.Request
	var open []string
	for range 40 {
		h.clk.Advance(workflows.ReconcileAfter + 30*time.Second)
		if _, err := svc.Reconcile(ctx, customer); err != nil {
			h.t.Logf("reconcile: %v", err)
		}
		var err error
		reqs, err = svc.List(ctx, customer)
		if err != nil {
			h.t.Logf("list: %v", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		open = open[:0]
		for _, r := range reqs {
			switch {
			case r.State.Final(), r.State == workflows.StateNeedsAttention:
			case r.State == workflows.StatePendingApproval:
				open = append(open, r.ID+" "+string(r.State))
				if _, err := svc.Approve(ctx, marc, customer, r.ID, ""); err != nil {
					h.t.Logf("approve %s again: %v", r.ID, err)
				}
			default:
				open = append(open, r.ID+" "+string(r.State))
			}
		}
		if len(open) == 0 {
			return reqs
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("requests still working after 40 reconciliations: %v", open)
	return nil
}

// killDuring runs one flow in the background and kills the master at the
// chosen moment: just before the portal write (the request is executing
// in the store), just after it (not yet recorded), or after a random
// delay. The paused write is released right after the kill or only once
// the replica is promoted.
func (h *harness) killDuring(ctx context.Context, svc *workflows.Service, at string) {
	h.t.Helper()
	var reached, release chan struct{}
	if at != "random" {
		reached, release = h.portal.arm(at)
	}
	token, change := h.next()
	delay := time.Duration(h.rng.IntN(40)) * time.Millisecond
	early := h.rng.IntN(2) == 0
	done := make(chan error, 1)
	go func() { done <- h.run(ctx, svc, token, change) }()
	var flowErr error
	finished := false
	switch at {
	case "random":
		time.Sleep(delay)
	default:
		// Only an add reaches the portal from Submit; an upgrade does
		// from Approve. Either way the flow must get there.
		select {
		case <-reached:
		case flowErr = <-done:
			finished = true
			h.portal.arm("") // disarm
			h.t.Logf("flow %d ended before the portal write (%v); killing anyway", h.flows, flowErr)
		case <-time.After(30 * time.Second):
			h.t.Fatalf("flow %d did not reach the portal write within 30s", h.flows)
		}
	}
	took := h.tp.killMaster(h.t, func() {
		if release != nil && early {
			close(release)
		}
	})
	if release != nil && !early {
		close(release)
	}
	h.t.Logf("killed the master %s the portal write; promotion took %s; paused write released %s",
		map[string]string{"before": "just before", "after": "just after", "random": "at a random moment around"}[at],
		took.Round(10*time.Millisecond), map[bool]string{true: "at once", false: "after the promotion"}[early])
	if !finished {
		select {
		case flowErr = <-done:
		case <-time.After(60 * time.Second):
			h.t.Fatalf("flow %d still running 60s after the kill", h.flows)
		}
	}
	if flowErr != nil {
		h.t.Logf("flow %d: %v", h.flows, flowErr)
	}
}

func TestRequestFlowsSurviveFailovers(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		if redistest.Required() {
			t.Fatal("failover test: no redis-server on PATH, and CI=true (or REQUIRE_REDIS=1) requires it")
		}
		t.Skip("failover test: no redis-server on PATH")
	}
	seed := uint64(18)
	if s, err := strconv.ParseUint(os.Getenv("FAILOVER_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (FAILOVER_SEED=%d reproduces it)", seed, seed)
	start := time.Now()
	tp := startTopology(t)
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, loc))
	sb, err := sandbox.Open(t.TempDir(), sandbox.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	h := &harness{t: t, tp: tp, prefix: redistest.Prefix(), clk: clk, portal: &pausingPortal{Provider: sb},
		ledger: &ledger{ids: map[string]string{}, t: t},
		teller: &teller{told: map[string][]workflows.State{}, replied: map[string]workflows.State{}}, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	ctx := t.Context()
	base := quantities(t, sb)

	svc := h.service(h.open())
	moments := []string{"before", "after", "random", "before", "random", "before"}
	for round, at := range moments {
		for range 1 + h.rng.IntN(3) {
			if err := h.flow(ctx, svc); err != nil {
				t.Logf("flow %d with the master up: %v", h.flows, err)
			}
		}
		h.killDuring(ctx, svc, at)
		reqs := h.settle(ctx)
		check(t, fmt.Sprintf("after failover %d", round+1), base, quantities(t, sb), reqs, h.ledger)
		if t.Failed() {
			return
		}
	}
	// Work goes on as usual on the last master.
	for range 3 {
		if err := h.flow(ctx, svc); err != nil {
			t.Errorf("flow %d after the last failover: %v", h.flows, err)
		}
	}
	reqs := h.settle(ctx)
	check(t, "at the end", base, quantities(t, sb), reqs, h.ledger)
	h.teller.truthful(t, reqs)
	completed := 0
	for _, r := range reqs {
		if r.State == workflows.StateCompleted {
			completed++
		}
	}
	if completed < len(moments) {
		t.Errorf("only %d of %d flows completed: the test did not exercise the workflow", completed, h.flows)
	}
	t.Logf("%d flows, %d requests completed, %d failovers, %s", h.flows, completed, len(moments), time.Since(start).Round(time.Second))
}

type seats struct{ standard, e1, e3 int }

func quantities(t *testing.T, p csp.Provider) seats {
	t.Helper()
	q := func(id string) int {
		s, err := p.Subscription(context.Background(), customer, id)
		if err != nil {
			t.Fatalf("portal: %v", err)
		}
		return s.Quantity
	}
	return seats{standard: q("sub-1"), e1: q("sub-3"), e3: q("sub-4")}
}

// check compares the portal with the requests: every completed request's
// change is there exactly once, nothing else is (a needs_attention
// request may or may not have landed: that is what it says), no request
// is left working, and no operation key or request id serves two flows.
func check(t *testing.T, when string, base, now seats, reqs []workflows.Request, l *ledger) {
	t.Helper()
	var added, upgraded int
	var unsureAdds []int
	unsureUpgrades := 0
	keys := map[string]string{}
	seen := map[string]bool{}
	for _, r := range reqs {
		seen[r.ID] = true
		switch {
		case r.State == workflows.StateCompleted && r.Change.Kind == csp.ChangeAddSeats:
			added += r.Change.Quantity
		case r.State == workflows.StateCompleted && r.Change.Kind == csp.ChangeUpgrade:
			upgraded += r.Change.Quantity
		case r.State == workflows.StateNeedsAttention && r.Change.Kind == csp.ChangeAddSeats:
			unsureAdds = append(unsureAdds, r.Change.Quantity)
		case r.State == workflows.StateNeedsAttention:
			unsureUpgrades += r.Change.Quantity
		case !r.State.Final():
			t.Errorf("%s: request %s left %s", when, r.ID, r.State)
		}
		l.mu.Lock()
		token, ok := l.ids[r.ID]
		l.mu.Unlock()
		if ok && token != r.Justification {
			t.Errorf("%s: request %s holds %s's request, but was given to %s", when, r.ID, r.Justification, token)
		}
		for _, a := range r.Attempts {
			if other, ok := keys[a.Key]; ok && other != r.ID {
				t.Errorf("%s: operation key %q sent for %s and for %s", when, a.Key, other, r.ID)
			}
			keys[a.Key] = r.ID
		}
	}
	l.mu.Lock()
	for id, token := range l.ids {
		if !seen[id] {
			t.Errorf("%s: request %s (%s) was lost", when, id, token)
		}
	}
	l.mu.Unlock()

	extraAdds := now.standard - base.standard - added
	if !subsetSum(unsureAdds, extraAdds) {
		t.Errorf("%s: Business Standard has %d seats: %d at the start + %d by completed requests, off by %d (needs_attention adds: %v)",
			when, now.standard, base.standard, added, extraAdds, unsureAdds)
	}
	extraUp := base.e1 - now.e1 - upgraded
	if extraUp < 0 || extraUp > unsureUpgrades {
		t.Errorf("%s: E1 has %d seats: %d at the start - %d upgraded by completed requests, off by %d (needs_attention upgrades: %d)",
			when, now.e1, base.e1, upgraded, -extraUp, unsureUpgrades)
	}
	if now.e3-base.e3 != base.e1-now.e1 {
		t.Errorf("%s: E3 gained %d seats while E1 lost %d", when, now.e3-base.e3, base.e1-now.e1)
	}
	if t.Failed() {
		var lines []string
		for _, r := range slices.Backward(reqs) {
			lines = append(lines, fmt.Sprintf("%s %s %s %+d %s attempts=%d", r.ID, r.Justification, r.Change.Kind, r.Change.Quantity, r.State, len(r.Attempts)))
		}
		t.Logf("requests:\n%s", strings.Join(lines, "\n"))
	}
}

// subsetSum reports whether some of xs add up to want.
func subsetSum(xs []int, want int) bool {
	if want == 0 {
		return true
	}
	if want < 0 || len(xs) == 0 {
		return false
	}
	return subsetSum(xs[1:], want-xs[0]) || subsetSum(xs[1:], want)
}
