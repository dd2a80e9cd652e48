package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/redis"
	"github.com/licensebot/licensebot/store/redis/redistest"
	"github.com/licensebot/licensebot/store/storetest"
)

// when is an arbitrary instant for audit entries and schedules.
var when = time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC)

func newStore(t testing.TB, rawURL, prefix string, tweak ...func(*redis.Options)) *redis.Store {
	t.Helper()
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		t.Fatalf("ParseURL: %v", err)
	}
	opts.Prefix = prefix
	return newStoreOpts(t, opts, tweak...)
}

func newStoreOpts(t testing.TB, opts redis.Options, tweak ...func(*redis.Options)) *redis.Store {
	t.Helper()
	for _, f := range tweak {
		f(&opts)
	}
	s, err := redis.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// patient raises the timeouts for tests that check results, not latency:
// under -race on a busy CI machine, fifty clients queueing on miniredis's
// Lua interpreter can wait longer than the production read timeout.
func patient(o *redis.Options) {
	o.ReadTimeout, o.WriteTimeout, o.OpTimeout = 10*time.Second, 10*time.Second, 20*time.Second
}

func harness(tg *redistest.Target) func(t testing.TB) storetest.Harness {
	return func(t testing.TB) storetest.Harness {
		in := tg.Instance(t)
		return storetest.Harness{Store: newStoreOpts(t, in.Options, patient), Advance: in.Advance}
	}
}

// TestConformance runs the suite on a real Redis (REDIS_URL or a
// redis-server from PATH), or on miniredis where neither exists.
func TestConformance(t *testing.T) {
	h := harness(redistest.Start(t))
	storetest.Run(t, func(t *testing.T) storetest.Harness { return h(t) })
}

// TestConformanceMiniredis keeps the in-process server honest too: it is
// what developers without Redis installed run.
func TestConformanceMiniredis(t *testing.T) {
	h := harness(redistest.Miniredis(t))
	storetest.Run(t, func(t *testing.T) storetest.Harness { return h(t) })
}

func BenchmarkStore(b *testing.B) {
	h := harness(redistest.Start(b))
	storetest.Bench(b, func(b *testing.B) storetest.Harness { return h(b) })
}

// TestTwoReplicas runs two Stores with their own clients on one Redis, as
// two licensebot replicas would.
func TestTwoReplicas(t *testing.T) {
	in := redistest.Start(t).Instance(t)
	replicas := []*redis.Store{newStoreOpts(t, in.Options, patient), newStoreOpts(t, in.Options, patient)}
	ctx := t.Context()
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "r1"}
	if _, err := replicas[0].Create(ctx, ref, []byte("submitted")); err != nil {
		t.Fatal(err)
	}

	const n = 100
	var (
		wg              sync.WaitGroup
		mu              sync.Mutex
		wins, claims    int
		errs            []error
		claimKey        = "slack:event:Ev123"
		start           = make(chan struct{})
		approveOrReject = []string{"approved", "rejected"}
	)
	for i := range n {
		s := replicas[i%2]
		wg.Go(func() {
			<-start
			state := approveOrReject[i%2]
			_, err := s.Update(ctx, ref, 1, []byte(state), store.AuditEntry{At: when, Actor: fmt.Sprint(i), Action: "request." + state})
			won, cerr := s.Claim(ctx, claimKey, time.Minute)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, store.ErrVersionMismatch):
				errs = append(errs, err)
			}
			if cerr != nil {
				errs = append(errs, cerr)
			} else if won {
				claims++
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if wins != 1 || claims != 1 {
		t.Fatalf("%d CAS winners and %d claim winners, want 1 and 1", wins, claims)
	}
	entries, err := replicas[1].ReadAudit(ctx, "acme", time.Time{}, 0)
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit: %d entries (%v), want exactly the winner's", len(entries), err)
	}
	d, err := replicas[1].Get(ctx, ref)
	if err != nil || d.Version != 2 || "request."+string(d.Data) != entries[0].Action {
		t.Fatalf("document %+v (%v) does not match the audit entry %+v", d, err, entries[0])
	}
}

// TestChatTurnRoundTrips pins the design target: a chat turn's state costs
// two round trips (claim + load, then save).
func TestChatTurnRoundTrips(t *testing.T) {
	s, _ := redistest.Store(t)
	ctx := t.Context()
	// Loads the claim script, so the turn below sees the steady state.
	if _, _, err := s.ClaimAndGetConversation(ctx, "warm-up", time.Minute, "U1"); err != nil {
		t.Fatal(err)
	}
	before := s.Stats()
	claimed, conv, err := s.ClaimAndGetConversation(ctx, "evt-1", 10*time.Minute, "U1")
	if err != nil || !claimed || conv != nil {
		t.Fatalf("ClaimAndGetConversation: %v %q %v", claimed, conv, err)
	}
	if err := s.PutConversation(ctx, "U1", []byte("state"), 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	after := s.Stats()
	if rt := after.RoundTrips - before.RoundTrips; rt != 2 {
		t.Fatalf("chat turn: %d round trips, want 2", rt)
	}
	t.Logf("chat turn: %d round trips, %d commands", after.RoundTrips-before.RoundTrips, after.Commands-before.Commands)
}

// TestUnavailable stops the server under a live Store: every operation
// reports ErrUnavailable promptly, and the same Store recovers when the
// server is back.
func TestUnavailable(t *testing.T) {
	srv := redistest.StartServer(t)
	checkOutage(t, srv.URL, func() { srv.Stop(t) }, func() { srv.Restart(t) })
}

func TestUnavailableMiniredis(t *testing.T) {
	m := miniredis.RunT(t)
	checkOutage(t, "redis://"+m.Addr(), m.Close, func() {
		if err := m.Restart(); err != nil {
			t.Fatal(err)
		}
	})
}

func checkOutage(t *testing.T, rawURL string, stop, restart func()) {
	s := newStore(t, rawURL, redistest.Prefix(), func(o *redis.Options) { o.OpTimeout = 3 * time.Second })
	ctx := t.Context()
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "r1"}
	if _, err := s.Create(ctx, ref, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	stop()

	ops := map[string]func() error{
		"Ping": func() error { return s.Ping(ctx) },
		"Get":  func() error { _, err := s.Get(ctx, ref); return err },
		"Create": func() error {
			_, err := s.Create(ctx, store.Ref{Scope: "acme", Collection: "c", ID: "x"}, nil)
			return err
		},
		"Update": func() error { _, err := s.Update(ctx, ref, 1, []byte("v2")); return err },
		"List":   func() error { _, err := s.List(ctx, "acme", "requests"); return err },
		"Claim":  func() error { _, err := s.Claim(ctx, "k", time.Minute); return err },
		"ClaimAndGetConversation": func() error {
			_, _, err := s.ClaimAndGetConversation(ctx, "k", time.Minute, "U1")
			return err
		},
		"PutConversation": func() error { return s.PutConversation(ctx, "U1", []byte("x"), time.Minute) },
		"GetConversation": func() error { _, err := s.GetConversation(ctx, "U1"); return err },
		"Schedule": func() error {
			return s.Schedule(ctx, "acme", "q", store.ScheduledItem{ID: "x", Due: when})
		},
		"Due":         func() error { _, err := s.Due(ctx, "acme", "q", when, 10); return err },
		"AppendAudit": func() error { _, err := s.AppendAudit(ctx, store.AuditEntry{At: when}); return err },
		"ReadAudit":   func() error { _, err := s.ReadAudit(ctx, "acme", time.Time{}, 0); return err },
	}
	var wg sync.WaitGroup
	for name, op := range ops {
		wg.Go(func() {
			began := time.Now()
			err := op()
			took := time.Since(began)
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("%s while down: err = %v, want ErrUnavailable", name, err)
			}
			if took > 4*time.Second {
				t.Errorf("%s while down took %v", name, took)
			}
		})
	}
	wg.Wait()
	began := time.Now()
	err := ops["Get"]()
	t.Logf("while down, after %v: %v", time.Since(began).Round(time.Millisecond), err)

	restart()
	deadline := time.Now().Add(10 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("Ping still failing 10s after restart: %v", s.Ping(ctx))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The restarted server may be empty (no persistence): write afresh.
	ref2 := store.Ref{Scope: "acme", Collection: "requests", ID: "after"}
	if _, err := s.Create(ctx, ref2, []byte("v1"), store.AuditEntry{At: when, Action: "back"}); err != nil {
		t.Fatalf("Create after restart: %v", err)
	}
	if _, err := s.Update(ctx, ref2, 1, []byte("v2")); err != nil {
		t.Fatalf("Update after restart: %v", err)
	}
	if ok, err := s.Claim(ctx, "after", time.Minute); err != nil || !ok {
		t.Fatalf("Claim after restart: %v %v", ok, err)
	}
	if _, _, err := s.ClaimAndGetConversation(ctx, "after-2", time.Minute, "U1"); err != nil {
		t.Fatalf("ClaimAndGetConversation after restart: %v", err)
	}
}

// TestTimeoutIsUnavailable points a Store at a server that accepts
// connections and never answers.
func TestTimeoutIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	s := newStore(t, "redis://"+ln.Addr().String(), "p", func(o *redis.Options) {
		o.ReadTimeout = 100 * time.Millisecond
		o.OpTimeout = 500 * time.Millisecond
	})
	began := time.Now()
	_, err = s.Get(t.Context(), store.Ref{Scope: "a", Collection: "b", ID: "c"})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Get against a silent server: %v, want ErrUnavailable", err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("took %v", took)
	}
	// A caller's own deadline counts too.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ping with a deadline: %v, want ErrUnavailable and DeadlineExceeded", err)
	}
}

func TestOptions(t *testing.T) {
	o, err := redis.ParseURL("rediss://user:s3cret@redis.example:6380/2?dial_timeout=3s&pool_size=7")
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Addrs) != 1 || o.Addrs[0] != "redis.example:6380" || o.Username != "user" || o.Password != "s3cret" ||
		o.DB != 2 || o.TLSConfig == nil || o.DialTimeout != 3*time.Second || o.PoolSize != 7 {
		t.Fatalf("ParseURL: %+v", o)
	}
	if _, err := redis.ParseURL("redis://user:s3cret@bad host:1/"); err == nil {
		t.Fatal("bad URL parsed")
	} else if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error leaks the password: %v", err)
	}
	if _, err := redis.New(redis.Options{Addrs: []string{"x:1"}, Prefix: "a{b}"}); err == nil {
		t.Fatal("prefix with braces accepted")
	}
	if _, err := redis.New(redis.Options{}); err == nil {
		t.Fatal("no address accepted")
	}
	s, err := redis.New(redis.Options{MasterName: "mymaster", SentinelAddrs: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatalf("Sentinel options: %v", err)
	}
	_ = s.Close()
	s, err = redis.New(redis.Options{Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}})
	if err != nil {
		t.Fatalf("Cluster options: %v", err)
	}
	_ = s.Close()
}
