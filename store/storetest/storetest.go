// Package storetest is the conformance suite every store.Store backend
// passes. A backend's test calls Run with a function that returns a fresh,
// empty store and a way to move that store's notion of time forward:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Harness {
//			clk := clock.NewManual(start)
//			s, _ := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk})
//			t.Cleanup(func() { s.Close() })
//			return storetest.Harness{Store: s, Advance: clk.Advance}
//		})
//	}
//
// Beyond store's comments the suite pins down: TTLs must be positive;
// keys and ids must not be empty; audit entries given to Create/Update
// belong to the document's scope (an empty Scope is filled in, another
// scope is an error); Seq values of one scope increase in string order;
// Due and Scheduled treat limit <= 0 as "no limit"; Due only reads.
//
// Subtests run in parallel and each asks for its own harness, so a backend
// whose Advance sleeps (a real Redis) costs about the longest TTL test, not
// the sum of them.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/store"
)

// Harness is one fresh, empty store for one test.
type Harness struct {
	Store store.Store
	// Advance moves the store's time forward by d: a manual clock, a
	// miniredis FastForward, or a plain sleep against a real server.
	Advance func(d time.Duration)
}

// TTL is the time-to-live the suite uses. Against a real server Advance
// sleeps, so a value must still be alive 0.6 TTL after it was written on a
// loaded CI machine under -race; the TTL subtests run in parallel, so the
// suite costs about 2 TTL of wall time.
const TTL = time.Second

// ConversationClaimer is the optional one-round-trip read a chat turn
// starts with; backends that provide it are checked by the suite.
type ConversationClaimer = store.ConversationClaimer

// t0 is an arbitrary instant with a nanosecond part, so a backend that
// rounds times to milliseconds fails the boundary checks.
var t0 = time.Date(2026, time.March, 29, 1, 30, 0, 123456789, time.UTC)

// oddKeys are names that break naive key building: separators, hash-tag
// braces, escapes, whitespace, non-ASCII.
var oddKeys = []string{
	"plain",
	"with space",
	"colon:inside:",
	"{brace}",
	"}{",
	"50% off",
	"_",
	"déjà vu ✓",
	"line\nbreak",
	"tab\tand\x00nul",
}

// Run runs the whole suite. newHarness is called once per subtest with
// that subtest's t, and must register its own cleanup (t.Cleanup).
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	cases := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"Ping", testPing},
		{"Conversation/GetPutDelete", testConversationBasic},
		{"Conversation/Expiry", testConversationExpiry},
		{"Conversation/PutRefreshesTTL", testConversationRefresh},
		{"Conversation/InvalidInput", testConversationInvalid},
		{"Conversation/ClaimAndGet", testClaimAndGetConversation},
		{"Document/CreateGet", testDocumentCreateGet},
		{"Document/UpdateCAS", testDocumentUpdate},
		{"Document/UpdateDurable", testDocumentUpdateDurable},
		{"Document/List", testDocumentList},
		{"Document/ScopeIsolation", testDocumentScopes},
		{"Document/AuditWithWrite", testDocumentAudit},
		{"Document/AuditScopeMismatch", testDocumentAuditScope},
		{"Document/ConcurrentCAS", testDocumentConcurrentCAS},
		{"Document/InvalidInput", testDocumentInvalid},
		{"Claim/SetIfAbsent", testClaimBasic},
		{"Claim/Expiry", testClaimExpiry},
		{"Claim/Concurrent", testClaimConcurrent},
		{"Claim/InvalidInput", testClaimInvalid},
		{"Schedule/DueAndOrder", testScheduleDue},
		{"Schedule/ReplaceAndUnschedule", testScheduleReplace},
		{"Schedule/Isolation", testScheduleIsolation},
		{"Schedule/SameInstant", testScheduleSameInstant},
		{"Batch/Claims", testBatchClaims},
		{"Batch/Documents", testBatchDocuments},
		{"Batch/Schedules", testBatchSchedules},
		{"Document/Increment", testIncrement},
		{"Document/UpdateAndRelease", testUpdateAndRelease},
		{"Document/UpdateAndClaim", testUpdateAndClaim},
		{"Document/UpdateAndClaimExpiry", testUpdateAndClaimExpiry},
		{"Document/ListAndIncrement", testListAndIncrement},
		{"Audit/AppendRead", testAuditAppendRead},
		{"Audit/SinceAndLimit", testAuditSince},
		{"Audit/OutOfOrderTimes", testAuditOutOfOrder},
		{"Audit/ScopeIsolation", testAuditScopes},
		{"LargeValues", testLargeValues},
		{"OddKeys", testOddKeys},
		{"CanceledContext", testCanceledContext},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if h.Store == nil || h.Advance == nil {
				t.Fatal("storetest: harness needs a Store and an Advance")
			}
			c.fn(t, h)
		})
	}
}

func testPing(t *testing.T, h Harness) {
	if err := h.Store.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if h.Store.Name() == "" {
		t.Error("Name is empty")
	}
}

// --- conversations ---------------------------------------------------------

func testConversationBasic(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	if _, err := s.GetConversation(ctx, "U1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get absent: err = %v, want ErrNotFound", err)
	}
	mustPutConv(t, s, "U1", "one", time.Hour)
	mustPutConv(t, s, "U2", "two", time.Hour)
	wantConv(t, s, "U1", "one")
	mustPutConv(t, s, "U1", "uno", time.Hour)
	wantConv(t, s, "U1", "uno")
	wantConv(t, s, "U2", "two")

	if err := s.DeleteConversation(ctx, "U1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.GetConversation(ctx, "U1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after delete: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteConversation(ctx, "U1"); err != nil {
		t.Fatalf("Delete absent: %v, want nil", err)
	}
	wantConv(t, s, "U2", "two")

	mustPutConv(t, s, "empty", "", time.Hour)
	wantConv(t, s, "empty", "")
}

func testConversationExpiry(t *testing.T, h Harness) {
	s := h.Store
	mustPutConv(t, s, "U1", "state", TTL)
	mustPutConv(t, s, "U2", "longer", time.Hour)
	h.Advance(TTL / 2)
	wantConv(t, s, "U1", "state")
	h.Advance(TTL)
	if _, err := s.GetConversation(t.Context(), "U1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after TTL: err = %v, want ErrNotFound", err)
	}
	wantConv(t, s, "U2", "longer")
	// An expired key is gone, not stuck: it can be written again.
	mustPutConv(t, s, "U1", "fresh", time.Hour)
	wantConv(t, s, "U1", "fresh")
}

func testConversationRefresh(t *testing.T, h Harness) {
	s := h.Store
	step := TTL * 6 / 10
	mustPutConv(t, s, "U1", "v1", TTL)
	h.Advance(step)
	mustPutConv(t, s, "U1", "v2", TTL)
	h.Advance(step) // 1.2 TTL after the first put, 0.6 after the second
	wantConv(t, s, "U1", "v2")
	h.Advance(step)
	if _, err := s.GetConversation(t.Context(), "U1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get 1.2 TTL after last put: err = %v, want ErrNotFound", err)
	}
}

func testConversationInvalid(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	for _, ttl := range []time.Duration{0, -time.Second} {
		if err := s.PutConversation(ctx, "U1", []byte("x"), ttl); err == nil {
			t.Errorf("Put with ttl %v: no error", ttl)
		}
	}
	if err := s.PutConversation(ctx, "", []byte("x"), time.Hour); err == nil {
		t.Error("Put with empty key: no error")
	}
	if _, err := s.GetConversation(ctx, "U1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rejected Put wrote something: err = %v", err)
	}
}

func testClaimAndGetConversation(t *testing.T, h Harness) {
	c, ok := h.Store.(ConversationClaimer)
	if !ok {
		t.Skipf("%s does not provide ClaimAndGetConversation", h.Store.Name())
	}
	ctx := t.Context()
	claimed, conv, err := c.ClaimAndGetConversation(ctx, "evt-1", time.Hour, "U1")
	if err != nil || !claimed || conv != nil {
		t.Fatalf("first: claimed=%v conv=%q err=%v, want true, nil, nil", claimed, conv, err)
	}
	mustPutConv(t, h.Store, "U1", "state", time.Hour)
	claimed, conv, err = c.ClaimAndGetConversation(ctx, "evt-1", time.Hour, "U1")
	if err != nil || claimed || string(conv) != "state" {
		t.Fatalf("retry: claimed=%v conv=%q err=%v, want false, state, nil", claimed, conv, err)
	}
	claimed, conv, err = c.ClaimAndGetConversation(ctx, "evt-2", time.Hour, "U1")
	if err != nil || !claimed || string(conv) != "state" {
		t.Fatalf("next event: claimed=%v conv=%q err=%v, want true, state, nil", claimed, conv, err)
	}
	mustPutConv(t, h.Store, "U2", "", time.Hour)
	_, conv, err = c.ClaimAndGetConversation(ctx, "evt-3", time.Hour, "U2")
	if err != nil || conv == nil || len(conv) != 0 {
		t.Fatalf("empty conversation: conv=%q (nil=%v) err=%v, want empty non-nil", conv, conv == nil, err)
	}
	if _, _, err := c.ClaimAndGetConversation(ctx, "evt-4", 0, "U1"); err == nil {
		t.Error("zero ttl: no error")
	}
}

// --- documents -------------------------------------------------------------

func testDocumentCreateGet(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "r1"}
	if _, err := s.Get(ctx, ref); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get absent: err = %v, want ErrNotFound", err)
	}
	d, err := s.Create(ctx, ref, []byte(`{"n":1}`))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	wantDoc(t, d, ref, 1, `{"n":1}`)
	got, err := s.Get(ctx, ref)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	wantDoc(t, got, ref, 1, `{"n":1}`)

	if _, err := s.Create(ctx, ref, []byte(`{"n":2}`)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second Create: err = %v, want ErrExists", err)
	}
	got = mustGet(t, s, ref)
	wantDoc(t, got, ref, 1, `{"n":1}`)

	empty := store.Ref{Scope: "acme", Collection: "requests", ID: "empty"}
	if _, err := s.Create(ctx, empty, nil); err != nil {
		t.Fatalf("Create empty: %v", err)
	}
	wantDoc(t, mustGet(t, s, empty), empty, 1, "")
}

func testDocumentUpdate(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "r1"}
	if _, err := s.Update(ctx, ref, 1, []byte("x")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update absent: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, ref); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update absent created the document: err = %v", err)
	}
	mustCreate(t, s, ref, "v1")
	for v := int64(1); v < 4; v++ {
		data := fmt.Sprintf("v%d", v+1)
		d, err := s.Update(ctx, ref, v, []byte(data))
		if err != nil {
			t.Fatalf("Update from %d: %v", v, err)
		}
		wantDoc(t, d, ref, v+1, data)
		wantDoc(t, mustGet(t, s, ref), ref, v+1, data)
	}
	for _, stale := range []int64{0, 1, 3, 5, -1} {
		if _, err := s.Update(ctx, ref, stale, []byte("stale")); !errors.Is(err, store.ErrVersionMismatch) {
			t.Fatalf("Update from stale version %d: err = %v, want ErrVersionMismatch", stale, err)
		}
	}
	wantDoc(t, mustGet(t, s, ref), ref, 4, "v4")
}

// testDocumentUpdateDurable: UpdateDurable is a compare-and-swap with its
// audit lines like Update. The suite's stores have no replicas, so it must
// not report ErrNotReplicated (a backend waits only for replicas it has).
func testDocumentUpdateDurable(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "r1"}
	if _, err := store.UpdateDurable(ctx, s, ref, 1, []byte("x")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateDurable absent: err = %v, want ErrNotFound", err)
	}
	mustCreate(t, s, ref, "v1")
	d, err := store.UpdateDurable(ctx, s, ref, 1, []byte("v2"), store.AuditEntry{At: t0, Actor: "bot", Action: "request.executing", Subject: "r1"})
	if err != nil {
		t.Fatalf("UpdateDurable: %v", err)
	}
	wantDoc(t, d, ref, 2, "v2")
	wantDoc(t, mustGet(t, s, ref), ref, 2, "v2")
	if _, err := store.UpdateDurable(ctx, s, ref, 1, []byte("stale"), store.AuditEntry{At: t0, Action: "lost"}); !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("UpdateDurable from a stale version: err = %v, want ErrVersionMismatch", err)
	}
	wantDoc(t, mustGet(t, s, ref), ref, 2, "v2")
	wantActions(t, s, "acme", "request.executing")
}

func testDocumentList(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	if docs, err := s.List(ctx, "acme", "requests"); err != nil || len(docs) != 0 {
		t.Fatalf("List empty: %d docs, err %v", len(docs), err)
	}
	ids := []string{"b", "a", "c", "a b", "é", "10", "9", "A", "a:b", "{x}"}
	for _, id := range ids {
		mustCreate(t, s, store.Ref{Scope: "acme", Collection: "requests", ID: id}, "data-"+id)
	}
	// Neighbours that must not show up.
	mustCreate(t, s, store.Ref{Scope: "acme", Collection: "requestsx", ID: "zz"}, "other collection")
	mustCreate(t, s, store.Ref{Scope: "acme", Collection: "request", ID: "zz"}, "other collection")
	mustCreate(t, s, store.Ref{Scope: "acme2", Collection: "requests", ID: "zz"}, "other scope")
	mustCreate(t, s, store.Ref{Scope: "", Collection: "requests", ID: "zz"}, "global scope")
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "c"}
	if _, err := s.Update(ctx, ref, 1, []byte("updated")); err != nil {
		t.Fatalf("Update: %v", err)
	}

	docs, err := s.List(ctx, "acme", "requests")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := slices.Clone(ids)
	slices.Sort(want) // bytewise, like both backends
	var got []string
	for _, d := range docs {
		got = append(got, d.Ref.ID)
		if d.Ref.Scope != "acme" || d.Ref.Collection != "requests" {
			t.Errorf("List returned ref %+v", d.Ref)
		}
		wantVersion, wantData := int64(1), "data-"+d.Ref.ID
		if d.Ref.ID == "c" {
			wantVersion, wantData = 2, "updated"
		}
		if d.Version != wantVersion || string(d.Data) != wantData {
			t.Errorf("List %q: v%d %q, want v%d %q", d.Ref.ID, d.Version, d.Data, wantVersion, wantData)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List ids = %q, want %q", got, want)
	}

	global, err := s.List(ctx, "", "requests")
	if err != nil || len(global) != 1 || string(global[0].Data) != "global scope" {
		t.Fatalf("List global scope: %v, err %v", global, err)
	}
}

func testDocumentScopes(t *testing.T, h Harness) {
	s := h.Store
	// Same collection and id in scopes whose names a careless key builder
	// would confuse.
	scopes := []string{"", "_", "acme", "acme:requests", "{acme}", "acme}"}
	for _, sc := range scopes {
		mustCreate(t, s, store.Ref{Scope: sc, Collection: "requests", ID: "r1"}, "in "+sc)
	}
	for _, sc := range scopes {
		ref := store.Ref{Scope: sc, Collection: "requests", ID: "r1"}
		wantDoc(t, mustGet(t, s, ref), ref, 1, "in "+sc)
		docs, err := s.List(t.Context(), sc, "requests")
		if err != nil || len(docs) != 1 {
			t.Fatalf("List scope %q: %d docs, err %v", sc, len(docs), err)
		}
	}
	// Collection and id split differently around a separator.
	a := store.Ref{Scope: "s", Collection: "a:b", ID: "c"}
	b := store.Ref{Scope: "s", Collection: "a", ID: "b:c"}
	mustCreate(t, s, a, "A")
	mustCreate(t, s, b, "B")
	wantDoc(t, mustGet(t, s, a), a, 1, "A")
	wantDoc(t, mustGet(t, s, b), b, 1, "B")
}

func testDocumentAudit(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "r1"}
	entry := func(action string, i int) store.AuditEntry {
		return store.AuditEntry{At: t0.Add(time.Duration(i) * time.Second), Actor: "alice", Action: action, Subject: "r1", Detail: []byte(`{"i":` + fmt.Sprint(i) + `}`)}
	}
	if _, err := s.Create(ctx, ref, []byte("v1"), entry("request.created", 1), entry("request.submitted", 2)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	wantActions(t, s, "acme", "request.created", "request.submitted")

	if _, err := s.Create(ctx, ref, []byte("again"), entry("lost.create", 3)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("Create existing: err = %v, want ErrExists", err)
	}
	if _, err := s.Update(ctx, ref, 1, []byte("v2"), entry("request.approved", 4)); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if _, err := s.Update(ctx, ref, 1, []byte("stale"), entry("lost.cas", 5)); !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("stale Update: err = %v, want ErrVersionMismatch", err)
	}
	absent := store.Ref{Scope: "acme", Collection: "requests", ID: "nope"}
	if _, err := s.Update(ctx, absent, 1, []byte("x"), entry("lost.absent", 6)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update absent: err = %v, want ErrNotFound", err)
	}
	got := wantActions(t, s, "acme", "request.created", "request.submitted", "request.approved")
	for i, e := range got {
		if e.Scope != "acme" || e.Actor != "alice" || e.Subject != "r1" || e.Seq == "" {
			t.Errorf("entry %d = %+v: want scope acme, actor alice, subject r1, a Seq", i, e)
		}
	}
	if !got[2].At.Equal(t0.Add(4*time.Second)) || string(got[2].Detail) != `{"i":4}` {
		t.Errorf("entry 2: At %v Detail %s", got[2].At, got[2].Detail)
	}
	wantActions(t, s, "other")
}

func testDocumentAuditScope(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "r1"}
	bad := store.AuditEntry{Scope: "globex", At: t0, Action: "x"}
	if _, err := s.Create(ctx, ref, []byte("v1"), bad); err == nil {
		t.Fatal("Create with an audit entry of another scope: no error")
	}
	if _, err := s.Get(ctx, ref); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rejected Create wrote the document: err = %v", err)
	}
	mustCreate(t, s, ref, "v1")
	if _, err := s.Update(ctx, ref, 1, []byte("v2"), bad); err == nil {
		t.Fatal("Update with an audit entry of another scope: no error")
	}
	wantDoc(t, mustGet(t, s, ref), ref, 1, "v1")
	same := store.AuditEntry{Scope: "acme", At: t0, Action: "ok"}
	if _, err := s.Update(ctx, ref, 1, []byte("v2"), same); err != nil {
		t.Fatalf("Update with an audit entry of the same scope: %v", err)
	}
	wantActions(t, s, "acme", "ok")
	wantActions(t, s, "globex")
}

// testDocumentConcurrentCAS starts every round with all writers holding
// the same version: exactly one may win, and only its audit line lands.
func testDocumentConcurrentCAS(t *testing.T, h Harness) {
	const writers, rounds = 50, 3
	ctx, s := t.Context(), h.Store
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "hot"}
	mustCreate(t, s, ref, "start")
	for round := 1; round <= rounds; round++ {
		version := int64(round)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []int
			others  []error
		)
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				data := fmt.Sprintf("round %d writer %d", round, w)
				e := store.AuditEntry{At: t0, Actor: fmt.Sprint(w), Action: fmt.Sprintf("round.%d", round), Subject: data}
				_, err := s.Update(ctx, ref, version, []byte(data), e)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, w)
				case !errors.Is(err, store.ErrVersionMismatch):
					others = append(others, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(others) > 0 {
			t.Fatalf("round %d: unexpected errors: %v", round, others)
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: %d winners %v, want exactly 1", round, len(winners), winners)
		}
		want := fmt.Sprintf("round %d writer %d", round, winners[0])
		wantDoc(t, mustGet(t, s, ref), ref, version+1, want)
		entries := readAudit(t, s, "acme")
		if len(entries) != round {
			t.Fatalf("round %d: %d audit entries, want %d", round, len(entries), round)
		}
		if last := entries[round-1]; last.Subject != want {
			t.Fatalf("round %d: audit entry for %q, want the winner's %q", round, last.Subject, want)
		}
	}
}

func testDocumentInvalid(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	ref := store.Ref{Scope: "acme", Collection: "requests"}
	if _, err := s.Create(ctx, ref, []byte("x")); err == nil {
		t.Error("Create with empty id: no error")
	}
	if _, err := s.Update(ctx, ref, 1, []byte("x")); err == nil {
		t.Error("Update with empty id: no error")
	}
}

// --- claims ----------------------------------------------------------------

func testClaimBasic(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	wantClaim(t, s, "evt-1", time.Hour, true)
	wantClaim(t, s, "evt-1", time.Hour, false)
	wantClaim(t, s, "evt-2", time.Hour, true)
	if err := s.Release(ctx, "evt-1"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	wantClaim(t, s, "evt-1", time.Hour, true)
	wantClaim(t, s, "evt-2", time.Hour, false)
	if err := s.Release(ctx, "never-claimed"); err != nil {
		t.Fatalf("Release absent: %v, want nil", err)
	}
	// Claims and conversations are separate namespaces.
	mustPutConv(t, s, "shared-key", "conv", time.Hour)
	wantClaim(t, s, "shared-key", time.Hour, true)
	wantConv(t, s, "shared-key", "conv")
}

func testClaimExpiry(t *testing.T, h Harness) {
	s := h.Store
	wantClaim(t, s, "reminder-1", TTL, true)
	wantClaim(t, s, "lock-1", time.Hour, true)
	h.Advance(TTL / 2)
	wantClaim(t, s, "reminder-1", TTL, false)
	h.Advance(TTL)
	wantClaim(t, s, "reminder-1", time.Hour, true)
	wantClaim(t, s, "reminder-1", time.Hour, false)
	wantClaim(t, s, "lock-1", time.Hour, false)
}

func testClaimConcurrent(t *testing.T, h Harness) {
	const n = 50
	ctx, s := t.Context(), h.Store
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		won  int
		errs []error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			ok, err := s.Claim(ctx, "evt-race", time.Hour)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if ok {
				won++
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 || won != 1 {
		t.Fatalf("%d winners, errors %v; want exactly 1 winner", won, errs)
	}
}

func testClaimInvalid(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	for _, ttl := range []time.Duration{0, -time.Second} {
		if _, err := s.Claim(ctx, "k", ttl); err == nil {
			t.Errorf("Claim with ttl %v: no error", ttl)
		}
	}
	if _, err := s.Claim(ctx, "", time.Hour); err == nil {
		t.Error("Claim with empty key: no error")
	}
	wantClaim(t, s, "k", time.Hour, true)
}

// --- schedules -------------------------------------------------------------

func testScheduleDue(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	const scope, queue = "acme", "reminders"
	if items := mustDue(t, s, scope, queue, t0.Add(1000*time.Hour), 10); len(items) != 0 {
		t.Fatalf("Due on empty queue: %v", items)
	}
	if items := mustScheduled(t, s, scope, queue, 10); len(items) != 0 {
		t.Fatalf("Scheduled on empty queue: %v", items)
	}
	mustSchedule(t, s, scope, queue, "a", t0.Add(2*time.Hour), "pa")
	mustSchedule(t, s, scope, queue, "b", t0.Add(time.Hour), "pb")
	mustSchedule(t, s, scope, queue, "c", t0.Add(3*time.Hour), "pc")
	mustSchedule(t, s, scope, queue, "old", t0.Add(-48*time.Hour), "po")
	mustSchedule(t, s, scope, queue, "1969", time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), "moon")

	wantItems(t, "Scheduled", mustScheduled(t, s, scope, queue, 0), "1969", "old", "b", "a", "c")
	wantItems(t, "Scheduled limit 2", mustScheduled(t, s, scope, queue, 2), "1969", "old")
	wantItems(t, "Due before all but the past", mustDue(t, s, scope, queue, t0, 0), "1969", "old")
	// The boundary is inclusive, to the nanosecond.
	wantItems(t, "Due 1ns before b", mustDue(t, s, scope, queue, t0.Add(time.Hour-1), 0), "1969", "old")
	due := mustDue(t, s, scope, queue, t0.Add(time.Hour), 0)
	wantItems(t, "Due at b", due, "1969", "old", "b")
	if b := due[2]; !b.Due.Equal(t0.Add(time.Hour)) || string(b.Payload) != "pb" {
		t.Errorf("item b: due %v payload %q", b.Due, b.Payload)
	}
	wantItems(t, "Due limit 3", mustDue(t, s, scope, queue, t0.Add(100*time.Hour), 3), "1969", "old", "b")
	wantItems(t, "Due all", mustDue(t, s, scope, queue, t0.Add(100*time.Hour), 0), "1969", "old", "b", "a", "c")
	// Due only reads: the items stay until unscheduled.
	wantItems(t, "Due again", mustDue(t, s, scope, queue, t0.Add(100*time.Hour), -1), "1969", "old", "b", "a", "c")
	if err := s.Unschedule(ctx, scope, queue, "1969"); err != nil {
		t.Fatal(err)
	}
	wantItems(t, "Due after unschedule", mustDue(t, s, scope, queue, t0, 0), "old")
}

func testScheduleReplace(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	const scope, queue = "acme", "reminders"
	mustSchedule(t, s, scope, queue, "a", t0.Add(time.Hour), "pa")
	mustSchedule(t, s, scope, queue, "b", t0.Add(2*time.Hour), "pb")
	mustSchedule(t, s, scope, queue, "c", t0.Add(3*time.Hour), "pc")

	mustSchedule(t, s, scope, queue, "c", t0.Add(-time.Hour), "pc2")  // moved earlier
	mustSchedule(t, s, scope, queue, "a", t0.Add(5*time.Hour), "pa2") // moved later
	mustSchedule(t, s, scope, queue, "b", t0.Add(2*time.Hour), "pb2") // same time, new payload
	items := mustScheduled(t, s, scope, queue, 0)
	wantItems(t, "after replace", items, "c", "b", "a")
	for _, it := range items {
		if want := "p" + it.ID + "2"; string(it.Payload) != want {
			t.Errorf("item %s payload %q, want %q", it.ID, it.Payload, want)
		}
	}
	wantItems(t, "Due after replace", mustDue(t, s, scope, queue, t0.Add(4*time.Hour), 0), "c", "b")

	if err := s.Unschedule(ctx, scope, queue, "b"); err != nil {
		t.Fatalf("Unschedule: %v", err)
	}
	if err := s.Unschedule(ctx, scope, queue, "b"); err != nil {
		t.Fatalf("Unschedule absent: %v, want nil", err)
	}
	if err := s.Unschedule(ctx, "nowhere", "nothing", "x"); err != nil {
		t.Fatalf("Unschedule in an absent queue: %v, want nil", err)
	}
	wantItems(t, "after unschedule", mustScheduled(t, s, scope, queue, 0), "c", "a")
	mustSchedule(t, s, scope, queue, "b", t0, "pb3")
	wantItems(t, "rescheduled", mustScheduled(t, s, scope, queue, 0), "c", "b", "a")
	if err := s.Schedule(ctx, scope, queue, store.ScheduledItem{Due: t0}); err == nil {
		t.Error("Schedule with empty id: no error")
	}
	if err := s.Schedule(ctx, scope, "bare", store.ScheduledItem{ID: "np", Due: t0}); err != nil {
		t.Fatalf("Schedule without payload: %v", err)
	}
	if items := mustDue(t, s, scope, "bare", t0, 0); len(items) != 1 || items[0].ID != "np" || len(items[0].Payload) != 0 {
		t.Fatalf("Due without payload: %+v", items)
	}
}

func testScheduleIsolation(t *testing.T, h Harness) {
	s := h.Store
	mustSchedule(t, s, "acme", "reminders", "x", t0, "acme reminders")
	mustSchedule(t, s, "acme", "reminders2", "x", t0, "acme reminders2")
	mustSchedule(t, s, "acme", "expiry", "x", t0, "acme expiry")
	mustSchedule(t, s, "globex", "reminders", "x", t0, "globex reminders")
	mustSchedule(t, s, "", "reminders", "x", t0, "global reminders")
	mustSchedule(t, s, "acme", "a:b", "c", t0, "split 1")
	mustSchedule(t, s, "acme", "a", "b:c", t0, "split 2")
	for _, c := range []struct{ scope, queue, id, payload string }{
		{"acme", "reminders", "x", "acme reminders"},
		{"acme", "reminders2", "x", "acme reminders2"},
		{"acme", "expiry", "x", "acme expiry"},
		{"globex", "reminders", "x", "globex reminders"},
		{"", "reminders", "x", "global reminders"},
		{"acme", "a:b", "c", "split 1"},
		{"acme", "a", "b:c", "split 2"},
	} {
		items := mustDue(t, s, c.scope, c.queue, t0, 0)
		if len(items) != 1 || items[0].ID != c.id || string(items[0].Payload) != c.payload {
			t.Errorf("Due %q/%q = %v, want only %s=%q", c.scope, c.queue, items, c.id, c.payload)
		}
	}
}

func testScheduleSameInstant(t *testing.T, h Harness) {
	s := h.Store
	ids := []string{"m", "a", "z", "b"}
	for _, id := range ids {
		mustSchedule(t, s, "acme", "q", id, t0, id)
	}
	mustSchedule(t, s, "acme", "q", "later", t0.Add(1), "later")
	items := mustDue(t, s, "acme", "q", t0, 0)
	var got []string
	for _, it := range items {
		got = append(got, it.ID)
	}
	slices.Sort(got)
	if want := []string{"a", "b", "m", "z"}; !slices.Equal(got, want) {
		t.Fatalf("Due at a shared instant = %q, want %q in any order", got, want)
	}
}

// --- audit -----------------------------------------------------------------

func testAuditAppendRead(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	if got := readAudit(t, s, "acme"); len(got) != 0 {
		t.Fatalf("ReadAudit on empty log: %v", got)
	}
	var appended []store.AuditEntry
	for i := range 5 {
		e := store.AuditEntry{
			Scope:   "acme",
			At:      t0.Add(time.Duration(i) * time.Minute),
			Actor:   "alice@acme.example",
			Action:  fmt.Sprintf("action.%d", i),
			Subject: "sub-1",
			Detail:  []byte(fmt.Sprintf(`{"quantity":{"before":%d,"after":%d}}`, i, i+1)),
		}
		got, err := s.AppendAudit(ctx, e)
		if err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		if got.Seq == "" {
			t.Fatalf("AppendAudit returned no Seq")
		}
		if len(appended) > 0 && got.Seq <= appended[len(appended)-1].Seq {
			t.Fatalf("Seq %q not after %q", got.Seq, appended[len(appended)-1].Seq)
		}
		appended = append(appended, got)
	}
	got := readAudit(t, s, "acme")
	if len(got) != len(appended) {
		t.Fatalf("ReadAudit: %d entries, want %d", len(got), len(appended))
	}
	for i := range got {
		a, b := got[i], appended[i]
		if a.Seq != b.Seq || a.Scope != b.Scope || !a.At.Equal(b.At) || a.Actor != b.Actor ||
			a.Action != b.Action || a.Subject != b.Subject || !bytes.Equal(a.Detail, b.Detail) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, a, b)
		}
	}
	// Without Detail, and in the global scope.
	if _, err := s.AppendAudit(ctx, store.AuditEntry{At: t0, Action: "global"}); err != nil {
		t.Fatalf("AppendAudit global: %v", err)
	}
	if g := readAudit(t, s, ""); len(g) != 1 || g[0].Action != "global" || len(g[0].Detail) != 0 {
		t.Fatalf("global log = %+v", g)
	}
}

func testAuditSince(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	for i := range 10 {
		e := store.AuditEntry{Scope: "acme", At: t0.Add(time.Duration(i) * time.Minute), Action: fmt.Sprint(i)}
		if _, err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	read := func(since time.Time, limit int) []string {
		entries, err := s.ReadAudit(ctx, "acme", since, limit)
		if err != nil {
			t.Fatalf("ReadAudit: %v", err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		return actions
	}
	for _, c := range []struct {
		since time.Time
		limit int
		want  string
	}{
		{time.Time{}, 0, "0 1 2 3 4 5 6 7 8 9"},
		{time.Time{}, -1, "0 1 2 3 4 5 6 7 8 9"},
		{time.Time{}, 3, "0 1 2"},
		{t0.Add(7 * time.Minute), 0, "7 8 9"},
		{t0.Add(7*time.Minute - 1), 0, "7 8 9"},
		{t0.Add(7*time.Minute + 1), 0, "8 9"},
		{t0.Add(2 * time.Minute), 2, "2 3"},
		{t0.Add(time.Hour), 0, ""},
	} {
		if got := strings.Join(read(c.since, c.limit), " "); got != c.want {
			t.Errorf("ReadAudit(since %v, limit %d) = %q, want %q", c.since, c.limit, got, c.want)
		}
	}
}

// testAuditOutOfOrder appends entries whose At goes backwards, as happens
// with two replicas whose clocks disagree: the log keeps append order and
// the since filter still applies to At.
func testAuditOutOfOrder(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	ats := []time.Duration{5 * time.Minute, time.Minute, 5 * time.Minute, 0, 10 * time.Minute, 3 * time.Minute}
	var seqs []string
	for i, d := range ats {
		e, err := s.AppendAudit(ctx, store.AuditEntry{Scope: "acme", At: t0.Add(d), Action: fmt.Sprint(i)})
		if err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		if len(seqs) > 0 && e.Seq <= seqs[len(seqs)-1] {
			t.Fatalf("Seq %q not after %q", e.Seq, seqs[len(seqs)-1])
		}
		seqs = append(seqs, e.Seq)
	}
	var all, since []string
	for _, e := range readAudit(t, s, "acme") {
		all = append(all, e.Action)
	}
	entries, err := s.ReadAudit(ctx, "acme", t0.Add(3*time.Minute), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		since = append(since, e.Action)
	}
	if got, want := strings.Join(all, " "), "0 1 2 3 4 5"; got != want {
		t.Errorf("all = %q, want append order %q", got, want)
	}
	if got, want := strings.Join(since, " "), "0 2 4 5"; got != want {
		t.Errorf("since +3m = %q, want %q", got, want)
	}
	entries, err = s.ReadAudit(ctx, "acme", t0.Add(3*time.Minute), 2)
	if err != nil || len(entries) != 2 || entries[1].Action != "2" {
		t.Errorf("since +3m limit 2 = %+v, %v; want actions 0 2", entries, err)
	}
}

func testAuditScopes(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	for _, sc := range []string{"", "_", "acme", "globex", "{acme}"} {
		for i := range 2 {
			if _, err := s.AppendAudit(ctx, store.AuditEntry{Scope: sc, At: t0, Action: sc + fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, sc := range []string{"", "_", "acme", "globex", "{acme}"} {
		got := readAudit(t, s, sc)
		if len(got) != 2 || got[0].Action != sc+"0" || got[1].Action != sc+"1" || got[0].Scope != sc {
			t.Errorf("scope %q: %+v", sc, got)
		}
	}
}

// --- cross-cutting ---------------------------------------------------------

func testLargeValues(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	big[0], big[len(big)-1] = 0, 0xff
	ref := store.Ref{Scope: "acme", Collection: "blobs", ID: "big"}
	if _, err := s.Create(ctx, ref, big); err != nil {
		t.Fatalf("Create 1 MiB: %v", err)
	}
	if d := mustGet(t, s, ref); !bytes.Equal(d.Data, big) {
		t.Fatalf("Get 1 MiB: %d bytes back, differ", len(d.Data))
	}
	big2 := append(slices.Clone(big), "more"...)
	if _, err := s.Update(ctx, ref, 1, big2); err != nil {
		t.Fatalf("Update 1 MiB: %v", err)
	}
	docs, err := s.List(ctx, "acme", "blobs")
	if err != nil || len(docs) != 1 || !bytes.Equal(docs[0].Data, big2) {
		t.Fatalf("List 1 MiB: %d docs, err %v", len(docs), err)
	}
	if err := s.PutConversation(ctx, "U1", big, time.Hour); err != nil {
		t.Fatalf("PutConversation 1 MiB: %v", err)
	}
	if got, err := s.GetConversation(ctx, "U1"); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("GetConversation 1 MiB: %d bytes, err %v", len(got), err)
	}
	mustSchedule(t, s, "acme", "q", "big", t0, string(big))
	if items := mustDue(t, s, "acme", "q", t0, 1); len(items) != 1 || !bytes.Equal(items[0].Payload, big) {
		t.Fatal("Due 1 MiB payload differs")
	}
}

func testOddKeys(t *testing.T, h Harness) {
	ctx, s := t.Context(), h.Store
	for i, k := range oddKeys {
		ref := store.Ref{Scope: k, Collection: k, ID: k}
		mustCreate(t, s, ref, "doc "+k)
		mustPutConv(t, s, k, "conv "+k, time.Hour)
		wantClaim(t, s, k, time.Hour, true)
		mustSchedule(t, s, k, k, k, t0.Add(time.Duration(i)), "item "+k)
		if _, err := s.AppendAudit(ctx, store.AuditEntry{Scope: k, At: t0, Action: "audit " + k}); err != nil {
			t.Fatalf("AppendAudit %q: %v", k, err)
		}
	}
	for _, k := range oddKeys {
		ref := store.Ref{Scope: k, Collection: k, ID: k}
		wantDoc(t, mustGet(t, s, ref), ref, 1, "doc "+k)
		docs, err := s.List(ctx, k, k)
		if err != nil || len(docs) != 1 || docs[0].Ref != ref {
			t.Errorf("List %q: %+v, %v", k, docs, err)
		}
		wantConv(t, s, k, "conv "+k)
		wantClaim(t, s, k, time.Hour, false)
		items := mustDue(t, s, k, k, t0.Add(time.Hour), 0)
		if len(items) != 1 || items[0].ID != k || string(items[0].Payload) != "item "+k {
			t.Errorf("Due %q: %+v", k, items)
		}
		entries := readAudit(t, s, k)
		if len(entries) != 1 || entries[0].Action != "audit "+k || entries[0].Scope != k {
			t.Errorf("ReadAudit %q: %+v", k, entries)
		}
	}
}

func testCanceledContext(t *testing.T, h Harness) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s := h.Store
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "r1"}
	checks := map[string]error{}
	_, checks["Get"] = s.Get(ctx, ref)
	_, checks["Create"] = s.Create(ctx, ref, []byte("x"))
	_, checks["Claim"] = s.Claim(ctx, "k", time.Hour)
	checks["PutConversation"] = s.PutConversation(ctx, "U1", []byte("x"), time.Hour)
	_, checks["Due"] = s.Due(ctx, "acme", "q", t0, 0)
	_, checks["AppendAudit"] = s.AppendAudit(ctx, store.AuditEntry{At: t0})
	for op, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: err = %v, want context.Canceled", op, err)
		}
	}
	if _, err := s.Get(t.Context(), ref); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Create with a canceled context wrote: err = %v", err)
	}
}

// --- helpers ---------------------------------------------------------------

func mustPutConv(t *testing.T, s store.Store, key, data string, ttl time.Duration) {
	t.Helper()
	if err := s.PutConversation(t.Context(), key, []byte(data), ttl); err != nil {
		t.Fatalf("PutConversation %q: %v", key, err)
	}
}

func wantConv(t *testing.T, s store.Store, key, want string) {
	t.Helper()
	got, err := s.GetConversation(t.Context(), key)
	if err != nil {
		t.Fatalf("GetConversation %q: %v", key, err)
	}
	if string(got) != want {
		t.Fatalf("GetConversation %q = %q, want %q", key, got, want)
	}
}

func mustCreate(t *testing.T, s store.Store, ref store.Ref, data string) store.Document {
	t.Helper()
	d, err := s.Create(t.Context(), ref, []byte(data))
	if err != nil {
		t.Fatalf("Create %+v: %v", ref, err)
	}
	return d
}

func mustGet(t *testing.T, s store.Store, ref store.Ref) store.Document {
	t.Helper()
	d, err := s.Get(t.Context(), ref)
	if err != nil {
		t.Fatalf("Get %+v: %v", ref, err)
	}
	return d
}

func wantDoc(t *testing.T, d store.Document, ref store.Ref, version int64, data string) {
	t.Helper()
	if d.Ref != ref || d.Version != version || string(d.Data) != data {
		t.Fatalf("document = {%+v v%d %.40q}, want {%+v v%d %.40q}", d.Ref, d.Version, d.Data, ref, version, data)
	}
}

func wantClaim(t *testing.T, s store.Store, key string, ttl time.Duration, want bool) {
	t.Helper()
	got, err := s.Claim(t.Context(), key, ttl)
	if err != nil {
		t.Fatalf("Claim %q: %v", key, err)
	}
	if got != want {
		t.Fatalf("Claim %q = %v, want %v", key, got, want)
	}
}

func mustSchedule(t *testing.T, s store.Store, scope, queue, id string, due time.Time, payload string) {
	t.Helper()
	err := s.Schedule(t.Context(), scope, queue, store.ScheduledItem{ID: id, Due: due, Payload: []byte(payload)})
	if err != nil {
		t.Fatalf("Schedule %q: %v", id, err)
	}
}

func mustDue(t *testing.T, s store.Store, scope, queue string, now time.Time, limit int) []store.ScheduledItem {
	t.Helper()
	items, err := s.Due(t.Context(), scope, queue, now, limit)
	if err != nil {
		t.Fatalf("Due: %v", err)
	}
	return items
}

func mustScheduled(t *testing.T, s store.Store, scope, queue string, limit int) []store.ScheduledItem {
	t.Helper()
	items, err := s.Scheduled(t.Context(), scope, queue, limit)
	if err != nil {
		t.Fatalf("Scheduled: %v", err)
	}
	return items
}

func wantItems(t *testing.T, what string, items []store.ScheduledItem, ids ...string) {
	t.Helper()
	var got []string
	for _, it := range items {
		got = append(got, it.ID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("%s: ids %q, want %q", what, got, ids)
	}
}

func readAudit(t *testing.T, s store.Store, scope string) []store.AuditEntry {
	t.Helper()
	entries, err := s.ReadAudit(t.Context(), scope, time.Time{}, 0)
	if err != nil {
		t.Fatalf("ReadAudit %q: %v", scope, err)
	}
	return entries
}

func wantActions(t *testing.T, s store.Store, scope string, actions ...string) []store.AuditEntry {
	t.Helper()
	entries := readAudit(t, s, scope)
	var got []string
	for _, e := range entries {
		got = append(got, e.Action)
	}
	if !slices.Equal(got, actions) {
		t.Fatalf("audit of %q = %q, want %q", scope, got, actions)
	}
	return entries
}

// UpdateAndRelease writes like Update and gives the claim up whatever the
// write's outcome; a lost compare-and-swap writes nothing.
func testUpdateAndRelease(t *testing.T, h Harness) {
	s, ctx := h.Store, context.Background()
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "R-1"}
	d := mustCreate(t, s, ref, "v1")
	if won, err := s.Claim(ctx, "outbox:acme:R-1", time.Minute); err != nil || !won {
		t.Fatalf("claim: %v %v", won, err)
	}
	d2, err := store.UpdateAndRelease(ctx, s, ref, d.Version, []byte("told"), "outbox:acme:R-1",
		store.AuditEntry{At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Action: "request.told", Subject: "R-1"})
	if err != nil {
		t.Fatal(err)
	}
	wantDoc(t, d2, ref, 2, "told")
	wantDoc(t, mustGet(t, s, ref), ref, 2, "told")
	if won, err := s.Claim(ctx, "outbox:acme:R-1", time.Minute); err != nil || !won {
		t.Fatalf("claim after UpdateAndRelease: won %v, %v; want the claim free", won, err)
	}
	if _, err := store.UpdateAndRelease(ctx, s, ref, 1, []byte("stale"), "outbox:acme:R-1"); !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("stale UpdateAndRelease: %v, want ErrVersionMismatch", err)
	}
	wantDoc(t, mustGet(t, s, ref), ref, 2, "told")
	if won, err := s.Claim(ctx, "outbox:acme:R-1", time.Minute); err != nil || !won {
		t.Fatalf("claim after a lost UpdateAndRelease: won %v, %v; want the claim free", won, err)
	}
	missing := store.Ref{Scope: "acme", Collection: "requests", ID: "R-404"}
	if _, err := store.UpdateAndRelease(ctx, s, missing, 1, []byte("x"), "outbox:acme:R-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateAndRelease of a missing document: %v, want ErrNotFound", err)
	}
	if won, _ := s.Claim(ctx, "outbox:acme:R-1", time.Minute); !won {
		t.Fatal("the claim was kept by an UpdateAndRelease of a missing document")
	}
}
