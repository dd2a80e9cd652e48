// Package sandbox is an embedded, simulated reseller licence portal: a
// csp.Provider with one demo customer (Contoso SAS) whose subscriptions are
// seeded relative to the clock, persisted in a StateStore (a locked JSON
// file by default, or the bot's store so that every replica sees one
// portal), and rolled over to the clock's time before every call, so that
// a demo or a test can move time forward and watch terms renew, trials
// convert and windows close.
//
// The sandbox enforces the portal's hard rules itself (active status,
// minimum quantity, seat caps, removal and cancellation windows, upgrade
// paths and merge targets) and answers with *csp.RefusedError, so a caller
// that skipped the rules package still cannot do what Microsoft would not
// accept. Writes are absolute and idempotent like every csp.Provider.
//
// New subscriptions are bought as orders whose id is the operation key
// (orders.go), provisioned at once or after AcceptDelay.
//
// It can also behave like a slow portal (Options.AcceptDelay: a write is
// accepted at once and shows later) and like a flaky one
// (Options.FailAfterWrite: a write takes effect but the call reports an
// error), so that what the bot does then can be watched and tested.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"
	_ "time/tzdata" // the default zone must load on hosts without tzdata

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/catalog"
)

// StateFile is the name of the state file inside the sandbox directory.
const StateFile = "sandbox.json"

// Defaults for Options.
const (
	DefaultRemovalWindow = 72 * time.Hour
	DefaultLocation      = "Europe/Paris"
)

// Options configure a Sandbox. Clock is required.
type Options struct {
	Clock clock.Clock
	// Catalog defaults to catalog.Default().
	Catalog *csp.Catalog
	// RemovalWindow is how long after a purchase its seats can be removed
	// and the subscription cancelled (72h per the guide, 168h per
	// Microsoft since March 2022). Default 72h.
	RemovalWindow time.Duration
	// Location is the demo customer's time zone; term dates are local
	// midnights in it. Default Europe/Paris.
	Location *time.Location
	// Logger defaults to a logger that discards everything.
	Logger *slog.Logger
	// AcceptDelay, when positive, makes every write that the portal
	// would make be accepted at once (Result.Pending, receipt status
	// 202) and become visible only once the clock has moved this far;
	// Observe says pending until then. Zero: writes show at once.
	AcceptDelay time.Duration
	// FailAfterWrite is the probability (0 to 1) that a write takes
	// effect but the call returns an error wrapping csp.ErrUnavailable,
	// as when a portal's answer is lost after the change was made.
	FailAfterWrite float64
	// Rand returns numbers in [0, 1) for FailAfterWrite; tests inject a
	// deterministic one. Default: math/rand/v2's Float64.
	Rand func() float64
	// State keeps the portal's state; default a FileState on
	// dir/sandbox.json, locked so that processes sharing the directory
	// see one portal.
	State StateStore
}

// Sandbox is the simulated portal. It is safe for concurrent use.
type Sandbox struct {
	store  StateStore
	where  string // the store, for error messages
	clock  clock.Clock
	cat    *csp.Catalog
	window time.Duration
	loc    *time.Location
	log    *slog.Logger
	delay  time.Duration
	failP  float64
	rand   func() float64

	// mu guards st, ver and closed. Every call, reads included, loads
	// what another process may have written and may roll terms over and
	// write, so there is no read lock.
	mu     sync.Mutex
	st     *state
	ver    int64 // the store's version of st; 0 when it holds nothing
	closed bool
}

var _ csp.Provider = (*Sandbox)(nil)

// Open loads the sandbox state from opts.State, by default the file
// dir/sandbox.json, or seeds the demo customer relative to the clock when
// nothing is stored yet. dir is not used when opts.State is set.
func Open(dir string, opts Options) (*Sandbox, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	if opts.State == nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("sandbox: create directory: %w", err)
		}
		opts.State = NewFileState(filepath.Join(dir, StateFile))
	}
	s := &Sandbox{
		store:  opts.State,
		where:  fmt.Sprint(opts.State),
		clock:  opts.Clock,
		cat:    opts.Catalog,
		window: opts.RemovalWindow,
		loc:    opts.Location,
		log:    opts.Logger.With("provider", "sandbox"),
		delay:  opts.AcceptDelay,
		failP:  opts.FailAfterWrite,
		rand:   opts.Rand,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := context.Background()
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	for _, cs := range s.st.Customers {
		for _, sub := range cs.Subscriptions {
			if _, ok := s.cat.Offer(sub.OfferID); !ok {
				s.log.Warn("subscription offer not in catalog", "subscription", sub.ID, "offer", sub.OfferID)
			}
		}
	}
	if _, err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// fill checks the options and fills the defaults.
func (o *Options) fill() error {
	if o.Clock == nil {
		return errors.New("sandbox: a clock is required")
	}
	if o.AcceptDelay < 0 {
		return fmt.Errorf("sandbox: accept delay %s is negative", o.AcceptDelay)
	}
	if o.FailAfterWrite < 0 || o.FailAfterWrite > 1 {
		return fmt.Errorf("sandbox: fail-after-write probability %g is not between 0 and 1", o.FailAfterWrite)
	}
	if o.Catalog == nil {
		c, err := catalog.Default()
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		o.Catalog = c
	}
	if o.RemovalWindow <= 0 {
		o.RemovalWindow = DefaultRemovalWindow
	}
	if o.Location == nil {
		loc, err := time.LoadLocation(DefaultLocation)
		if err != nil {
			return fmt.Errorf("sandbox: load time zone: %w", err)
		}
		o.Location = loc
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return nil
}

// load brings s.st up to date with the store, seeding the demo when the
// store holds nothing and the sandbox has nothing either. The caller
// holds mu.
func (s *Sandbox) load(ctx context.Context) error {
	for range maxTries {
		data, ver, err := s.store.Load(ctx, s.ver)
		switch {
		case errors.Is(err, ErrNoState) && s.st != nil:
			// The state went away under us (deleted by hand): keep what
			// we have; the next write stores it again.
			s.ver = 0
			return nil
		case errors.Is(err, ErrNoState):
			if err := s.seed(ctx); errors.Is(err, ErrStale) {
				continue // another process seeded first: load its state
			} else if err != nil {
				return err
			}
			return nil
		case err != nil:
			return fmt.Errorf("sandbox: %w", err)
		case data == nil && ver == s.ver && s.st != nil:
			return nil
		}
		st, err := decodeState(data, s.where, s.loc)
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		s.st, s.ver = st, ver
		return nil
	}
	return fmt.Errorf("sandbox: state keeps changing under us: %w", ErrStale)
}

func (s *Sandbox) seed(ctx context.Context) error {
	now := s.clock.Now()
	st, err := seed(now, s.loc, s.window, s.cat)
	if err != nil {
		return fmt.Errorf("sandbox: seed: %w", err)
	}
	if err := s.save(ctx, st); err != nil {
		return err
	}
	s.log.Info("seeded demo customer", "customer", demoCustomerID, "day", csp.StartOfDay(now, s.loc), "state", s.where)
	return nil
}

// save stores next by compare-and-swap on the version s.st was loaded
// at and makes it the current state. If the write fails or lost the race
// the in-memory state stays as it was, so memory and store never
// disagree.
func (s *Sandbox) save(ctx context.Context, next *state) error {
	data, err := encodeState(next)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	ver, err := s.store.Save(ctx, s.ver, data)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.st, s.ver = next, ver
	return nil
}

// maxTries bounds how often a change is redone after losing a
// compare-and-swap to another process.
const maxTries = 8

// Close releases the sandbox; later calls fail. State is already on disk.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Name implements csp.Provider.
func (s *Sandbox) Name() string { return "sandbox" }

// Catalog returns a copy of the sandbox's catalog; every demo customer
// buys in the same market.
func (s *Sandbox) Catalog(ctx context.Context, _ string) (*csp.Catalog, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	offers := make([]csp.Offer, len(s.cat.Offers))
	for i, o := range s.cat.Offers {
		o.Aliases = append([]string(nil), o.Aliases...)
		o.AliasesFR = append([]string(nil), o.AliasesFR...)
		o.Prices = append([]csp.Price(nil), o.Prices...)
		if o.Upgradable != nil {
			u := *o.Upgradable
			o.Upgradable = &u
		}
		offers[i] = o
	}
	c, err := csp.NewCatalog(offers)
	if err != nil {
		return nil, fmt.Errorf("sandbox: copy catalog: %w", err)
	}
	return c, nil
}

// Customers returns the sandbox's customers.
func (s *Sandbox) Customers(ctx context.Context) ([]csp.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sync(ctx); err != nil {
		return nil, err
	}
	out := make([]csp.Customer, 0, len(s.st.Customers))
	for _, cs := range s.st.Customers {
		out = append(out, cs.Customer)
	}
	return out, nil
}

// Customer returns one customer.
func (s *Sandbox) Customer(ctx context.Context, customerID string) (csp.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sync(ctx); err != nil {
		return csp.Customer{}, err
	}
	cs, err := s.st.customer(customerID)
	if err != nil {
		return csp.Customer{}, err
	}
	return cs.Customer, nil
}

// Subscriptions returns a customer's subscriptions, all statuses, in
// creation order.
func (s *Sandbox) Subscriptions(ctx context.Context, customerID string) ([]csp.Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sync(ctx); err != nil {
		return nil, err
	}
	cs, err := s.st.customer(customerID)
	if err != nil {
		return nil, err
	}
	out := make([]csp.Subscription, 0, len(cs.Subscriptions))
	for _, sub := range cs.Subscriptions {
		out = append(out, sub.Clone())
	}
	return out, nil
}

// Subscription returns one subscription.
func (s *Sandbox) Subscription(ctx context.Context, customerID, subscriptionID string) (csp.Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sync(ctx); err != nil {
		return csp.Subscription{}, err
	}
	sub, err := s.st.subscription(customerID, subscriptionID)
	if err != nil {
		return csp.Subscription{}, err
	}
	return sub.Clone(), nil
}

// Events returns what happened in the sandbox (rollovers and applied
// operations), oldest first. Only the most recent events are kept.
func (s *Sandbox) Events(ctx context.Context) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sync(ctx); err != nil {
		return nil, err
	}
	return append([]Event(nil), s.st.Events...), nil
}

// EligibleUpgrades lists, for each higher tier of the subscription's
// segment, a new line and every existing line of that offer that the
// upgrade could be merged into. An inactive subscription has none.
func (s *Sandbox) EligibleUpgrades(ctx context.Context, customerID, subscriptionID string) ([]csp.UpgradeOption, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, err := s.sync(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := s.st.customer(customerID)
	if err != nil {
		return nil, err
	}
	src, err := s.st.subscription(customerID, subscriptionID)
	if err != nil {
		return nil, err
	}
	out := []csp.UpgradeOption{}
	if src.Status != csp.StatusActive {
		return out, nil
	}
	for _, o := range s.cat.UpgradeTargets(src.OfferID) {
		if _, ok := o.Price(src.Term, src.Billing); !ok {
			continue
		}
		out = append(out, csp.UpgradeOption{OfferID: o.ID, OfferName: o.Name})
		for _, t := range cs.Subscriptions {
			if t.OfferID == o.ID && mergeRefusal(*src, *t, now) == nil {
				out = append(out, csp.UpgradeOption{OfferID: o.ID, OfferName: o.Name, TargetSubscriptionID: t.ID})
			}
		}
	}
	return out, nil
}

// sync loads the latest state and rolls every subscription over to the
// clock's now (and shows accepted writes that are due), saving if
// anything changed. The caller holds mu.
func (s *Sandbox) sync(ctx context.Context) (time.Time, error) {
	now, _, err := s.update(ctx, nil)
	return now, err
}

// update loads the latest state, brings it to now, and runs change on a
// copy of it; when change reports a write (or time moved things on), the
// copy is saved by compare-and-swap (change nil: only bring it to now), and all of it is redone from a fresh
// load if another process wrote first. A change that fails leaves
// everything as it was. It returns now and whether change wrote. The
// caller holds mu.
func (s *Sandbox) update(ctx context.Context, change func(next *state, now time.Time) ([]Event, bool, error)) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	if s.closed {
		return time.Time{}, false, errors.New("sandbox: closed")
	}
	for range maxTries {
		if err := s.load(ctx); err != nil {
			return time.Time{}, false, err
		}
		now := s.clock.Now().In(s.loc)
		due := s.st.due(now)
		if !due && change == nil {
			return now, false, nil
		}
		next := s.st.clone()
		next.Revision++
		var events []Event
		if due {
			next, events = s.settle(next, now)
		}
		wrote := false
		if change != nil {
			more, w, err := change(next, now)
			if err != nil {
				return time.Time{}, false, err
			}
			events, wrote = append(events, more...), w
		}
		if !due && !wrote {
			return now, false, nil
		}
		next.addEvents(events)
		err := s.save(ctx, next)
		if errors.Is(err, ErrStale) {
			continue
		}
		if err != nil {
			return time.Time{}, false, err
		}
		for _, e := range events {
			s.log.Info("sandbox event", "kind", e.Kind, "customer", e.CustomerID,
				"subscription", e.SubscriptionID, "at", e.At, "key", e.Key, "detail", e.Detail)
		}
		return now, wrote, nil
	}
	return time.Time{}, false, fmt.Errorf("sandbox: state keeps changing under us: %w", ErrStale)
}
