package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/licensebot/licensebot/store"
)

// The batch helpers (store.ClaimAll, GetAll, WriteAll, ScheduleAll,
// UnscheduleAll, ReleaseAll) go through store.Batcher when the backend
// has it: each operation of a batch must mean what it means alone.

func testBatchClaims(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	wantClaim(t, s, "b", TTL, true)
	won, err := store.ClaimAll(ctx, s, []string{"a", "b", "c"}, TTL)
	if err != nil {
		t.Fatalf("ClaimAll: %v", err)
	}
	if len(won) != 3 || !won[0] || won[1] || !won[2] {
		t.Fatalf("ClaimAll a, b (held), c = %v, want [true false true]", won)
	}
	if won, err := store.ClaimAll(ctx, s, []string{"a", "c"}, TTL); err != nil || won[0] || won[1] {
		t.Fatalf("ClaimAll again = %v %v, want both lost", won, err)
	}
	if err := store.ReleaseAll(ctx, s, []string{"a", "b", "never-claimed"}); err != nil {
		t.Fatalf("ReleaseAll: %v", err)
	}
	wantClaim(t, s, "a", TTL, true)
	wantClaim(t, s, "b", TTL, true)
	wantClaim(t, s, "c", TTL, false)
	if _, err := store.ClaimAll(ctx, s, []string{"ok", ""}, TTL); err == nil {
		t.Error("ClaimAll with an empty key: no error")
	}
	wantClaim(t, s, "ok", TTL, true) // the bad batch claimed nothing
	if won, err := store.ClaimAll(ctx, s, nil, TTL); err != nil || len(won) != 0 {
		t.Errorf("ClaimAll of nothing = %v %v", won, err)
	}
	h.Advance(TTL + TTL/2)
	if won, err := store.ClaimAll(ctx, s, []string{"c"}, TTL); err != nil || !won[0] {
		t.Errorf("ClaimAll of an expired claim = %v %v, want won", won, err)
	}
}

func testBatchDocuments(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	r1 := store.Ref{Scope: "acme", Collection: "ledger", ID: "one"}
	r2 := store.Ref{Scope: "acme", Collection: "ledger", ID: "two"}
	r3 := store.Ref{Scope: "acme", Collection: "ledger", ID: "three"}
	mustCreate(t, s, r1, "v1")
	mustCreate(t, s, r2, "v1")
	docs, err := store.GetAll(ctx, s, []store.Ref{r2, r3, r1})
	if err != nil || len(docs) != 3 {
		t.Fatalf("GetAll: %d docs, %v", len(docs), err)
	}
	wantDoc(t, docs[0], r2, 1, "v1")
	if docs[1].Ref != r3 || docs[1].Version != 0 || docs[1].Data != nil {
		t.Errorf("GetAll absent = %+v, want its ref, version 0, no data", docs[1])
	}
	wantDoc(t, docs[2], r1, 1, "v1")

	entry := func(action string) store.AuditEntry {
		return store.AuditEntry{At: t0, Actor: "bot", Action: action, Subject: "x"}
	}
	res, err := store.WriteAll(ctx, s, []store.Write{
		{Ref: r1, Version: 1, Data: []byte("v2"), Audit: []store.AuditEntry{entry("one.updated")}},
		{Ref: r2, Version: 7, Data: []byte("stale"), Audit: []store.AuditEntry{entry("lost.cas")}},
		{Ref: r3, Data: []byte("new"), Audit: []store.AuditEntry{entry("three.created")}},
		{Ref: r2, Data: []byte("dup"), Audit: []store.AuditEntry{entry("lost.create")}},
	})
	if err != nil || len(res) != 4 {
		t.Fatalf("WriteAll: %d results, %v", len(res), err)
	}
	if res[0].Err != nil || res[0].Doc.Version != 2 || res[2].Err != nil || res[2].Doc.Version != 1 {
		t.Errorf("WriteAll winners = %+v, %+v", res[0], res[2])
	}
	if !errors.Is(res[1].Err, store.ErrVersionMismatch) || !errors.Is(res[3].Err, store.ErrExists) {
		t.Errorf("WriteAll losers = %v, %v; want ErrVersionMismatch, ErrExists", res[1].Err, res[3].Err)
	}
	wantDoc(t, mustGet(t, s, r1), r1, 2, "v2")
	wantDoc(t, mustGet(t, s, r2), r2, 1, "v1")
	wantDoc(t, mustGet(t, s, r3), r3, 1, "new")
	wantActions(t, s, "acme", "one.updated", "three.created")

	if _, err := store.WriteAll(ctx, s, []store.Write{
		{Ref: r1, Version: 2, Data: []byte("v3")},
		{Ref: store.Ref{Scope: "acme", Collection: "ledger", ID: "four"}, Data: []byte("x"), Audit: []store.AuditEntry{{Scope: "other", At: t0, Action: "bad"}}},
	}); err == nil {
		t.Error("WriteAll with an audit entry of another scope: no error")
	}
	wantDoc(t, mustGet(t, s, r1), r1, 2, "v2") // nothing of the bad batch
}

func testBatchSchedules(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	mustSchedule(t, s, "acme", "q", "moved", t0.Add(time.Hour), "old")
	err := store.ScheduleAll(ctx, s, "acme", "q", []store.ScheduledItem{
		{ID: "b", Due: t0.Add(2 * time.Minute), Payload: []byte("pb")},
		{ID: "a", Due: t0.Add(time.Minute), Payload: []byte("pa")},
		{ID: "moved", Due: t0, Payload: []byte("new")},
	})
	if err != nil {
		t.Fatalf("ScheduleAll: %v", err)
	}
	items := mustScheduled(t, s, "acme", "q", 0)
	wantItems(t, "after ScheduleAll", items, "moved", "a", "b")
	if string(items[0].Payload) != "new" || !items[0].Due.Equal(t0) {
		t.Errorf("replaced item = %+v", items[0])
	}
	if err := store.ScheduleAll(ctx, s, "acme", "q", []store.ScheduledItem{{ID: "c", Due: t0}, {ID: ""}}); err == nil {
		t.Error("ScheduleAll with an empty id: no error")
	}
	wantItems(t, "after the bad batch", mustScheduled(t, s, "acme", "q", 0), "moved", "a", "b")
	if err := store.UnscheduleAll(ctx, s, "acme", "q", []string{"a", "absent", "moved"}); err != nil {
		t.Fatalf("UnscheduleAll: %v", err)
	}
	wantItems(t, "after UnscheduleAll", mustScheduled(t, s, "acme", "q", 0), "b")
	wantItems(t, "other scope", mustScheduled(t, s, "other", "q", 0))
}

func testIncrement(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	ref := store.Ref{Scope: "acme", Collection: "counters", ID: "requests"}
	for want := int64(1); want <= 3; want++ {
		if n, err := store.Increment(ctx, s, ref); err != nil || n != want {
			t.Fatalf("Increment = %d %v, want %d", n, err, want)
		}
	}
	wantDoc(t, mustGet(t, s, ref), ref, 3, "3")
	// A counter written as a JSON document by compare-and-swap goes on.
	other := store.Ref{Scope: "acme", Collection: "counters", ID: "other"}
	mustCreate(t, s, other, "41")
	if n, err := store.Increment(ctx, s, other); err != nil || n != 42 {
		t.Fatalf("Increment after 41 = %d %v, want 42", n, err)
	}
	wantDoc(t, mustGet(t, s, other), other, 2, "42")
	docs, err := s.List(ctx, "acme", "counters")
	if err != nil || len(docs) != 2 {
		t.Fatalf("List: %d documents, %v; want both counters", len(docs), err)
	}
	bad := store.Ref{Scope: "acme", Collection: "counters", ID: "bad"}
	mustCreate(t, s, bad, `"text"`)
	if _, err := store.Increment(ctx, s, bad); err == nil {
		t.Error("Increment of a document that is not a number: no error")
	}
	wantDoc(t, mustGet(t, s, bad), bad, 1, `"text"`)
	if _, err := store.Increment(ctx, s, store.Ref{Scope: "acme", Collection: "counters"}); err == nil {
		t.Error("Increment with an empty id: no error")
	}
}
