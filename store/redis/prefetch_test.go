package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/redis/redistest"
)

// A turn's first round trip claims the event and reads what it predicts;
// the reads it predicted are then answered once each without a round
// trip, a read after a write of the same turn sees the write, and what
// was not predicted is read from Redis as always.
func TestPrefetchAnswersEachReadOnce(t *testing.T) {
	s, _ := redistest.Store(t)
	ctx := context.Background()
	doc := store.Ref{Scope: "contoso", Collection: "people", ID: "alice"}
	other := store.Ref{Scope: "contoso", Collection: "people", ID: "claire"}
	if err := s.PutConversation(ctx, "dialog", []byte("hello"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, doc, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, other, []byte("c1")); err != nil {
		t.Fatal(err)
	}
	rs := store.ReadSet{
		Convs: []string{"dialog", "absent"},
		Docs:  []store.Ref{doc, {Scope: "contoso", Collection: "people", ID: "nobody"}},
		Lists: []store.ListRef{{Scope: "contoso", Collection: "empty"}},
	}
	if _, err := s.Claim(ctx, "warm-up", time.Hour); err != nil { // loads the script
		t.Fatal(err)
	}
	rctx, rec := store.WithRecorder(ctx)
	before := s.Stats()
	pctx, claimed, err := s.Prefetch(rctx, "event:1", time.Hour, rs)
	if err != nil || !claimed {
		t.Fatalf("prefetch: claimed %v, %v", claimed, err)
	}
	if got := s.Stats().RoundTrips - before.RoundTrips; got != 1 {
		t.Fatalf("prefetch took %d round trips, want 1", got)
	}
	// Another delivery of the event loses its claim.
	if _, won, err := s.Prefetch(ctx, "event:1", time.Hour, store.ReadSet{}); err != nil || won {
		t.Fatalf("second prefetch of the same event: claimed %v, %v", won, err)
	}

	before = s.Stats()
	won, conv, err := s.ClaimAndGetConversation(pctx, "event:1", time.Hour, "dialog")
	if err != nil || !won || string(conv) != "hello" {
		t.Fatalf("claim and load: %v %q %v", won, conv, err)
	}
	if _, err := s.GetConversation(pctx, "absent"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("absent conversation: %v", err)
	}
	d, err := s.Get(pctx, doc)
	if err != nil || string(d.Data) != "v1" || d.Version != 1 {
		t.Fatalf("get: %+v %v", d, err)
	}
	if _, err := s.Get(pctx, rs.Docs[1]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("absent document: %v", err)
	}
	if l, err := s.List(pctx, "contoso", "empty"); err != nil || len(l) != 0 {
		t.Fatalf("list: %v %v", l, err)
	}
	if got := s.Stats().RoundTrips - before.RoundTrips; got != 0 {
		t.Fatalf("prefetched reads took %d round trips, want 0", got)
	}

	// A write of the turn, then a read: the write is seen.
	if err := s.PutConversation(ctx, "dialog", []byte("changed elsewhere"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(pctx, doc, 1, []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Get(pctx, doc); err != nil || string(d.Data) != "v2" {
		t.Fatalf("read after the turn's write: %+v %v", d, err)
	}
	// A second read goes to Redis and sees what changed meanwhile.
	if c, err := s.GetConversation(pctx, "dialog"); err != nil || string(c) != "changed elsewhere" {
		t.Fatalf("second read: %q %v", c, err)
	}
	// Not predicted: read as always.
	if d, err := s.Get(pctx, other); err != nil || string(d.Data) != "c1" {
		t.Fatalf("unpredicted read: %+v %v", d, err)
	}
	// The recorder saw every read, predicted or not, for the next turn.
	got := rec.ReadSet()
	if len(got.Convs) != 2 || len(got.Docs) != 3 || len(got.Lists) != 1 {
		t.Fatalf("recorded %+v", got)
	}
	// A context without the snapshot claims as always: the event is
	// taken.
	if won, err := s.Claim(ctx, "event:1", time.Hour); err != nil || won {
		t.Fatalf("claim outside the turn: %v %v", won, err)
	}
}
