// Package sandbox is an embedded, simulated reseller licence portal: a
// csp.Provider with one demo customer (Contoso SAS) whose subscriptions are
// seeded relative to the clock, persisted in a JSON file, and rolled over
// to the clock's time before every call, so that a demo or a test can move
// time forward and watch terms renew, trials convert and windows close.
//
// The sandbox enforces the portal's hard rules itself (active status,
// minimum quantity, seat caps, removal and cancellation windows, upgrade
// paths and merge targets) and answers with *csp.RefusedError, so a caller
// that skipped the rules package still cannot do what Microsoft would not
// accept. Writes are absolute and idempotent like every csp.Provider.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
}

// Sandbox is the simulated portal. It is safe for concurrent use.
type Sandbox struct {
	path   string
	clock  clock.Clock
	cat    *csp.Catalog
	window time.Duration
	loc    *time.Location
	log    *slog.Logger

	// mu guards st and closed. Every call, reads included, may roll terms
	// over and write the file, so there is no read lock.
	mu     sync.Mutex
	st     *state
	closed bool
}

var _ csp.Provider = (*Sandbox)(nil)

// Open loads the sandbox state from dir/sandbox.json, or seeds the demo
// customer relative to the clock when the file does not exist yet.
func Open(dir string, opts Options) (*Sandbox, error) {
	if opts.Clock == nil {
		return nil, errors.New("sandbox: a clock is required")
	}
	if opts.Catalog == nil {
		c, err := catalog.Default()
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		opts.Catalog = c
	}
	if opts.RemovalWindow <= 0 {
		opts.RemovalWindow = DefaultRemovalWindow
	}
	if opts.Location == nil {
		loc, err := time.LoadLocation(DefaultLocation)
		if err != nil {
			return nil, fmt.Errorf("sandbox: load time zone: %w", err)
		}
		opts.Location = loc
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sandbox: create directory: %w", err)
	}
	s := &Sandbox{
		path:   filepath.Join(dir, StateFile),
		clock:  opts.Clock,
		cat:    opts.Catalog,
		window: opts.RemovalWindow,
		loc:    opts.Location,
		log:    opts.Logger.With("provider", "sandbox"),
	}

	st, err := readState(s.path, s.loc)
	switch {
	case errors.Is(err, os.ErrNotExist):
		now := s.clock.Now()
		st, err = seed(now, s.loc, s.window, s.cat)
		if err != nil {
			return nil, fmt.Errorf("sandbox: seed: %w", err)
		}
		if err := writeState(s.path, st); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		s.log.Info("seeded demo customer", "customer", demoCustomerID, "day", csp.StartOfDay(now, s.loc), "path", s.path)
	case err != nil:
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s.st = st
	for _, cs := range st.Customers {
		for _, sub := range cs.Subscriptions {
			if _, ok := s.cat.Offer(sub.OfferID); !ok {
				s.log.Warn("subscription offer not in catalog", "subscription", sub.ID, "offer", sub.OfferID)
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sync(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

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

// sync rolls every subscription over to the clock's now and saves the
// state if anything changed. The caller holds mu.
func (s *Sandbox) sync(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	if s.closed {
		return time.Time{}, errors.New("sandbox: closed")
	}
	now := s.clock.Now().In(s.loc)
	if !s.st.due(now) {
		return now, nil
	}
	next := s.st.clone()
	next.Revision++
	events := s.advance(next, now)
	if err := s.commit(next, events); err != nil {
		return time.Time{}, err
	}
	return now, nil
}

// commit saves next and makes it the current state, then logs events.
// If the write fails the in-memory state stays as it was, so memory and
// disk never disagree.
func (s *Sandbox) commit(next *state, events []Event) error {
	next.addEvents(events)
	if err := writeState(s.path, next); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.st = next
	for _, e := range events {
		s.log.Info("sandbox event", "kind", e.Kind, "customer", e.CustomerID,
			"subscription", e.SubscriptionID, "at", e.At, "detail", e.Detail)
	}
	return nil
}
