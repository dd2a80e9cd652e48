package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/bot/console"
	"github.com/licensebot/licensebot/bot/slack"
	"github.com/licensebot/licensebot/bot/teams"
	"github.com/licensebot/licensebot/internal/secretbox"
	"github.com/licensebot/licensebot/telemetry"
	"github.com/licensebot/licensebot/workflows"
	"github.com/licensebot/licensebot/workflows/reminders"
)

func newServeCmd(g *globals) *cobra.Command {
	opt := defaultServeOptions()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the bot: Slack and Teams channels, reminders, health and metrics endpoints",
		Long: `Runs every configured channel:
  Slack  SLACK_BOT_TOKEN, plus SLACK_APP_TOKEN (Socket Mode, no public URL)
         or SLACK_SIGNING_SECRET (HTTP: /slack/events, /slack/interactions, /slack/commands)
  Teams  TEAMS_APP_ID and TEAMS_APP_PASSWORD (+ TEAMS_TENANT_ID for a single-tenant
         bot): the Bot Framework endpoint /api/messages
and two HTTP listeners: the public one (--addr) with the platforms' endpoints,
/healthz and /readyz; the admin one (--admin-addr, loopback by default) with
/metrics, /healthz, /readyz and /backup. With REDIS_URL the state lives in
Redis and any number of replicas can run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Precedence: --addr, then LICENSEBOT_ADDR, then serve.addr in
			// the configuration, then :8080.
			if !cmd.Flags().Changed("addr") && os.Getenv("LICENSEBOT_ADDR") == "" {
				opt.addr = ""
			}
			opt.tuneRuntime = true
			return serveWith(cmd.Context(), g, opt)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.addr, "addr", envOr("LICENSEBOT_ADDR", ":8080"), "public HTTP listen address (LICENSEBOT_ADDR, else serve.addr in the configuration)")
	f.StringVar(&opt.adminAddr, "admin-addr", envOr("LICENSEBOT_ADMIN_ADDR", defaultAdminAddr),
		"admin HTTP listen address for /metrics and /backup (LICENSEBOT_ADMIN_ADDR); keep it off the Internet")
	f.DurationVar(&opt.tick, "tick", time.Minute, "how often due work runs (approval expiry, reminders)")
	f.IntVar(&opt.limits.maxConns, "max-conns", opt.limits.maxConns, "most connections the public listener holds at once; more wait in the kernel's backlog")
	f.DurationVar(&opt.shutdownGrace, "shutdown-timeout", opt.shutdownGrace, "how long turns in flight may run on after SIGTERM")
	return cmd
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// serveLogger writes JSON when stderr is not a terminal (a container, a
// service manager), text otherwise.
func serveLogger(g *globals) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil || g.logLevel == "warn" {
		lvl = slog.LevelInfo // serve logs what it does by default
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if f, ok := g.errOut.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(g.errOut, opts))
		}
	}
	return slog.New(slog.NewJSONHandler(g.errOut, opts))
}

// router sends a message on the platform the person uses: Teams if they
// have talked to the bot there (a stored conversation reference), then
// Slack if they are on it, then the terminal outbox (kept in the store, so
// nothing is ever dropped silently).
type router struct {
	slack  *slack.Adapter
	teams  *teams.Adapter
	outbox *console.Outbox
	log    *slog.Logger
}

// route is one way to reach a person; unreachable says that this way
// cannot (so the next is tried) rather than that it failed.
type route struct {
	deliver     func(context.Context, workflows.Person, bot.Message) error
	unreachable error
}

// routes are the ways to reach p, in order: the platform p chose, else
// the one p last talked to the bot from, comes first (a Teams user's card in Teams, a Slack
// user's in Slack, whichever organization they belong to), then the
// other; the Teams approvals channel is the last resort for a card.
func (r *router) routes(p workflows.Person) []route {
	var viaTeams, viaSlack []route
	if r.teams != nil {
		viaTeams = []route{{r.teams.DeliverPersonal, teams.ErrNoConversation}}
	}
	if r.slack != nil {
		viaSlack = []route{{r.slack.Deliver, slack.ErrNotOnSlack}}
	}
	var out []route
	first := p.Prefers
	if first == "" && len(p.Orgs) > 0 {
		first = p.Orgs[0].Platform
	}
	if first == workflows.PlatformSlack {
		out = append(append(out, viaSlack...), viaTeams...)
	} else {
		out = append(append(out, viaTeams...), viaSlack...)
	}
	if r.teams != nil {
		out = append(out, route{func(ctx context.Context, _ workflows.Person, m bot.Message) error {
			return r.teams.DeliverShared(ctx, m)
		}, teams.ErrNoConversation})
	}
	return out
}

func (r *router) Deliver(ctx context.Context, p workflows.Person, m bot.Message) error {
	for _, rt := range r.routes(p) {
		err := rt.deliver(ctx, p, m)
		if err == nil {
			return nil
		}
		if !errors.Is(err, rt.unreachable) {
			return err
		}
	}
	r.log.WarnContext(ctx, "no chat platform reaches this person; message kept in the outbox",
		"to", p.Email, "request_id", m.RequestID, "kind", m.Kind)
	return r.outbox.Deliver(ctx, p, m)
}

const defaultAdminAddr = "127.0.0.1:9090"

// serveOptions are serve's flags.
type serveOptions struct {
	addr      string // public listener; "" means serve.addr, then :8080
	adminAddr string // admin listener (/metrics, /backup)
	tick      time.Duration
	limits    httpLimits
	// shutdownGrace bounds how long turns in flight run on after a stop.
	shutdownGrace time.Duration
	// listening, when set, is told the listeners' addresses (tests bind
	// port 0).
	listening func(public, admin string)
	// tuneRuntime applies serve.gc_percent and serve.memory_limit to
	// the process (the command does; tests running several serves in
	// one process do not).
	tuneRuntime bool
	// debugListening, when set, is told serve.debug_addr's address.
	debugListening func(addr string)
}

// httpLimits keep a slow or hostile client from holding the public
// listener: every phase of a request has a deadline, headers are capped,
// and past maxConns new connections wait in the kernel's accept backlog
// instead of taking file descriptors.
type httpLimits struct {
	readHeader time.Duration
	read       time.Duration
	// write must outlast the slowest handler: a Teams invoke waits for its
	// turn (bounded by the adapter's own timeout).
	write          time.Duration
	idle           time.Duration
	maxHeaderBytes int
	maxConns       int
}

func defaultServeOptions() serveOptions {
	return serveOptions{
		adminAddr: defaultAdminAddr,
		tick:      time.Minute,
		limits: httpLimits{
			readHeader: 5 * time.Second, read: 15 * time.Second, write: 30 * time.Second,
			idle: 60 * time.Second, maxHeaderBytes: 32 << 10, maxConns: 1024,
		},
		shutdownGrace: 20 * time.Second,
	}
}

// serve runs with the default limits and an admin listener on a free
// loopback port (tests and benchmarks run several).
func serve(ctx context.Context, g *globals, addr string, tick time.Duration) error {
	opt := defaultServeOptions()
	opt.addr, opt.adminAddr, opt.tick = addr, "127.0.0.1:0", tick
	return serveWith(ctx, g, opt)
}

// server is one running serve: the app, its channels and its listeners.
type server struct {
	g         *globals
	opt       serveOptions
	log       *slog.Logger
	metrics   *telemetry.Metrics
	a         *app
	slack     *slack.Adapter
	slackMode string // "", "http" or "socket"
	teams     *teams.Adapter
	pool      pool
	// debug serves the profiler on serve.debug_addr; nil when unset.
	debug *listener
}

func serveWith(ctx context.Context, g *globals, opt serveOptions) error {
	// A fatal error (Slack refusing the token, a listener failing) must
	// stop every goroutine, not only the one that saw it.
	ctx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	if err := channelProblems(); err != nil {
		return fmt.Errorf("chat platforms are half configured (see licensebot config check):\n%w", err)
	}
	s := &server{g: g, opt: opt, log: serveLogger(g), metrics: telemetry.New()}
	a, err := openApp(ctx, g, appOptions{withEngine: false, metrics: s.metrics, logger: s.log})
	if err != nil {
		return err
	}
	defer a.Close()
	s.a = a
	// A process killed between a role's roster and the person index
	// leaves the index behind; the rosters are the truth.
	if n, err := a.people.Repair(ctx); err != nil {
		s.log.WarnContext(ctx, "people index not repaired", "err", err)
	} else if n > 0 {
		s.log.WarnContext(ctx, "people index repaired from the rosters", "people", n)
	}
	if s.opt.tuneRuntime {
		rs, err := tuneRuntime(a.cfg.Serve)
		if err != nil {
			return fmt.Errorf("serve.memory_limit: %w", err)
		}
		s.log.Info("garbage collector", rs.logAttrs()...)
	}
	s.pool = poolFor(a.cfg.Serve, runtime.GOMAXPROCS(0))
	if err := s.openChannels(ctx); err != nil {
		return err
	}
	// Reminders tick on their own cron job (Recover, SkipIfStillRunning);
	// what is due comes from the store, claimed so replicas send once.
	a.remindersByCron = true
	if err := a.reminders.Start(ctx); err != nil {
		return err
	}
	defer a.reminders.Stop()
	if s.opt.addr == "" {
		s.opt.addr = cmpOr(a.cfg.Serve.Addr, ":8080")
	}
	pub, err := s.listen(s.opt.addr, s.publicMux(), s.opt.limits)
	if err != nil {
		return err
	}
	adm, err := s.listen(s.opt.adminAddr, s.adminMux(), adminLimits(s.opt.limits))
	if err != nil {
		pub.close()
		return err
	}
	if d := a.cfg.Serve.DebugAddr; d != "" {
		if s.debug, err = s.listen(d, debugMux(), debugLimits(s.opt.limits)); err != nil {
			pub.close()
			adm.close()
			return err
		}
		s.log.Info("profiler serving", "debug_addr", s.debug.addr)
		if s.opt.debugListening != nil {
			s.opt.debugListening(s.debug.addr)
		}
	}
	s.log.Info("licensebot serving", "addr", pub.addr, "admin_addr", adm.addr, "store", a.store.Name(),
		"provider", a.provider.Name(), "slack", s.slackMode, "teams", s.teams != nil, "version", version,
		"workers", s.pool.workers, "queue_size", s.pool.queue, "idle_conns_per_host", s.pool.idleConns)
	if s.opt.listening != nil {
		s.opt.listening(pub.addr, adm.addr)
	}
	return s.run(ctx, stopAll, pub, adm)
}

func cmpOr(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// openChannels builds the Slack and Teams adapters the environment asks
// for and starts the engine that answers them.
func (s *server) openChannels(ctx context.Context) error {
	rt := &router{outbox: &console.Outbox{Store: s.a.store}, log: s.log}
	if tok, distributed := os.Getenv("SLACK_BOT_TOKEN"), os.Getenv("SLACK_CLIENT_ID") != ""; tok != "" || distributed {
		if err := s.openSlack(ctx, tok, distributed); err != nil {
			return err
		}
		rt.slack = s.slack
	}
	if id, pw := os.Getenv("TEAMS_APP_ID"), os.Getenv("TEAMS_APP_PASSWORD"); id != "" && pw != "" {
		if err := s.openTeams(id, pw); err != nil {
			return err
		}
		rt.teams = s.teams
	}
	if err := s.a.startEngine(ctx, rt); err != nil {
		return err
	}
	if s.slack != nil {
		s.slack.SetHandler(newInstrumented(s.a, s.metrics, "slack"))
	}
	if s.teams != nil {
		s.teams.SetHandler(newInstrumented(s.a, s.metrics, "teams"))
	}
	return nil
}

func (s *server) openSlack(ctx context.Context, tok string, distributed bool) error {
	a := s.a
	sm, err := slack.PrometheusMetrics(s.metrics.Registry)
	if err != nil {
		return fmt.Errorf("slack metrics: %w", err)
	}
	// A distributed app (SLACK_CLIENT_ID) keeps each workspace's token in
	// the store, sealed with LICENSEBOT_SECRET_KEY.
	var box *secretbox.Box
	if distributed {
		if box, err = secretbox.FromEnv(os.Getenv("LICENSEBOT_SECRET_KEY"), os.Getenv("LICENSEBOT_SECRET_KEY_OLD")); err != nil {
			return fmt.Errorf("slack: %w", err)
		}
	}
	s.slack, err = slack.New(slack.Options{
		BotToken: tok, AppToken: os.Getenv("SLACK_APP_TOKEN"), SigningSecret: os.Getenv("SLACK_SIGNING_SECRET"),
		Secrets: box, ApprovalsTeam: os.Getenv("SLACK_APPROVALS_TEAM"),
		OAuth: slack.OAuthOptions{ClientID: os.Getenv("SLACK_CLIENT_ID"), ClientSecret: os.Getenv("SLACK_CLIENT_SECRET"),
			PublicURL: os.Getenv("LICENSEBOT_PUBLIC_URL")},
		// SLACK_API_URL points the Web API elsewhere (a proxy, or the
		// fake Slack of the load test); it must end with "/".
		APIURL:           os.Getenv("SLACK_API_URL"),
		Config:           s.pool.channelConfig(channel.Config{People: a.svc.Directory(), Store: a.store, Clock: a.clock, Logger: s.log, Metrics: sm}),
		HTTPClient:       s.pool.httpClient(),
		ApprovalsChannel: os.Getenv("SLACK_APPROVALS_CHANNEL"),
		Home: func(ctx context.Context, p workflows.Person, lang string) []bot.Message {
			return a.engine.Home(ctx, p, lang)
		},
	})
	if err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	if distributed && os.Getenv("LICENSEBOT_SECRET_KEY_OLD") != "" {
		// After a key change: seal every stored token with the new key,
		// so the old one can be dropped (docs/SLACK.md).
		n, err := s.slack.Installations().Rotate(ctx)
		s.log.Info("slack tokens re-encrypted with the current key", "count", n, "err", err)
	}
	s.slackMode = "http"
	if os.Getenv("SLACK_APP_TOKEN") != "" {
		s.slackMode = "socket"
	} else if os.Getenv("SLACK_SIGNING_SECRET") == "" {
		return errors.New("slack over HTTP needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
	}
	return nil
}

func (s *server) openTeams(id, pw string) error {
	tm, err := teams.PrometheusMetrics(s.metrics.Registry)
	if err != nil {
		return fmt.Errorf("teams metrics: %w", err)
	}
	s.teams, err = teams.New(teams.Options{
		AppID: id, AppPassword: pw, TenantID: os.Getenv("TEAMS_TENANT_ID"),
		OpenIDMetadataURL: s.a.cfg.Teams.OpenIDMetadataURL, TokenURL: s.a.cfg.Teams.TokenURL,
		TokenIssuer: s.a.cfg.Teams.TokenIssuer, TokenScope: s.a.cfg.Teams.TokenScope, ConnectorOrigins: s.a.cfg.Teams.ConnectorOrigins,
		Config:                s.pool.channelConfig(channel.Config{People: s.a.svc.Directory(), Store: s.a.store, Clock: s.a.clock, Logger: s.log, Metrics: tm}),
		HTTPClient:            s.pool.httpClient(),
		ApprovalsConversation: os.Getenv("TEAMS_APPROVALS_CONVERSATION"),
	})
	if err != nil {
		return fmt.Errorf("teams: %w", err)
	}
	return nil
}

// publicMux is what the platforms reach: their endpoints and the probes.
// Metrics show customer ids and request counts, so they are admin only.
func (s *server) publicMux() *http.ServeMux {
	mux := http.NewServeMux()
	s.probes(mux)
	if s.slackMode == "http" {
		s.slack.Routes(mux)
	} else if s.slack != nil {
		s.slack.InstallRoutes(mux) // the OAuth install pages, in Socket Mode too
	}
	if s.teams != nil {
		s.teams.Routes(mux) // POST /api/messages
	}
	return mux
}

// adminMux is for the operator: probes, metrics and a consistent copy of
// the embedded store.
func (s *server) adminMux() *http.ServeMux {
	mux := http.NewServeMux()
	s.probes(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /backup", s.serveBackup)
	return mux
}

func (s *server) probes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.serveReady)
}

func (s *server) serveReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"store": "ok", "provider": "ok"}
	ok := true
	if err := s.a.store.Ping(ctx); err != nil {
		checks["store"], ok = "unreachable", false
	}
	if _, err := s.a.provider.Customers(ctx); err != nil {
		checks["provider"], ok = "unreachable", false
	}
	if s.teams != nil {
		checks["teams"] = "http"
	}
	if s.slackMode != "" {
		checks["slack"] = s.slackMode
		if s.slackMode == "socket" && !s.slack.Connected() {
			checks["slack"], ok = "disconnected", false
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(checks)
}

// listener is one HTTP server on its bound socket.
type listener struct {
	srv  *http.Server
	ln   net.Listener
	addr string
}

func (l *listener) close() { _ = l.ln.Close() }

func (s *server) listen(addr string, h http.Handler, lim httpLimits) (*listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	l := &listener{ln: ln, addr: ln.Addr().String()}
	if lim.maxConns > 0 {
		l.ln = newLimitListener(ln, lim.maxConns)
	}
	l.srv = &http.Server{
		Handler: h, ReadHeaderTimeout: lim.readHeader, ReadTimeout: lim.read, WriteTimeout: lim.write,
		IdleTimeout: lim.idle, MaxHeaderBytes: lim.maxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		// No BaseContext from serve's ctx: a handler in flight when the
		// stop signal comes finishes (bounded by shutdownGrace) rather
		// than failing half done.
	}
	return l, nil
}

// adminLimits: the admin listener is loopback or cluster-internal and
// streams backups, so it has no write deadline and a small connection cap.
func adminLimits(l httpLimits) httpLimits {
	l.write, l.maxConns = 0, 64
	return l
}

// run serves until ctx ends or something fatal happens, then shuts down
// in order: stop taking new events (listeners, Socket Mode), let the
// turns in flight finish, then stop the background work.
func (s *server) run(ctx context.Context, stopAll context.CancelFunc, pub, adm *listener) error {
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	listeners := []*listener{pub, adm}
	if s.debug != nil {
		listeners = append(listeners, s.debug)
	}
	for _, l := range listeners {
		wg.Go(func() {
			if err := l.srv.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http server on %s: %w", l.addr, err)
			}
		})
	}
	if s.slackMode == "socket" {
		wg.Go(func() {
			if err := s.slack.RunSocketMode(ctx); err != nil {
				errc <- fmt.Errorf("slack socket mode: %w", err)
			}
		})
	}
	wg.Go(func() { s.dueWork(ctx) })

	var runErr error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", "grace", s.opt.shutdownGrace)
	case runErr = <-errc:
		s.log.Error("stopping", "err", runErr)
	}
	// Cancelling ctx closes the Socket Mode connection, so Slack sends
	// the next events to another replica, and stops the due-work loop.
	stopAll()
	shutdown, cancel := context.WithTimeout(context.Background(), s.opt.shutdownGrace)
	defer cancel()
	shutdownServer(shutdown, pub.srv)
	if s.slack != nil {
		if err := s.slack.Close(shutdown); err != nil {
			s.log.Warn("slack: turns still running at shutdown", "err", err)
		}
	}
	if s.teams != nil {
		if err := s.teams.Close(shutdown); err != nil {
			s.log.Warn("teams: turns still running at shutdown", "err", err)
		}
	}
	// The admin listener goes last so probes and metrics answer while
	// the turns drain.
	shutdownServer(shutdown, adm.srv)
	if s.debug != nil {
		// A profile in progress is cut short.
		_ = s.debug.srv.Close()
	}
	wg.Wait()
	return runErr
}

// shutdownServer closes the listener and waits for requests in flight;
// past the deadline it drops the connections left.
func shutdownServer(ctx context.Context, srv *http.Server) {
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
}

// dueWork runs what falls due (approval expiry, reconciliation) every
// tick and refreshes the gauges that come from the store.
func (s *server) dueWork(ctx context.Context) {
	t := time.NewTicker(s.opt.tick)
	defer t.Stop()
	for {
		if err := s.a.tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("due work", "err", err)
		}
		s.a.refreshRequestGauge(ctx, s.metrics)
		s.refreshStoreUp(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refreshStoreUp feeds licensebot_store_up, which the "store unreachable"
// alert reads: a replica that cannot reach Redis may not be able to say
// so anywhere else.
func (s *server) refreshStoreUp(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s.metrics.SetStoreUp(s.a.store.Name(), s.a.store.Ping(ctx) == nil)
}

// limitListener caps the connections accepted at once. Accept blocks at
// the cap, so the excess waits in the kernel's backlog and costs no file
// descriptor here (golang.org/x/net/netutil does the same; this saves a
// module for twenty lines).
type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: sync.OnceFunc(func() { <-l.sem })}, nil
}

// Close also wakes an Accept waiting for a free slot.
func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// instrumented times every turn for the metrics.
type instrumented struct {
	e       *bot.Engine
	m       *telemetry.Metrics
	channel string
	a       *app
	// seconds and ok are the channel's series of a turn that succeeded,
	// looked up once rather than by label on every turn.
	seconds prometheus.Observer
	ok      prometheus.Counter
}

func newInstrumented(a *app, m *telemetry.Metrics, channel string) instrumented {
	i := instrumented{e: a.engine, m: m, channel: channel, a: a}
	if m != nil {
		i.seconds = m.TurnSeconds.WithLabelValues(channel)
		i.ok = m.Turns.WithLabelValues(channel, "ok")
	}
	return i
}

func (i instrumented) Handle(ctx context.Context, t bot.Turn) ([]bot.Message, error) {
	start := i.a.clock.Now()
	msgs, err := i.e.Handle(ctx, t)
	if errors.Is(err, bot.ErrDuplicateEvent) {
		return msgs, err
	}
	if err == nil && i.seconds != nil {
		i.seconds.Observe(i.a.clock.Now().Sub(start).Seconds())
		i.ok.Inc()
		return msgs, nil
	}
	i.m.ObserveTurn(i.channel, i.a.clock.Now().Sub(start), err)
	return msgs, err
}

// StartTurn lets the runner claim the event and prefetch the turn's
// reads before the sender is looked up (channel.TurnStarter).
func (i instrumented) StartTurn(ctx context.Context, platform, eventID, who string) (context.Context, func(), error) {
	return i.e.StartTurn(ctx, platform, eventID, who)
}

func (a *app) refreshRequestGauge(ctx context.Context, m *telemetry.Metrics) {
	now := a.clock.Now()
	// The open states are always reported, zero included, so an alert on
	// one of them has a series to read.
	open := telemetry.OpenRequests{}
	for _, s := range workflows.States() {
		if !s.Final() {
			open[string(s)] = telemetry.OpenState{}
		}
	}
	for _, c := range a.cfg.CustomerIDs() {
		reqs, err := a.svc.List(ctx, c)
		if err != nil {
			return
		}
		counts := map[workflows.State]int{}
		for _, r := range reqs {
			counts[r.State]++
			if r.State.Final() {
				continue
			}
			o := open[string(r.State)]
			o.Count++
			o.Oldest = max(o.Oldest, now.Sub(r.UpdatedAt))
			open[string(r.State)] = o
		}
		for _, s := range workflows.States() {
			m.Requests.WithLabelValues(c, string(s)).Set(float64(counts[s]))
		}
	}
	m.SetOpenRequests(open)
	a.refreshRemindersLate(ctx, m, now)
}

// refreshRemindersLate: sent reminders leave the schedule, so the oldest
// item due before now is the one waiting longest.
func (a *app) refreshRemindersLate(ctx context.Context, m *telemetry.Metrics, now time.Time) {
	var late time.Duration
	for _, c := range a.cfg.CustomerIDs() {
		for _, q := range []string{reminders.Queue, reminders.QueuePersonal} {
			items, err := a.store.Due(ctx, c, q, now, 1)
			if err != nil {
				return
			}
			for _, it := range items {
				late = max(late, now.Sub(it.Due))
			}
		}
	}
	m.SetRemindersLate(late)
}
