package reminders

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	bbolt "go.etcd.io/bbolt"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/store/redis/redistest"
)

// Benchmarks of a tick (docs/BENCHMARKS.md, "A reminders tick"). They fill one
// customer's queue with a million items straight in the backend's
// documented layout (docs/STORE.md) — through the store API that would
// take minutes — and check through the store that it reads them.
//
//	go test -run '^$' -bench BenchmarkTick -benchtime 20x ./workflows/reminders/

const (
	benchScheduled = 1_000_000
	benchDue       = 1000
	benchSubs      = 1000
)

// timeKey is store/internal/timekey's encoding: Unix nanoseconds with
// the sign bit flipped, big-endian.
func timeKey(t time.Time) uint64 { return uint64(t.UnixNano()) ^ (1 << 63) }

type benchEnv struct {
	now   time.Time
	later time.Time // due instant of the not-yet-due items
	subs  []csp.Subscription
	pl    func(i int) []byte
}

func newBenchEnv(b *testing.B) benchEnv {
	loc := paris(b)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	var subs []csp.Subscription
	for i := range benchSubs {
		subs = append(subs, annual(fmt.Sprintf("sub-%03d", i), time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3))
	}
	return benchEnv{
		now: now, later: now.AddDate(0, 1, 0), subs: subs,
		pl: func(i int) []byte {
			s := subs[i%benchSubs]
			return payload{Kind: KindRenewal, Sub: s.ID, To: claire.Email, Aud: AudienceAdmin, Lead: 30,
				Term: s.TermEnd.UTC(), Until: s.TermEnd.UTC()}.encode()
		},
	}
}

// runTicks measures ticks over a filled queue: none due, then benchDue
// due (re-added before each tick, outside the timer).
// serverCPU, when not nil, returns the CPU time the store's server has
// used so far.
func (env benchEnv) runTicks(b *testing.B, st store.Store, serverCPU func() time.Duration) {
	ctx := context.Background()
	// The log at Info, as `licensebot serve` logs by default.
	logs := &lockedBuffer{}
	f := newFixture(b, st, env.now, env.subs, func(o *Options) {
		o.MaxPerTick = benchDue
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	f.eng.markSynced(cust, env.now) // a tick, not the hourly Sync
	check, err := st.Scheduled(ctx, cust, Queue, 1)
	if err != nil || len(check) != 1 || !check[0].Due.Equal(env.later) {
		b.Fatalf("the filled queue does not read back through the store: %v %v", check, err)
	}
	b.Run("none-due", func(b *testing.B) {
		for b.Loop() {
			rep, err := f.eng.Tick(ctx)
			if err != nil || rep.Sent != 0 {
				b.Fatalf("%+v %v", rep, err)
			}
		}
	})
	// The same tick for a customer with an empty queue: the baseline
	// that shows the million items cost nothing when none is due.
	empty := newFixture(b, st, env.now, nil, func(o *Options) { o.Customers = []string{"empty"} })
	empty.eng.markSynced("empty", env.now)
	b.Run("empty-queue", func(b *testing.B) {
		for b.Loop() {
			if _, err := empty.eng.Tick(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Item ids are numbered across runs: with -count N a sub-benchmark
	// runs again on the same store, where the previous run's claims
	// still hold (they would come back Busy).
	round := 0
	b.Run(fmt.Sprintf("%d-due", benchDue), func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			round++
			for i := range benchDue {
				it := store.ScheduledItem{ID: fmt.Sprintf("due-%d-%04d", round, i), Due: env.now.Add(-time.Minute), Payload: env.pl(i)}
				if err := st.Schedule(ctx, cust, Queue, it); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			rep, err := f.eng.Tick(ctx)
			if err != nil || rep.Sent != benchDue {
				b.Fatalf("%+v %v", rep, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*benchDue), "µs/reminder")
	})
	// The same tick in a steady state. Above, every round adds one entry
	// to each subscription's ledger (nothing prunes them: Sync is not
	// due), so round k reads and writes ledgers of k entries and the
	// figure grows with -benchtime; and the test sender and log keep
	// everything. Here each round starts from ledgers holding the
	// series' four earlier reminders (a subscription's ledger holds a
	// handful: Sync prunes entries a day after they stop being useful),
	// the log emptied outside the timer, and the sender does nothing (the
	// issue's "no sends").
	f.eng.SetSender(nopSender{})
	defer f.eng.SetSender(f.sink)
	b.Run(fmt.Sprintf("%d-due-steady", benchDue), func(b *testing.B) {
		cpu := &cpuMeter{server: serverCPU}
		for b.Loop() {
			b.StopTimer()
			round++
			env.resetLedgers(b, st)
			logs.reset()
			for i := range benchDue {
				it := store.ScheduledItem{ID: fmt.Sprintf("steady-%d-%04d", round, i), Due: env.now.Add(-time.Minute), Payload: env.pl(i)}
				if err := st.Schedule(ctx, cust, Queue, it); err != nil {
					b.Fatal(err)
				}
			}
			cpu.start()
			b.StartTimer()
			rep, err := f.eng.Tick(ctx)
			b.StopTimer()
			cpu.stop()
			b.StartTimer()
			if err != nil || rep.Sent != benchDue {
				b.Fatalf("%+v %v", rep, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*benchDue), "µs/reminder")
		cpu.report(b)
	})
}

// cpuMeter adds up the CPU time of the timed sections: this process's
// (every goroutine's, the garbage collector's included) and the
// store server's. On a shared machine they vary much less than the wall
// time, and they show what overlapping the two can at best give.
type cpuMeter struct {
	server      func() time.Duration
	self, srv   time.Duration
	self0, srv0 time.Duration
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m *cpuMeter) start() {
	if m.server != nil {
		m.srv0 = m.server()
	}
	m.self0 = processCPU()
}

func (m *cpuMeter) stop() {
	m.self += processCPU() - m.self0
	if m.server != nil {
		m.srv += m.server() - m.srv0
	}
}

func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(m.self.Microseconds())/1000/float64(b.N), "client-cpu-ms/op")
	if m.server != nil {
		b.ReportMetric(float64(m.srv.Microseconds())/1000/float64(b.N), "server-cpu-ms/op")
	}
}

// nopSender delivers nothing.
type nopSender struct{}

func (nopSender) Remind(context.Context, Item) error { return nil }

// resetLedgers writes each subscription's ledger with four entries: the
// renewal reminders at 90 and 60 days and the window reminders of the
// term before.
func (env benchEnv) resetLedgers(b *testing.B, st store.Store) {
	ctx := context.Background()
	refs := make([]store.Ref, len(env.subs))
	for i, s := range env.subs {
		refs[i] = ledgerRef(cust, "sub:"+s.ID)
	}
	docs, err := store.GetAll(ctx, st, refs)
	if err != nil {
		b.Fatal(err)
	}
	writes := make([]store.Write, len(docs))
	for i, d := range docs {
		s := env.subs[i]
		doc := ledgerDoc{Entries: map[string]ledgerEntry{}}
		for j, k := range []Kind{KindRenewal, KindRenewal, KindWindowOpen, KindWindowClosing} {
			due := env.now.AddDate(0, -2+j/2, -j)
			doc.Entries[itemKey(fmt.Sprintf("earlier-%d-%s", j, s.ID), due)] = ledgerEntry{
				State: StateSent, At: due, Due: due, Until: s.TermEnd, Kind: k, Lead: 30, Sub: s.ID, To: claire.Email}
		}
		data, err := json.Marshal(doc)
		if err != nil {
			b.Fatal(err)
		}
		writes[i] = store.Write{Ref: d.Ref, Version: d.Version, Data: data}
	}
	res, err := store.WriteAll(ctx, st, writes)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkTickRedis(b *testing.B) {
	if testing.Short() {
		b.Skip("fills a million items")
	}
	tg := redistest.Start(b)
	if !tg.Real {
		b.Skip("needs a real Redis (REDIS_URL or redis-server on PATH)")
	}
	in := tg.Instance(b)
	env := newBenchEnv(b)
	opts, err := goredis.ParseURL(in.URL)
	if err != nil {
		b.Fatal(err)
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	zkey := in.Prefix + ":{" + cust + "}:sched:" + Queue
	hkey := in.Prefix + ":{" + cust + "}:schedp:" + Queue
	hex := fmt.Sprintf("%016x", timeKey(env.later))
	start := time.Now()
	const batch = 1000
	pipe := c.Pipeline()
	for i := 0; i < benchScheduled; i += batch {
		members := make([]goredis.Z, 0, batch)
		fields := make([]any, 0, 2*batch)
		for j := i; j < i+batch; j++ {
			id := fmt.Sprintf("item-%07d", j)
			members = append(members, goredis.Z{Score: 0, Member: hex + id})
			fields = append(fields, id, hex+string(env.pl(j)))
		}
		pipe.ZAdd(ctx, zkey, members...)
		pipe.HSet(ctx, hkey, fields...)
		if (i/batch)%50 == 49 {
			if _, err := pipe.Exec(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d items on redis in %s", benchScheduled, time.Since(start).Round(time.Millisecond))
	env.runTicks(b, redisStore(b, in), func() time.Duration {
		// The main thread's: where commands and scripts run.
		info, err := c.Info(ctx, "cpu").Result()
		if err != nil {
			b.Fatal(err)
		}
		var t time.Duration
		for _, line := range strings.Split(info, "\r\n") {
			k, v, _ := strings.Cut(line, ":")
			if k == "used_cpu_sys_main_thread" || k == "used_cpu_user_main_thread" {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					b.Fatal(err)
				}
				t += time.Duration(f * float64(time.Second))
			}
		}
		return t
	})
}

func BenchmarkTickBolt(b *testing.B) {
	if testing.Short() {
		b.Skip("fills a million items")
	}
	env := newBenchEnv(b)
	path := filepath.Join(b.TempDir(), "db")
	clk := clock.NewManual(env.now)
	st, err := bolt.Open(path, bolt.Options{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	_ = st.Close()
	start := time.Now()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	at := binary.BigEndian.AppendUint64(nil, timeKey(env.later))
	const batch = 100_000
	for i := 0; i < benchScheduled; i += batch {
		err := db.Update(func(tx *bbolt.Tx) error {
			sb, err := tx.Bucket([]byte("sched")).CreateBucketIfNotExists([]byte("=" + cust))
			if err != nil {
				return err
			}
			qb, err := sb.CreateBucketIfNotExists([]byte("=" + Queue))
			if err != nil {
				return err
			}
			due, err := qb.CreateBucketIfNotExists([]byte("due"))
			if err != nil {
				return err
			}
			ids, err := qb.CreateBucketIfNotExists([]byte("ids"))
			if err != nil {
				return err
			}
			due.FillPercent, ids.FillPercent = 1, 1 // sequential keys
			for j := i; j < i+batch; j++ {
				id := fmt.Appendf(nil, "item-%07d", j)
				if err := due.Put(append(append([]byte(nil), at...), id...), env.pl(j)); err != nil {
					return err
				}
				if err := ids.Put(id, at); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d items on bolt in %s", benchScheduled, time.Since(start).Round(time.Millisecond))
	st, err = bolt.Open(path, bolt.Options{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	env.runTicks(b, st, nil)
}
