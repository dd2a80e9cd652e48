package slack

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/internal/secretbox"
	"github.com/licensebot/licensebot/workflows"
	slackapi "github.com/slack-go/slack"
)

// Handler answers a turn; *bot.Engine is one.
type Handler = channel.Handler

// Metrics receives the adapter's measurements (see PrometheusMetrics).
type Metrics = channel.Metrics

// NopMetrics discards everything; it is the default.
type NopMetrics = channel.NopMetrics

// HomeFunc returns the messages to show on someone's App Home tab (their
// customer's subscriptions), in lang.
type HomeFunc func(ctx context.Context, p workflows.Person, lang string) []bot.Message

const (
	// maxBody bounds what is read of a request; Slack's payloads are far
	// smaller.
	maxBody = 1 << 20
	// maxSkew is how far a request's timestamp may be from our clock.
	maxSkew = 5 * time.Minute
	// seenTTL outlives the ±5 minute window, so a signature cannot be
	// replayed while its timestamp is still accepted.
	seenTTL = 2*maxSkew + time.Minute
	// userTTL is how long a Slack user's e-mail and locale are cached,
	// so we do not call users.info for every message.
	userTTL = 12 * time.Hour
	// httpTimeout bounds one Web API call.
	httpTimeout = 15 * time.Second
)

// Options configure an Adapter: Slack's tokens, and the Config every
// channel shares (People, Store and Clock are required). A full queue
// refuses at once: an event gets 503 and Slack delivers it again later
// (over Socket Mode it is left unacknowledged, to the same effect); a
// /licences command answers "I'm very busy, try again"; a button press is
// logged and counted (slack_dropped_total{reason="queue_full"}) and its
// button stays.
type Options struct {
	// BotToken is the xoxb- token of a single workspace (SLACK_BOT_TOKEN).
	// Required unless Secrets is set (the app is distributed and each
	// workspace's token comes from its OAuth installation); with both,
	// it serves its own workspace and is the fallback for deliveries.
	BotToken string
	// Secrets seals the installations' bot tokens in the store
	// (LICENSEBOT_SECRET_KEY). Setting it turns on distribution:
	// events are routed by team or enterprise to that installation's
	// token, and workspaces with no installation are refused.
	Secrets *secretbox.Box
	// OAuth is the app's OAuth v2 install flow (GET /slack/install,
	// GET /slack/oauth/callback); it needs Secrets.
	OAuth OAuthOptions
	// SigningSecret verifies HTTP requests (SLACK_SIGNING_SECRET);
	// required to serve Routes.
	SigningSecret string
	// AppToken is the xapp- token for Socket Mode (SLACK_APP_TOKEN).
	AppToken string
	// APIURL overrides Slack's Web API base URL (tests); it must end
	// with "/".
	APIURL string
	channel.Config
	// ApprovalsChannel, if set, is a channel id where approval cards are
	// also posted and kept up to date.
	ApprovalsChannel string
	// ApprovalsTeam is the workspace (team or enterprise id) of
	// ApprovalsChannel when the app is distributed; empty: the
	// single-workspace token's.
	ApprovalsTeam string
	// Home builds the App Home tab; nil shows a short how-to.
	Home HomeFunc
	// HTTPClient for the Web API (default: 15 s timeout, and a connection
	// pool that keeps at least Workers idle connections to Slack, so busy
	// workers do not open a new TLS connection per call).
	HTTPClient *http.Client
}

// Adapter is the Slack channel adapter. Create it with New; it is safe
// for concurrent use.
type Adapter struct {
	opt Options
	log *slog.Logger
	// api is the single-workspace token's client; nil when the app runs
	// only from OAuth installations.
	api      *client
	installs *Installations
	clients  clientCache
	metrics  Metrics
	words    channel.Words
	run      *channel.Runner
	cards    *channel.Cards
	retry    *channel.Retrier
	cache    *channel.Cache
	// connected: Socket Mode holds a live connection (readiness).
	connected atomic.Bool
}

// New checks the options and starts the worker pool. Call Close to stop
// it.
func New(opt Options) (*Adapter, error) {
	missing := opt.Missing()
	if opt.BotToken == "" && opt.Secrets == nil {
		missing = append([]string{"BotToken"}, missing...)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("slack: missing options: %s", strings.Join(missing, ", "))
	}
	if opt.APIURL != "" && !strings.HasSuffix(opt.APIURL, "/") {
		return nil, fmt.Errorf("slack: APIURL %q must end with \"/\"", opt.APIURL)
	}
	a := &Adapter{}
	k, err := opt.Build("slack", classify, a.deliver)
	if err != nil {
		return nil, err
	}
	a.opt, a.log, a.metrics, a.words = opt, k.Log, k.Metrics, k.Words
	a.run, a.cards, a.retry, a.cache = k.Run, k.Cards, k.Retry, k.Cache
	if opt.BotToken != "" {
		a.api = newClient(opt, opt.BotToken)
	}
	if opt.Secrets != nil {
		a.installs = &Installations{Store: opt.Store, Box: opt.Secrets, Clock: opt.Clock, Log: a.log}
	}
	if err := a.checkOAuth(); err != nil {
		return nil, err
	}
	return a, nil
}

func newClient(opt Options, token string) *client {
	hc := opt.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: httpTimeout, Transport: pooledTransport(opt.Workers)}
	}
	opts := []slackapi.Option{slackapi.OptionHTTPClient(hc)}
	base := slackapi.APIURL
	if opt.APIURL != "" {
		base = opt.APIURL
		opts = append(opts, slackapi.OptionAPIURL(opt.APIURL))
	}
	if opt.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(opt.AppToken))
	}
	return &client{Client: slackapi.New(token, opts...), token: token, hc: hc, base: base}
}

// pooledTransport keeps as many idle connections to Slack as there are
// workers: Go's default of 2 per host makes every other call of a busy
// pool open (and TLS-handshake) a new connection.
func pooledTransport(workers int) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(100, 2*workers),
		MaxIdleConnsPerHost:   max(workers, 2),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// SetHandler sets the turn handler (the engine). The engine takes the
// adapter as its Deliverer, so the two are wired in this order: New the
// adapter, build the engine with it, SetHandler(engine), then serve.
func (a *Adapter) SetHandler(h Handler) { a.run.SetHandler(h) }

// Connected reports whether Socket Mode holds a live connection to Slack
// (false before the first connection and while reconnecting).
func (a *Adapter) Connected() bool { return a.connected.Load() }

// Close stops taking work, lets queued turns finish until ctx is done,
// then cancels what is still running.
func (a *Adapter) Close(ctx context.Context) error { return a.run.Close(ctx) }

// Routes mounts the three Slack request endpoints on mux, and the
// install endpoints when OAuth is configured.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.Handle("POST /slack/events", a.endpoint("events", a.serveEvents))
	mux.Handle("POST /slack/interactions", a.endpoint("interactions", a.serveInteractions))
	mux.Handle("POST /slack/commands", a.endpoint("commands", a.serveCommands))
	a.InstallRoutes(mux)
}

// Installations is the store of OAuth installations, or nil when the app
// is not distributed (no Secrets).
func (a *Adapter) Installations() *Installations { return a.installs }

// orgOf is the Slack organization a request comes from: the workspace,
// or the Enterprise Grid org for an org-wide install.
func orgOf(team, enterprise string, enterpriseInstall bool) workflows.Org {
	return workflows.Org{Platform: "slack", ID: installID(team, enterprise, enterpriseInstall)}
}
