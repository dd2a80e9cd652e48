package channel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/workflows"
)

// Handler answers a turn; *bot.Engine is one. An interface so tests (and
// a future router) can stand in for the engine.
type Handler interface {
	Handle(ctx context.Context, t bot.Turn) ([]bot.Message, error)
}

// The engine is the handler the runner is built for.
var _ Handler = (*bot.Engine)(nil)

// ErrNoHandler: SetHandler was not called before serving.
var ErrNoHandler = errors.New("channel: no handler set (call SetHandler before serving)")

// DefaultJobTimeout bounds one queued turn's work.
const DefaultJobTimeout = 2 * time.Minute

// DefaultWorkers is four workers per processor: a turn mostly waits on
// the store, the portal and the platform, not on the CPU.
func DefaultWorkers() int { return WorkersFor(runtime.GOMAXPROCS(0)) }

// WorkersFor is DefaultWorkers on a machine of procs processors (8 on 2
// cores, 64 on 16).
func WorkersFor(procs int) int { return 4 * max(procs, 1) }

// DefaultQueueSize is what may wait for the workers: 64 turns each,
// about a second of work at full load on a small machine — enough to
// absorb the bursts in which a platform delivers again what it was
// refused, and short enough that a refused request is retried by the
// platform rather than answered too late (docs/BENCHMARKS.md, overload).
func DefaultQueueSize(workers int) int { return 64 * workers }

// Sender is who sent an inbound event, as the platform tells it.
type Sender struct {
	// Emails are the addresses to look the person up by, best first
	// (Teams: e-mail, then user principal name).
	Emails []string
	Locale string
	Org    workflows.Org
	// Bot: bots and deactivated accounts are never answered.
	Bot bool
}

// Inbound is one turn as an adapter decoded it. The closures are the
// platform's part: who sent it, and how to answer where they talk.
type Inbound struct {
	ReqID        string
	Kind         string
	Conversation string
	EventID      string
	// User is the platform's id of the sender, when known before
	// Identify; it keys the prediction of what the turn reads (see
	// TurnStarter). Conversation stands in for it when empty.
	User  string
	Text  string
	Press *bot.Press
	// Log carries the request's ids.
	Log      *slog.Logger
	Identify func(ctx context.Context) (Sender, error)
	// Reply shows m where the person is talking; owner is the person
	// (zero when they are not configured: no card is recorded then).
	Reply func(ctx context.Context, owner workflows.Person, m bot.Message) error
}

// TurnStarter is a Handler that can begin a platform event's turn
// before the sender is looked up: *bot.Engine claims the event and
// reads what the sender's previous turn read in one store round trip,
// so that the lookups and the engine's own claim-and-load are answered
// without further round trips. A lost claim is bot.ErrDuplicateEvent;
// finish is called when the turn is over.
type TurnStarter interface {
	StartTurn(ctx context.Context, platform, eventID, who string) (_ context.Context, finish func(), err error)
}

// Who is the sender, looked up.
type Who struct {
	Sender Sender
	Person workflows.Person
	Known  bool
	// Lang is the language of the adapter's own sentences.
	Lang string
}

// Options configure a Runner.
type Options struct {
	Platform string
	People   workflows.People
	Words    Words
	Clock    clock.Clock
	Log      *slog.Logger
	Metrics  Metrics
	// Workers and QueueSize size the pool (defaults DefaultWorkers and
	// DefaultQueueSize); JobTimeout bounds a queued turn.
	Workers    int
	QueueSize  int
	JobTimeout time.Duration
	// Deliver sends a message to someone other than the person talking
	// (an approver); the adapter's bot.Deliverer.
	Deliver func(ctx context.Context, reqID string, to workflows.Person, m bot.Message) error
}

// Runner is the pipeline every chat platform shares: queue the work,
// identify the sender, look them up, pick the language, answer someone
// not set up, run the engine (which de-duplicates the platform event),
// measure, and show the answers — the person's where they talk, others'
// through Deliver. The adapters only receive, reply and post cards.
type Runner struct {
	opt     Options
	handler atomic.Pointer[handlerBox]
	pool    *Pool
	// trouble: the last turn could not claim its event (the store is
	// unreachable); cleared by the next that can, or by StoreOK.
	trouble atomic.Bool
}

type handlerBox struct{ h Handler }

// NewRunner starts the worker pool; Close stops it.
func NewRunner(opt Options) *Runner {
	if opt.Workers <= 0 {
		opt.Workers = DefaultWorkers()
	}
	if opt.QueueSize <= 0 {
		opt.QueueSize = DefaultQueueSize(opt.Workers)
	}
	if opt.JobTimeout <= 0 {
		opt.JobTimeout = DefaultJobTimeout
	}
	if opt.Metrics == nil {
		opt.Metrics = NopMetrics{}
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Runner{opt: opt, pool: NewPool(opt.Workers, opt.QueueSize)}
}

// SetHandler sets the turn handler (the engine), which is built after the
// adapter because it takes the adapter as its Deliverer.
func (r *Runner) SetHandler(h Handler) { r.handler.Store(&handlerBox{h}) }

// Handler returns the turn handler, or nil.
func (r *Runner) Handler() Handler {
	if b := r.handler.Load(); b != nil {
		return b.h
	}
	return nil
}

// StoreTrouble reports whether the last turn could not claim its event
// because the store failed. An adapter that accepts a platform's event
// before its turn claims it then checks the store first (a signature's
// replay claim), so that while the store is down the platform is asked
// to deliver again later rather than told the event was received.
func (r *Runner) StoreTrouble() bool { return r.trouble.Load() }

// StoreOK says the store answered an adapter's own check.
func (r *Runner) StoreOK() { r.trouble.Store(false) }

// Workers is the size of the pool.
func (r *Runner) Workers() int { return r.opt.Workers }

// Close stops taking work, lets queued turns finish until ctx is done,
// then cancels what is still running.
func (r *Runner) Close(ctx context.Context) error { return r.pool.Close(ctx) }

// Idle waits until the queued work has run (tests).
func (r *Runner) Idle() { r.pool.Idle() }

// Submit queues work for one person (key) without waiting: a full queue
// or a closed runner is refused at once with ErrBusy or ErrClosed,
// counted and logged; the adapter answers so the platform retries. The
// job runs with JobTimeout, and a panic in it is logged, never fatal.
func (r *Runner) Submit(key, reqID, kind string, job func(ctx context.Context, log *slog.Logger) error) error {
	log := With(r.opt.Log, slog.String("request_id", reqID), slog.String("type", kind))
	err := r.pool.Submit(key, func(base context.Context) {
		ctx, cancel := context.WithTimeout(base, r.opt.JobTimeout)
		defer cancel()
		defer func() {
			if v := recover(); v != nil {
				log.ErrorContext(ctx, r.opt.Platform+" turn panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			}
		}()
		if err := job(ctx, log); err != nil {
			log.ErrorContext(ctx, r.opt.Platform+" turn failed", "err", err)
		}
	})
	switch {
	case errors.Is(err, ErrClosed):
		r.opt.Metrics.Dropped("closed")
		log.Warn(r.opt.Platform + " work refused: adapter closed")
	case errors.Is(err, ErrBusy):
		r.opt.Metrics.Dropped("queue_full")
		log.Warn(r.opt.Platform + " work refused: queue full")
	}
	return err
}

// Resolve identifies the sender and looks them up in People.
func (r *Runner) Resolve(ctx context.Context, in *Inbound) (Who, error) {
	s, err := in.Identify(ctx)
	if err != nil {
		return Who{}, fmt.Errorf("identify: %w", err)
	}
	w := Who{Sender: s}
	for _, email := range s.Emails {
		if email == "" {
			continue
		}
		p, err := r.opt.People.Person(ctx, s.Org, email)
		if err == nil {
			w.Person, w.Known = p, true
			break
		}
		if !errors.Is(err, workflows.ErrUnknownPerson) {
			return Who{}, fmt.Errorf("look up sender: %w", err)
		}
	}
	w.Lang = Lang(w.Person.Locale, s.Locale)
	return w, nil
}

// NotSetUp is the one answer to someone who is not configured.
func (r *Runner) NotSetUp(lang string) bot.Message {
	return bot.Message{Kind: bot.KindRefusal, Lang: lang, Text: r.opt.Words.Say(lang, NotSetUp)}
}

// Handle runs the whole pipeline for one queued turn and returns the
// engine's answers, shown by then. before, if set, runs once the sender
// is known and may take the turn over (an App Home view, a modal) by
// returning true.
func (r *Runner) Handle(ctx context.Context, in *Inbound, before func(context.Context, Who) (bool, error)) ([]bot.Message, error) {
	if ts, ok := r.Handler().(TurnStarter); ok && in.EventID != "" {
		who := in.User
		if who == "" {
			who = in.Conversation
		}
		sctx, finish, err := ts.StartTurn(ctx, r.opt.Platform, in.EventID, who)
		if errors.Is(err, bot.ErrDuplicateEvent) {
			// A platform retry of an event handled already (or being
			// handled on another replica): nothing to look up or say.
			in.Log.InfoContext(ctx, r.opt.Platform+" event already handled")
			r.opt.Metrics.Dropped("duplicate")
			return nil, nil
		}
		if err != nil {
			// The handler meets the store again and tells the person;
			// meanwhile the adapters check requests before accepting
			// them (StoreTrouble).
			in.Log.WarnContext(ctx, r.opt.Platform+" turn could not claim its event", "err", err)
			r.trouble.Store(true)
		} else {
			r.trouble.Store(false)
			defer finish()
			ctx = sctx
		}
	}
	w, err := r.Resolve(ctx, in)
	if err != nil || w.Sender.Bot {
		return nil, err
	}
	if before != nil {
		if done, err := before(ctx, w); done || err != nil {
			return nil, err
		}
	}
	if !w.Known {
		// One polite sentence and nothing else. The e-mail stays out of
		// the logs; the platform's user id is enough to find them.
		in.Log.InfoContext(ctx, r.opt.Platform+" user not configured", "has_email", len(w.Sender.Emails) > 0 && w.Sender.Emails[0] != "")
		return nil, in.Reply(ctx, workflows.Person{}, r.NotSetUp(w.Lang))
	}
	msgs, err := r.Turn(ctx, in, w)
	if errors.Is(err, bot.ErrDuplicateEvent) {
		return nil, nil
	}
	return msgs, errors.Join(err, r.Dispatch(ctx, in, w.Person, msgs))
}

// Turn runs the engine for a known person. A duplicate platform event
// (the engine's claim lost) returns bot.ErrDuplicateEvent and is
// counted; any other engine error is logged and the messages (the
// engine's sentence about it) are returned for showing.
func (r *Runner) Turn(ctx context.Context, in *Inbound, w Who) ([]bot.Message, error) {
	h := r.Handler()
	if h == nil {
		return nil, ErrNoHandler
	}
	t := bot.Turn{
		Person:       w.Person,
		Locale:       w.Sender.Locale,
		Platform:     r.opt.Platform,
		Org:          w.Sender.Org,
		Conversation: in.Conversation,
		EventID:      in.EventID,
		Text:         in.Text,
		Press:        in.Press,
	}
	start := r.opt.Clock.Now()
	msgs, err := h.Handle(ctx, t)
	r.opt.Metrics.TurnDuration(r.opt.Clock.Now().Sub(start))
	if errors.Is(err, bot.ErrDuplicateEvent) {
		in.Log.InfoContext(ctx, r.opt.Platform+" event already handled")
		r.opt.Metrics.Dropped("duplicate")
		return nil, err
	}
	if err != nil {
		in.Log.ErrorContext(ctx, "engine turn failed", "err", err)
	}
	return msgs, nil
}

// ForPerson reports whether m is for p (not for an approver).
func ForPerson(m bot.Message, p workflows.Person) bool {
	return m.To == "" || strings.EqualFold(m.To, p.Email)
}

// Dispatch shows a turn's answers: those for the person where they are
// talking, those for someone else through Deliver, never here.
func (r *Runner) Dispatch(ctx context.Context, in *Inbound, p workflows.Person, msgs []bot.Message) error {
	var errs []error
	for _, m := range msgs {
		if ForPerson(m, p) {
			errs = append(errs, in.Reply(ctx, p, m))
			continue
		}
		other, err := r.opt.People.ByEmail(ctx, m.To)
		if err != nil {
			in.Log.WarnContext(ctx, r.opt.Platform+" reply for an unknown recipient dropped", "kind", string(m.Kind), "request", m.RequestID, "err", err)
			continue
		}
		errs = append(errs, r.opt.Deliver(ctx, in.ReqID, other, m))
	}
	return errors.Join(errs...)
}
