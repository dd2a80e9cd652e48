package redis_test

import (
	"bytes"
	"errors"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/redis"
	"github.com/licensebot/licensebot/store/redis/redistest"
)

// lossyProxy forwards TCP to a Redis and, when armed, lets one matching
// command reach the server but cuts the connection instead of passing the
// reply back: the write happened, the client saw a network error, and
// go-redis retries it.
type lossyProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	match   []byte
	dropped atomic.Int64
}

func startProxy(t *testing.T, target string) *lossyProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &lossyProxy{ln: ln, target: target}
	var conns sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); conns.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { p.handle(c) })
		}
	}()
	return p
}

// arm makes the next command containing match lose its reply.
func (p *lossyProxy) arm(match string) {
	p.mu.Lock()
	p.match = []byte(match)
	p.mu.Unlock()
}

func (p *lossyProxy) takeMatch(chunk []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.match != nil && bytes.Contains(chunk, p.match) {
		p.match = nil
		return true
	}
	return false
}

func (p *lossyProxy) handle(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	var dropReply atomic.Bool
	go func() {
		defer server.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := client.Read(buf)
			if err != nil {
				return
			}
			if p.takeMatch(buf[:n]) {
				dropReply.Store(true)
			}
			if _, err := server.Write(buf[:n]); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := server.Read(buf)
		if err != nil {
			return
		}
		if dropReply.Load() {
			p.dropped.Add(1)
			return
		}
		if _, err := client.Write(buf[:n]); err != nil {
			return
		}
	}
}

// TestLostReplyRetryIsIdempotent checks the retry design: every write
// whose reply is lost after it was applied is retried by go-redis and
// still reports its own success, exactly once.
func TestLostReplyRetryIsIdempotent(t *testing.T) {
	tg := redistest.Start(t)
	if tg.Mode != "single" {
		t.Skipf("the lossy proxy sits in front of one node, not %s", tg.Mode)
	}
	in := tg.Instance(t)
	opts, err := redis.ParseURL(in.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, opts.Addrs[0])
	s := newStore(t, in.URL, in.Prefix, patient, func(o *redis.Options) { o.Addrs = []string{p.ln.Addr().String()} })
	ctx := t.Context()

	// Load every script first: a lost NOSCRIPT reply proves nothing.
	warm := store.Ref{Scope: "lost", Collection: "c", ID: "warm"}
	if _, err := s.Create(ctx, warm, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteMany(ctx, []store.Write{{Ref: store.Ref{Scope: "lost", Collection: "c", ID: "warm-many"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimMany(ctx, []string{"warm-many"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, "warm", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAudit(ctx, store.AuditEntry{Scope: "warm", At: when}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Increment(ctx, store.Ref{Scope: "warm", Collection: "counters", ID: "n"}); err != nil {
		t.Fatal(err)
	}

	lose := func(match string, op func() error) {
		t.Helper()
		before := p.dropped.Load()
		p.arm(match)
		if err := op(); err != nil {
			t.Fatalf("%s with a lost reply: %v", match, err)
		}
		if p.dropped.Load() != before+1 {
			t.Fatalf("%s: no reply was dropped; the test did not test anything", match)
		}
	}

	ref := store.Ref{Scope: "lost", Collection: "c", ID: "doc-lost"}
	lose("doc-lost", func() error {
		d, err := s.Create(ctx, ref, []byte("v1"), store.AuditEntry{At: when, Action: "created"})
		if err == nil && d.Version != 1 {
			t.Errorf("Create: version %d", d.Version)
		}
		return err
	})
	lose("doc-lost", func() error {
		d, err := s.Update(ctx, ref, 1, []byte("v2"), store.AuditEntry{At: when, Action: "updated"})
		if err == nil && d.Version != 2 {
			t.Errorf("Update: version %d", d.Version)
		}
		return err
	})
	if d, err := s.Get(ctx, ref); err != nil || d.Version != 2 || string(d.Data) != "v2" {
		t.Fatalf("after lost replies: %+v, %v", d, err)
	}
	// A batch of writes, one of which loses its compare-and-swap: the
	// retry reports each write's own first answer.
	many := []store.Write{
		{Ref: store.Ref{Scope: "lost", Collection: "c", ID: "many-lost"}, Data: []byte("m1"), Audit: []store.AuditEntry{{At: when, Action: "many.created"}}},
		{Ref: ref, Version: 1, Data: []byte("stale")},
		{Ref: ref, Version: 2, Data: []byte("v3")},
	}
	lose("many-lost", func() error {
		res, err := s.WriteMany(ctx, many)
		if err == nil && (res[0].Err != nil || res[0].Doc.Version != 1 || !errors.Is(res[1].Err, store.ErrVersionMismatch) || res[2].Err != nil || res[2].Doc.Version != 3) {
			t.Errorf("WriteMany with a lost reply: %+v", res)
		}
		return err
	})
	if d, err := s.Get(ctx, ref); err != nil || d.Version != 3 || string(d.Data) != "v3" {
		t.Fatalf("after a lost WriteMany reply: %+v, %v", d, err)
	}
	lose("evt-lost", func() error {
		won, err := s.Claim(ctx, "evt-lost", time.Minute)
		if err == nil && !won {
			t.Error("Claim with a lost reply reported a loss")
		}
		return err
	})
	if won, err := s.Claim(ctx, "evt-lost", time.Minute); err != nil || won {
		t.Fatalf("second Claim: %v, %v", won, err)
	}
	lose("claims-lost", func() error {
		won, err := s.ClaimMany(ctx, []string{"claims-lost-1", "claims-lost-2"}, time.Minute)
		if err == nil && (!won[0] || !won[1]) {
			t.Errorf("ClaimMany with a lost reply reported %v", won)
		}
		return err
	})
	if won, err := s.ClaimMany(ctx, []string{"claims-lost-1", "claims-lost-2"}, time.Minute); err != nil || won[0] || won[1] {
		t.Fatalf("second ClaimMany: %v, %v", won, err)
	}
	lose("audit-lost", func() error {
		_, err := s.AppendAudit(ctx, store.AuditEntry{Scope: "lost", At: when, Action: "audit-lost"})
		return err
	})
	lose("pipe-lost", func() error {
		won, _, err := s.ClaimAndGetConversation(ctx, "pipe-lost", time.Minute, "U1")
		if err == nil && !won {
			t.Error("ClaimAndGetConversation with a lost reply reported a loss")
		}
		return err
	})

	// A write with a claim, and a list with an increment: each part of
	// the pipeline reports its own first answer when it is sent again.
	claimed := store.Ref{Scope: "lost", Collection: "c", ID: "claimed-lost"}
	if _, err := s.Create(ctx, claimed, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	lose("claimed-lost", func() error {
		d, won, err := s.UpdateAndClaim(ctx, claimed, 1, []byte("v2"), "outbox-claimed-lost", time.Minute, store.AuditEntry{At: when, Action: "claimed"})
		if err == nil && (d.Version != 2 || !won) {
			t.Errorf("UpdateAndClaim with a lost reply: version %d, claimed %v", d.Version, won)
		}
		return err
	})
	if won, err := s.Claim(ctx, "outbox-claimed-lost", time.Minute); err != nil || won {
		t.Fatalf("Claim after UpdateAndClaim: %v, %v; want it held", won, err)
	}
	counter := store.Ref{Scope: "lost", Collection: "counters", ID: "numbers-lost"}
	lose("numbers-lost", func() error {
		_, n, err := s.ListAndIncrement(ctx, "lost", "c", counter)
		if err == nil && n != 1 {
			t.Errorf("ListAndIncrement with a lost reply: %d, want 1", n)
		}
		return err
	})
	if n, err := s.Increment(ctx, counter); err != nil || n != 2 {
		t.Fatalf("Increment after a lost ListAndIncrement reply: %d, %v; want 2", n, err)
	}

	entries, err := s.ReadAudit(ctx, "lost", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if want := []string{"created", "updated", "many.created", "audit-lost", "claimed"}; !slices.Equal(actions, want) {
		t.Fatalf("audit = %q, want each once: %q", actions, want)
	}
	if _, err := s.Update(ctx, ref, 3, nil); err != nil {
		t.Fatalf("Update after the drill: %v", err)
	}
}
