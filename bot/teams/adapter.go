package teams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// Handler answers a turn; *bot.Engine is one.
type Handler = channel.Handler

// Metrics receives the adapter's measurements (see PrometheusMetrics).
type Metrics = channel.Metrics

// NopMetrics discards everything; it is the default.
type NopMetrics = channel.NopMetrics

// Defaults for Options.
const (
	// DefaultInvokeTimeout bounds a card press: Teams gives up on an
	// invoke after about 15 seconds.
	DefaultInvokeTimeout = 10 * time.Second
	// DefaultServiceURL is Teams' global Bot Connector endpoint, used for
	// the approvals conversation until an activity from it tells us its
	// regional one.
	DefaultServiceURL = "https://smba.trafficmanager.net/teams/"
	// maxBody bounds what is read of a request; Teams activities are far
	// smaller.
	maxBody = 1 << 20
	// userTTL is how long a Teams user's e-mail is cached, so the roster
	// is not read for every message.
	userTTL = 12 * time.Hour
	// cardTTL is how long the card shown in a message is remembered for
	// presses and refreshes (its confirmation text, its buttons).
	cardTTL = 7 * 24 * time.Hour
	// httpTimeout is the default timeout of outbound HTTP calls.
	httpTimeout = 15 * time.Second
)

// ErrNoConversation: the person has never written to the bot nor
// installed it, so there is no conversation to write into yet (Teams
// has no "message this e-mail"). Deliver returns it wrapped; a router
// delivering over several platforms can try the next one.
var ErrNoConversation = errors.New("teams: no conversation with this person yet")

// Options configure an Adapter.
type Options struct {
	// AppID and AppPassword are the Azure bot's Microsoft App ID and
	// client secret (TEAMS_APP_ID, TEAMS_APP_PASSWORD). Required.
	AppID       string
	AppPassword string
	// TenantID is the tenant of a single-tenant bot (TEAMS_TENANT_ID):
	// tokens come from that tenant's authority, and activities from
	// other tenants are refused (403). Empty means a multi-tenant bot.
	TenantID string
	// OpenIDMetadataURL locates the keys that sign inbound requests
	// (default DefaultOpenIDMetadataURL; tests point it at their own).
	OpenIDMetadataURL string
	// TokenURL is where the bot gets its outbound token (default: the
	// tenant's authority, or MultiTenantTokenURL without a TenantID).
	TokenURL string
	// Handler answers turns (the engine). It may be nil at New and set
	// with SetHandler before serving, because the engine is built with
	// the adapter as its Deliverer.
	Handler Handler
	// People says who is configured (a *workflows.Directory is one).
	// Required.
	People workflows.People
	// Translator words the adapter's own sentences (default: the
	// embedded catalogs).
	Translator *bot.Translator
	// Store keeps conversation references, the card records, the card
	// shown in each message and the e-mail cache. Required.
	Store store.Store
	// Clock is the time (token validity, caches, pacing). Required.
	Clock  clock.Clock
	Logger *slog.Logger
	// Workers is the size of the worker pool for messages (default
	// channel.DefaultWorkers: 4 per processor), QueueSize the number of
	// turns waiting across workers (default channel.DefaultQueueSize).
	// Work is sharded by person, so one person's messages are handled in
	// order. A message that finds the queue full is answered 503 at once,
	// logged and counted (the Bot Framework then retries it; see the
	// package documentation); Workers also bounds the card presses
	// answered at once.
	Workers   int
	QueueSize int
	// JobTimeout bounds one message's work (default
	// channel.DefaultJobTimeout); InvokeTimeout a card press (default
	// DefaultInvokeTimeout).
	JobTimeout    time.Duration
	InvokeTimeout time.Duration
	// HTTPClient for the Bot Connector, the token endpoint and the key
	// set (default: 15 s timeout).
	HTTPClient *http.Client
	// Metrics receives counters (default NopMetrics). See
	// PrometheusMetrics.
	Metrics Metrics
	// ApprovalsConversation, if set, is a Teams conversation id (a
	// channel, "19:…@thread.tacv2", or a group chat) where approval cards
	// go for approvers the bot cannot reach yet (they never wrote to it).
	// The bot must be installed there.
	ApprovalsConversation string
	// ApprovalsServiceURL is the service URL for ApprovalsConversation
	// until an activity from that conversation says otherwise (default
	// DefaultServiceURL).
	ApprovalsServiceURL string
	// Sleep waits between retries and for pacing (default Sleep); tests
	// make it instant.
	Sleep SleepFunc
	// MaxRetries per Bot Connector call (default 4; negative: none).
	MaxRetries int
}

// Adapter is the Microsoft Teams channel adapter. Create it with New; it
// is safe for concurrent use.
type Adapter struct {
	opt     Options
	log     *slog.Logger
	metrics Metrics
	words   channel.Words
	auth    *tokenValidator
	conn    *connector
	run     *channel.Runner
	cards   *channel.Cards
	// invokes bounds the card presses answered at once.
	invokes chan struct{}
}

// New checks the options and starts the worker pool. Call Close to stop
// it.
func New(opt Options) (*Adapter, error) {
	var missing []string
	if opt.AppID == "" {
		missing = append(missing, "AppID")
	}
	if opt.AppPassword == "" {
		missing = append(missing, "AppPassword")
	}
	if opt.People == nil {
		missing = append(missing, "People")
	}
	if opt.Store == nil {
		missing = append(missing, "Store")
	}
	if opt.Clock == nil {
		missing = append(missing, "Clock")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("teams: missing options: %s", strings.Join(missing, ", "))
	}
	if opt.OpenIDMetadataURL == "" {
		opt.OpenIDMetadataURL = DefaultOpenIDMetadataURL
	}
	if opt.TokenURL == "" {
		opt.TokenURL = MultiTenantTokenURL
		if opt.TenantID != "" {
			opt.TokenURL = fmt.Sprintf(DefaultTokenURLFormat, opt.TenantID)
		}
	}
	if opt.ApprovalsServiceURL == "" {
		opt.ApprovalsServiceURL = DefaultServiceURL
	}
	if opt.Workers <= 0 {
		opt.Workers = channel.DefaultWorkers()
	}
	if opt.JobTimeout <= 0 {
		opt.JobTimeout = channel.DefaultJobTimeout
	}
	if opt.Translator == nil {
		tr, err := bot.NewTranslator()
		if err != nil {
			return nil, fmt.Errorf("teams: %w", err)
		}
		opt.Translator = tr
	}
	if opt.InvokeTimeout <= 0 {
		opt.InvokeTimeout = DefaultInvokeTimeout
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: httpTimeout}
	}
	if opt.Sleep == nil {
		opt.Sleep = Sleep
	}
	switch {
	case opt.MaxRetries == 0:
		opt.MaxRetries = defaultMaxRetries
	case opt.MaxRetries < 0:
		opt.MaxRetries = 0
	}
	a := &Adapter{opt: opt, log: opt.Logger, metrics: opt.Metrics, invokes: make(chan struct{}, opt.Workers),
		words: channel.NewWords(opt.Translator)}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("component", "teams")
	if a.metrics == nil {
		a.metrics = NopMetrics{}
	}
	a.auth = newTokenValidator(opt.OpenIDMetadataURL, opt.AppID, opt.HTTPClient, opt.Clock, a.log)
	a.conn = &connector{
		http: opt.HTTPClient, tokenURL: opt.TokenURL, appID: opt.AppID, password: opt.AppPassword,
		clock: opt.Clock, sleep: opt.Sleep, pacer: newPacer(teamsLimits()),
		retry: &channel.Retrier{Platform: "teams", Retries: opt.MaxRetries, Sleep: opt.Sleep, Metrics: a.metrics, Log: a.log, Classify: classify},
	}
	a.cards = &channel.Cards{Store: opt.Store, Clock: opt.Clock, Log: a.log, Platform: "teams"}
	a.run = channel.NewRunner(channel.Options{
		Platform: "teams", People: opt.People, Words: a.words, Clock: opt.Clock, Log: a.log, Metrics: a.metrics,
		Workers: opt.Workers, QueueSize: opt.QueueSize, JobTimeout: opt.JobTimeout,
		Deliver: func(ctx context.Context, reqID string, to workflows.Person, m bot.Message) error {
			return a.deliver(ctx, reqID, to, m, true)
		},
	})
	if opt.Handler != nil {
		a.SetHandler(opt.Handler)
	}
	return a, nil
}

// SetHandler sets the turn handler (the engine). The engine takes the
// adapter as its Deliverer, so the two are wired in this order: New the
// adapter, build the engine with it, SetHandler(engine), then serve.
func (a *Adapter) SetHandler(h Handler) { a.run.SetHandler(h) }

// Close stops taking messages, lets queued turns finish until ctx is
// done, then cancels what is still running.
func (a *Adapter) Close(ctx context.Context) error { return a.run.Close(ctx) }

// Routes mounts the Bot Framework messaging endpoint on mux: the Azure
// bot's "Messaging endpoint" is https://<host>/api/messages.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.Handle("POST /api/messages", http.HandlerFunc(a.serveHTTP))
}
