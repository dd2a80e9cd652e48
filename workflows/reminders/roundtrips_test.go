package reminders

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/store/redis/redistest"
)

// roundTripsPerBatch is the budget of a batch of due reminders on Redis:
// claim, read ledgers and preferences, record outcomes — each one
// pipelined round trip, whatever the batch's size. The queue's items are
// unscheduled in one more round trip at the end.
const roundTripsPerBatch = 3

// A tick with 250 due renewal reminders (three batches, 250 ledger
// documents, 250 preference reads) costs the two Due reads, the
// batches' budget and one unschedule on Redis, not six round trips per
// reminder; and each reminder is sent once and leaves the queue.
func TestDueRemindersRoundTripsPerBatch(t *testing.T) {
	s, _ := redistest.Store(t)
	loc := paris(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	const n = 250
	subs := renewalSubs(loc, n)
	f := newFixture(t, s, now, subs)
	f.eng.markSynced(cust, now) // a tick, not the hourly Sync
	ctx := context.Background()
	items := dueRenewals(subs, now, "due")
	if err := store.ScheduleAll(ctx, s, cust, Queue, items); err != nil {
		t.Fatal(err)
	}
	// Mute one of them, so that the preferences read counts.
	if err := Mute(ctx, s, cust, claire.Email, subs[7].ID, true, now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Tick(ctx); err != nil { // loads the scripts
		t.Fatal(err)
	}
	f.sink.take()
	// The same again, on a warm connection.
	for i := range items {
		items[i].ID = fmt.Sprintf("again-%03d", i)
	}
	if err := store.ScheduleAll(ctx, s, cust, Queue, items); err != nil {
		t.Fatal(err)
	}
	before := s.Stats()
	rep, err := f.eng.Tick(ctx)
	after := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != n-1 || rep.Muted != 1 || len(f.sink.take()) != n-1 {
		t.Fatalf("report %+v, want %d sent and 1 muted", rep, n-1)
	}
	batches := (n + batchSize - 1) / batchSize
	budget := int64(2 + roundTripsPerBatch*batches + 1) // Due on each queue, the batches, the unschedule
	rt, cmds := after.RoundTrips-before.RoundTrips, after.Commands-before.Commands
	t.Logf("tick with %d due: %d round trips, %d commands (budget %d round trips)", n, rt, cmds, budget)
	if rt > budget {
		t.Errorf("tick with %d due reminders: %d round trips, budget %d (%d per batch of %d)", n, rt, budget, roundTripsPerBatch, batchSize)
	}
	left, err := s.Due(ctx, cust, Queue, now, 0)
	if err != nil || len(left) != 0 {
		t.Errorf("still due after the tick: %d items (%v)", len(left), err)
	}
	// Nothing is sent twice.
	if rep, err := f.eng.Tick(ctx); err != nil || rep.Sent != 0 {
		t.Errorf("second tick: %+v %v", rep, err)
	}
}

// writeTxnsPerBatch is the budget of a batch of due reminders on bolt,
// in write transactions (each one commit and its fsyncs): claim and
// record outcomes, whatever the batch's size; the queue's unschedule is
// one more. Reads are read transactions, which write nothing.
const writeTxnsPerBatch = 2

// The same tick on bolt: 250 due reminders, one of them muted, cost the
// batches' budget of write transactions, not three per reminder; each is
// sent once and leaves the queue.
func TestDueRemindersWriteTransactionsPerBatch(t *testing.T) {
	loc := paris(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	clk := clock.NewManual(now)
	st, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const n = 250
	subs := renewalSubs(loc, n)
	f := newFixture(t, st, now, subs)
	f.eng.markSynced(cust, now)
	ctx := context.Background()
	for round, prefix := range []string{"due", "again"} {
		items := dueRenewals(subs, now, prefix)
		if err := store.ScheduleAll(ctx, st, cust, Queue, items); err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			if err := Mute(ctx, st, cust, claire.Email, subs[7].ID, true, now); err != nil {
				t.Fatal(err)
			}
		}
		before := st.Commits()
		rep, err := f.eng.Tick(ctx)
		txns := st.Commits() - before
		if err != nil {
			t.Fatal(err)
		}
		// The second round writes to ledgers that already hold an entry.
		if rep.Sent != n-1 || rep.Muted != 1 || len(f.sink.take()) != n-1 {
			t.Fatalf("round %d: report %+v, want %d sent and 1 muted", round, rep, n-1)
		}
		batches := (n + batchSize - 1) / batchSize
		budget := int64(writeTxnsPerBatch*batches + 1)
		t.Logf("round %d: tick with %d due: %d write transactions (budget %d)", round, n, txns, budget)
		if txns > budget {
			t.Errorf("round %d: tick with %d due reminders: %d write transactions, budget %d (%d per batch of %d)", round, n, txns, budget, writeTxnsPerBatch, batchSize)
		}
		left, err := st.Due(ctx, cust, Queue, now, 0)
		if err != nil || len(left) != 0 {
			t.Errorf("round %d: still due after the tick: %d items (%v)", round, len(left), err)
		}
	}
	if rep, err := f.eng.Tick(ctx); err != nil || rep.Sent != 0 {
		t.Errorf("a third tick: %+v %v", rep, err)
	}
}

// failingRecord is a bolt store whose ledger writes fail from the
// second batch on.
type failingRecord struct {
	*bolt.Store
	writes int
}

func (s *failingRecord) WriteMany(ctx context.Context, w []store.Write) ([]store.WriteResult, error) {
	if s.writes++; s.writes > 1 {
		return nil, errors.New("disk full")
	}
	return s.Store.WriteMany(ctx, w)
}

// A store failing in the middle of a tick stops it with the error; the
// batches recorded before leave the queue all the same (the queue is
// unscheduled once at the end of a tick), and nothing is sent twice:
// what the failed batch sent keeps its claim.
func TestStoreFailureMidTickUnschedulesWhatWasRecorded(t *testing.T) {
	loc := paris(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	clk := clock.NewManual(now)
	bs, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	st := &failingRecord{Store: bs}
	const n = batchSize + 50
	subs := renewalSubs(loc, n)
	items := dueRenewals(subs, now, "due")
	f := newFixture(t, st, now, subs)
	f.eng.markSynced(cust, now)
	ctx := context.Background()
	if err := store.ScheduleAll(ctx, bs, cust, Queue, items); err != nil {
		t.Fatal(err)
	}
	rep, err := f.eng.Tick(ctx)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("tick with a failing store: %+v %v, want the store's error", rep, err)
	}
	if sent := len(f.sink.take()); sent != n {
		t.Fatalf("sent %d, want %d (the failure comes after the second batch's sends)", sent, n)
	}
	left, err := bs.Due(ctx, cust, Queue, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != n-batchSize || left[0].ID != fmt.Sprintf("due-%03d", batchSize) {
		t.Fatalf("left in the queue: %d items, want the %d of the failed batch", len(left), n-batchSize)
	}
	st.writes = -1000 // the store is back
	if rep, err := f.eng.Tick(ctx); err != nil || rep.Sent != 0 || rep.Busy != n-batchSize {
		t.Fatalf("next tick: %+v %v, want nothing sent, the failed batch still claimed", rep, err)
	}
	if got := f.sink.take(); len(got) != 0 {
		t.Fatalf("sent again: %d", len(got))
	}
}

// A store failure while a batch is recorded stops the tick: the batch
// being decided meanwhile stops before its next send, and the batch
// claimed ahead is given back. Nothing is sent twice: what was sent and
// not recorded stays claimed; everything not sent goes out on the next
// tick.
func TestStoreFailureReleasesTheBatchClaimedAhead(t *testing.T) {
	loc := paris(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	clk := clock.NewManual(now)
	bs, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	st := &failingRecord{Store: bs}
	const n = 3*batchSize + 50
	subs := renewalSubs(loc, n)
	items := dueRenewals(subs, now, "due")
	f := newFixture(t, st, now, subs)
	f.eng.markSynced(cust, now)
	ctx := context.Background()
	if err := store.ScheduleAll(ctx, bs, cust, Queue, items); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Tick(ctx); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("tick with a failing store: %v, want the store's error", err)
	}
	first := f.sink.take()
	// The second batch is sent before its record fails; the third may
	// have started while it was recorded; the fourth, claimed ahead, is
	// not sent.
	if len(first) < 2*batchSize || len(first) > 3*batchSize {
		t.Fatalf("sent %d, want the first two batches and not the fourth", len(first))
	}
	sent := map[string]bool{}
	for _, it := range first {
		sent[it.ID] = true
	}
	st.writes = -1000 // the store is back
	rep, err := f.eng.Tick(ctx)
	if err != nil || rep.Sent != n-len(first) || rep.Busy != len(first)-batchSize {
		t.Fatalf("next tick: %+v %v, want the %d unsent sent and the %d sent but unrecorded still claimed", rep, err, n-len(first), len(first)-batchSize)
	}
	for _, it := range f.sink.take() {
		if sent[it.ID] {
			t.Errorf("sent again: %s", it.ID)
		}
	}
}

// slowRecord is a bolt store whose first ledger write waits until the
// next batch has read its ledgers: that batch then holds a version of a
// ledger its run is about to write.
type slowRecord struct {
	*bolt.Store
	gets, writes atomic.Int32
	read         chan struct{}
}

func (s *slowRecord) GetMany(ctx context.Context, refs []store.Ref) ([]store.Document, error) {
	docs, err := s.Store.GetMany(ctx, refs)
	if s.gets.Add(1) == 2 {
		close(s.read)
	}
	return docs, err
}

func (s *slowRecord) WriteMany(ctx context.Context, w []store.Write) ([]store.WriteResult, error) {
	if s.writes.Add(1) == 1 {
		<-s.read
	}
	return s.Store.WriteMany(ctx, w)
}

// Two due reminders of one subscription in consecutive batches: the
// second batch reads the subscription's ledger before the first has
// written it, and writes on top of what the run wrote without a failed
// compare-and-swap (one ledger write per batch); both are sent once and
// recorded.
func TestConsecutiveBatchesShareALedger(t *testing.T) {
	loc := paris(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	clk := clock.NewManual(now)
	bs, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	st := &slowRecord{Store: bs, read: make(chan struct{})}
	subs := renewalSubs(loc, batchSize)
	items := dueRenewals(subs, now, "due")
	// The same subscription's next reminder, due later: the second batch.
	p := payload{Kind: KindRenewal, Sub: subs[0].ID, To: claire.Email, Aud: AudienceAdmin, Lead: 7, Term: subs[0].TermEnd.UTC(), Until: subs[0].TermEnd.UTC()}
	items = append(items, store.ScheduledItem{ID: "due-again", Due: now.Add(-time.Second), Payload: p.encode()})
	f := newFixture(t, st, now, subs)
	f.eng.markSynced(cust, now)
	ctx := context.Background()
	if err := store.ScheduleAll(ctx, bs, cust, Queue, items); err != nil {
		t.Fatal(err)
	}
	rep, err := f.eng.Tick(ctx)
	if err != nil || rep.Sent != batchSize+1 {
		t.Fatalf("tick: %+v %v, want %d sent", rep, err, batchSize+1)
	}
	if w := st.writes.Load(); w != 2 {
		t.Errorf("%d ledger writes, want 2 (one per batch, no compare-and-swap lost)", w)
	}
	doc, err := bs.Get(ctx, ledgerRef(cust, "sub:"+subs[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	d := mustDecode(t, string(doc.Data))
	if len(d.Entries) != 2 || !(&ledgerState{data: doc.Data}).has(itemKey("due-again", now.Add(-time.Second))) {
		t.Errorf("ledger of %s: %s, want both reminders", subs[0].ID, doc.Data)
	}
	if rep, err := f.eng.Tick(ctx); err != nil || rep.Sent != 0 {
		t.Errorf("second tick: %+v %v", rep, err)
	}
}

// A sender that panics (cron recovers the tick) does not leave the
// tick's recorder goroutine behind: what was decided before is still
// recorded.
func TestSenderPanicLeavesNoRecorderBehind(t *testing.T) {
	loc := paris(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	subs := renewalSubs(loc, batchSize+1)
	items := dueRenewals(subs, now, "due")
	n := 0
	f := newFixture(t, nil, now, subs, func(o *Options) {
		o.Sender = SenderFunc(func(context.Context, Item) error {
			if n++; n > batchSize {
				panic("sender bug")
			}
			return nil
		})
	})
	f.eng.markSynced(cust, now)
	ctx := context.Background()
	if err := store.ScheduleAll(ctx, f.st, cust, Queue, items); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the sender's panic did not reach the tick's caller")
			}
		}()
		_, _ = f.eng.Tick(ctx)
	}()
	// The recorder ends once it has recorded the first batch.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after the panic, %d before", g, before)
	}
	doc, err := f.st.Get(ctx, ledgerRef(cust, "sub:"+subs[0].ID))
	if err != nil || !(&ledgerState{data: doc.Data}).has(itemKey("due-000", now.Add(-time.Minute))) {
		t.Errorf("the first batch's send is not recorded: %s %v", doc.Data, err)
	}
}

// A tick whose context ends after its first send (the process is
// stopping) sends no more, records what it sent and gives back the rest:
// the next tick sends the others at once, and after the claims would
// have expired the first is still not sent again.
func TestStoppedTickRecordsWhatItSent(t *testing.T) {
	loc := paris(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	const n = 5
	subs := renewalSubs(loc, n)
	items := dueRenewals(subs, now, "due")
	f := newFixture(t, nil, now, subs)
	f.eng.markSynced(cust, now)
	if err := store.ScheduleAll(context.Background(), f.st, cust, Queue, items); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	f.eng.SetSender(SenderFunc(func(ctx context.Context, it Item) error {
		if err := f.sink.Remind(ctx, it); err != nil {
			return err
		}
		stop() // SIGTERM arrives while the first reminder goes out
		return nil
	}))
	if _, err := f.eng.Tick(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped tick: %v, want context.Canceled", err)
	}
	first := f.sink.take()
	if len(first) != 1 {
		t.Fatalf("sent %d before stopping, want 1", len(first))
	}
	f.eng.SetSender(f.sink)
	if rep := f.tick(t); rep.Sent != n-1 || rep.Busy != 0 {
		t.Fatalf("next tick: %+v, want the %d unsent, none still claimed", rep, n-1)
	}
	f.sink.take()
	f.clk.Advance(DefaultClaimTTL + time.Minute)
	f.eng.markSynced(cust, f.clk.Now())
	if rep := f.tick(t); rep.Sent != 0 {
		t.Fatalf("after the claims expired: %+v, %v sent again", rep, f.sink.take())
	}
}

// renewalSubs are n annual subscriptions of 3 seats ending on 26
// December 2026, sub-000 onwards.
func renewalSubs(loc *time.Location, n int) []csp.Subscription {
	subs := make([]csp.Subscription, n)
	for i := range subs {
		subs[i] = annual(fmt.Sprintf("sub-%03d", i), time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)
	}
	return subs
}

// dueRenewals are the licence admin's renewal reminders of subs, due a
// minute before now, with ids prefix-000 onwards.
func dueRenewals(subs []csp.Subscription, now time.Time, prefix string) []store.ScheduledItem {
	items := make([]store.ScheduledItem, len(subs))
	for i, sub := range subs {
		p := payload{Kind: KindRenewal, Sub: sub.ID, To: claire.Email, Aud: AudienceAdmin, Lead: 30, Term: sub.TermEnd.UTC(), Until: sub.TermEnd.UTC()}
		items[i] = store.ScheduledItem{ID: fmt.Sprintf("%s-%03d", prefix, i), Due: now.Add(-time.Minute), Payload: p.encode()}
	}
	return items
}
