package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/licensebot/licensebot/store"
)

// plain hides a backend's optional fast paths, so that the store
// package's fallbacks are held to the same contract.
type plain struct{ store.Store }

// withFallback runs fn on the backend and on the backend seen through
// plain (one store: fn must not depend on a fresh one).
func withFallback(t *testing.T, h Harness, fn func(t *testing.T, s store.Store, scope string)) {
	t.Run("backend", func(t *testing.T) { fn(t, h.Store, "acme") })
	t.Run("fallback", func(t *testing.T) { fn(t, plain{h.Store}, "fallback") })
}

// UpdateAndClaim writes like Update and claims with it; the claim is
// held only after a write that stood, and a write that lost leaves the
// claim as it was, whoever held it.
func testUpdateAndClaim(t *testing.T, h Harness) {
	for _, durable := range []bool{false, true} {
		name := "UpdateAndClaim"
		update := store.UpdateAndClaim
		if durable {
			name, update = "UpdateDurableAndClaim", store.UpdateDurableAndClaim
		}
		t.Run(name, func(t *testing.T) {
			withFallback(t, h, func(t *testing.T, s store.Store, scope string) {
				ctx := context.Background()
				scope += "-" + name
				ref := store.Ref{Scope: scope, Collection: "requests", ID: "R-1"}
				key := "outbox:" + scope + ":R-1"
				mustCreate(t, s, ref, "v1")
				d, claimed, err := update(ctx, s, ref, 1, []byte("v2"), key, time.Hour,
					store.AuditEntry{At: t0, Actor: "bot", Action: "request.completed", Subject: "R-1"})
				if err != nil || !claimed {
					t.Fatalf("%s: claimed %v, %v; want the write and the claim", name, claimed, err)
				}
				wantDoc(t, d, ref, 2, "v2")
				wantDoc(t, mustGet(t, s, ref), ref, 2, "v2")
				wantActions(t, s, scope, "request.completed")
				wantClaim(t, s, key, time.Hour, false)

				// The claim is held (by the test now): the write still
				// stands, without it.
				d, claimed, err = update(ctx, s, ref, 2, []byte("v3"), key, time.Hour)
				if err != nil || claimed {
					t.Fatalf("%s with the claim held elsewhere: claimed %v, %v; want the write alone", name, claimed, err)
				}
				wantDoc(t, d, ref, 3, "v3")
				wantDoc(t, mustGet(t, s, ref), ref, 3, "v3")

				// A stale write loses, and does not take the claim back
				// from its holder.
				if _, claimed, err := update(ctx, s, ref, 1, []byte("stale"), key, time.Hour, store.AuditEntry{At: t0, Action: "lost"}); !errors.Is(err, store.ErrVersionMismatch) || claimed {
					t.Fatalf("stale %s: claimed %v, %v; want ErrVersionMismatch and no claim", name, claimed, err)
				}
				wantClaim(t, s, key, time.Hour, false)
				// Nor does it keep a free claim.
				if err := s.Release(ctx, key); err != nil {
					t.Fatal(err)
				}
				if _, claimed, err := update(ctx, s, ref, 1, []byte("stale"), key, time.Hour, store.AuditEntry{At: t0, Action: "lost"}); !errors.Is(err, store.ErrVersionMismatch) || claimed {
					t.Fatalf("stale %s: claimed %v, %v; want ErrVersionMismatch and no claim", name, claimed, err)
				}
				wantClaim(t, s, key, time.Hour, true)
				if err := s.Release(ctx, key); err != nil {
					t.Fatal(err)
				}
				missing := store.Ref{Scope: scope, Collection: "requests", ID: "R-404"}
				if _, claimed, err := update(ctx, s, missing, 1, []byte("x"), key, time.Hour); !errors.Is(err, store.ErrNotFound) || claimed {
					t.Fatalf("%s of a missing document: claimed %v, %v; want ErrNotFound", name, claimed, err)
				}
				wantClaim(t, s, key, time.Hour, true)
				wantDoc(t, mustGet(t, s, ref), ref, 3, "v3")
				wantActions(t, s, scope, "request.completed")
			})
		})
	}
	t.Run("InvalidInput", func(t *testing.T) {
		ctx, s := context.Background(), h.Store
		ref := store.Ref{Scope: "invalid", Collection: "requests", ID: "R-1"}
		mustCreate(t, s, ref, "v1")
		for _, c := range []struct {
			key string
			ttl time.Duration
		}{{"", time.Hour}, {"outbox:invalid:R-1", 0}} {
			if _, _, err := store.UpdateAndClaim(ctx, s, ref, 1, []byte("v2"), c.key, c.ttl); err == nil {
				t.Errorf("UpdateAndClaim(key %q, ttl %s): no error", c.key, c.ttl)
			}
		}
		wantDoc(t, mustGet(t, s, ref), ref, 1, "v1")
	})
}

// The claim taken with a write expires like any other.
func testUpdateAndClaimExpiry(t *testing.T, h Harness) {
	ctx, s := context.Background(), h.Store
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "R-1"}
	mustCreate(t, s, ref, "v1")
	if _, claimed, err := store.UpdateAndClaim(ctx, s, ref, 1, []byte("v2"), "outbox:acme:R-1", TTL); err != nil || !claimed {
		t.Fatalf("UpdateAndClaim: %v %v", claimed, err)
	}
	h.Advance(TTL / 2)
	wantClaim(t, s, "outbox:acme:R-1", time.Hour, false)
	h.Advance(TTL)
	wantClaim(t, s, "outbox:acme:R-1", time.Hour, true)
}

// ListAndIncrement lists like List and adds one to the counter like
// Increment, whatever the list holds.
func testListAndIncrement(t *testing.T, h Harness) {
	withFallback(t, h, func(t *testing.T, s store.Store, scope string) {
		ctx := context.Background()
		counter := store.Ref{Scope: scope, Collection: "counters", ID: "requests"}
		docs, n, err := store.ListAndIncrement(ctx, s, scope, "requests", counter)
		if err != nil || len(docs) != 0 || n != 1 {
			t.Fatalf("ListAndIncrement of an empty collection: %d docs, n %d, %v; want none and 1", len(docs), n, err)
		}
		for _, id := range []string{"R-2", "R-1", "R-10"} {
			mustCreate(t, s, store.Ref{Scope: scope, Collection: "requests", ID: id}, "data "+id)
		}
		docs, n, err = store.ListAndIncrement(ctx, s, scope, "requests", counter)
		if err != nil || n != 2 {
			t.Fatalf("ListAndIncrement: n %d, %v; want 2", n, err)
		}
		var ids []string
		for _, d := range docs {
			ids = append(ids, d.Ref.ID)
			wantDoc(t, d, d.Ref, 1, "data "+d.Ref.ID)
		}
		if want := []string{"R-1", "R-10", "R-2"}; !slices.Equal(ids, want) {
			t.Fatalf("ListAndIncrement listed %q, want %q", ids, want)
		}
		// One counter, whichever way it is moved.
		if n, err := store.Increment(ctx, s, counter); err != nil || n != 3 {
			t.Fatalf("Increment after ListAndIncrement = %d %v, want 3", n, err)
		}
		// A number nobody took since is given back; one taken since is not.
		if ok, err := store.GiveBack(ctx, s, counter, 3); err != nil || !ok {
			t.Fatalf("GiveBack(3) = %v %v, want true", ok, err)
		}
		if _, n, err := store.ListAndIncrement(ctx, s, scope, "requests", counter); err != nil || n != 3 {
			t.Fatalf("ListAndIncrement after GiveBack: n %d, %v; want 3 again", n, err)
		}
		if ok, err := store.GiveBack(ctx, s, counter, 2); err != nil || ok {
			t.Fatalf("GiveBack(2) while the counter is at 3 = %v %v, want false", ok, err)
		}
		if n, err := store.Increment(ctx, s, counter); err != nil || n != 4 {
			t.Fatalf("Increment after a refused GiveBack = %d %v, want 4", n, err)
		}
		if _, _, err := store.ListAndIncrement(ctx, s, scope, "requests", store.Ref{Scope: scope, Collection: "counters"}); err == nil {
			t.Error("ListAndIncrement with an empty counter id: no error")
		}
	})
}
