package bolt_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
)

// A backup taken while writers run is a data file that opens, passes
// Verify and holds every document committed before it started.
func TestBackupWhileWritingIsConsistent(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	s, err := bolt.Open(filepath.Join(dir, "licensebot.db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 50; i++ {
		if _, err := s.Create(ctx, store.Ref{Scope: "contoso", Collection: "requests", ID: string(rune('a'+i%26)) + string(rune('a'+i/26))}, []byte(`{"n":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // writers keep going during the backup
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, _ = s.AppendAudit(ctx, store.AuditEntry{Scope: "contoso", At: clk.Now(), Action: "test"})
		}
	}()
	var buf bytes.Buffer
	n, err := s.Backup(ctx, &buf)
	close(stop)
	wg.Wait()
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(copyPath, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := bolt.Verify(copyPath); err != nil {
		t.Fatalf("Verify(backup) = %v", err)
	}
	c, err := bolt.Open(copyPath, bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	docs, err := c.List(ctx, "contoso", "requests")
	if err != nil || len(docs) != 50 {
		t.Fatalf("backup holds %d requests (%v), want 50", len(docs), err)
	}
}

// Verify refuses what is not a data file, and a file another process
// holds, with errors callers can branch on.
func TestVerifyRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("x"), 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := bolt.Verify(junk); !errors.Is(err, bolt.ErrNotAStore) {
		t.Fatalf("Verify(junk) = %v, want ErrNotAStore", err)
	}
	if err := bolt.Verify(filepath.Join(dir, "missing.db")); err == nil {
		t.Fatal("Verify(missing) = nil")
	}
	held := filepath.Join(dir, "held.db")
	s, err := bolt.Open(held, bolt.Options{Clock: clock.NewManual(time.Unix(0, 0))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := bolt.Verify(held); !errors.Is(err, bolt.ErrLocked) {
		t.Fatalf("Verify(held) = %v, want ErrLocked", err)
	}
}
