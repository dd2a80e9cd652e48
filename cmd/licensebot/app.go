package main

import (
	"github.com/spf13/cobra"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/console"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/config"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/catalog"
	"github.com/licensebot/licensebot/csp/cloudcockpit"
	"github.com/licensebot/licensebot/csp/partnercenter"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/telemetry"
	"github.com/licensebot/licensebot/workflows"
	"github.com/licensebot/licensebot/workflows/reminders"
)

// app is everything a command needs, wired from the flags and the
// configuration.
type app struct {
	g       *globals
	cfg     *config.Config
	clock   clock.Setter
	log     *slog.Logger
	store   store.Store
	sandbox *sandbox.Sandbox
	// partnerCenter is set with provider partnercenter (config check
	// reports its credentials).
	partnerCenter *partnercenter.Client
	provider      csp.Provider
	svc           *workflows.Service
	// people is the directory kept in the store, seeded from the
	// configuration (customers, links, roles).
	people *workflows.StoreDirectory
	engine *bot.Engine
	outbox *console.Outbox
	// reminders sends through engine when there is one (cmd_reminders.go).
	reminders *reminders.Engine
	// remindersByCron: serve ticks reminders with their own cron job, so
	// tick leaves them out; chat runs them from tick (on @now and /now).
	remindersByCron bool
}

type appOptions struct {
	// withEngine builds the conversation engine with the terminal outbox
	// as its Deliverer (chat); serve builds it with startEngine.
	withEngine bool
	// metrics, when set, instrument the provider.
	metrics *telemetry.Metrics
	// logger replaces the CLI's default logger.
	logger *slog.Logger
}

func (g *globals) logger() *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		lvl = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(g.errOut, &slog.HandlerOptions{Level: lvl}))
}

// newClock: --now fixes the clock; otherwise it follows the real time and
// can still be moved (/now in the chat).
func (g *globals) newClock() (clock.Setter, error) {
	t, err := g.fixedNow()
	if err != nil {
		return nil, err
	}
	if !t.IsZero() {
		return clock.NewManual(t), nil
	}
	return clock.NewOffset(clock.Func(time.Now)), nil
}

func openApp(ctx context.Context, g *globals, opt appOptions) (*app, error) {
	clk, err := g.newClock()
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(g.config)
	if err != nil {
		return nil, err
	}
	a := &app{g: g, cfg: cfg, clock: clk, log: g.logger()}
	if opt.logger != nil {
		a.log = opt.logger
	}
	if err := os.MkdirAll(g.data, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// The store first: with Redis, the sandbox portal keeps its state
	// there so that every replica sees one portal.
	if err := a.openStore(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.openProvider(); err != nil {
		a.Close()
		return nil, err
	}
	a.provider = telemetry.InstrumentProvider(a.provider, opt.metrics, clk)
	a.people = workflows.NewStoreDirectory(a.store, clk)
	if err := a.people.Seed(ctx, cfg.PeopleSeed()); err != nil {
		// A link the file gives to another owner than the store has
		// must not stop the bot: the store wins, and this says so.
		a.log.WarnContext(ctx, "configuration not fully applied to the people directory", "err", err)
	}
	a.svc, err = workflows.New(workflows.Options{
		Store: a.store, Provider: a.provider, Directory: a.people, Policy: cfg.Policy, Clock: clk, Logger: a.log,
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	if opt.withEngine {
		a.outbox = &console.Outbox{Store: a.store}
		if err := a.startEngine(ctx, a.outbox); err != nil {
			a.Close()
			return nil, err
		}
	}
	if err := a.openReminders(); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// startEngine builds the conversation engine delivering through d.
func (a *app) startEngine(ctx context.Context, d bot.Deliverer) error {
	tr, err := bot.NewTranslator()
	if err != nil {
		return err
	}
	var custs []bot.Customer
	for _, c := range a.cfg.Customers {
		custs = append(custs, bot.Customer{ID: c.ID, Name: c.Name, Lang: c.Language, Location: c.Location()})
	}
	a.engine, err = bot.New(ctx, bot.Options{
		Service: a.svc, Provider: a.provider, Store: a.store, Clock: a.clock, Logger: a.log,
		Translator: tr, Deliverer: d, Customers: custs,
	})
	if err != nil {
		return err
	}
	a.attachReminders()
	return nil
}

func (a *app) openProvider() error {
	switch a.cfg.Provider {
	case "", "sandbox":
		// The demo customer's own window and time zone, as configured.
		demo := a.customerSettings()[sandbox.DemoCustomerID]
		cat, err := a.catalog()
		if err != nil {
			return err
		}
		opts := sandbox.Options{Clock: a.clock, RemovalWindow: demo.RemovalWindow, Location: demo.Location, Logger: a.log, Catalog: cat,
			AcceptDelay: a.cfg.Sandbox.Delay(), FailAfterWrite: a.cfg.Sandbox.FailAfterWrite}
		if a.useRedis() {
			// One simulated portal for every replica, changed atomically.
			opts.State = storeSandboxState{docs: a.store}
		}
		sb, err := sandbox.Open(a.g.data, opts)
		if err != nil {
			return fmt.Errorf("open sandbox portal: %w", err)
		}
		a.sandbox, a.provider = sb, sb
		return nil
	}
	switch a.cfg.Provider {
	case "cloudcockpit":
		return a.openCloudCockpit()
	case "partnercenter":
		return a.openPartnerCenter()
	}
	return fmt.Errorf("provider %q is not available in this version", a.cfg.Provider)
}

// openCloudCockpit builds the real portal client. Secrets come from the
// environment; the customers are the configuration's (their ids are the
// portal's customer ids).
func (a *app) openCloudCockpit() error {
	cat, err := a.catalog()
	if err != nil {
		return err
	}
	tenant := os.Getenv("CLOUDCOCKPIT_TENANT")
	if tenant == "" {
		tenant = a.cfg.CloudCockpit.Tenant
	}
	base := os.Getenv("CLOUDCOCKPIT_BASE_URL")
	if base == "" {
		base = a.cfg.CloudCockpit.BaseURL
	}
	var missing []string
	for name, v := range map[string]string{"CLOUDCOCKPIT_CLIENT_ID": os.Getenv("CLOUDCOCKPIT_CLIENT_ID"),
		"CLOUDCOCKPIT_CLIENT_SECRET": os.Getenv("CLOUDCOCKPIT_CLIENT_SECRET"), "CLOUDCOCKPIT_TENANT (or cloudcockpit.tenant)": tenant} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("provider cloudcockpit needs %s", strings.Join(missing, ", "))
	}
	c, err := cloudcockpit.New(cloudcockpit.Options{
		BaseURL: base, ClientID: os.Getenv("CLOUDCOCKPIT_CLIENT_ID"), ClientSecret: os.Getenv("CLOUDCOCKPIT_CLIENT_SECRET"),
		Tenant: tenant, CustomerIDs: a.cfg.CustomerIDs(), Clock: a.clock, Logger: a.log, Catalog: cat,
		Customers: a.customerSettings(), ProviderInstanceID: a.cfg.CloudCockpit.ProviderInstanceID,
	})
	if err != nil {
		return fmt.Errorf("cloudcockpit: %w", err)
	}
	a.provider = c
	return nil
}

// customerSettings are each configured customer's time zone and removal
// window, for the provider: never one customer's for another.
func (a *app) customerSettings() map[string]csp.CustomerSettings {
	out := map[string]csp.CustomerSettings{}
	for _, c := range a.cfg.Customers {
		out[c.ID] = csp.CustomerSettings{Location: c.Location(), RemovalWindow: a.cfg.Policy(c.ID).RemovalWindow}
	}
	return out
}

// catalog is the configured catalog file, or the embedded demo catalog.
func (a *app) catalog() (*csp.Catalog, error) {
	if a.cfg.Catalog != "" {
		return catalog.Load(a.cfg.Catalog)
	}
	return catalog.Default()
}

func (a *app) openStore(ctx context.Context) error {
	if a.useRedis() {
		return a.openRedis(ctx)
	}
	path := filepath.Join(a.g.data, "licensebot.db")
	s, err := bolt.Open(path, bolt.Options{Clock: a.clock})
	if err != nil {
		if errors.Is(err, bolt.ErrLocked) {
			return fmt.Errorf("the data directory %s is in use by another licensebot process (bbolt is single-process; use Redis to run several)", a.g.data)
		}
		return fmt.Errorf("open store: %w", err)
	}
	a.store = s
	return nil
}

func (a *app) useRedis() bool {
	return os.Getenv("REDIS_URL") != "" || strings.EqualFold(a.cfg.Store, "redis")
}

// tick runs the work that falls due at the clock's time: terms roll over
// in the portal, approvals past their deadline expire, requests an outage
// left half done are finished, reminders go out.
func (a *app) tick(ctx context.Context) error {
	// One customer's portal or store trouble must not hold up the others.
	var errs []error
	for _, c := range a.cfg.CustomerIDs() {
		if _, err := a.provider.Subscriptions(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("refresh subscriptions of %s: %w", c, err))
		}
		if _, err := a.svc.ExpireDue(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("expire approvals of %s: %w", c, err))
		}
	}
	a.reconcile(ctx)
	if !a.remindersByCron {
		errs = append(errs, a.tickReminders(ctx))
	}
	return errors.Join(errs...)
}

// reconcile finishes requests left executing by a crash.
func (a *app) reconcile(ctx context.Context) {
	for _, c := range a.cfg.CustomerIDs() {
		if n, err := a.svc.Reconcile(ctx, c); err != nil {
			a.log.WarnContext(ctx, "reconcile", "customer_id", c, "err", err)
		} else if n > 0 {
			a.log.InfoContext(ctx, "reconciled requests", "customer_id", c, "count", n)
		}
	}
}

func (a *app) Close() {
	if a.store != nil {
		_ = a.store.Close()
	}
	if a.sandbox != nil {
		_ = a.sandbox.Close()
	}
}

// withApp is the RunE of a command that reads or changes the store: it
// opens the app, runs f with it and closes it, whatever f returns.
func withApp(g *globals, f func(cmd *cobra.Command, args []string, a *app) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a, err := openApp(cmd.Context(), g, appOptions{})
		if err != nil {
			return err
		}
		defer a.Close()
		return f(cmd, args, a)
	}
}
