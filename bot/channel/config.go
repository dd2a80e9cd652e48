package channel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/internal/backoff"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// Retry bounds of platform API calls.
const (
	// DefaultMaxRetries is the number of retries of one call.
	DefaultMaxRetries = 4
	// MinRetryAfter and MaxRetryAfter bound a 429's Retry-After: a
	// worker should not sit idle for minutes; if the platform still
	// refuses, the call fails loudly.
	MinRetryAfter = time.Second
	MaxRetryAfter = 60 * time.Second
)

// SleepFunc waits for d or until ctx is done (then it returns ctx.Err()).
type SleepFunc = backoff.SleepFunc

// Sleep is the real SleepFunc.
func Sleep(ctx context.Context, d time.Duration) error { return backoff.Sleep(ctx, d) }

// Config is what every chat adapter is configured with, beside its
// platform's credentials. Adapters embed it in their Options.
type Config struct {
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
	// Store holds the card records, caches and claims. Required.
	Store store.Store
	// Clock is the time. Required.
	Clock  clock.Clock
	Logger *slog.Logger
	// Workers is the size of the worker pool (default DefaultWorkers: 4
	// per processor); QueueSize the number of turns waiting across
	// workers (default DefaultQueueSize). Work is sharded by person, so
	// one person's turns run in order; a full queue refuses at once.
	Workers   int
	QueueSize int
	// JobTimeout bounds one queued turn (default DefaultJobTimeout).
	JobTimeout time.Duration
	// Metrics receives counters (default NopMetrics).
	Metrics Metrics
	// Sleep waits between retries (default Sleep); tests make it instant.
	Sleep SleepFunc
	// MaxRetries per platform API call (default DefaultMaxRetries;
	// negative: none).
	MaxRetries int
}

// Missing names the required fields that are not set.
func (c Config) Missing() []string {
	var out []string
	if c.People == nil {
		out = append(out, "People")
	}
	if c.Store == nil {
		out = append(out, "Store")
	}
	if c.Clock == nil {
		out = append(out, "Clock")
	}
	return out
}

// Kit is what an adapter is built from: the shared runner, card records,
// retry loop, cache and words, configured once.
type Kit struct {
	Log     *slog.Logger
	Metrics Metrics
	Words   Words
	Run     *Runner
	Cards   *Cards
	Retry   *Retrier
	Cache   *Cache
}

// Build fills the defaults of c (in place, so the adapter sees them) and
// builds the kit for platform. classify is the platform's retry policy;
// deliver its bot.Deliverer, used for replies meant for someone else.
func (c *Config) Build(platform string, classify func(error, int) (time.Duration, bool, bool),
	deliver func(ctx context.Context, reqID string, to workflows.Person, m bot.Message) error) (Kit, error) {
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers()
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.Translator == nil {
		tr, err := bot.NewTranslator()
		if err != nil {
			return Kit{}, fmt.Errorf("%s: %w", platform, err)
		}
		c.Translator = tr
	}
	if c.Sleep == nil {
		c.Sleep = Sleep
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", platform)
	k := Kit{Log: log, Metrics: c.Metrics, Words: NewWords(c.Translator)}
	k.Retry = &Retrier{Platform: platform, Retries: c.MaxRetries, Sleep: c.Sleep, Metrics: c.Metrics, Log: log, Classify: classify}
	k.Cards = &Cards{Store: c.Store, Clock: c.Clock, Log: log, Platform: platform}
	k.Cache = &Cache{Store: c.Store, Log: log, Platform: platform}
	k.Run = NewRunner(Options{
		Platform: platform, People: c.People, Words: k.Words, Clock: c.Clock, Log: log, Metrics: c.Metrics,
		Workers: c.Workers, QueueSize: c.QueueSize, JobTimeout: c.JobTimeout, Deliver: deliver,
	})
	if c.Handler != nil {
		k.Run.SetHandler(c.Handler)
	}
	return k, nil
}

// Cache keeps small values (a user's e-mail, a DM channel id) in the
// store's conversation space, with a TTL. A miss, an error or a corrupt
// value all mean "ask the platform".
type Cache struct {
	Store    store.Conversations
	Log      *slog.Logger
	Platform string
}

// Get reads key into v and reports whether it was there.
func (c *Cache) Get(ctx context.Context, key string, v any) bool {
	data, err := c.Store.GetConversation(ctx, key)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			c.Log.WarnContext(ctx, c.Platform+" cache unreadable", "err", err)
		}
		return false
	}
	return json.Unmarshal(data, v) == nil
}

// Put writes v under key for ttl; a failure is logged, not returned.
func (c *Cache) Put(ctx context.Context, key string, v any, ttl time.Duration) {
	data, err := json.Marshal(v)
	if err == nil {
		err = c.Store.PutConversation(ctx, key, data, ttl)
	}
	if err != nil {
		c.Log.WarnContext(ctx, c.Platform+" cache not written", "err", err)
	}
}
