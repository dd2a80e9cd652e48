package reminders

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/store/redis"
	"github.com/licensebot/licensebot/store/redis/redistest"
)

func redisStore(t testing.TB, in redistest.Instance) *redis.Store {
	t.Helper()
	opts, err := redis.ParseURL(in.URL)
	if err != nil {
		t.Fatal(err)
	}
	opts.Prefix = in.Prefix
	s, err := redis.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Two engines (replicas, each with its own connection) on one real Redis
// tick at the same moment, several times: every reminder goes out once.
func TestTwoEnginesOnOneRedisSendEachReminderOnce(t *testing.T) {
	in := redistest.Start(t).Instance(t)
	loc := paris(t)
	var subs []csp.Subscription
	for i := range 40 {
		subs = append(subs, annual(fmt.Sprintf("sub-%02d", i), time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3))
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	a := newFixture(t, redisStore(t, in), now, subs)
	b := newFixture(t, redisStore(t, in), now, subs)
	ctx := context.Background()
	for round := range 3 {
		now := now.Add(time.Duration(round) * time.Minute)
		a.clk.Set(now)
		b.clk.Set(now)
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, f := range []*fixture{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := f.eng.Tick(ctx); err != nil {
					errs <- err
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	count := map[string]int{}
	for _, it := range append(a.sink.all(), b.sink.all()...) {
		count[it.Key]++
	}
	if len(count) != len(subs) {
		t.Errorf("%d distinct reminders sent, want %d (one 30-day reminder per subscription)", len(count), len(subs))
	}
	for k, n := range count {
		if n != 1 {
			t.Errorf("%s sent %d times", k, n)
		}
	}
	t.Logf("replica a sent %d, replica b sent %d", len(a.sink.all()), len(b.sink.all()))
	left, err := a.st.Due(ctx, cust, Queue, now.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d items still due after the send", len(left))
	}
}

// On Redis the claim TTL is the server's: a crashed sender's claim
// expires there (miniredis moves its clock), then the item goes out.
func TestCrashedSenderClaimExpiresOnRedis(t *testing.T) {
	in := redistest.Miniredis(t).Instance(t)
	loc := paris(t)
	due := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	f := newFixture(t, redisStore(t, in), due, []csp.Subscription{annual("sub-a", time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)})
	ctx := context.Background()
	if err := f.eng.Sync(ctx, cust); err != nil {
		t.Fatal(err)
	}
	items, err := f.st.Due(ctx, cust, Queue, due, 0)
	if err != nil || len(items) != 1 {
		t.Fatalf("due: %v %v", items, err)
	}
	if won, err := f.st.Claim(ctx, claimKey(cust, Queue, items[0]), DefaultClaimTTL); err != nil || !won {
		t.Fatalf("claim: %v %v", won, err)
	}
	if rep := f.tick(t); rep.Busy != 1 || len(f.sink.all()) != 0 {
		t.Fatalf("claimed by a crashed replica: %+v", rep)
	}
	in.Advance(DefaultClaimTTL + time.Second)
	if got := describe(f.at(t, due.Add(time.Minute))); !equal(got, []string{"renewal/30:sub-a→claire"}) {
		t.Fatalf("after the claim expired: %v", got)
	}
}

// A reminder at 09:00 (and one at 02:30, a wall time that happens twice
// in autumn and not at all in spring) fires once on the DST days of
// Europe/Paris, ticking every five minutes through the day.
func TestDSTDaysFireOnce(t *testing.T) {
	loc := paris(t)
	cases := []struct {
		name     string
		day      time.Time
		hour     int
		min      int
		wantUTC  string // "" when the wall time is ambiguous or missing
		dayHours int
	}{
		{"autumn 09:00", time.Date(2026, 10, 25, 0, 0, 0, 0, loc), 9, 0, "2026-10-25T08:00:00Z", 25},
		{"spring 09:00", time.Date(2027, 3, 28, 0, 0, 0, 0, loc), 9, 0, "2027-03-28T07:00:00Z", 23},
		{"autumn 02:30 (twice on the wall)", time.Date(2026, 10, 25, 0, 0, 0, 0, loc), 2, 30, "", 25},
		{"spring 02:30 (not on the wall)", time.Date(2027, 3, 28, 0, 0, 0, 0, loc), 2, 30, "", 23},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			end := c.day.AddDate(0, 0, 1) // commitment end date: the 1-day reminder falls on c.day
			sub := annual("sub-a", end, 3)
			next := c.day.AddDate(0, 0, 1)
			if got := int(next.Sub(c.day).Hours()); got != c.dayHours {
				t.Fatalf("%s has %d hours, want %d", c.day.Format(time.DateOnly), got, c.dayHours)
			}
			f := newFixture(t, nil, c.day.Add(-time.Minute), []csp.Subscription{sub})
			f.pol.Hour, f.pol.Minute = c.hour, c.min
			f.pol.RenewalLeadDays = []int{1}
			f.pol.Off = []Kind{KindWindowOpen, KindWindowClosing}
			var sends []time.Time
			for now := c.day; now.Before(next.Add(time.Minute)); now = now.Add(5 * time.Minute) {
				for range f.at(t, now) {
					sends = append(sends, now)
				}
			}
			if len(sends) != 1 {
				t.Fatalf("sent %d times (%v), want once", len(sends), sends)
			}
			if c.wantUTC != "" {
				if got := sends[0].UTC().Format(time.RFC3339); got != c.wantUTC {
					t.Errorf("sent at %s, want %s", got, c.wantUTC)
				}
			}
			if got := sends[0].In(loc).Format(time.DateOnly); got != c.day.Format(time.DateOnly) {
				t.Errorf("sent on %s, want %s", got, c.day.Format(time.DateOnly))
			}
		})
	}
}

// dayAt counts calendar days, not 24-hour periods.
func TestDayAtCountsCalendarDays(t *testing.T) {
	loc := paris(t)
	p := DefaultPolicy(loc)
	end := time.Date(2026, 11, 24, 0, 0, 0, 0, loc) // 30 days back crosses the October change
	got := p.dayAt(end, 30)
	if want := time.Date(2026, 10, 25, 9, 0, 0, 0, loc); !got.Equal(want) {
		t.Errorf("30 days before %s at 09:00 = %s, want %s", end.Format(time.DateOnly), got, want)
	}
	if got.In(loc).Hour() != 9 {
		t.Errorf("local hour %d, want 9", got.In(loc).Hour())
	}
}

// hookSchedule is a bolt store that runs a hook before its first
// ScheduleMany.
type hookSchedule struct {
	*bolt.Store
	before func()
}

func (s *hookSchedule) ScheduleMany(ctx context.Context, scope, queue string, items []store.ScheduledItem) error {
	if h := s.before; h != nil {
		s.before = nil
		h()
	}
	return s.Store.ScheduleMany(ctx, scope, queue, items)
}

// A replica's Sync that read the ledger and the schedule just before
// another replica's tick sent, recorded and unscheduled a reminder used
// to put it back in the queue, where it stayed (claimed by that tick)
// until the claim expired. Sync now takes out what was recorded
// meanwhile; and nothing is sent twice.
func TestSyncDoesNotPutBackWhatAnotherReplicaJustSent(t *testing.T) {
	loc := paris(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	clk := clock.NewManual(now)
	bs, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	subs := []csp.Subscription{annual("sub-a", time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)}
	hs := &hookSchedule{Store: bs}
	a := newFixture(t, hs, now, subs)
	b := newFixture(t, bs, now, subs)
	ctx := context.Background()
	hs.before = func() { b.tick(t) } // b syncs, sends, records, unschedules
	if err := a.eng.Sync(ctx, cust); err != nil {
		t.Fatal(err)
	}
	if sent := b.sink.take(); len(sent) != 1 {
		t.Fatalf("replica b sent %d, want the one due reminder", len(sent))
	}
	left, err := bs.Due(ctx, cust, Queue, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("after replica a's Sync, %d items due again (%s), want none", len(left), left[0].ID)
	}
	a.eng.markSynced(cust, now)
	if rep := a.tick(t); rep.Sent != 0 {
		t.Errorf("replica a's tick: %+v, want nothing sent", rep)
	}
}

// hookClaim is a bolt store that runs a hook after its first ClaimMany.
type hookClaim struct {
	*bolt.Store
	after func()
}

func (s *hookClaim) ClaimMany(ctx context.Context, keys []string, ttl time.Duration) ([]bool, error) {
	won, err := s.Store.ClaimMany(ctx, keys, ttl)
	if h := s.after; h != nil {
		s.after = nil
		h()
	}
	return won, err
}

// An item that Sync (on another replica) moves to a later instant while
// a tick handles it at its old one stays scheduled at the new instant:
// the tick unschedules what it handled only where it is still scheduled
// at the instant it read.
func TestTickKeepsAnItemSyncMovedMeanwhile(t *testing.T) {
	loc := paris(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	clk := clock.NewManual(now)
	bs, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	sub := annual("sub-a", time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)
	hs := &hookClaim{Store: bs}
	f := newFixture(t, hs, now, []csp.Subscription{sub})
	f.eng.markSynced(cust, now)
	ctx := context.Background()
	p := payload{Kind: KindRenewal, Sub: sub.ID, To: claire.Email, Aud: AudienceAdmin, Lead: 30, Term: sub.TermEnd.UTC(), Until: sub.TermEnd.UTC()}
	if err := bs.Schedule(ctx, cust, Queue, store.ScheduledItem{ID: "r", Due: now.Add(-time.Minute), Payload: p.encode()}); err != nil {
		t.Fatal(err)
	}
	moved := store.ScheduledItem{ID: "r", Due: now.Add(24 * time.Hour), Payload: p.encode()}
	hs.after = func() {
		if err := bs.Schedule(ctx, cust, Queue, moved); err != nil {
			t.Error(err)
		}
	}
	if rep := f.tick(t); rep.Sent != 1 {
		t.Fatalf("tick: %+v, want the due reminder sent", rep)
	}
	left, err := bs.Scheduled(ctx, cust, Queue, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || !left[0].Due.Equal(moved.Due) {
		t.Fatalf("scheduled after the tick: %+v, want r moved to %s", left, moved.Due)
	}
}
