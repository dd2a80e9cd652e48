package reminders

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/catalog"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

func mustSubmit(t testing.TB, f *fixture, p workflows.Person, c csp.Change) workflows.Request {
	t.Helper()
	r, err := f.svc.Submit(context.Background(), p, cust, c, "", "")
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return r
}

// Every kind fires at its instant, not a second before, and once.
func TestEachKindFiresAtItsInstantAndNotBefore(t *testing.T) {
	loc := paris(t)
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, loc) }
	subA := annual("sub-a", at(2026, 12, 26, 0, 0), 3)
	subT := trial("sub-t", at(2026, 11, 20, 0, 0), 25)
	f := newFixture(t, nil, at(2026, 11, 1, 10, 0), []csp.Subscription{subA, subT})
	ctx := context.Background()
	if err := f.eng.Sync(ctx, cust); err != nil {
		t.Fatal(err)
	}
	req := mustSubmit(t, f, alice, csp.Change{Kind: csp.ChangeAutoRenewOff, SubscriptionID: subA.ID})
	if req.State != workflows.StatePendingApproval || req.Deadline.IsZero() {
		t.Fatalf("request is %s with deadline %v; the test needs a pending one with a deadline", req.State, req.Deadline)
	}
	personal := []byte(`{"to":"alice@contoso.example","lang":"en","subscription_id":"sub-a","kind":"remove_seats","quantity":1}`)
	if err := f.st.Schedule(ctx, cust, QueuePersonal, store.ScheduledItem{ID: PersonalID(alice.Email, subA.ID), Due: subA.TermEnd, Payload: personal}); err != nil {
		t.Fatal(err)
	}
	if got := f.at(t, at(2026, 11, 1, 10, 0)); len(got) != 0 {
		t.Fatalf("nothing is due at the start, got %v", describe(got))
	}

	steps := []struct {
		at     time.Time
		before func() // portal changes that happen at that instant
		want   []string
	}{
		{at: at(2026, 11, 2, 10, 0), want: []string{"approval_waiting:R-1→marc"}},
		{at: at(2026, 11, 13, 9, 0), want: []string{"trial/7:sub-t→claire"}},
		{at: at(2026, 11, 19, 9, 0), want: []string{"trial/1:sub-t→claire"}},
		{at: at(2026, 11, 26, 9, 0), want: []string{"renewal/30:sub-a→claire"}},
		{at: at(2026, 12, 19, 9, 0), want: []string{"renewal/7:sub-a→claire"}},
		{at: at(2026, 12, 25, 9, 0), want: []string{"renewal/1:sub-a→claire"}},
		{at: at(2026, 12, 26, 12, 0), want: []string{"approval_escalated:R-1→alice", "approval_escalated:R-1→marc", "approval_escalated:R-1→nina"}},
		{at: at(2026, 12, 27, 0, 0), before: func() { f.prov.set(renewed(subA)) },
			want: []string{"personal:sub-a→alice", "window_open:sub-a→claire"}},
		{at: at(2026, 12, 29, 12, 0), want: []string{"window_closing:sub-a→claire"}},
	}
	for _, s := range steps {
		if got := f.at(t, s.at.Add(-time.Second)); len(got) != 0 {
			t.Errorf("at %s (a second early): sent %v", s.at.Add(-time.Second), describe(got))
		}
		if s.before != nil {
			s.before()
		}
		got := f.at(t, s.at)
		if !equal(describe(got), s.want) {
			t.Errorf("at %s: sent %v, want %v", s.at, describe(got), s.want)
		}
		for _, it := range got {
			if it.Late {
				t.Errorf("%s sent on time is marked late", it.ID)
			}
		}
		if again := f.at(t, s.at.Add(time.Minute)); len(again) != 0 {
			t.Errorf("at %s: sent again %v", s.at.Add(time.Minute), describe(again))
		}
	}
	r, err := f.svc.Get(ctx, cust, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.EscalatedAt.IsZero() {
		t.Error("the escalation did not set EscalatedAt")
	}
}

func scheduled(t testing.TB, f *fixture) map[string]store.ScheduledItem {
	t.Helper()
	items, err := f.st.Scheduled(context.Background(), cust, Queue, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.ScheduledItem{}
	for _, it := range items {
		out[it.ID] = it
	}
	return out
}

func idsWith(m map[string]store.ScheduledItem, prefix string) []string {
	var out []string
	for id := range m {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Sync is idempotent, follows changed dates, and never reschedules what
// was sent.
func TestSyncIsIdempotentAndFollowsChanges(t *testing.T) {
	loc := paris(t)
	ctx := context.Background()
	sub := annual("sub-a", time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)
	f := newFixture(t, nil, time.Date(2026, 11, 1, 10, 0, 0, 0, loc), []csp.Subscription{sub})
	if err := f.eng.Sync(ctx, cust); err != nil {
		t.Fatal(err)
	}
	first := scheduled(t, f)
	wantIDs := []string{
		"renewal-1d:sub-a:2026-12-26:claire@contoso.example",
		"renewal-30d:sub-a:2026-12-26:claire@contoso.example",
		"renewal-7d:sub-a:2026-12-26:claire@contoso.example",
		"window-closing:sub-a:2026-12-27:claire@contoso.example",
		"window-open:sub-a:2026-12-27:claire@contoso.example",
	}
	if got := idsWith(first, ""); !equal(got, wantIDs) {
		t.Fatalf("scheduled %v, want %v", got, wantIDs)
	}
	if err := f.eng.Sync(ctx, cust); err != nil {
		t.Fatal(err)
	}
	again := scheduled(t, f)
	for id, it := range first {
		if a, ok := again[id]; !ok || !a.Due.Equal(it.Due) || string(a.Payload) != string(it.Payload) {
			t.Errorf("second Sync changed %s", id)
		}
	}
	if len(again) != len(first) {
		t.Errorf("second Sync has %d items, first %d", len(again), len(first))
	}

	// The end date moves (aligned with another subscription): the old
	// items go, new ones with the new date come.
	moved := sub
	moved.TermEnd = sub.TermEnd.AddDate(0, 0, 10)
	f.prov.set(moved)
	if err := f.eng.Sync(ctx, cust); err != nil {
		t.Fatal(err)
	}
	now := scheduled(t, f)
	if got := idsWith(now, "renewal-30d:sub-a:2027-01-05"); len(got) != 1 {
		t.Errorf("no renewal item for the new date: %v", idsWith(now, ""))
	}
	if got := idsWith(now, "renewal-30d:sub-a:2026-12-26"); len(got) != 0 {
		t.Errorf("the old date's item is still scheduled: %v", got)
	}
	if it := now["renewal-30d:sub-a:2027-01-05:claire@contoso.example"]; !it.Due.Equal(time.Date(2026, 12, 6, 9, 0, 0, 0, loc)) {
		t.Errorf("30-day reminder due %s, want 6 Dec 09:00 Paris", it.Due.In(loc))
	}

	// Sent items are not scheduled again by a later Sync.
	f.prov.set(sub)
	f.clk.Set(time.Date(2026, 11, 26, 9, 0, 0, 0, loc))
	f.tick(t)
	if got := describe(f.sink.take()); !equal(got, []string{"renewal/30:sub-a→claire"}) {
		t.Fatalf("sent %v", got)
	}
	if err := f.eng.Sync(ctx, cust); err != nil {
		t.Fatal(err)
	}
	if _, ok := scheduled(t, f)["renewal-30d:sub-a:2026-12-26:claire@contoso.example"]; ok {
		t.Error("Sync scheduled a sent reminder again")
	}
	if got := f.at(t, time.Date(2026, 11, 26, 9, 5, 0, 0, loc)); len(got) != 0 {
		t.Errorf("sent again: %v", describe(got))
	}

	// Auto-renew off: no renewal reminders, no next-term window.
	off := sub
	off.AutoRenew = false
	f.prov.set(off)
	if err := f.eng.Sync(ctx, cust); err != nil {
		t.Fatal(err)
	}
	if got := idsWith(scheduled(t, f), ""); len(got) != 0 {
		t.Errorf("with auto-renew off, still scheduled: %v", got)
	}
}

// A replica that claimed an item and crashed before sending holds it
// until the claim expires; then it is sent, once. A failed send releases
// the claim and is retried on the next tick.
func TestCrashAfterClaimAndFailedSendAreRetried(t *testing.T) {
	loc := paris(t)
	due := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	sub := annual("sub-a", time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)
	f := newFixture(t, nil, due.Add(-time.Hour), []csp.Subscription{sub})
	ctx := context.Background()
	f.tick(t)
	it, ok := scheduled(t, f)["renewal-30d:sub-a:2026-12-26:claire@contoso.example"]
	if !ok {
		t.Fatal("30-day reminder not scheduled")
	}
	// The crashed replica's claim, made at the due instant.
	f.clk.Set(due)
	if won, err := f.st.Claim(ctx, claimKey(cust, Queue, it), f.eng.opt.ClaimTTL); err != nil || !won {
		t.Fatalf("claim: %v %v", won, err)
	}
	if rep := f.tick(t); rep.Busy != 1 || rep.Sent != 0 {
		t.Fatalf("while claimed elsewhere: %+v", rep)
	}
	if got := f.at(t, due.Add(DefaultClaimTTL-time.Minute)); len(got) != 0 {
		t.Fatalf("sent before the claim expired: %v", describe(got))
	}
	got := f.at(t, due.Add(DefaultClaimTTL+time.Minute))
	if !equal(describe(got), []string{"renewal/30:sub-a→claire"}) {
		t.Fatalf("after the claim expired: sent %v", describe(got))
	}
	if !got[0].Late {
		t.Error("a reminder two hours late is not marked late")
	}
	if again := f.at(t, due.Add(5*time.Hour)); len(again) != 0 {
		t.Fatalf("sent twice: %v", describe(again))
	}

	// A failing platform: released, retried next tick, sent once.
	f.sink.fail = 1
	f.clk.Set(time.Date(2026, 12, 19, 9, 0, 0, 0, loc))
	if rep := f.tick(t); rep.Retry != 1 || rep.Sent != 0 {
		t.Fatalf("failed send: %+v", rep)
	}
	if got := f.at(t, time.Date(2026, 12, 19, 9, 1, 0, 0, loc)); !equal(describe(got), []string{"renewal/7:sub-a→claire"}) {
		t.Fatalf("retry sent %v", describe(got))
	}
	if !strings.Contains(f.logs.String(), "reminder send failed, will retry") {
		t.Error("no log line for the failed send")
	}
}

// After three days down, only what is still useful is sent (late), the
// rest is dropped with a log line; of a series, only the latest.
func TestCatchUpAfterThreeDayOutage(t *testing.T) {
	loc := paris(t)
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, loc) }
	subA := annual("sub-a", day(19), 2)                                 // 7-day reminder 12 Dec 09:00: renewal still ahead
	subB := annual("sub-b", time.Date(2027, 12, 9, 0, 0, 0, 0, loc), 4) // term began 10 Dec: window closed 13 Dec 00:00
	subC := annual("sub-c", day(10), 5)                                 // renews 11 Dec: window open until 14 Dec 00:00
	subD := trial("sub-d", day(12), 25)                                 // trial converts 13 Dec 00:00
	subE := annual("sub-e", day(13), 6)                                 // renews 14 Dec 00:00
	start := time.Date(2026, 12, 10, 10, 0, 0, 0, loc)
	f := newFixture(t, nil, start, []csp.Subscription{subA, subB, subC, subD, subE})
	req := mustSubmit(t, f, alice, csp.Change{Kind: csp.ChangeAutoRenewOff, SubscriptionID: subE.ID})
	f.tick(t)
	before := describe(f.sink.take())
	wantBefore := []string{"renewal/1:sub-c→claire", "renewal/30:sub-a→claire", "renewal/7:sub-e→claire", "trial/7:sub-d→claire", "window_open:sub-b→claire"}
	if !equal(before, wantBefore) {
		t.Fatalf("before the outage: sent %v, want %v", before, wantBefore)
	}

	// Down from 10 Dec 10:00 to 13 Dec 13:00; meanwhile the portal
	// renewed sub-c and converted the trial.
	f.prov.set(renewed(subC), renewed(subD))
	got := f.at(t, time.Date(2026, 12, 13, 13, 0, 0, 0, loc))
	want := []string{
		"approval_escalated:" + req.ID + "→alice", "approval_escalated:" + req.ID + "→marc", "approval_escalated:" + req.ID + "→nina",
		"renewal/1:sub-e→claire", "renewal/7:sub-a→claire", "window_closing:sub-c→claire",
	}
	if !equal(describe(got), want) {
		t.Fatalf("after the outage: sent %v, want %v", describe(got), want)
	}
	for _, it := range got {
		if !it.Late {
			t.Errorf("%s is not marked late", it.ID)
		}
	}
	logs := f.logs.String()
	for _, id := range []string{
		"window-closing:sub-b:2026-12-10:claire@contoso.example", // window closed
		"window-open:sub-c:2026-12-11:claire@contoso.example",    // superseded by the closing one
		"trial-1d:sub-d:2026-12-12:claire@contoso.example",       // converted
		"approval-waiting:" + req.ID + ":marc@erp-cloud.example", // superseded by the escalation
	} {
		found := false
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, "reminder dropped") && strings.Contains(l, id) {
				found = true
			}
		}
		if !found {
			t.Errorf("no 'reminder dropped' log line for %s", id)
		}
	}
	if again := f.at(t, time.Date(2026, 12, 13, 13, 5, 0, 0, loc)); len(again) != 0 {
		t.Errorf("sent again: %v", describe(again))
	}
}

// Stop and keep are the recipient's choices, honoured at send time.
func TestMuteAndKeepAreHonouredAtSendTime(t *testing.T) {
	loc := paris(t)
	ctx := context.Background()
	subA := annual("sub-a", time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)
	subB := annual("sub-b", time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)
	f := newFixture(t, nil, time.Date(2026, 11, 1, 10, 0, 0, 0, loc), []csp.Subscription{subA, subB})
	f.tick(t)
	if err := Mute(ctx, f.st, cust, "Claire@contoso.example", subA.ID, true, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	entries, err := f.eng.List(ctx, cust, false)
	if err != nil {
		t.Fatal(err)
	}
	muted := 0
	for _, e := range entries {
		if e.SubscriptionID == subA.ID && e.State == StateMuted {
			muted++
		}
	}
	if muted == 0 {
		t.Error("the listing does not show the muted reminders")
	}
	f.clk.Set(time.Date(2026, 11, 26, 9, 0, 0, 0, loc))
	rep := f.tick(t)
	if got := describe(f.sink.take()); !equal(got, []string{"renewal/30:sub-b→claire"}) || rep.Muted != 1 {
		t.Fatalf("with sub-a muted: sent %v (%+v)", got, rep)
	}
	if err := Mute(ctx, f.st, cust, claire.Email, subA.ID, false, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if err := Keep(ctx, f.st, cust, claire.Email, subB.ID, subB.TermEnd, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	entries, err = f.eng.List(ctx, cust, false)
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, e := range entries {
		if e.SubscriptionID == subB.ID && e.Kind == KindRenewal {
			if e.State != "kept" {
				t.Errorf("kept sub-b: %s is %s", e.ID, e.State)
			}
			kept++
		}
	}
	if kept != 2 {
		t.Errorf("%d kept renewal reminders of sub-b listed, want 2", kept)
	}
	if got := describe(f.at(t, time.Date(2026, 12, 19, 9, 0, 0, 0, loc))); !equal(got, []string{"renewal/7:sub-a→claire"}) {
		t.Fatalf("unmuted sub-a, kept sub-b: sent %v", got)
	}
	// Keeping is for this term: the window of the next one still comes.
	f.prov.set(renewed(subB))
	got := describe(f.at(t, time.Date(2026, 12, 27, 0, 0, 0, 0, loc)))
	if !slices.Contains(got, "window_open:sub-b→claire") {
		t.Errorf("kept sub-b: the next term's window reminder did not come: %v", got)
	}
}

// A pending request whose deadline is already near escalates at once:
// licence admins have no backups, so the account managers come in; the
// requester is told.
func TestEscalationBringsInTheAccountManagers(t *testing.T) {
	loc := paris(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 14, 0, 0, 0, loc)
	sub := annual("sub-a", time.Date(2027, 11, 24, 0, 0, 0, 0, loc), 10) // term began 25 Nov: window closes 28 Nov 00:00
	f := newFixture(t, nil, now, []csp.Subscription{sub})
	req := mustSubmit(t, f, alice, csp.Change{Kind: csp.ChangeRemoveSeats, SubscriptionID: sub.ID, Quantity: 2})
	if req.State != workflows.StatePendingApproval || req.Deadline.Sub(now) > 12*time.Hour {
		t.Fatalf("want a pending request with a deadline within 12h, got %s %v", req.State, req.Deadline)
	}
	got := describe(f.at(t, now))
	var esc []string
	for _, g := range got {
		if strings.HasPrefix(g, "approval_escalated") {
			esc = append(esc, g)
		}
	}
	want := []string{"approval_escalated:R-1→alice", "approval_escalated:R-1→claire", "approval_escalated:R-1→marc", "approval_escalated:R-1→nina"}
	if !equal(esc, want) {
		t.Fatalf("escalation went to %v, want %v", esc, want)
	}
	r, err := f.svc.Get(ctx, cust, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.EscalatedAt.IsZero() {
		t.Fatal("EscalatedAt not set")
	}
	audit, err := f.st.ReadAudit(ctx, cust, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit {
		if a.Action == "request.escalated" && a.Subject == req.ID {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d request.escalated audit lines, want 1", n)
	}
	// Decided: its reminders are gone.
	if _, err := f.svc.Reject(ctx, claire, cust, req.ID, "no"); err != nil {
		t.Fatal(err)
	}
	if got := idsWith(scheduled(t, f), "approval"); len(got) != 0 {
		t.Errorf("a rejected request still has reminders: %v", got)
	}
}

// A personal reminder is sent while the window it waited for is open,
// and dropped when it comes too late.
func TestPersonalReminders(t *testing.T) {
	loc := paris(t)
	ctx := context.Background()
	sub := annual("sub-a", time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)
	f := newFixture(t, nil, time.Date(2026, 12, 1, 10, 0, 0, 0, loc), []csp.Subscription{sub})
	f.pol.Off = []Kind{KindRenewal, KindWindowOpen, KindWindowClosing}
	pr := []byte(`{"to":"alice@contoso.example","lang":"fr","subscription_id":"sub-a","kind":"remove_seats","quantity":2}`)
	if err := f.st.Schedule(ctx, cust, QueuePersonal, store.ScheduledItem{ID: PersonalID(alice.Email, sub.ID), Due: sub.TermEnd, Payload: pr}); err != nil {
		t.Fatal(err)
	}
	if got := f.at(t, sub.TermEnd.Add(-time.Minute)); len(got) != 0 {
		t.Fatalf("early: %v", describe(got))
	}
	// The portal is a little late showing the new term: the reminder waits.
	if rep := f.tick(t); rep.Sent != 0 {
		t.Fatalf("sent before the window opened: %+v", rep)
	}
	f.clk.Set(sub.TermEnd.Add(time.Minute))
	if rep := f.tick(t); rep.Retry != 1 {
		t.Fatalf("the portal has not renewed yet: %+v", rep)
	}
	f.prov.set(renewed(sub))
	got := f.at(t, sub.TermEnd.Add(2*time.Minute))
	if !equal(describe(got), []string{"personal:sub-a→alice"}) {
		t.Fatalf("sent %v", describe(got))
	}
	if got[0].Personal == nil || got[0].Personal.Quantity != 2 || got[0].RemovableSeats != 3 {
		t.Errorf("item %+v", got[0])
	}

	// Asked again for a window that will have closed when the bot is back.
	if err := f.st.Schedule(ctx, cust, QueuePersonal, store.ScheduledItem{ID: PersonalID(alice.Email, sub.ID), Due: sub.TermEnd.Add(time.Hour), Payload: pr}); err != nil {
		t.Fatal(err)
	}
	if got := f.at(t, sub.TermEnd.Add(4*24*time.Hour)); len(got) != 0 {
		t.Errorf("sent after the window closed: %v", describe(got))
	}
	if !strings.Contains(f.logs.String(), "the removal window is not open") {
		t.Error("no log line for the dropped personal reminder")
	}
}

func TestRunDueNeedsASenderAndReportsStoreErrors(t *testing.T) {
	loc := paris(t)
	f := newFixture(t, nil, time.Date(2026, 11, 1, 10, 0, 0, 0, loc), nil, func(o *Options) { o.Sender = nil })
	if _, err := f.eng.RunDue(context.Background(), cust); !errors.Is(err, ErrNoSender) {
		t.Fatalf("RunDue without a sender: %v", err)
	}
	if _, err := New(Options{}); err == nil {
		t.Error("New without a store is accepted")
	}
	if _, err := New(Options{Store: f.st, Provider: f.prov, Service: f.svc, Clock: f.clk, Spec: "every now and then"}); err == nil {
		t.Error("a bad cron spec is accepted")
	}
	if _, err := New(Options{Store: f.st, Provider: f.prov, Service: f.svc, Clock: f.clk, ClaimTTL: 10 * time.Minute}); err == nil {
		t.Error("a claim TTL shorter than skew plus an hour is accepted")
	}
}

func TestProviderDownSyncFailsRunDueRetries(t *testing.T) {
	loc := paris(t)
	sub := annual("sub-a", time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)
	f := newFixture(t, nil, time.Date(2026, 11, 26, 8, 0, 0, 0, loc), []csp.Subscription{sub})
	f.tick(t)
	f.prov.mu.Lock()
	f.prov.down = true
	f.prov.mu.Unlock()
	f.clk.Set(time.Date(2026, 11, 26, 9, 0, 0, 0, loc))
	rep, err := f.eng.Tick(context.Background())
	if err == nil || !errors.Is(err, csp.ErrUnavailable) {
		t.Errorf("sync with the portal down: %v", err)
	}
	if rep.Retry != 1 || rep.Sent != 0 {
		t.Errorf("portal down: %+v", rep)
	}
	f.prov.mu.Lock()
	f.prov.down = false
	f.prov.mu.Unlock()
	if got := f.at(t, time.Date(2026, 11, 26, 9, 1, 0, 0, loc)); !equal(describe(got), []string{"renewal/30:sub-a→claire"}) {
		t.Errorf("portal back: sent %v", describe(got))
	}
}

// The cron tick drives the engine; Stop waits for it.
func TestStartTicksWithCron(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a one-second cron tick")
	}
	loc := paris(t)
	sub := annual("sub-a", time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)
	f := newFixture(t, nil, time.Date(2026, 11, 26, 9, 0, 0, 0, loc), []csp.Subscription{sub}, func(o *Options) { o.Spec = "@every 1s" })
	ctx := context.Background()
	if err := f.eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer f.eng.Stop()
	if err := f.eng.Start(ctx); err == nil {
		t.Error("a second Start is accepted")
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(f.sink.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	f.eng.Stop()
	if got := describe(f.sink.all()); !equal(got, []string{"renewal/30:sub-a→claire"}) {
		t.Fatalf("cron tick sent %v", got)
	}
}

// The renewal reminder's cost is the next term as scheduled: a term or
// billing change in the renewal instructions is priced from the catalog.
func TestNextTermFollowsTheRenewalInstructions(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	o, _ := cat.Offer("m365-apps-business")
	annual, _ := o.Price(csp.TermAnnual, csp.BillingAnnual)
	monthlyTerm, _ := o.Price(csp.TermMonthly, csp.BillingMonthly)
	s := csp.Subscription{OfferID: o.ID, Quantity: 2, Term: csp.TermAnnual, Billing: csp.BillingAnnual, UnitPrice: annual.Unit}
	if term, billing, cost := NextTerm(s, cat); term != csp.TermAnnual || billing != csp.BillingAnnual || cost != annual.Unit.Mul(2) {
		t.Fatalf("unchanged renewal: %s %s %v", term, billing, cost)
	}
	s.Renewal = &csp.RenewalInstructions{Term: csp.TermMonthly, Billing: csp.BillingMonthly, Quantity: 3}
	term, billing, cost := NextTerm(s, cat)
	if term != csp.TermMonthly || billing != csp.BillingMonthly || cost != monthlyTerm.Unit.Mul(3) {
		t.Fatalf("monthly renewal of 3: %s %s %v, want %v", term, billing, cost, monthlyTerm.Unit.Mul(3))
	}
}
