package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// laggingStore plays a Redis master whose replica stops acknowledging at
// the first durable write (the request's creation before it was
// replicated). From then on document writes land in an overlay — what
// the master alone holds — and durable writes report ErrNotReplicated.
// failover forgets the overlay, as Sentinel promoting the replica does;
// catchUp keeps it, as a replica that was only slow does.
//
// It embeds the store.Store interface, so the backend's batch and
// prefetch paths, which would bypass the overlay, are hidden.
type laggingStore struct {
	store.Store
	mu      sync.Mutex
	lagging bool
	overlay map[store.Ref]store.Document
	// lostInWait: the failover happens during the durable write's wait,
	// which then finds its write gone (as store/redis reports it).
	lostInWait bool
	durable    int // durable writes seen
}

func newLaggingStore(st store.Store) *laggingStore {
	return &laggingStore{Store: st, overlay: map[store.Ref]store.Document{}}
}

func (s *laggingStore) get(ctx context.Context, ref store.Ref) (store.Document, error) {
	if d, ok := s.overlay[ref]; ok {
		return d, nil
	}
	return s.Store.Get(ctx, ref)
}

func (s *laggingStore) Get(ctx context.Context, ref store.Ref) (store.Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(ctx, ref)
}

func (s *laggingStore) Create(ctx context.Context, ref store.Ref, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.lagging {
		return s.Store.Create(ctx, ref, data, audit...)
	}
	if _, err := s.get(ctx, ref); err == nil {
		return store.Document{}, store.ErrExists
	}
	d := store.Document{Ref: ref, Version: 1, Data: data}
	s.overlay[ref] = d
	return d, nil
}

func (s *laggingStore) update(ctx context.Context, ref store.Ref, v int64, data []byte, audit []store.AuditEntry) (store.Document, error) {
	if !s.lagging {
		return s.Store.Update(ctx, ref, v, data, audit...)
	}
	cur, err := s.get(ctx, ref)
	if err != nil {
		return store.Document{}, err
	}
	if cur.Version != v {
		return store.Document{}, store.ErrVersionMismatch
	}
	d := store.Document{Ref: ref, Version: v + 1, Data: data}
	s.overlay[ref] = d
	return d, nil
}

func (s *laggingStore) Update(ctx context.Context, ref store.Ref, v int64, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.update(ctx, ref, v, data, audit)
}

// UpdateReplicated makes the store a store.Replicated, as store/redis is.
func (s *laggingStore) UpdateReplicated(ctx context.Context, ref store.Ref, v int64, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.durable++
	if s.durable == 1 {
		s.lagging = true
	}
	if !s.lagging {
		return s.Store.Update(ctx, ref, v, data, audit...)
	}
	d, err := s.update(ctx, ref, v, data, audit)
	if err != nil {
		return d, err
	}
	if s.lostInWait {
		s.overlay, s.lagging = map[store.Ref]store.Document{}, false
		return store.Document{}, fmt.Errorf("the write was lost at a failover: %w", store.ErrVersionMismatch)
	}
	return d, fmt.Errorf("0 of 1 replicas: %w", store.ErrNotReplicated)
}

func (s *laggingStore) List(ctx context.Context, scope, coll string) ([]store.Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	docs, err := s.Store.List(ctx, scope, coll)
	if err != nil {
		return nil, err
	}
	for ref, d := range s.overlay {
		if ref.Scope != scope || ref.Collection != coll {
			continue
		}
		docs = slices.DeleteFunc(docs, func(x store.Document) bool { return x.Ref.ID == ref.ID })
		docs = append(docs, d)
	}
	slices.SortFunc(docs, func(a, b store.Document) int { return strings.Compare(a.Ref.ID, b.Ref.ID) })
	return docs, nil
}

// failover forgets what only the old master had.
func (s *laggingStore) failover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overlay, s.lagging = map[store.Ref]store.Document{}, false
}

// catchUp: the replica acknowledges again and has everything.
func (s *laggingStore) catchUp(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := context.Background()
	for ref, d := range s.overlay {
		cur, err := s.Store.Get(ctx, ref)
		if errors.Is(err, store.ErrNotFound) {
			if cur, err = s.Store.Create(ctx, ref, d.Data); err != nil {
				t.Fatal(err)
			}
		}
		for cur.Version < d.Version {
			if cur, err = s.Store.Update(ctx, ref, cur.Version, d.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.overlay, s.lagging = map[store.Ref]store.Document{}, false
}

// lagFixture is newFixture with its store lagging and its portal's
// writes counted.
func lagFixture(t *testing.T) (*fixture, *laggingStore, *applyCounter) {
	t.Helper()
	f := newFixture(t)
	ls := newLaggingStore(f.st)
	portal := &applyCounter{Provider: f.sb}
	svc, err := workflows.New(workflows.Options{
		Store: ls, Provider: portal, Clock: f.clock, Notifier: f.rec,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc, nina}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(paris(t)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f, ls, portal
}

// applyCounter counts the portal's writes.
type applyCounter struct {
	csp.Provider
	mu sync.Mutex
	n  int
}

func (p *applyCounter) Apply(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	p.mu.Lock()
	p.n++
	p.mu.Unlock()
	return p.Provider.Apply(ctx, customerID, op)
}

func (p *applyCounter) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// A durable write no replica confirmed never leads to a portal call: the
// failover that follows would forget the request while the portal kept
// its seats (the failover test lost two requests that way). The request
// goes back to where the replica had it, and reconciliation carries it
// out once, from there.
func TestNoPortalCallAfterAWriteAFailoverForgets(t *testing.T) {
	for _, cc := range []struct {
		name   string
		change csp.Change
		effect func(f *fixture) error
	}{
		{"add (absolute)", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 2}, func(f *fixture) error {
			if got := f.sub(t, "sub-1").Quantity; got != 12 {
				return fmt.Errorf("sub-1 has %d seats, want 12", got)
			}
			return nil
		}},
		{"upgrade (send-once)", csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", Quantity: 5, TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4"}, func(f *fixture) error {
			if a, b := f.sub(t, "sub-3").Quantity, f.sub(t, "sub-4").Quantity; a != 20 || b != 10 {
				return fmt.Errorf("E1 %d and E3 %d seats, want 20 and 10", a, b)
			}
			return nil
		}},
	} {
		for _, lost := range []bool{true, false} {
			name := cc.name + map[bool]string{true: ", write forgotten", false: ", replica catches up"}[lost]
			t.Run(name, func(t *testing.T) {
				f, ls, portal := lagFixture(t)
				ctx := context.Background()
				req, err := f.svc.Submit(ctx, claire, "contoso", cc.change, "", "d1")
				if err == nil && req.State == workflows.StatePendingApproval {
					// The creation and the move to pending approval were
					// the first durable write: that one lagged, so make
					// the approval's the one that lags.
					ls.catchUp(t)
					ls.durable = 0
					req, err = f.svc.Approve(ctx, marc, "contoso", req.ID, "")
				}
				if err != nil {
					t.Fatalf("the workflow failed instead of leaving the change to reconciliation: %v", err)
				}
				if req.State != workflows.StateExecuting {
					t.Fatalf("the requester sees %s, want executing (being carried out)", req.State)
				}
				if n := portal.count(); n != 0 {
					t.Fatalf("the portal was called %d times after a write no replica confirmed", n)
				}
				if lost {
					ls.failover()
				} else {
					ls.catchUp(t)
				}
				// Well before the settle time (5 min): a send-once change
				// never sent is not observed until then, it is sent.
				f.clock.Advance(workflows.ReconcileAfter + time.Second)
				if _, err := f.svc.Reconcile(ctx, "contoso"); err != nil {
					t.Fatal(err)
				}
				got, err := f.svc.Get(ctx, "contoso", req.ID)
				if err != nil {
					t.Fatalf("the request is gone after the failover: %v", err)
				}
				if got.State != workflows.StateCompleted {
					t.Fatalf("after reconciliation: %s, want completed", got.State)
				}
				if n := portal.count(); n != 1 {
					t.Errorf("the portal was called %d times, want once", n)
				}
				if err := cc.effect(f); err != nil {
					t.Error(err)
				}
				if reqs, _ := f.svc.List(ctx, "contoso"); len(reqs) != 1 {
					t.Errorf("%d requests, want 1", len(reqs))
				}
			})
		}
	}
}

// A failover that loses the request's creation is noticed by the first
// durable write (store/redis finds its write gone on the new master and
// says ErrVersionMismatch): the request is stored again before anyone
// is told its number, and carried out once.
func TestCreationLostAtAFailoverIsStoredAgain(t *testing.T) {
	f, ls, portal := lagFixture(t)
	ls.lostInWait = true
	// The creation itself lags too: start lagging now.
	ls.lagging, ls.durable = true, 1
	ctx := context.Background()
	req, err := f.svc.Submit(ctx, claire, "contoso", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 2}, "", "d1")
	if err != nil {
		t.Fatal(err)
	}
	if req.State != workflows.StateCompleted {
		t.Fatalf("state %s, want completed", req.State)
	}
	got, err := f.svc.Get(ctx, "contoso", req.ID)
	if err != nil || got.State != workflows.StateCompleted {
		t.Fatalf("the request the requester was given (%s) is %+v %v", req.ID, got.State, err)
	}
	if n := portal.count(); n != 1 {
		t.Errorf("the portal was called %d times, want once", n)
	}
	if q := f.sub(t, "sub-1").Quantity; q != 12 {
		t.Errorf("sub-1 has %d seats, want 12", q)
	}
	if reqs, _ := f.svc.List(ctx, "contoso"); len(reqs) != 1 {
		t.Errorf("%d requests, want 1", len(reqs))
	}
}
