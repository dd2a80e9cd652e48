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
	"sync"
	"time"

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
)

func newServeCmd(g *globals) *cobra.Command {
	var addr string
	var tick time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the bot: Slack and Teams channels, reminders, health and metrics endpoints",
		Long: `Runs every configured channel:
  Slack  SLACK_BOT_TOKEN, plus SLACK_APP_TOKEN (Socket Mode, no public URL)
         or SLACK_SIGNING_SECRET (HTTP: /slack/events, /slack/interactions, /slack/commands)
  Teams  TEAMS_APP_ID and TEAMS_APP_PASSWORD (+ TEAMS_TENANT_ID for a single-tenant
         bot): the Bot Framework endpoint /api/messages
and an HTTP server with /healthz, /readyz and /metrics. With REDIS_URL the
state lives in Redis and any number of replicas can run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Precedence: --addr, then LICENSEBOT_ADDR, then serve.addr in
			// the configuration, then :8080.
			if !cmd.Flags().Changed("addr") && os.Getenv("LICENSEBOT_ADDR") == "" {
				addr = ""
			}
			return serve(cmd.Context(), g, addr, tick)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", envOr("LICENSEBOT_ADDR", ":8080"), "HTTP listen address (LICENSEBOT_ADDR, else serve.addr in the configuration)")
	cmd.Flags().DurationVar(&tick, "tick", time.Minute, "how often due work runs (approval expiry, reminders)")
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

func (r *router) Deliver(ctx context.Context, p workflows.Person, m bot.Message) error {
	if r.teams != nil {
		err := r.teams.DeliverPersonal(ctx, p, m)
		if err == nil {
			return nil
		}
		if !errors.Is(err, teams.ErrNoConversation) {
			return err
		}
	}
	if r.slack != nil {
		err := r.slack.Deliver(ctx, p, m)
		if err == nil {
			return nil
		}
		if !errors.Is(err, slack.ErrNotOnSlack) {
			return err
		}
	}
	if r.teams != nil {
		// Last resort for an approval card: the Teams approvals channel.
		if err := r.teams.DeliverShared(ctx, m); err == nil {
			return nil
		} else if !errors.Is(err, teams.ErrNoConversation) {
			return err
		}
	}
	r.log.WarnContext(ctx, "no chat platform reaches this person; message kept in the outbox",
		"to", p.Email, "request_id", m.RequestID, "kind", m.Kind)
	return r.outbox.Deliver(ctx, p, m)
}

func serve(ctx context.Context, g *globals, addr string, tick time.Duration) error {
	// A fatal error (Slack refusing the token, the listener failing) must
	// stop every goroutine, not only the one that saw it.
	ctx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	log := serveLogger(g)
	if err := channelProblems(); err != nil {
		return fmt.Errorf("chat platforms are half configured (see licensebot config check):\n%w", err)
	}
	metrics := telemetry.New()
	a, err := openApp(ctx, g, appOptions{withEngine: false, metrics: metrics, logger: log})
	if err != nil {
		return err
	}
	defer a.Close()

	rt := &router{outbox: &console.Outbox{Store: a.store}, log: log}
	var slackAd *slack.Adapter
	slackMode := ""
	if tok, distributed := os.Getenv("SLACK_BOT_TOKEN"), os.Getenv("SLACK_CLIENT_ID") != ""; tok != "" || distributed {
		sm, err := slack.PrometheusMetrics(metrics.Registry)
		if err != nil {
			return fmt.Errorf("slack metrics: %w", err)
		}
		// A distributed app (SLACK_CLIENT_ID) keeps each workspace's
		// token in the store, sealed with LICENSEBOT_SECRET_KEY.
		var box *secretbox.Box
		if distributed {
			if box, err = secretbox.FromEnv(os.Getenv("LICENSEBOT_SECRET_KEY"), os.Getenv("LICENSEBOT_SECRET_KEY_OLD")); err != nil {
				return fmt.Errorf("slack: %w", err)
			}
		}
		slackAd, err = slack.New(slack.Options{
			BotToken: tok, AppToken: os.Getenv("SLACK_APP_TOKEN"), SigningSecret: os.Getenv("SLACK_SIGNING_SECRET"),
			Secrets: box, ApprovalsTeam: os.Getenv("SLACK_APPROVALS_TEAM"),
			OAuth: slack.OAuthOptions{ClientID: os.Getenv("SLACK_CLIENT_ID"), ClientSecret: os.Getenv("SLACK_CLIENT_SECRET"),
				PublicURL: os.Getenv("LICENSEBOT_PUBLIC_URL")},
			// SLACK_API_URL points the Web API elsewhere (a proxy, or the
			// fake Slack of the load test); it must end with "/".
			APIURL:           os.Getenv("SLACK_API_URL"),
			Config:           channel.Config{People: a.svc.Directory(), Store: a.store, Clock: a.clock, Logger: log, Metrics: sm},
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
			n, err := slackAd.Installations().Rotate(ctx)
			log.Info("slack tokens re-encrypted with the current key", "count", n, "err", err)
		}
		rt.slack = slackAd
		slackMode = "http"
		if os.Getenv("SLACK_APP_TOKEN") != "" {
			slackMode = "socket"
		}
	}
	var teamsAd *teams.Adapter
	if id, pw := os.Getenv("TEAMS_APP_ID"), os.Getenv("TEAMS_APP_PASSWORD"); id != "" && pw != "" {
		tm, err := teams.PrometheusMetrics(metrics.Registry)
		if err != nil {
			return fmt.Errorf("teams metrics: %w", err)
		}
		teamsAd, err = teams.New(teams.Options{
			AppID: id, AppPassword: pw, TenantID: os.Getenv("TEAMS_TENANT_ID"),
			Config:                channel.Config{People: a.svc.Directory(), Store: a.store, Clock: a.clock, Logger: log, Metrics: tm},
			ApprovalsConversation: os.Getenv("TEAMS_APPROVALS_CONVERSATION"),
		})
		if err != nil {
			return fmt.Errorf("teams: %w", err)
		}
		rt.teams = teamsAd
	}
	if err := a.startEngine(ctx, rt); err != nil {
		return err
	}
	if slackAd != nil {
		slackAd.SetHandler(instrumented{a.engine, metrics, "slack", a})
	}
	if teamsAd != nil {
		teamsAd.SetHandler(instrumented{a.engine, metrics, "teams", a})
	}
	// Reminders tick on their own cron job (Recover, SkipIfStillRunning);
	// what is due comes from the store, claimed so replicas send once.
	a.remindersByCron = true
	if err := a.reminders.Start(ctx); err != nil {
		return err
	}
	defer a.reminders.Stop()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		checks := map[string]string{"store": "ok", "provider": "ok"}
		ok := true
		if err := a.store.Ping(ctx); err != nil {
			checks["store"], ok = "unreachable", false
		}
		if _, err := a.provider.Customers(ctx); err != nil {
			checks["provider"], ok = "unreachable", false
		}
		if teamsAd != nil {
			checks["teams"] = "http"
		}
		if slackMode != "" {
			checks["slack"] = slackMode
			if slackMode == "socket" && !slackAd.Connected() {
				checks["slack"], ok = "disconnected", false
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(checks)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	if slackMode == "http" {
		if os.Getenv("SLACK_SIGNING_SECRET") == "" {
			return errors.New("slack over HTTP needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
		}
		slackAd.Routes(mux)
	} else if slackAd != nil {
		slackAd.InstallRoutes(mux) // the OAuth install pages, in Socket Mode too
	}
	if teamsAd != nil {
		teamsAd.Routes(mux) // POST /api/messages
	}

	if addr == "" {
		addr = a.cfg.Serve.Addr
	}
	if addr == "" {
		addr = ":8080"
	}
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	log.Info("licensebot serving", "addr", ln.Addr().String(), "store", a.store.Name(), "provider", a.provider.Name(),
		"slack", slackMode, "teams", teamsAd != nil, "version", version)

	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	if slackMode == "socket" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := slackAd.RunSocketMode(ctx); err != nil {
				errc <- fmt.Errorf("slack socket mode: %w", err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			if err := a.tick(ctx); err != nil && ctx.Err() == nil {
				log.Warn("due work", "err", err)
			}
			a.refreshRequestGauge(ctx, metrics)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-errc:
		log.Error("stopping", "err", runErr)
	}
	stopAll()
	// Stop taking events, then let turns in flight finish (bounded).
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	if slackAd != nil {
		if err := slackAd.Close(shutdown); err != nil {
			log.Warn("slack: turns still running at shutdown", "err", err)
		}
	}
	if teamsAd != nil {
		if err := teamsAd.Close(shutdown); err != nil {
			log.Warn("teams: turns still running at shutdown", "err", err)
		}
	}
	wg.Wait()
	return runErr
}

// instrumented times every turn for the metrics.
type instrumented struct {
	e       *bot.Engine
	m       *telemetry.Metrics
	channel string
	a       *app
}

func (i instrumented) Handle(ctx context.Context, t bot.Turn) ([]bot.Message, error) {
	start := i.a.clock.Now()
	msgs, err := i.e.Handle(ctx, t)
	if errors.Is(err, bot.ErrDuplicateEvent) {
		return msgs, err
	}
	i.m.ObserveTurn(i.channel, i.a.clock.Now().Sub(start), err)
	return msgs, err
}

func (a *app) refreshRequestGauge(ctx context.Context, m *telemetry.Metrics) {
	for _, c := range a.cfg.CustomerIDs() {
		reqs, err := a.svc.List(ctx, c)
		if err != nil {
			return
		}
		counts := map[workflows.State]int{}
		for _, r := range reqs {
			counts[r.State]++
		}
		for _, s := range workflows.States() {
			m.Requests.WithLabelValues(c, string(s)).Set(float64(counts[s]))
		}
	}
}
