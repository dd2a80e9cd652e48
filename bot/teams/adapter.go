package teams

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// Handler answers a turn; *bot.Engine is one. An interface so tests (and
// a future router) can stand in for the engine.
type Handler interface {
	Handle(ctx context.Context, t bot.Turn) ([]bot.Message, error)
}

// The engine is the handler the adapter is built for.
var _ Handler = (*bot.Engine)(nil)

// Defaults for Options.
const (
	DefaultWorkers     = 8
	DefaultQueueSize   = 256
	DefaultEnqueueWait = 500 * time.Millisecond
	DefaultJobTimeout  = 2 * time.Minute
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
	// presses and refreshes when it has no Key (a preview, a refusal);
	// cards with a Key are kept for good with their message reference.
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
	// Directory says who is configured. Required.
	Directory *workflows.Directory
	// Store keeps conversation references, the card shown in each
	// message, the e-mail cache and claims. Required.
	Store store.Store
	// Clock is the time (token validity, caches, pacing). Required.
	Clock  clock.Clock
	Logger *slog.Logger
	// Workers is the size of the worker pool for messages (default
	// DefaultWorkers), QueueSize the number of turns waiting across
	// workers (default DefaultQueueSize). Work is sharded by person, so
	// one person's messages are handled in order. A message that finds
	// the queue full for EnqueueWait (default DefaultEnqueueWait) is
	// answered 503, logged and counted; Workers also bounds the card
	// presses answered at once.
	Workers     int
	QueueSize   int
	EnqueueWait time.Duration
	// JobTimeout bounds one message's work (default DefaultJobTimeout);
	// InvokeTimeout a card press (default DefaultInvokeTimeout).
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
	auth    *tokenValidator
	conn    *connector
	handler atomic.Pointer[handlerBox]
	pool    *pool
	// invokes bounds the card presses answered at once.
	invokes chan struct{}
	// cardLocks serialise the post-or-update of one card (striped by
	// key and recipient), so two deliveries of one card do not both post.
	cardLocks [64]sync.Mutex
}

type handlerBox struct{ h Handler }

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
	if opt.Directory == nil {
		missing = append(missing, "Directory")
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
		opt.Workers = DefaultWorkers
	}
	if opt.QueueSize <= 0 {
		opt.QueueSize = DefaultQueueSize
	}
	if opt.EnqueueWait <= 0 {
		opt.EnqueueWait = DefaultEnqueueWait
	}
	if opt.JobTimeout <= 0 {
		opt.JobTimeout = DefaultJobTimeout
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
	a := &Adapter{opt: opt, log: opt.Logger, metrics: opt.Metrics, invokes: make(chan struct{}, opt.Workers)}
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
		clock: opt.Clock, sleep: opt.Sleep, retries: opt.MaxRetries, metrics: a.metrics, log: a.log,
		pacer: newPacer(teamsLimits()),
	}
	if opt.Handler != nil {
		a.SetHandler(opt.Handler)
	}
	a.pool = newPool(opt.Workers, opt.QueueSize, a.runJob)
	return a, nil
}

// SetHandler sets the turn handler (the engine). The engine takes the
// adapter as its Deliverer, so the two are wired in this order: New the
// adapter, build the engine with it, SetHandler(engine), then serve.
func (a *Adapter) SetHandler(h Handler) { a.handler.Store(&handlerBox{h}) }

func (a *Adapter) currentHandler() Handler {
	if b := a.handler.Load(); b != nil {
		return b.h
	}
	return nil
}

// Close stops taking messages, lets queued turns finish until ctx is
// done, then cancels what is still running.
func (a *Adapter) Close(ctx context.Context) error {
	return a.pool.Close(ctx)
}

// Routes mounts the Bot Framework messaging endpoint on mux: the Azure
// bot's "Messaging endpoint" is https://<host>/api/messages.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.Handle("POST /api/messages", http.HandlerFunc(a.serveHTTP))
}

// newRequestID names one inbound request or outbound delivery in logs.
func newRequestID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// lockCard serialises work on one card (key + recipient).
func (a *Adapter) lockCard(id string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	mu := &a.cardLocks[h.Sum32()%uint32(len(a.cardLocks))]
	mu.Lock()
	return mu.Unlock
}

// errHandlerMissing: SetHandler was not called before serving.
var errHandlerMissing = errors.New("teams: no handler set (call SetHandler before serving)")
