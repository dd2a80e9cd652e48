package bolt

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "db"), Options{Clock: clock.NewManual(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Concurrent writers share commits, and each keeps its own answer: a
// lost compare-and-swap fails only its caller, while the writes
// committed with it stand.
func TestGroupCommitKeepsEachAnswer(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	ref := store.Ref{Scope: "acme", Collection: "c", ID: "doc"}
	if _, err := s.Create(ctx, ref, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	const n = 32
	var wg sync.WaitGroup
	var casWon, claimsWon atomic.Int64
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Everyone updates from version 1: exactly one wins.
			_, err := s.Update(ctx, ref, 1, fmt.Appendf(nil, "w%d", i))
			switch {
			case err == nil:
				casWon.Add(1)
			case !errors.Is(err, store.ErrVersionMismatch):
				t.Errorf("Update: %v", err)
			}
			if won, err := s.Claim(ctx, "same", time.Minute); err != nil {
				t.Errorf("Claim: %v", err)
			} else if won {
				claimsWon.Add(1)
			}
			if err := s.PutConversation(ctx, fmt.Sprintf("u%d", i), []byte("x"), time.Minute); err != nil {
				t.Errorf("PutConversation: %v", err)
			}
		}()
	}
	before := s.Commits()
	close(start)
	wg.Wait()
	if casWon.Load() != 1 || claimsWon.Load() != 1 {
		t.Fatalf("%d updates and %d claims won, want 1 each", casWon.Load(), claimsWon.Load())
	}
	if d, err := s.Get(ctx, ref); err != nil || d.Version != 2 {
		t.Fatalf("document after the race: %+v %v, want version 2", d, err)
	}
	for i := range n {
		if _, err := s.GetConversation(ctx, fmt.Sprintf("u%d", i)); err != nil {
			t.Fatalf("conversation u%d: %v", i, err)
		}
	}
	t.Logf("%d writes in %d commits", 3*n, s.Commits()-before)
}

// BenchmarkServeWrites is the store side of a Slack turn on bolt, by 16
// concurrent users: the signature's replay claim, the event claim, the
// claim-and-load of the dialogue, the dialogue save. It reports commits
// (each two fdatasync) per turn.
//
//	go test -run '^$' -bench BenchmarkServeWrites -benchtime 2000x ./store/bolt/
func BenchmarkServeWrites(b *testing.B) {
	s := openTemp(b)
	var seq atomic.Int64
	before := s.Commits()
	b.SetParallelism(8) // 16 goroutines on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		ctx := b.Context()
		user := fmt.Sprintf("U%d", seq.Add(1))
		for pb.Next() {
			n := seq.Add(1)
			if _, err := s.Claim(ctx, fmt.Sprintf("sig:%d", n), 5*time.Minute); err != nil {
				b.Error(err)
				return
			}
			if _, err := s.Claim(ctx, fmt.Sprintf("evt:%d", n), 10*time.Minute); err != nil {
				b.Error(err)
				return
			}
			if _, _, err := s.ClaimAndGetConversation(ctx, fmt.Sprintf("turn:%d", n), 10*time.Minute, user); err != nil {
				b.Error(err)
				return
			}
			if err := s.PutConversation(ctx, user, []byte(`{"state":"idle"}`), 30*time.Minute); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(s.Commits()-before)/float64(b.N), "commits/turn")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "turns/s")
}
