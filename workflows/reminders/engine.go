package reminders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// Store is what the engine needs of a store.Store.
type Store interface {
	store.Documents
	store.Claims
	store.Schedules
}

// Defaults for Options.
const (
	DefaultSpec      = "@every 1m"
	DefaultSyncEvery = time.Hour
	DefaultClaimTTL  = 2 * time.Hour
	// MinClaimTTL: a claim must outlive the clock skew between replicas
	// plus an hour, or a slow send could be repeated by another replica.
	MinClaimTTL       = time.Hour + 5*time.Minute
	DefaultMaxPerTick = 1000
	DefaultLateAfter  = 15 * time.Minute
	// DefaultRenewalGrace: how long after a term should have started a
	// window reminder waits for the portal to show the new term.
	DefaultRenewalGrace = 6 * time.Hour
)

// Options configure an Engine.
type Options struct {
	Store    Store
	Provider csp.Provider
	// Service gives the requests, the people directory and Escalate.
	Service *workflows.Service
	Clock   clock.Clock
	Logger  *slog.Logger
	// Sender delivers; nil is allowed for an engine that only syncs and
	// lists (RunDue then refuses to run).
	Sender Sender
	// Customers are the customer ids to remind.
	Customers []string
	// Policy returns a customer's policy (default: DefaultPolicy(UTC)).
	Policy func(customerID string) Policy
	// Spec is the cron spec of the tick (default "@every 1m").
	Spec string
	// SyncEvery: a tick re-derives a customer's reminders when its last
	// Sync is older than this (default 1h). Sync also runs at Start and
	// after every executed change (RequestChanged).
	SyncEvery time.Duration
	// ClaimTTL must exceed the clock skew between replicas plus the
	// longest send; an item whose sender crashed is retried after it
	// (default 2h).
	ClaimTTL time.Duration
	// MaxPerTick bounds the items read per customer and queue per tick
	// (default 1000).
	MaxPerTick int
	// LateAfter: an item sent this long after its due instant is marked
	// Late (default 15m).
	LateAfter time.Duration
	// RenewalGrace (default 6h): see DefaultRenewalGrace.
	RenewalGrace time.Duration
}

// Engine derives, schedules and sends reminders. It is safe for
// concurrent use, and any number of engines (replicas) can share a store:
// the store decides who sends what.
type Engine struct {
	opt Options
	log *slog.Logger

	mu     sync.Mutex
	synced map[string]time.Time // customer → clock time of its last Sync
	cron   *cron.Cron
}

// New returns an Engine.
func New(opt Options) (*Engine, error) {
	if opt.Store == nil || opt.Provider == nil || opt.Service == nil || opt.Clock == nil {
		return nil, errors.New("reminders: store, provider, service and clock are required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Policy == nil {
		opt.Policy = func(string) Policy { return DefaultPolicy(time.UTC) }
	}
	if opt.Spec == "" {
		opt.Spec = DefaultSpec
	}
	if opt.SyncEvery <= 0 {
		opt.SyncEvery = DefaultSyncEvery
	}
	if opt.ClaimTTL <= 0 {
		opt.ClaimTTL = DefaultClaimTTL
	}
	if opt.ClaimTTL < MinClaimTTL {
		return nil, fmt.Errorf("reminders: claim TTL %s is below %s (clock skew plus the longest send)", opt.ClaimTTL, MinClaimTTL)
	}
	if opt.MaxPerTick <= 0 {
		opt.MaxPerTick = DefaultMaxPerTick
	}
	if opt.LateAfter <= 0 {
		opt.LateAfter = DefaultLateAfter
	}
	if opt.RenewalGrace <= 0 {
		opt.RenewalGrace = DefaultRenewalGrace
	}
	if _, err := cron.ParseStandard(opt.Spec); err != nil {
		return nil, fmt.Errorf("reminders: spec %q: %w", opt.Spec, err)
	}
	return &Engine{opt: opt, log: opt.Logger.With("component", "reminders"), synced: map[string]time.Time{}}, nil
}

// SetSender sets the sender after construction (the bot and the engine
// are built in either order).
func (e *Engine) SetSender(s Sender) {
	e.mu.Lock()
	e.opt.Sender = s
	e.mu.Unlock()
}

func (e *Engine) sender() Sender {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opt.Sender
}

// Start syncs every customer and starts the cron tick. Stop it with Stop.
func (e *Engine) Start(ctx context.Context) error {
	e.SyncAll(ctx)
	c := cron.New(cron.WithLogger(cronLogger{e.log}),
		cron.WithChain(cron.Recover(cronLogger{e.log}), cron.SkipIfStillRunning(cronLogger{e.log})))
	if _, err := c.AddFunc(e.opt.Spec, func() {
		if _, err := e.Tick(ctx); err != nil {
			e.log.ErrorContext(ctx, "reminders tick", "err", err)
		}
	}); err != nil {
		return fmt.Errorf("reminders: schedule tick: %w", err)
	}
	e.mu.Lock()
	if e.cron != nil {
		e.mu.Unlock()
		return errors.New("reminders: already started")
	}
	e.cron = c
	e.mu.Unlock()
	c.Start()
	return nil
}

// Stop stops the tick and waits for a running one to finish.
func (e *Engine) Stop() {
	e.mu.Lock()
	c := e.cron
	e.cron = nil
	e.mu.Unlock()
	if c != nil {
		<-c.Stop().Done()
	}
}

// SyncAll syncs every customer, logging failures.
func (e *Engine) SyncAll(ctx context.Context) {
	for _, c := range e.opt.Customers {
		if err := e.Sync(ctx, c); err != nil {
			e.log.ErrorContext(ctx, "reminders sync", "customer_id", c, "err", err)
		}
	}
}

// Report counts what a tick did.
type Report struct {
	Sent    int // delivered
	Dropped int // no longer useful
	Muted   int // the recipient stopped or kept these reminders
	Busy    int // claimed by another replica (or a crashed one, until its claim expires)
	Retry   int // failed or not ready; the claim was released
	Done    int // already handled (ledger), just unscheduled
}

func (r *Report) add(o Report) {
	r.Sent += o.Sent
	r.Dropped += o.Dropped
	r.Muted += o.Muted
	r.Busy += o.Busy
	r.Retry += o.Retry
	r.Done += o.Done
}

// Tick is one cron tick: for every customer, Sync if the last one is
// older than SyncEvery, then RunDue.
func (e *Engine) Tick(ctx context.Context) (Report, error) {
	var rep Report
	var errs []error
	for _, c := range e.opt.Customers {
		if e.syncDue(c) {
			if err := e.Sync(ctx, c); err != nil {
				errs = append(errs, err)
				e.log.ErrorContext(ctx, "reminders sync", "customer_id", c, "err", err)
			}
		}
		r, err := e.RunDue(ctx, c)
		rep.add(r)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return rep, errors.Join(errs...)
}

func (e *Engine) syncDue(customerID string) bool {
	now := e.opt.Clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	last, ok := e.synced[customerID]
	return !ok || now.Before(last) || now.Sub(last) >= e.opt.SyncEvery
}

func (e *Engine) markSynced(customerID string, at time.Time) {
	e.mu.Lock()
	e.synced[customerID] = at
	e.mu.Unlock()
}

func (e *Engine) policy(customerID string) Policy {
	p := e.opt.Policy(customerID)
	if p.Location == nil {
		p.Location = time.UTC
	}
	return p
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
