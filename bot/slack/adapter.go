package slack

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
	slackapi "github.com/slack-go/slack"
)

// Handler answers a turn; *bot.Engine is one. An interface so tests (and
// a future router) can stand in for the engine.
type Handler interface {
	Handle(ctx context.Context, t bot.Turn) ([]bot.Message, error)
}

// HomeFunc returns the messages to show on someone's App Home tab (their
// customer's subscriptions), in lang.
type HomeFunc func(ctx context.Context, p workflows.Person, lang string) []bot.Message

// Defaults for Options.
const (
	DefaultWorkers     = 8
	DefaultQueueSize   = 256
	DefaultEnqueueWait = 500 * time.Millisecond
	DefaultJobTimeout  = 2 * time.Minute
	// maxBody bounds what is read of a request; Slack's payloads are far
	// smaller.
	maxBody = 1 << 20
	// maxSkew is how far a request's timestamp may be from our clock.
	maxSkew = 5 * time.Minute
	// seenTTL outlives the ±5 minute window, so a signature cannot be
	// replayed while its timestamp is still accepted.
	seenTTL = 2*maxSkew + time.Minute
	// eventTTL covers Slack's retries (≈ immediately, 1 min, 5 min).
	eventTTL = time.Hour
	// userTTL is how long a Slack user's e-mail and locale are cached,
	// so we do not call users.info for every message.
	userTTL = 12 * time.Hour
)

// Options configure an Adapter.
type Options struct {
	// BotToken is the xoxb- token (SLACK_BOT_TOKEN). Required.
	BotToken string
	// SigningSecret verifies HTTP requests (SLACK_SIGNING_SECRET);
	// required to serve Routes.
	SigningSecret string
	// AppToken is the xapp- token for Socket Mode (SLACK_APP_TOKEN).
	AppToken string
	// APIURL overrides Slack's Web API base URL (tests); it must end
	// with "/".
	APIURL string
	// Handler answers turns (the engine). It may be nil at New and set
	// with SetHandler before serving, because the engine is built with
	// the adapter as its Deliverer.
	Handler Handler
	// Directory says who is configured. Required.
	Directory *workflows.Directory
	// Store holds event claims, the user cache and the message refs of
	// cards. Required.
	Store store.Store
	// Clock is the time (signature window, latency). Required.
	Clock  clock.Clock
	Logger *slog.Logger
	// Workers is the size of the worker pool (default DefaultWorkers);
	// QueueSize the number of turns waiting, across workers (default
	// DefaultQueueSize). Work is sharded by Slack user, so one person's
	// turns run in order.
	Workers   int
	QueueSize int
	// EnqueueWait is how long a request may wait for room in a full
	// queue (default DefaultEnqueueWait): short enough to answer Slack
	// within its 3 seconds. When the queue stays full, nothing is lost
	// silently: an event gets 503 and its de-dup claim is released, so
	// Slack delivers it again later (over Socket Mode it is left
	// unacknowledged, to the same effect); a /licences command answers
	// "I'm very busy, try again"; a button press is logged and counted
	// (slack_dropped_total{reason="queue_full"}) and its button stays, so
	// the person can press again. Each refusal is logged with its
	// request id.
	EnqueueWait time.Duration
	// JobTimeout bounds one turn's work (default DefaultJobTimeout).
	JobTimeout time.Duration
	// Metrics receives counters (default NopMetrics). See
	// PrometheusMetrics.
	Metrics Metrics
	// ApprovalsChannel, if set, is a channel id where approval cards are
	// also posted and kept up to date.
	ApprovalsChannel string
	// Home builds the App Home tab; nil shows a short how-to.
	Home HomeFunc
	// CardPosted, if set, hears about every new card (a message with a
	// Key) posted, with where it landed, so the request can keep the ids
	// of the messages that show it. Errors are the callee's to log.
	CardPosted func(ctx context.Context, m bot.Message, channel, ts string)
	// HTTPClient for the Web API (default: 15 s timeout).
	HTTPClient *http.Client
	// Sleep waits between retries (default Sleep); tests make it instant.
	Sleep SleepFunc
	// MaxRetries per Web API call (default 4; negative: none).
	MaxRetries int
}

// Adapter is the Slack channel adapter. Create it with New; it is safe
// for concurrent use.
type Adapter struct {
	opt     Options
	log     *slog.Logger
	api     *slackapi.Client
	metrics Metrics
	sleep   SleepFunc
	retries int
	handler atomic.Pointer[handlerBox]
	// connected: Socket Mode holds a live connection (readiness).
	connected atomic.Bool
	pool      *pool
	// cardLocks serialise the post-or-update of one card (striped by
	// key), so two deliveries of the same card do not both post.
	cardLocks [64]sync.Mutex
}

type handlerBox struct{ h Handler }

// The engine is the handler the adapter is built for.
var _ Handler = (*bot.Engine)(nil)

// New checks the options and starts the worker pool. Call Close to stop
// it.
func New(opt Options) (*Adapter, error) {
	var missing []string
	if opt.BotToken == "" {
		missing = append(missing, "BotToken")
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
		return nil, fmt.Errorf("slack: missing options: %s", strings.Join(missing, ", "))
	}
	if opt.APIURL != "" && !strings.HasSuffix(opt.APIURL, "/") {
		return nil, fmt.Errorf("slack: APIURL %q must end with \"/\"", opt.APIURL)
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
	a := &Adapter{opt: opt, log: opt.Logger, metrics: opt.Metrics, sleep: opt.Sleep, retries: opt.MaxRetries}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("component", "slack")
	if a.metrics == nil {
		a.metrics = NopMetrics{}
	}
	if a.sleep == nil {
		a.sleep = Sleep
	}
	switch {
	case a.retries == 0:
		a.retries = defaultMaxRetries
	case a.retries < 0:
		a.retries = 0
	}
	a.api = newClient(opt, opt.BotToken)
	if opt.Handler != nil {
		a.SetHandler(opt.Handler)
	}
	a.pool = newPool(opt.Workers, opt.QueueSize, a.runJob)
	return a, nil
}

func newClient(opt Options, token string) *slackapi.Client {
	hc := opt.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	opts := []slackapi.Option{slackapi.OptionHTTPClient(hc)}
	if opt.APIURL != "" {
		opts = append(opts, slackapi.OptionAPIURL(opt.APIURL))
	}
	if opt.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(opt.AppToken))
	}
	return slackapi.New(token, opts...)
}

// SetHandler sets the turn handler (the engine). The engine takes the
// adapter as its Deliverer, so the two are wired in this order: New the
// adapter, build the engine with it, SetHandler(engine), then serve.
func (a *Adapter) SetHandler(h Handler) { a.handler.Store(&handlerBox{h}) }

// Connected reports whether Socket Mode holds a live connection to Slack
// (false before the first connection and while reconnecting).
func (a *Adapter) Connected() bool { return a.connected.Load() }

func (a *Adapter) currentHandler() Handler {
	if b := a.handler.Load(); b != nil {
		return b.h
	}
	return nil
}

// Close stops taking work, lets queued turns finish until ctx is done,
// then cancels what is still running.
func (a *Adapter) Close(ctx context.Context) error {
	return a.pool.Close(ctx)
}

// Routes mounts the three Slack endpoints on mux.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.Handle("POST /slack/events", a.endpoint("events", a.serveEvents))
	mux.Handle("POST /slack/interactions", a.endpoint("interactions", a.serveInteractions))
	mux.Handle("POST /slack/commands", a.endpoint("commands", a.serveCommands))
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
var errHandlerMissing = errors.New("slack: no handler set (call SetHandler before serving)")
