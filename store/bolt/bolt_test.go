package bolt_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/store/storetest"
)

var start = time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC)

func open(t testing.TB, path string, clk clock.Clock) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(path, bolt.Options{Clock: clk})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func harness(t testing.TB) storetest.Harness {
	clk := clock.NewManual(start)
	s := open(t, filepath.Join(t.TempDir(), "licensebot.db"), clk)
	return storetest.Harness{Store: s, Advance: clk.Advance}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness { return harness(t) })
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) storetest.Harness { return harness(b) })
}

func TestSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "licensebot.db")
	open(t, path, clock.NewManual(start))
	began := time.Now()
	s, err := bolt.Open(path, bolt.Options{Clock: clock.NewManual(start), Timeout: 100 * time.Millisecond})
	if err == nil {
		_ = s.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if !errors.Is(err, bolt.ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if waited := time.Since(began); waited > 2*time.Second {
		t.Fatalf("second Open took %v", waited)
	}
	t.Logf("second open: %v", err)
}

func TestOpenNeedsClock(t *testing.T) {
	if _, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{}); err == nil {
		t.Fatal("Open without a clock succeeded")
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "licensebot.db")
	clk := clock.NewManual(start)
	s, err := bolt.Open(path, bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "r1"}
	if _, err := s.Create(ctx, ref, []byte("v1"), store.AuditEntry{At: start, Action: "created"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Schedule(ctx, "acme", "q", store.ScheduledItem{ID: "x", Due: start, Payload: []byte("p")}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutConversation(ctx, "U1", []byte("hi"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Ping after Close: %v, want ErrUnavailable", err)
	}

	s = open(t, path, clk)
	if d, err := s.Get(ctx, ref); err != nil || d.Version != 1 || string(d.Data) != "v1" {
		t.Fatalf("Get after reopen: %+v, %v", d, err)
	}
	if items, err := s.Due(ctx, "acme", "q", start, 0); err != nil || len(items) != 1 {
		t.Fatalf("Due after reopen: %+v, %v", items, err)
	}
	if e, err := s.ReadAudit(ctx, "acme", time.Time{}, 0); err != nil || len(e) != 1 || e[0].Seq == "" {
		t.Fatalf("ReadAudit after reopen: %+v, %v", e, err)
	}
	// Sequence numbers continue after a restart.
	e, err := s.AppendAudit(ctx, store.AuditEntry{Scope: "acme", At: start, Action: "next"})
	if err != nil || e.Seq != fmt.Sprintf("%020d", 2) {
		t.Fatalf("AppendAudit after reopen: %+v, %v", e, err)
	}
	if c, err := s.GetConversation(ctx, "U1"); err != nil || string(c) != "hi" {
		t.Fatalf("GetConversation after reopen: %q, %v", c, err)
	}
}

// TestSweep checks that expired claims and conversations do not pile up:
// the event de-duplication claims alone would grow without bound.
func TestSweep(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewManual(start)
	s, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk, SweepInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for i := range 100 {
		if _, err := s.Claim(ctx, fmt.Sprintf("evt-%d", i), 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := s.PutConversation(ctx, fmt.Sprintf("U%d", i), []byte("x"), 30*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// A conversation refreshed after its first expiry time must survive.
	clk.Advance(20 * time.Minute)
	if err := s.PutConversation(ctx, "U7", []byte("kept"), 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := s.Swept(); got != 100 {
		t.Fatalf("after claims expired: swept %d, want the 100 claims", got)
	}
	clk.Advance(20 * time.Minute)
	if _, err := s.Claim(ctx, "trigger", time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := s.Swept(); got != 199 {
		t.Fatalf("after conversations expired: swept %d, want 199", got)
	}
	if c, err := s.GetConversation(ctx, "U7"); err != nil || string(c) != "kept" {
		t.Fatalf("refreshed conversation: %q, %v", c, err)
	}
	// The next write after the interval sweeps U7 and the trigger claim.
	clk.Advance(31 * time.Minute)
	if ok, err := s.Claim(ctx, "evt-1", time.Minute); err != nil || !ok {
		t.Fatalf("claim after expiry: %v, %v", ok, err)
	}
	if got := s.Swept(); got != 201 {
		t.Fatalf("swept %d, want 201 (U7 and trigger)", got)
	}
}
