package reminders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// ErrNoSender: RunDue was called on an engine built without a Sender.
var ErrNoSender = errors.New("reminders: no sender")

// run is one customer's pass over what is due, with what it read once.
type run struct {
	e        *Engine
	customer string
	now      time.Time
	pol      Policy
	subs     map[string]csp.Subscription
	reqs     []workflows.Request
	reqsRead bool
	cat      *csp.Catalog
	catRead  bool
	// prefs are the batch's preferences, read with its ledger (by
	// prefsRef id); a missing id is read on demand.
	prefs map[string]Prefs
	// written are the ledger documents this run wrote, as written: a
	// batch read ahead may hold an older version of one.
	written map[string]*ledgerState
}

// verdict is what to do with a claimed item.
type verdict int

const (
	send    verdict = iota
	stale           // no longer useful: dropped with a log line
	muted           // the recipient does not want it
	later           // not ready (the portal has not shown the new term yet)
	handled         // already in the ledger
)

// batchSize is how many due items share one claim round trip, one read
// of their ledgers and preferences and one ledger write (the unschedule
// is one per queue and tick).
// It also bounds what a crash between sending and recording can leave
// sent but unrecorded (two batches: the one being recorded and the one
// decided after it): those items stay claimed for ClaimTTL, then are
// sent again, as a single item always could be.
const batchSize = 100

// settleTimeout bounds the writes that must happen even when the tick's
// context has ended (a shutdown mid-tick): recording what was sent and
// giving back the claims of what was not.
const settleTimeout = 10 * time.Second

// settling is ctx without its cancellation, bounded by settleTimeout: a
// reminder sent but not recorded because the process was stopping would
// be sent again once its claim expires, and a claim not given back keeps
// an unsent reminder waiting for as long.
func settling(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

// RunDue sends what is due for a customer: it reads at most MaxPerTick
// due items per queue from the store (never the whole schedule) and
// handles each exactly once across replicas, batchSize at a time: the
// batch is claimed together, its ledgers and preferences read together,
// and after sending, its outcomes recorded together; the queue's items
// recorded are unscheduled together at the end. Store failures stop the
// run and are returned; a failed send is counted in Retry and retried on
// a later tick.
//
// The batches go through three stages at once (see runQueue): the
// store's work on one and ours on another overlap. Sends stay in due
// order, in this goroutine.
func (e *Engine) RunDue(ctx context.Context, customerID string) (Report, error) {
	var rep Report
	if e.sender() == nil {
		return rep, ErrNoSender
	}
	r := &run{e: e, customer: customerID, now: e.opt.Clock.Now(), pol: e.policy(customerID), written: map[string]*ledgerState{}}
	for _, q := range []string{Queue, QueuePersonal} {
		items, err := e.opt.Store.Due(ctx, customerID, q, r.now, e.opt.MaxPerTick)
		if err != nil {
			return rep, fmt.Errorf("reminders: read due items of %s: %w", customerID, err)
		}
		// What the batches are done with leaves the queue in one call at
		// the end: an item recorded but still scheduled is only
		// unscheduled when seen again (its ledger entry says so), and its
		// claim keeps it from being seen again meanwhile. Each leaves
		// only if still scheduled at the instant read: one that Sync
		// moved meanwhile is a new reminder.
		var done []store.ScheduledItem
		err = r.runQueue(ctx, q, items, &rep, &done)
		if err != nil {
			sctx, cancel := settling(ctx)
			uerr := store.UnscheduleDueAll(sctx, e.opt.Store, customerID, q, done)
			cancel()
			if uerr != nil {
				e.log.WarnContext(ctx, "unschedule handled reminders", "customer_id", customerID, "n", len(done), "err", uerr)
			}
			return rep, err
		}
		if err := store.UnscheduleDueAll(ctx, e.opt.Store, customerID, q, done); err != nil {
			return rep, fmt.Errorf("reminders: unschedule %d items: %w", len(done), err)
		}
	}
	return rep, nil
}

// runQueue handles a queue's due items batch by batch in three stages,
// each in its own goroutine, so that the store's work and ours overlap:
// batch k+1 is claimed and read (prepare) while batch k is decided and
// sent (handle, in this goroutine, in due order) and batch k-1 recorded
// (the recorder). The items of a batch are claimed before they are
// read, read before any is sent, and unscheduled only once recorded.
// When the recorder fails, handle stops before its next send; what was
// sent and not recorded keeps its claim, the rest is released.
func (r *run) runQueue(ctx context.Context, queue string, items []store.ScheduledItem, rep *Report, done *[]store.ScheduledItem) error {
	if len(items) == 0 {
		return nil
	}
	prepare := func(items []store.ScheduledItem) <-chan *batch {
		ch := make(chan *batch, 1)
		go func() { ch <- r.prepare(ctx, queue, items) }()
		return ch
	}
	rec := r.startRecorder(ctx)
	stopped := false
	defer func() {
		if !stopped { // a panic (say, in a Sender): let the recorder end
			close(rec.jobs)
		}
	}()
	n := min(len(items), batchSize)
	next := prepare(items[:n])
	items = items[n:]
	var err error
	for next != nil && err == nil {
		b := <-next
		next = nil
		if b.err == nil && len(items) > 0 {
			n := min(len(items), batchSize)
			next = prepare(items[:n])
			items = items[n:]
		}
		err = r.handle(ctx, b, rep, rec)
	}
	if next != nil {
		// Claimed ahead and not handled: give the claims back.
		if b := <-next; b.err == nil {
			r.releaseAll(ctx, b.claims())
		}
	}
	close(rec.jobs)
	stopped = true
	<-rec.stopped
	*done = append(*done, rec.done...)
	if rec.err != nil {
		return rec.err // the run's error; handle said only errRecorderFailed
	}
	return err
}

// errRecorderFailed: handle stopped because the recorder failed (its
// error is the run's).
var errRecorderFailed = errors.New("reminders: recording failed")

// recorder records batches' outcomes one after the other, in its own
// goroutine. Only it touches run.written, done and err until stopped is
// closed.
type recorder struct {
	jobs    chan recordJob
	stopped chan struct{}
	failed  atomic.Bool // err is set: send nothing more
	done    []store.ScheduledItem
	err     error
}

// recordJob is a decided batch: the outcomes to record, the claims to
// give back and the items to unschedule once recorded.
type recordJob struct {
	b          *batch
	outcomes   []outcome
	release    []string
	unschedule []store.ScheduledItem
	counts     Report // the batch's, for its log line
}

func (r *run) startRecorder(ctx context.Context) *recorder {
	// One job waiting while one is recorded: handle is at most one batch
	// ahead of the recorder.
	rec := &recorder{jobs: make(chan recordJob), stopped: make(chan struct{})}
	go func() {
		defer close(rec.stopped)
		for j := range rec.jobs {
			r.recordJob(ctx, rec, j)
		}
	}()
	return rec
}

func (r *run) recordJob(ctx context.Context, rec *recorder, j recordJob) {
	ctx, cancel := settling(ctx)
	defer cancel()
	release := j.release
	if rec.err == nil {
		// A ledger this run wrote since the batch read it (two due
		// items of one subscription in consecutive batches) is taken as
		// written.
		for owner, ls := range j.b.ledgers {
			if w := r.written[owner]; w != nil && (ls == nil || w.version > ls.version) {
				j.b.ledgers[owner] = w
			}
		}
		if err := r.record(ctx, j.b.ledgers, j.outcomes); err != nil {
			rec.err = err
			rec.failed.Store(true)
		}
	}
	if rec.err != nil {
		// Nothing unsent may stay claimed: decide again on a later
		// tick. What was sent keeps its claim, so it is not sent again
		// before the claim expires.
		for _, o := range j.outcomes {
			if !o.sent {
				release = append(release, o.c.ckey)
			}
		}
		r.releaseAll(ctx, release)
		return
	}
	r.releaseAll(ctx, release)
	for _, o := range j.outcomes {
		j.unschedule = append(j.unschedule, o.c.it)
	}
	rec.done = append(rec.done, j.unschedule...)
	c := j.counts
	r.e.log.InfoContext(ctx, "reminders handled", "customer_id", r.customer, "queue", j.b.queue, "due", j.b.n,
		"sent", c.Sent, "dropped", c.Dropped, "muted", c.Muted, "retry", c.Retry, "busy", c.Busy, "done", c.Done)
}

func claimKey(customerID, queue string, it store.ScheduledItem) string {
	return claimKeyOf(customerID, queue, itemKey(it.ID, it.Due))
}

// claimKeyOf is claimKey of the item whose ledger key is key.
func claimKeyOf(customerID, queue, key string) string {
	return "reminder:" + customerID + ":" + queue + ":" + key
}

// claimed is one item of a batch this replica claimed.
type claimed struct {
	it    store.ScheduledItem
	ckey  string
	p     payload
	pers  *Personal
	key   string // ledger key
	owner string // ledger document
	err   error  // why the payload does not decode
}

// outcome is what to record for a claimed item once its batch is done.
type outcome struct {
	c     *claimed
	entry ledgerEntry
	sent  bool
}

// batch is a batch of due items of one queue, claimed and read: what
// prepare hands to handle.
type batch struct {
	queue      string
	n          int        // due items
	busy       int        // claimed by another replica
	mine       []*claimed // won and readable, in due order
	unreadable []*claimed // won, payload does not decode: dropped
	ledgers    map[string]*ledgerState
	prefs      map[string]Prefs
	err        error // the claim or the read failed (the batch's claims released)
}

// claims are the claim keys the batch holds.
func (b *batch) claims() []string {
	keys := make([]string, 0, len(b.mine)+len(b.unreadable))
	for _, c := range b.mine {
		keys = append(keys, c.ckey)
	}
	for _, c := range b.unreadable {
		keys = append(keys, c.ckey)
	}
	return keys
}

// prepare claims a batch of due items and reads the ledgers and
// preferences of those it won. It runs beside handle (of the batch
// before), so it touches nothing of the run but what never changes.
func (r *run) prepare(ctx context.Context, queue string, items []store.ScheduledItem) *batch {
	b := &batch{queue: queue, n: len(items)}
	keys := make([]string, len(items))
	cs := make([]claimed, len(items))
	for i, it := range items {
		cs[i].it, cs[i].key = it, itemKey(it.ID, it.Due)
		keys[i] = claimKeyOf(r.customer, queue, cs[i].key)
		cs[i].ckey = keys[i]
	}
	won, err := store.ClaimAll(ctx, r.e.opt.Store, keys, r.e.opt.ClaimTTL)
	if err != nil {
		b.err = fmt.Errorf("reminders: claim %d due items: %w", len(items), err)
		return b
	}
	for i := range cs {
		c := &cs[i]
		if !won[i] {
			b.busy++
			continue
		}
		p, pers, err := decodePayload(queue, c.it.Payload)
		if err != nil {
			c.err = err
			b.unreadable = append(b.unreadable, c)
			continue
		}
		c.p, c.pers, c.owner = p, pers, p.owner()
		b.mine = append(b.mine, c)
	}
	if b.ledgers, b.prefs, err = r.readBatch(ctx, b.mine); err != nil {
		r.releaseAll(ctx, b.claims())
		b.err = err
	}
	return b
}

// handle decides and sends each item of a prepared batch, in order, and
// hands the outcomes to the recorder. It returns an error when the store
// failed: the batch could not be claimed or read (its claims given
// back), or the recorder failed (handle stops before its next send and
// gives back the claims of what it did not send).
func (r *run) handle(ctx context.Context, b *batch, rep *Report, rec *recorder) error {
	if b.err != nil {
		return b.err
	}
	e := r.e
	before := *rep
	j := recordJob{
		b:          b,
		outcomes:   make([]outcome, 0, len(b.mine)),
		unschedule: make([]store.ScheduledItem, 0, len(b.mine)+len(b.unreadable)),
	}
	rep.Busy += b.busy
	for _, c := range b.unreadable {
		e.log.ErrorContext(ctx, "reminder dropped: unreadable", "customer_id", r.customer, "reminder_id", c.it.ID, "due", c.it.Due, "err", c.err)
		rep.Dropped++
		j.unschedule = append(j.unschedule, c.it)
	}
	r.prefs = b.prefs
	var stopped error
	for i, c := range b.mine {
		if rec.failed.Load() {
			for _, c := range b.mine[i:] {
				j.release = append(j.release, c.ckey)
			}
			for _, o := range j.outcomes {
				if !o.sent {
					j.release = append(j.release, o.c.ckey)
				}
			}
			for _, c := range b.unreadable {
				j.release = append(j.release, c.ckey)
			}
			r.releaseAll(ctx, j.release)
			return errRecorderFailed
		}
		if err := ctx.Err(); err != nil {
			// The process is stopping: send no more. What was decided is
			// recorded as usual (the recorder outlives ctx), the rest is
			// given back.
			for _, c := range b.mine[i:] {
				j.release = append(j.release, c.ckey)
			}
			stopped = fmt.Errorf("reminders: tick stopped: %w", err)
			break
		}
		o, v := r.decide(ctx, c, b.ledgers, rep)
		switch v {
		case handled:
			j.unschedule = append(j.unschedule, c.it)
		case later:
			j.release = append(j.release, c.ckey)
		default:
			j.outcomes = append(j.outcomes, o)
		}
	}
	j.counts = Report{Sent: rep.Sent - before.Sent, Dropped: rep.Dropped - before.Dropped, Muted: rep.Muted - before.Muted,
		Retry: rep.Retry - before.Retry, Busy: rep.Busy - before.Busy, Done: rep.Done - before.Done}
	rec.jobs <- j
	return stopped
}

func (r *run) releaseAll(ctx context.Context, keys []string) {
	if len(keys) == 0 {
		return
	}
	ctx, cancel := settling(ctx)
	defer cancel()
	if err := store.ReleaseAll(ctx, r.e.opt.Store, keys); err != nil {
		r.e.log.WarnContext(ctx, "release reminder claims", "customer_id", r.customer, "n", len(keys), "err", err)
	}
}

// readBatch reads, in one go, the ledger documents of a batch and the
// preferences its subscription reminders may need (by prefsRef id; a
// missing id is read on demand).
func (r *run) readBatch(ctx context.Context, batch []*claimed) (map[string]*ledgerState, map[string]Prefs, error) {
	var refs []store.Ref
	ledgers := map[string]*ledgerState{}
	prefs := map[string]Prefs{}
	seenPrefs := map[string]bool{}
	for _, c := range batch {
		if _, ok := ledgers[c.owner]; !ok {
			ledgers[c.owner] = nil
			refs = append(refs, ledgerRef(r.customer, c.owner))
		}
		if c.p.Kind != KindPersonal && c.p.Req == "" && c.p.Sub != "" {
			ref := prefsRef(r.customer, c.p.To, c.p.Sub)
			if !seenPrefs[ref.ID] {
				seenPrefs[ref.ID] = true
				refs = append(refs, ref)
			}
		}
	}
	if len(refs) == 0 {
		return ledgers, prefs, nil
	}
	docs, err := store.GetAll(ctx, r.e.opt.Store, refs)
	if err != nil {
		return nil, nil, fmt.Errorf("read reminder ledger: %w", err)
	}
	for _, d := range docs {
		switch d.Ref.Collection {
		case collLedger:
			ls, err := newLedgerState(d)
			if err != nil {
				return nil, nil, err
			}
			ledgers[d.Ref.ID] = ls
		case collPrefs:
			var p Prefs
			if d.Version > 0 {
				if err := json.Unmarshal(d.Data, &p); err != nil {
					return nil, nil, fmt.Errorf("read reminder preferences: decode %s: %w", d.Ref.ID, err)
				}
			}
			prefs[d.Ref.ID] = p
		}
	}
	return ledgers, prefs, nil
}

// decide resolves one claimed item and sends it when it is still
// useful. It returns the outcome to record (unless the verdict is
// handled or later).
func (r *run) decide(ctx context.Context, c *claimed, ledgers map[string]*ledgerState, rep *Report) (outcome, verdict) {
	e := r.e
	it, p := c.it, c.p
	log := itemLog{l: e.log, customer: r.customer, c: c}
	if ledgers[c.owner].has(c.key) {
		rep.Done++
		return outcome{}, handled
	}
	item, v, why, err := r.resolve(ctx, it, p, c.pers)
	if err != nil {
		// The portal or the store could not answer: try again later.
		log.WarnContext(ctx, "reminder not sent, will retry", "err", err)
		rep.Retry++
		return outcome{}, later
	}
	o := outcome{c: c, entry: ledgerEntry{At: r.now, Due: it.Due, Until: p.Until, Kind: p.Kind, Lead: p.Lead, Sub: p.Sub, Req: p.Req, To: p.To, Why: why}}
	if o.entry.Until.IsZero() {
		o.entry.Until = r.now
	}
	switch v {
	case later:
		log.InfoContext(ctx, "reminder waits", "why", why)
		rep.Retry++
		return o, later
	case stale, muted:
		o.entry.State = StateDropped
		if v == muted {
			o.entry.State = StateMuted
			rep.Muted++
			log.InfoContext(ctx, "reminder not sent: muted by the recipient", "why", why)
		} else {
			rep.Dropped++
			log.InfoContext(ctx, "reminder dropped: no longer useful", "why", why, "late_by", r.now.Sub(it.Due).String())
		}
		return o, v
	}
	if p.Kind == KindApprovalEscalated {
		req, err := e.opt.Service.Escalate(ctx, r.customer, p.Req, "licensebot")
		var se *workflows.StateError
		switch {
		case errors.As(err, &se):
			o.entry.State, o.entry.Why = StateDropped, "request "+string(se.Request.State)
			rep.Dropped++
			log.InfoContext(ctx, "reminder dropped: no longer useful", "why", o.entry.Why)
			return o, stale
		case err != nil:
			log.WarnContext(ctx, "escalate request, will retry", "err", err)
			rep.Retry++
			return outcome{}, later
		}
		item.Request = req
	}
	if err := e.sender().Remind(ctx, item); err != nil {
		log.WarnContext(ctx, "reminder send failed, will retry", "err", err)
		rep.Retry++
		return outcome{}, later
	}
	rep.Sent++
	// One line per item at Debug: a renewal morning sends thousands, and
	// the batch's Info line counts them; who got what is in the ledger
	// (List with history).
	log.DebugContext(ctx, "reminder sent", "late", item.Late)
	o.entry.State, o.sent = StateSent, true
	return o, send
}

// itemLog logs lines about one item with its attributes. They are
// passed with each line rather than set with Logger.With, which clones
// the handler and formats them ahead for every item of a tick, and are
// only put together for a line the handler takes: most items of a tick
// log nothing at the default level.
type itemLog struct {
	l        *slog.Logger
	customer string
	c        *claimed
}

func (g itemLog) log(ctx context.Context, level slog.Level, msg string, kv []any) {
	if !g.l.Enabled(ctx, level) {
		return
	}
	p := g.c.p
	attrs := make([]any, 0, 14+len(kv))
	attrs = append(attrs, "customer_id", g.customer, "reminder_id", g.c.it.ID, "due", g.c.it.Due, "kind", p.Kind, "to", p.To)
	if p.Req != "" {
		attrs = append(attrs, "request_id", p.Req)
	}
	if p.Sub != "" {
		attrs = append(attrs, "subscription_id", p.Sub)
	}
	g.l.Log(ctx, level, msg, append(attrs, kv...)...)
}

func (g itemLog) DebugContext(ctx context.Context, msg string, kv ...any) {
	g.log(ctx, slog.LevelDebug, msg, kv)
}

func (g itemLog) InfoContext(ctx context.Context, msg string, kv ...any) {
	g.log(ctx, slog.LevelInfo, msg, kv)
}

func (g itemLog) WarnContext(ctx context.Context, msg string, kv ...any) {
	g.log(ctx, slog.LevelWarn, msg, kv)
}

// record writes a batch's outcomes to their ledgers: one compare-and-swap
// per ledger document, all in one round trip; the documents another
// writer changed meanwhile are read again and written again.
func (r *run) record(ctx context.Context, ledgers map[string]*ledgerState, outcomes []outcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	// The outcomes grouped by ledger document, in one slice: a batch's
	// items mostly each have their own document.
	all := make([]keyedEntry, len(outcomes))
	for i := range outcomes {
		all[i] = keyedEntry{owner: outcomes[i].c.owner, key: outcomes[i].c.key, entry: &outcomes[i].entry}
	}
	slices.SortStableFunc(all, func(a, b keyedEntry) int { return strings.Compare(a.owner, b.owner) })
	var groups [][]keyedEntry
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].owner == all[i].owner {
			j++
		}
		groups = append(groups, all[i:j])
		i = j
	}
	st := r.e.opt.Store
	for attempt := 0; len(groups) > 0; attempt++ {
		if attempt == maxLedgerAttempts {
			return fmt.Errorf("write reminder ledger: too much contention")
		}
		writes := make([]store.Write, len(groups))
		for i, g := range groups {
			ls := ledgers[g[0].owner]
			data, err := ls.with(g)
			if err != nil {
				return fmt.Errorf("write reminder ledger: %w", err)
			}
			writes[i] = store.Write{Ref: ledgerRef(r.customer, g[0].owner), Version: ls.version, Data: data}
		}
		res, err := store.WriteAll(ctx, st, writes)
		if err != nil {
			return fmt.Errorf("write reminder ledger: %w", err)
		}
		var again [][]keyedEntry
		var refs []store.Ref
		for i, g := range groups {
			if res[i].Err != nil {
				again = append(again, g)
				refs = append(refs, writes[i].Ref)
				continue
			}
			// The batch's state becomes what was written (a later
			// batch may have read an older version).
			ls := ledgers[g[0].owner]
			ls.data, ls.version = writes[i].Data, res[i].Doc.Version
			r.written[g[0].owner] = ls
		}
		if len(again) == 0 {
			return nil
		}
		docs, err := store.GetAll(ctx, st, refs)
		if err != nil {
			return fmt.Errorf("write reminder ledger: %w", err)
		}
		for i, d := range docs {
			if ledgers[again[i][0].owner], err = newLedgerState(d); err != nil {
				return err
			}
		}
		groups = again
	}
	return nil
}

func (r *run) subscription(ctx context.Context, id string) (csp.Subscription, bool, error) {
	if r.subs == nil {
		subs, err := r.e.opt.Provider.Subscriptions(ctx, r.customer)
		if err != nil {
			return csp.Subscription{}, false, fmt.Errorf("read subscriptions: %w", err)
		}
		r.subs = make(map[string]csp.Subscription, len(subs))
		for _, s := range subs {
			r.subs[s.ID] = s
		}
	}
	s, ok := r.subs[id]
	return s, ok, nil
}

// removedSince reports whether seats of a subscription were removed (or
// it was cancelled) through the bot since t.
func (r *run) removedSince(ctx context.Context, subID string, t time.Time) (bool, error) {
	if !r.reqsRead {
		reqs, err := r.e.opt.Service.List(ctx, r.customer)
		if err != nil {
			return false, err
		}
		r.reqs, r.reqsRead = reqs, true
	}
	for _, q := range r.reqs {
		if q.Change.SubscriptionID != subID || q.State != workflows.StateCompleted || q.UpdatedAt.Before(t) {
			continue
		}
		if q.Change.Kind == csp.ChangeRemoveSeats || q.Change.Kind == csp.ChangeCancel {
			return true, nil
		}
	}
	return false, nil
}

// resolve reads what the reminder is about, fresh, and decides whether it
// is still useful (the catch-up rule: a renewal still ahead, a window
// still open, a trial not converted, an approval still pending; and no
// later reminder of the same series due already).
func (r *run) resolve(ctx context.Context, it store.ScheduledItem, p payload, personal *Personal) (Item, verdict, string, error) {
	item := Item{
		ID: it.ID, Key: itemKey(it.ID, it.Due), Kind: p.Kind, CustomerID: r.customer, Due: it.Due, Now: r.now,
		Late: r.now.Sub(it.Due) > r.e.opt.LateAfter, Audience: p.Aud, Location: r.pol.loc(), LeadDays: p.Lead,
		RemovalWindow: r.pol.RemovalWindow,
		Personal:      personal,
	}
	to, err := r.e.opt.Service.Directory().ByEmail(ctx, p.To)
	if errors.Is(err, workflows.ErrUnknownPerson) {
		return item, stale, "recipient " + p.To + " is no longer configured", nil
	}
	if err != nil {
		return item, send, "", err
	}
	item.To = to
	if why := r.seriesOver(p); why != "" {
		return item, stale, why, nil
	}
	if p.Kind == KindApprovalWaiting || p.Kind == KindApprovalEscalated {
		v, why, err := r.resolveApproval(ctx, &item, p)
		return item, v, why, err
	}
	if p.Kind == KindUnusedSummary {
		v, why, err := r.resolveSummary(ctx, &item, p)
		return item, v, why, err
	}
	s, found, err := r.subscription(ctx, p.Sub)
	if err != nil {
		return item, send, "", err
	}
	if !found {
		return item, stale, "subscription not found", nil
	}
	r.describeSubscription(ctx, &item, s)
	if s.Status != csp.StatusActive {
		return item, stale, "subscription " + string(s.Status), nil
	}
	if p.Kind == KindPersonal {
		return r.resolvePersonal(item, it, s)
	}
	if v, why, err := r.checkTerm(ctx, &item, p, s); v != send || err != nil {
		return item, v, why, err
	}
	v, why, err := r.checkPrefs(ctx, to.Email, p, s)
	return item, v, why, err
}

// seriesOver says why a reminder is too late for its series: past its
// usefulness, or a later reminder of the series is due already. "" when
// it is not.
func (r *run) seriesOver(p payload) string {
	if !p.Until.IsZero() && !r.now.Before(p.Until) {
		return "too late to be useful"
	}
	if !p.Next.IsZero() && !r.now.Before(p.Next) {
		return "superseded by a later reminder"
	}
	return ""
}

// resolveApproval: an approval reminder is useful while its request
// waits for approval, before its deadline.
func (r *run) resolveApproval(ctx context.Context, item *Item, p payload) (verdict, string, error) {
	req, err := r.e.opt.Service.Get(ctx, r.customer, p.Req)
	if errors.Is(err, workflows.ErrNotFound) {
		return stale, "request not found", nil
	}
	if err != nil {
		return send, "", err
	}
	item.Request = req
	if req.State != workflows.StatePendingApproval {
		return stale, "request " + string(req.State), nil
	}
	if !req.Deadline.IsZero() && !r.now.Before(req.Deadline) {
		return stale, "approval deadline passed", nil
	}
	return send, "", nil
}

// describeSubscription fills what the message says about the
// subscription and its next term.
func (r *run) describeSubscription(ctx context.Context, item *Item, s csp.Subscription) {
	item.Subscription = s
	item.CommitmentEnd = r.pol.CommitmentEnd(s)
	if !r.catRead {
		if c, err := r.e.opt.Provider.Catalog(ctx, r.customer); err == nil {
			r.cat = c // without it, the current price stands in
		}
		r.catRead = true
	}
	item.NextTermLength, item.NextBilling, item.NextTermCost = NextTerm(s, r.cat)
}

// checkTerm: a renewal or trial reminder is about the term it was
// scheduled for; a window reminder about a window still open. It returns
// send when nothing stops the reminder.
func (r *run) checkTerm(ctx context.Context, item *Item, p payload, s csp.Subscription) (verdict, string, error) {
	switch p.Kind {
	case KindRenewal, KindTrial:
		switch {
		case !s.TermEnd.Equal(p.Term):
			return stale, "the term changed", nil
		case !s.AutoRenew:
			return stale, "auto-renew is off", nil
		case s.Trial != (p.Kind == KindTrial):
			return stale, "trial status changed", nil
		}
		return send, "", nil
	case KindWindowOpen, KindWindowClosing:
		return r.checkWindow(ctx, item, p, s)
	}
	return stale, "unknown kind " + string(p.Kind), nil
}

// checkWindow: the removal window of the term the reminder was scheduled
// for is still open, and (for the closing reminder) nobody removed seats
// in it yet.
func (r *run) checkWindow(ctx context.Context, item *Item, p payload, s csp.Subscription) (verdict, string, error) {
	if !s.TermStart.Equal(p.Term) {
		if s.TermEnd.Equal(p.Term) && s.AutoRenew && r.now.Before(p.Term.Add(r.e.opt.RenewalGrace)) {
			return later, "the portal does not show the new term yet", nil
		}
		return stale, "the term changed", nil
	}
	lot, ok := termLot(s)
	if !ok {
		return stale, "no seats left from the term start", nil
	}
	item.WindowCloses = r.pol.lotCloses(lot)
	item.RemovableSeats = lot.Quantity
	if !r.now.Before(item.WindowCloses) {
		return stale, "the removal window closed", nil
	}
	if p.Kind != KindWindowClosing {
		return send, "", nil
	}
	removed, err := r.removedSince(ctx, s.ID, s.TermStart)
	if err != nil {
		return send, "", err
	}
	if removed {
		return stale, "seats were already removed in this window", nil
	}
	return send, "", nil
}

// checkPrefs applies the recipient's choices: reminders stopped for the
// subscription, or the term kept as is.
func (r *run) checkPrefs(ctx context.Context, email string, p payload, s csp.Subscription) (verdict, string, error) {
	prefs, ok := r.prefs[prefsRef(r.customer, email, s.ID).ID]
	if !ok {
		var err error
		if prefs, err = GetPrefs(ctx, r.e.opt.Store, r.customer, email, s.ID); err != nil {
			return send, "", err
		}
	}
	if prefs.Muted {
		return muted, "reminders stopped for this subscription", nil
	}
	if (p.Kind == KindRenewal || p.Kind == KindTrial) && prefs.KeptTermEnd.Equal(s.TermEnd) {
		return muted, "kept as is for this term", nil
	}
	return send, "", nil
}

// resolvePersonal: a "remind me when the window opens" is useful while
// the window it waited for is open.
func (r *run) resolvePersonal(item Item, it store.ScheduledItem, s csp.Subscription) (Item, verdict, string, error) {
	pr := item.Personal
	if pr == nil || !strings.EqualFold(pr.To, item.To.Email) {
		return item, stale, "malformed personal reminder", nil
	}
	var closes time.Time
	n := 0
	for _, l := range s.Lots {
		c := r.pol.lotCloses(l)
		if !r.now.Before(l.PurchasedAt) && r.now.Before(c) && l.Quantity > 0 {
			n += l.Quantity
			if closes.IsZero() || c.Before(closes) {
				closes = c
			}
		}
	}
	switch pr.Kind {
	case csp.ChangeRemoveSeats, csp.ChangeCancel:
		if n == 0 {
			if r.now.Before(it.Due.Add(r.e.opt.RenewalGrace)) && s.TermEnd.Equal(it.Due) {
				return item, later, "the portal does not show the new term yet", nil
			}
			return item, stale, "the removal window is not open", nil
		}
	}
	item.WindowCloses, item.RemovableSeats = closes, n
	return item, send, "", nil
}
