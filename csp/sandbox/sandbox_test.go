package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
)

const cust = "contoso"

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// day returns local midnight in Paris.
func day(t *testing.T, y, m, d int) time.Time {
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, paris(t))
}

// seedTime is the clock of the main scenario: T0 = 2026-11-26.
func seedTime(t *testing.T) time.Time {
	return time.Date(2026, 11, 26, 10, 0, 0, 0, paris(t))
}

func openAt(t *testing.T, dir string, clk clock.Clock) *Sandbox {
	t.Helper()
	s, err := Open(dir, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newSandbox(t *testing.T) (*Sandbox, *clock.Manual) {
	t.Helper()
	clk := clock.NewManual(seedTime(t))
	return openAt(t, t.TempDir(), clk), clk
}

func get(t *testing.T, s *Sandbox, id string) csp.Subscription {
	t.Helper()
	sub, err := s.Subscription(context.Background(), cust, id)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func apply(t *testing.T, s *Sandbox, op csp.Operation) csp.Result {
	t.Helper()
	res, err := s.Apply(context.Background(), cust, op)
	if err != nil {
		t.Fatalf("apply %+v: %v", op, err)
	}
	return res
}

func eur(v float64) csp.Money { return csp.NewMoney(v, "EUR") }

func boolp(b bool) *bool { return &b }

func TestSeed(t *testing.T) {
	s, _ := newSandbox(t)
	ctx := context.Background()

	c, err := s.Customer(ctx, cust)
	if err != nil {
		t.Fatal(err)
	}
	want := csp.Customer{ID: "contoso", Name: "Contoso SAS", Domain: "contoso.example", Currency: "EUR", TimeZone: "Europe/Paris"}
	if c != want {
		t.Errorf("customer = %+v", c)
	}
	fab := csp.Customer{ID: "fabrikam", Name: "Fabrikam SARL", Domain: "fabrikam.example", Currency: "EUR", TimeZone: "Europe/Paris"}
	if cs, err := s.Customers(ctx); err != nil || len(cs) != 2 || cs[0] != want || cs[1] != fab {
		t.Errorf("customers = %+v, %v", cs, err)
	}
	// Fabrikam's subscriptions are its own: none of Contoso's.
	fsubs, err := s.Subscriptions(ctx, "fabrikam")
	if err != nil || len(fsubs) != 3 {
		t.Fatalf("fabrikam's subscriptions = %+v, %v", fsubs, err)
	}
	for _, sub := range fsubs {
		if sub.CustomerID != "fabrikam" || !strings.HasPrefix(sub.ID, "fab-") {
			t.Errorf("fabrikam subscription %+v", sub)
		}
	}

	subs, err := s.Subscriptions(ctx, cust)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id, offer, name string
		qty             int
		term            csp.Term
		billing         csp.BillingCycle
		start, end      time.Time
		price           csp.Money
		trial           bool
		renewal         int
	}
	rows := []row{
		{"sub-1", "m365-business-standard", "Microsoft 365 Business Standard", 10, csp.TermAnnual, csp.BillingMonthly, day(t, 2026, 11, 25), day(t, 2027, 11, 25), eur(11.70), false, 10},
		{"sub-2", "m365-apps-business", "Microsoft 365 Apps for business", 1, csp.TermAnnual, csp.BillingAnnual, day(t, 2025, 12, 27), day(t, 2026, 12, 27), eur(105.60), false, 1},
		{"sub-3", "o365-e1", "Office 365 E1", 25, csp.TermAnnual, csp.BillingMonthly, day(t, 2026, 6, 15), day(t, 2027, 6, 15), eur(9.40), false, 25},
		{"sub-4", "o365-e3", "Office 365 E3", 5, csp.TermAnnual, csp.BillingMonthly, day(t, 2026, 8, 4), day(t, 2027, 8, 4), eur(22.50), false, 5},
		{"sub-5", "m365-business-premium", "Microsoft 365 Business Premium", 25, csp.TermMonthly, csp.BillingMonthly, day(t, 2026, 11, 2), day(t, 2026, 12, 2), eur(24.72), true, 25},
		{"sub-6", "teams-essentials", "Microsoft Teams Essentials", 3, csp.TermMonthly, csp.BillingMonthly, day(t, 2026, 11, 7), day(t, 2026, 12, 7), eur(4.44), false, 3},
		{"sub-7", "exchange-online-p1", "Exchange Online (Plan 1)", 8, csp.TermAnnual, csp.BillingMonthly, day(t, 2026, 1, 26), day(t, 2027, 1, 26), eur(3.70), false, 6},
	}
	if len(subs) != len(rows) {
		t.Fatalf("got %d subscriptions, want %d", len(subs), len(rows))
	}
	now := seedTime(t)
	for i, r := range rows {
		sub := subs[i]
		if sub.ID != r.id || sub.OfferID != r.offer || sub.Name != r.name || sub.CustomerID != cust {
			t.Errorf("%d: got %s %s %q", i, sub.ID, sub.OfferID, sub.Name)
		}
		if sub.Quantity != r.qty || sub.Term != r.term || sub.Billing != r.billing {
			t.Errorf("%s: qty/term/billing = %d %s %s", r.id, sub.Quantity, sub.Term, sub.Billing)
		}
		if !sub.TermStart.Equal(r.start) || !sub.TermEnd.Equal(r.end) {
			t.Errorf("%s: term %v – %v, want %v – %v", r.id, sub.TermStart, sub.TermEnd, r.start, r.end)
		}
		if sub.UnitPrice != r.price || sub.Trial != r.trial || sub.RenewalQuantity() != r.renewal {
			t.Errorf("%s: price %v trial %t renewal %d", r.id, sub.UnitPrice, sub.Trial, sub.RenewalQuantity())
		}
		if !sub.AutoRenew || sub.Status != csp.StatusActive || sub.ETag == "" {
			t.Errorf("%s: auto-renew %t status %s etag %q", r.id, sub.AutoRenew, sub.Status, sub.ETag)
		}
		if len(sub.Lots) != 1 || sub.Lots[0].Quantity != r.qty || !sub.Lots[0].PurchasedAt.Equal(r.start) ||
			!sub.Lots[0].RemovableUntil.Equal(r.start.Add(72*time.Hour)) {
			t.Errorf("%s: lots %+v", r.id, sub.Lots)
		}
		if sub.CancellationAllowedUntil == nil {
			t.Errorf("%s: no cancellation deadline", r.id)
		}
	}

	sub1 := subs[0]
	if want := day(t, 2026, 11, 28); !sub1.Lots[0].RemovableUntil.Equal(want) || !sub1.CancellationAllowedUntil.Equal(want) {
		t.Errorf("sub-1 window until %v / %v, want %v", sub1.Lots[0].RemovableUntil, sub1.CancellationAllowedUntil, want)
	}
	if n := sub1.RemovableAt(now); n != 10 {
		t.Errorf("sub-1 removable now = %d, want 10", n)
	}
	for _, sub := range subs[1:] {
		if n := sub.RemovableAt(now); n != 0 {
			t.Errorf("%s removable now = %d, want 0", sub.ID, n)
		}
	}
	if !subs[4].CancellationAllowedUntil.Equal(subs[4].TermEnd) {
		t.Errorf("trial cancellable until %v, want its end", subs[4].CancellationAllowedUntil)
	}
	// The commitment end date people see is the day before TermEnd.
	if got := subs[1].TermEnd.AddDate(0, 0, -1); !got.Equal(day(t, 2026, 12, 26)) {
		t.Errorf("sub-2 commitment end date %v", got)
	}
}

func TestSeedOnDSTDay(t *testing.T) {
	// 2027-03-28 is the spring-forward day in Paris.
	clk := clock.NewManual(time.Date(2027, 3, 28, 10, 0, 0, 0, paris(t)))
	s := openAt(t, t.TempDir(), clk)
	subs, err := s.Subscriptions(context.Background(), cust)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs {
		for _, tm := range []time.Time{sub.TermStart, sub.TermEnd} {
			if h, m, sec := tm.In(paris(t)).Clock(); h != 0 || m != 0 || sec != 0 {
				t.Errorf("%s: %v is not local midnight", sub.ID, tm)
			}
		}
	}
	if want := day(t, 2027, 3, 27); !subs[0].TermStart.Equal(want) {
		t.Errorf("sub-1 start %v, want %v", subs[0].TermStart, want)
	}
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(seedTime(t))
	s, err := Open(dir, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, csp.Operation{Key: "k1", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 12})
	before, _ := s.Subscriptions(context.Background(), cust)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Subscriptions(context.Background(), cust); err == nil {
		t.Error("closed sandbox answered")
	}

	// A day later: no term ends, nothing re-seeded.
	clk.Advance(24 * time.Hour)
	s2 := openAt(t, dir, clk)
	after, err := s2.Subscriptions(context.Background(), cust)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("got %d subscriptions, want %d", len(after), len(before))
	}
	for i := range before {
		b, a := before[i], after[i]
		if a.ID != b.ID || a.Quantity != b.Quantity || a.ETag != b.ETag || !a.TermStart.Equal(b.TermStart) ||
			!a.TermEnd.Equal(b.TermEnd) || len(a.Lots) != len(b.Lots) {
			t.Errorf("%s changed across reopen: %+v vs %+v", b.ID, a, b)
		}
		if a.TermEnd.Location().String() != "Europe/Paris" {
			t.Errorf("%s: term end in %v after reload", a.ID, a.TermEnd.Location())
		}
	}
	if after[0].Quantity != 12 {
		t.Errorf("sub-1 quantity %d, want 12", after[0].Quantity)
	}
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

func TestOpenCreatesDirAndNeedsClock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	openAt(t, dir, clock.NewManual(seedTime(t)))
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.TempDir(), Options{}); err == nil {
		t.Fatal("open without a clock: want an error")
	}
}

func TestRollover40Days(t *testing.T) {
	s, clk := newSandbox(t)
	before := map[string]csp.Subscription{}
	for _, id := range []string{"sub-1", "sub-3", "sub-4", "sub-7"} {
		before[id] = get(t, s, id)
	}
	now := time.Date(2027, 1, 5, 10, 0, 0, 0, paris(t))
	clk.Set(now)

	sub2 := get(t, s, "sub-2")
	if !sub2.TermStart.Equal(day(t, 2026, 12, 27)) || !sub2.TermEnd.Equal(day(t, 2027, 12, 27)) {
		t.Errorf("sub-2 term %v – %v", sub2.TermStart, sub2.TermEnd)
	}
	if sub2.RemovableAt(now) != 0 || len(sub2.Lots) != 1 || !sub2.Lots[0].RemovableUntil.Equal(day(t, 2026, 12, 30)) {
		t.Errorf("sub-2 lots %+v", sub2.Lots)
	}
	if !sub2.CancellationAllowedUntil.Equal(day(t, 2026, 12, 30)) || sub2.UnitPrice != eur(105.60) || sub2.Quantity != 1 {
		t.Errorf("sub-2 = %+v", sub2)
	}

	// The trial converted on 2 December and renewed again on 2 January.
	sub5 := get(t, s, "sub-5")
	if sub5.Trial || sub5.Term != csp.TermMonthly || sub5.Billing != csp.BillingMonthly || sub5.UnitPrice != eur(24.72) ||
		sub5.Quantity != 25 || sub5.Status != csp.StatusActive {
		t.Errorf("sub-5 = %+v", sub5)
	}
	if !sub5.TermStart.Equal(day(t, 2027, 1, 2)) || !sub5.TermEnd.Equal(day(t, 2027, 2, 2)) {
		t.Errorf("sub-5 term %v – %v", sub5.TermStart, sub5.TermEnd)
	}

	sub6 := get(t, s, "sub-6")
	if !sub6.TermStart.Equal(day(t, 2026, 12, 7)) || !sub6.TermEnd.Equal(day(t, 2027, 1, 7)) || sub6.Quantity != 3 {
		t.Errorf("sub-6 = %+v", sub6)
	}

	for id, b := range before {
		if a := get(t, s, id); !reflect.DeepEqual(a, b) {
			t.Errorf("%s changed:\n%+v\n%+v", id, a, b)
		}
	}

	events, err := s.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%s %s %s", e.SubscriptionID, e.Kind, e.At.Format(time.DateOnly)))
	}
	want := []string{
		"sub-2 renewed 2026-12-27",
		"sub-5 trial_converted 2026-12-02",
		"sub-5 renewed 2027-01-02",
		"sub-6 renewed 2026-12-07",
		"fab-3 renewed 2026-12-11", // Fabrikam's own monthly line
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}

	// On 26 January sub-7 renews with its scheduled quantity, window open.
	clk.Set(time.Date(2027, 1, 26, 9, 0, 0, 0, paris(t)))
	sub7 := get(t, s, "sub-7")
	if sub7.Quantity != 6 || sub7.Renewal != nil || !sub7.TermStart.Equal(day(t, 2027, 1, 26)) || !sub7.TermEnd.Equal(day(t, 2028, 1, 26)) {
		t.Errorf("sub-7 = %+v", sub7)
	}
	if n := sub7.RemovableAt(clk.Now()); n != 6 {
		t.Errorf("sub-7 removable = %d, want 6", n)
	}
}

func TestRolloverAcrossDST(t *testing.T) {
	s, clk := newSandbox(t)
	// sub-3 ends 2027-06-15 (CEST); its next term ends a year later, at
	// local midnight again.
	clk.Set(time.Date(2027, 6, 15, 0, 0, 0, 0, paris(t)))
	sub3 := get(t, s, "sub-3")
	if !sub3.TermStart.Equal(day(t, 2027, 6, 15)) || !sub3.TermEnd.Equal(day(t, 2028, 6, 15)) {
		t.Errorf("sub-3 term %v – %v", sub3.TermStart, sub3.TermEnd)
	}
	// sub-6 renews monthly through the spring change: still midnights.
	for _, id := range []string{"sub-5", "sub-6"} {
		sub := get(t, s, id)
		if h, m, _ := sub.TermEnd.Clock(); h != 0 || m != 0 {
			t.Errorf("%s ends at %v", id, sub.TermEnd)
		}
	}
}

func TestAutoRenewOffExpires(t *testing.T) {
	s, clk := newSandbox(t)
	for _, id := range []string{"sub-5", "sub-6"} {
		res := apply(t, s, csp.Operation{Key: "off-" + id, Kind: csp.ChangeAutoRenewOff, SubscriptionID: id, AutoRenew: boolp(false)})
		if res.AlreadyApplied || res.Subscription.AutoRenew {
			t.Fatalf("%s: %+v", id, res)
		}
	}
	res := apply(t, s, csp.Operation{Key: "off-again", Kind: csp.ChangeAutoRenewOff, SubscriptionID: "sub-6", AutoRenew: boolp(false)})
	if !res.AlreadyApplied {
		t.Error("second auto-renew off was applied again")
	}

	clk.Set(day(t, 2026, 12, 2).Add(-time.Second))
	if sub := get(t, s, "sub-5"); sub.Status != csp.StatusActive || !sub.Trial {
		t.Errorf("trial before its end: %+v", sub)
	}
	clk.Set(day(t, 2026, 12, 2))
	if sub := get(t, s, "sub-5"); sub.Status != csp.StatusExpired {
		t.Errorf("trial at its end: %s", sub.Status)
	}
	clk.Set(day(t, 2026, 12, 7).Add(-time.Second))
	if sub := get(t, s, "sub-6"); sub.Status != csp.StatusActive {
		t.Errorf("sub-6 before its end: %s", sub.Status)
	}
	clk.Set(day(t, 2026, 12, 7))
	sub6 := get(t, s, "sub-6")
	if sub6.Status != csp.StatusExpired || !sub6.TermEnd.Equal(day(t, 2026, 12, 7)) || sub6.CancellationAllowedUntil != nil {
		t.Errorf("sub-6 at its end: %+v", sub6)
	}
	clk.Set(day(t, 2027, 3, 1))
	if sub := get(t, s, "sub-6"); sub.Status != csp.StatusExpired || !sub.TermEnd.Equal(day(t, 2026, 12, 7)) {
		t.Errorf("expired subscription moved: %+v", sub)
	}
}

func TestScheduledRenewalApplied(t *testing.T) {
	s, clk := newSandbox(t)
	apply(t, s, csp.Operation{Key: "r1", Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "sub-1", Quantity: 8})
	res := apply(t, s, csp.Operation{Key: "r2", Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "sub-1", Quantity: 8})
	if !res.AlreadyApplied || res.Subscription.RenewalQuantity() != 8 {
		t.Errorf("second set renewal: %+v", res)
	}
	// Align sub-7's next term to end with sub-1's current one.
	end := day(t, 2027, 11, 25)
	apply(t, s, csp.Operation{Key: "a1", Kind: csp.ChangeAlignEndDate, SubscriptionID: "sub-7", CustomTermEnd: &end, TargetSubscriptionID: "sub-1"})
	if res := apply(t, s, csp.Operation{Key: "a2", Kind: csp.ChangeAlignEndDate, SubscriptionID: "sub-7", CustomTermEnd: &end}); !res.AlreadyApplied {
		t.Error("second align was applied again")
	}

	clk.Set(day(t, 2027, 1, 26).Add(time.Hour))
	sub7 := get(t, s, "sub-7")
	if !sub7.TermEnd.Equal(end) || sub7.Quantity != 6 || sub7.Renewal != nil {
		t.Errorf("sub-7 after aligned renewal: %+v", sub7)
	}
	clk.Set(end.Add(time.Hour))
	sub1 := get(t, s, "sub-1")
	if sub1.Quantity != 8 || !sub1.TermStart.Equal(end) || !sub1.TermEnd.Equal(day(t, 2028, 11, 25)) || sub1.RemovableAt(clk.Now()) != 8 {
		t.Errorf("sub-1 after renewal: %+v", sub1)
	}
	sub7 = get(t, s, "sub-7")
	if !sub7.TermStart.Equal(end) || !sub7.TermEnd.Equal(day(t, 2028, 11, 25)) {
		t.Errorf("sub-7 second renewal: %v – %v", sub7.TermStart, sub7.TermEnd)
	}
}

func TestIdempotentAdd(t *testing.T) {
	s, _ := newSandbox(t)
	etag0 := get(t, s, "sub-7").ETag
	op := csp.Operation{Key: "add-1", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-7", FromQuantity: 8, Quantity: 10}
	res := apply(t, s, op)
	if res.AlreadyApplied || res.Subscription.Quantity != 10 {
		t.Fatalf("first add: %+v", res)
	}
	if res.Subscription.Renewal != nil {
		t.Error("a mid-term add must delete the scheduled renewal")
	}
	if res.Subscription.ETag == etag0 {
		t.Error("etag unchanged after a write")
	}
	lots := res.Subscription.Lots
	if len(lots) != 2 || lots[1].Quantity != 2 || !lots[1].PurchasedAt.Equal(seedTime(t)) || !lots[1].RemovableUntil.Equal(seedTime(t).Add(72*time.Hour)) {
		t.Errorf("lots = %+v", lots)
	}
	again := apply(t, s, op)
	if !again.AlreadyApplied || again.Subscription.Quantity != 10 || len(again.Subscription.Lots) != 2 {
		t.Errorf("second add: %+v", again)
	}
	if again.Subscription.ETag != res.Subscription.ETag {
		t.Error("etag changed without a write")
	}
}

func TestConflict(t *testing.T) {
	s, _ := newSandbox(t)
	for _, kind := range []csp.ChangeKind{csp.ChangeAddSeats, csp.ChangeRemoveSeats} {
		_, err := s.Apply(context.Background(), cust, csp.Operation{Key: "c", Kind: kind, SubscriptionID: "sub-1", FromQuantity: 9, Quantity: 8 + 4*boolInt(kind == csp.ChangeAddSeats)})
		if !errors.Is(err, csp.ErrConflict) {
			t.Errorf("%s: err = %v, want ErrConflict", kind, err)
		}
	}
	// Already at the target: done, whatever FromQuantity says.
	res := apply(t, s, csp.Operation{Key: "c2", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 7, Quantity: 10})
	if !res.AlreadyApplied {
		t.Error("want AlreadyApplied")
	}
	if get(t, s, "sub-1").Quantity != 10 {
		t.Error("quantity changed")
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRemoveSeats(t *testing.T) {
	s, clk := newSandbox(t)
	apply(t, s, csp.Operation{Key: "a", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 12})

	// After the term-start lot's window (until T0+2d 00:00) only the 2
	// seats added at T0 10:00 remain removable (until T0+3d 10:00).
	clk.Set(day(t, 2026, 11, 28).Add(time.Hour))
	_, err := s.Apply(context.Background(), cust, csp.Operation{Key: "r", Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", FromQuantity: 12, Quantity: 9})
	assertRefused(t, err, CodeRemovalWindowClosed)
	res := apply(t, s, csp.Operation{Key: "r", Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", FromQuantity: 12, Quantity: 10})
	if res.Subscription.Quantity != 10 || len(res.Subscription.Lots) != 1 || res.Subscription.Lots[0].Quantity != 10 {
		t.Errorf("after removal: %+v", res.Subscription)
	}
	// Last second of the added lot's window is gone too now.
	clk.Set(seedTime(t).Add(72 * time.Hour))
	_, err = s.Apply(context.Background(), cust, csp.Operation{Key: "r2", Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 9})
	assertRefused(t, err, CodeRemovalWindowClosed)
}

func TestRemoveNewestLotsFirst(t *testing.T) {
	s, clk := newSandbox(t)
	apply(t, s, csp.Operation{Key: "a", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 12})
	clk.Advance(time.Hour)
	apply(t, s, csp.Operation{Key: "b", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 12, Quantity: 15})
	res := apply(t, s, csp.Operation{Key: "c", Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", FromQuantity: 15, Quantity: 9})
	lots := res.Subscription.Lots
	if len(lots) != 1 || lots[0].Quantity != 9 || !lots[0].PurchasedAt.Equal(day(t, 2026, 11, 25)) {
		t.Errorf("lots = %+v", lots)
	}
	// Last removable second of the term-start lot, then the first closed one.
	clk.Set(day(t, 2026, 11, 28).Add(-time.Second))
	apply(t, s, csp.Operation{Key: "d", Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", FromQuantity: 9, Quantity: 8})
	clk.Set(day(t, 2026, 11, 28))
	_, err := s.Apply(context.Background(), cust, csp.Operation{Key: "e", Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", FromQuantity: 8, Quantity: 7})
	assertRefused(t, err, CodeRemovalWindowClosed)
}

func assertRefused(t *testing.T, err error, code string) {
	t.Helper()
	var re *csp.RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a refusal %s", err, code)
	}
	if re.Code != code {
		t.Fatalf("refusal %s (%s), want %s", re.Code, re.Detail, code)
	}
}

func TestRefusals(t *testing.T) {
	e5 := func(t *testing.T, s *Sandbox, clk *clock.Manual) {
		apply(t, s, csp.Operation{Key: "u", Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", TargetOfferID: "o365-e5", Quantity: 5})
	}
	cases := []struct {
		name  string
		setup func(*testing.T, *Sandbox, *clock.Manual)
		op    csp.Operation
		code  string
	}{
		{"remove outside window", nil, csp.Operation{Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-3", FromQuantity: 25, Quantity: 20}, CodeRemovalWindowClosed},
		{"remove to zero", nil, csp.Operation{Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 0}, CodeQuantityMin},
		{"add that removes", nil, csp.Operation{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 9}, CodeNotAnIncrease},
		{"remove that adds", nil, csp.Operation{Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 11}, CodeNotADecrease},
		{"add over 300", nil, csp.Operation{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 301}, CodeMaxSeats},
		{"renewal over 300", nil, csp.Operation{Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "sub-1", Quantity: 301}, CodeMaxSeats},
		{"cancel outside window", nil, csp.Operation{Kind: csp.ChangeCancel, SubscriptionID: "sub-3"}, CodeCancellationWindowClosed},
		{"cancel at window end", func(t *testing.T, s *Sandbox, clk *clock.Manual) { clk.Set(day(t, 2026, 11, 28)) },
			csp.Operation{Kind: csp.ChangeCancel, SubscriptionID: "sub-1"}, CodeCancellationWindowClosed},
		{"renewal with auto-renew off", func(t *testing.T, s *Sandbox, clk *clock.Manual) {
			apply(t, s, csp.Operation{Key: "off", Kind: csp.ChangeAutoRenewOff, SubscriptionID: "sub-4", AutoRenew: boolp(false)})
		}, csp.Operation{Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "sub-4", Quantity: 3}, CodeAutoRenewOff},
		{"add to cancelled", func(t *testing.T, s *Sandbox, clk *clock.Manual) {
			apply(t, s, csp.Operation{Key: "x", Kind: csp.ChangeCancel, SubscriptionID: "sub-1"})
		}, csp.Operation{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 11}, CodeNotActive},
		{"auto-renew on when expired", func(t *testing.T, s *Sandbox, clk *clock.Manual) {
			apply(t, s, csp.Operation{Key: "x", Kind: csp.ChangeAutoRenewOff, SubscriptionID: "sub-6", AutoRenew: boolp(false)})
			clk.Set(day(t, 2026, 12, 8))
		}, csp.Operation{Kind: csp.ChangeAutoRenewOn, SubscriptionID: "sub-6", AutoRenew: boolp(true)}, CodeNotActive},
		{"align before term end", nil, csp.Operation{Kind: csp.ChangeAlignEndDate, SubscriptionID: "sub-7", CustomTermEnd: timep(day(t, 2027, 1, 20))}, CodeInvalidEndDate},
		{"align beyond next term", nil, csp.Operation{Kind: csp.ChangeAlignEndDate, SubscriptionID: "sub-7", CustomTermEnd: timep(day(t, 2028, 2, 1))}, CodeInvalidEndDate},
		{"upgrade to another segment", nil, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-1", TargetOfferID: "o365-e3", Quantity: 1}, CodeUpgradeNotAllowed},
		{"downgrade", nil, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-4", TargetOfferID: "o365-e1", Quantity: 1}, CodeUpgradeNotAllowed},
		{"upgrade teams", nil, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-6", TargetOfferID: "m365-business-premium", Quantity: 1}, CodeUpgradeNotAllowed},
		{"upgrade unknown offer", nil, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", TargetOfferID: "nope", Quantity: 1}, CodeUpgradeNotAllowed},
		{"upgrade too many", nil, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", TargetOfferID: "o365-e3", Quantity: 26}, CodeUpgradeQuantity},
		{"upgrade zero", nil, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", TargetOfferID: "o365-e3", Quantity: 0}, CodeQuantityMin},
		{"merge into other offer", nil, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", TargetOfferID: "o365-e5", TargetSubscriptionID: "sub-4", Quantity: 1}, CodeTargetOfferMismatch},
		{"merge into trial", nil, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-1", TargetOfferID: "m365-business-premium", TargetSubscriptionID: "sub-5", Quantity: 1}, CodeTargetNotActive},
		{"merge into line ending earlier", e5, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-4", TargetOfferID: "o365-e5", TargetSubscriptionID: "sub-8", Quantity: 1}, CodeTargetEndsEarlier},
		{"merge into cancelled line", func(t *testing.T, s *Sandbox, clk *clock.Manual) {
			apply(t, s, csp.Operation{Key: "u", Kind: csp.ChangeUpgrade, SubscriptionID: "sub-4", TargetOfferID: "o365-e5", Quantity: 5})
		}, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4", Quantity: 1}, CodeTargetNotActive},
		{"upgrade from cancelled line", func(t *testing.T, s *Sandbox, clk *clock.Manual) {
			apply(t, s, csp.Operation{Key: "u", Kind: csp.ChangeUpgrade, SubscriptionID: "sub-4", TargetOfferID: "o365-e5", Quantity: 5})
		}, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-4", TargetOfferID: "o365-e5", Quantity: 1}, CodeNotActive},
		{"merge into line in its window", func(t *testing.T, s *Sandbox, clk *clock.Manual) {
			// On 2027-08-04 sub-4 (E3) has just renewed; sub-3 (E1)
			// renewed on 2027-06-15 and ends before it.
			clk.Set(time.Date(2027, 8, 4, 10, 0, 0, 0, paris(t)))
		}, csp.Operation{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4", Quantity: 1}, CodeTargetInCancellationWindow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			clk := clock.NewManual(seedTime(t))
			s := openAt(t, dir, clk)
			if tc.setup != nil {
				tc.setup(t, s, clk)
			}
			before, err := s.Subscriptions(context.Background(), cust)
			if err != nil {
				t.Fatal(err)
			}
			file, _ := os.ReadFile(filepath.Join(dir, StateFile))

			op := tc.op
			op.Key = "refused"
			_, err = s.Apply(context.Background(), cust, op)
			assertRefused(t, err, tc.code)

			after, _ := s.Subscriptions(context.Background(), cust)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("state changed after a refusal")
			}
			if file2, _ := os.ReadFile(filepath.Join(dir, StateFile)); !bytes.Equal(file, file2) {
				t.Errorf("state file written after a refusal")
			}
		})
	}
}

func timep(t time.Time) *time.Time { return &t }

func TestCancelInWindow(t *testing.T) {
	s, _ := newSandbox(t)
	res := apply(t, s, csp.Operation{Key: "c", Kind: csp.ChangeCancel, SubscriptionID: "sub-1"})
	if res.Subscription.Status != csp.StatusCancelled || res.Subscription.AutoRenew {
		t.Errorf("after cancel: %+v", res.Subscription)
	}
	if again := apply(t, s, csp.Operation{Key: "c", Kind: csp.ChangeCancel, SubscriptionID: "sub-1"}); !again.AlreadyApplied {
		t.Error("second cancel applied again")
	}
	// A trial can be cancelled until it ends.
	apply(t, s, csp.Operation{Key: "t", Kind: csp.ChangeCancel, SubscriptionID: "sub-5"})
}

func TestUpgradeIntoNewLine(t *testing.T) {
	s, _ := newSandbox(t)
	src0 := get(t, s, "sub-3")
	op := csp.Operation{Key: "up-1", Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", FromQuantity: 25, TargetOfferID: "o365-e3", Quantity: 10}
	res := apply(t, s, op)
	if res.AlreadyApplied || res.Target == nil {
		t.Fatalf("upgrade: %+v", res)
	}
	src, tgt := res.Subscription, *res.Target
	if src.Quantity != 15 || src.Status != csp.StatusActive || !src.TermEnd.Equal(src0.TermEnd) || !src.TermStart.Equal(src0.TermStart) {
		t.Errorf("source = %+v", src)
	}
	if tgt.ID != "sub-8" || tgt.OfferID != "o365-e3" || tgt.Name != "Office 365 E3" || tgt.Quantity != 10 ||
		!tgt.TermStart.Equal(src0.TermStart) || !tgt.TermEnd.Equal(src0.TermEnd) || tgt.UnitPrice != eur(22.50) ||
		tgt.Term != csp.TermAnnual || tgt.Billing != csp.BillingMonthly || tgt.Status != csp.StatusActive {
		t.Errorf("target = %+v", tgt)
	}
	if tgt.RemovableAt(seedTime(t)) != 0 {
		t.Error("upgraded seats must not be removable")
	}
	if sum := sumLots(src) + sumLots(tgt); sum != 25 {
		t.Errorf("lots hold %d seats, want 25", sum)
	}

	again := apply(t, s, op)
	if !again.AlreadyApplied || again.Subscription.Quantity != 15 || again.Target == nil || again.Target.Quantity != 10 {
		t.Errorf("retried upgrade: %+v", again)
	}
	subs, _ := s.Subscriptions(context.Background(), cust)
	if len(subs) != 8 {
		t.Errorf("got %d subscriptions after a retried upgrade, want 8", len(subs))
	}
	// The same decision under a new key is stale now.
	op.Key = "up-2"
	if _, err := s.Apply(context.Background(), cust, op); !errors.Is(err, csp.ErrConflict) {
		t.Errorf("err = %v, want ErrConflict", err)
	}
}

func sumLots(s csp.Subscription) int {
	n := 0
	for _, l := range s.Lots {
		n += l.Quantity
	}
	return n
}

func TestUpgradeIntoExistingLine(t *testing.T) {
	s, _ := newSandbox(t)
	src0, tgt0 := get(t, s, "sub-3"), get(t, s, "sub-4")
	op := csp.Operation{Key: "merge", Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", FromQuantity: 25, TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4", Quantity: 25}
	res := apply(t, s, op)
	src, tgt := res.Subscription, *res.Target
	if src.Quantity != 0 || src.Status != csp.StatusCancelled || src.AutoRenew || !src.TermEnd.Equal(src0.TermEnd) {
		t.Errorf("source = %+v", src)
	}
	if tgt.ID != "sub-4" || tgt.Quantity != 30 || !tgt.TermEnd.Equal(tgt0.TermEnd) || !tgt.TermStart.Equal(tgt0.TermStart) || tgt.UnitPrice != tgt0.UnitPrice {
		t.Errorf("target = %+v", tgt)
	}
	again := apply(t, s, op)
	if !again.AlreadyApplied || again.Target == nil || again.Target.Quantity != 30 {
		t.Errorf("retried merge: %+v", again)
	}
	if got := get(t, s, "sub-4").Quantity; got != 30 {
		t.Errorf("sub-4 quantity %d after retry", got)
	}
}

func TestEligibleUpgrades(t *testing.T) {
	s, _ := newSandbox(t)
	ctx := context.Background()
	got, err := s.EligibleUpgrades(ctx, cust, "sub-3")
	if err != nil {
		t.Fatal(err)
	}
	want := []csp.UpgradeOption{
		{OfferID: "o365-e3", OfferName: "Office 365 E3"},
		{OfferID: "o365-e3", OfferName: "Office 365 E3", TargetSubscriptionID: "sub-4"},
		{OfferID: "o365-e5", OfferName: "Office 365 E5"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sub-3 upgrades = %+v", got)
	}
	got, _ = s.EligibleUpgrades(ctx, cust, "sub-1")
	if want := []csp.UpgradeOption{{OfferID: "m365-business-premium", OfferName: "Microsoft 365 Business Premium"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("sub-1 upgrades = %+v (the trial line is no merge target)", got)
	}
	if got, _ = s.EligibleUpgrades(ctx, cust, "sub-6"); len(got) != 0 {
		t.Errorf("teams upgrades = %+v", got)
	}
	// E3 into E1's line: not an upgrade. E3 → E5 has no E5 line yet.
	got, _ = s.EligibleUpgrades(ctx, cust, "sub-4")
	if want := []csp.UpgradeOption{{OfferID: "o365-e5", OfferName: "Office 365 E5"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("sub-4 upgrades = %+v", got)
	}
}

func TestNotFound(t *testing.T) {
	s, _ := newSandbox(t)
	ctx := context.Background()
	if _, err := s.Subscriptions(ctx, "nobody"); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("unknown customer: %v", err)
	}
	if _, err := s.Customer(ctx, "nobody"); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("unknown customer: %v", err)
	}
	if _, err := s.Subscription(ctx, cust, "sub-99"); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("unknown subscription: %v", err)
	}
	if _, err := s.EligibleUpgrades(ctx, cust, "sub-99"); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("unknown subscription: %v", err)
	}
	_, err := s.Apply(ctx, cust, csp.Operation{Key: "k", Kind: csp.ChangeCancel, SubscriptionID: "sub-99"})
	if !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("apply to unknown subscription: %v", err)
	}
	_, err = s.Apply(ctx, "nobody", csp.Operation{Key: "k", Kind: csp.ChangeCancel, SubscriptionID: "sub-1"})
	if !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("apply for unknown customer: %v", err)
	}
	_, err = s.Apply(ctx, cust, csp.Operation{Kind: csp.ChangeCancel, SubscriptionID: "sub-1"})
	if err == nil || errors.As(err, new(*csp.RefusedError)) {
		t.Errorf("operation without key: %v", err)
	}
	_, err = s.Apply(ctx, cust, csp.Operation{Key: "k", Kind: csp.ChangeAutoRenewOff, SubscriptionID: "sub-1", AutoRenew: boolp(true)})
	if err == nil {
		t.Error("auto_renew_off with auto_renew true: want an error")
	}
}

func TestCanceledContext(t *testing.T) {
	s, _ := newSandbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Subscriptions(ctx, cust); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestConcurrentApply(t *testing.T) {
	s, clk := newSandbox(t)
	ctx := context.Background()
	op := csp.Operation{Key: "same", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 12}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied int
	)
	for i := range 16 {
		wg.Add(3)
		go func() {
			defer wg.Done()
			res, err := s.Apply(ctx, cust, op)
			if err != nil {
				t.Error(err)
				return
			}
			if !res.AlreadyApplied {
				mu.Lock()
				applied++
				mu.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			// Each goroutine sets sub-3's renewal quantity; all valid.
			if _, err := s.Apply(ctx, cust, csp.Operation{Key: fmt.Sprint("r", i), Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "sub-3", Quantity: 10 + i}); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			clk.Advance(time.Minute)
			if _, err := s.Subscriptions(ctx, cust); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if applied != 1 {
		t.Errorf("add applied %d times, want 1", applied)
	}
	sub := get(t, s, "sub-1")
	if sub.Quantity != 12 || len(sub.Lots) != 2 {
		t.Errorf("sub-1 = %+v", sub)
	}
}

func TestCorruptedState(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	for name, body := range map[string]string{
		"not json":    "{not json",
		"truncated":   `{"version": 1, "customers": [`,
		"bad version": `{"version": 99, "customers": [{"customer": {"id": "x"}}]}`,
		"no customer": `{"version": 1}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, StateFile), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir, Options{Clock: clk})
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), StateFile) || !strings.Contains(err.Error(), "re-seed") {
				t.Errorf("unclear error: %v", err)
			}
		})
	}
}

func TestCatalogIsACopy(t *testing.T) {
	s, _ := newSandbox(t)
	if s.Name() != "sandbox" {
		t.Errorf("name %q", s.Name())
	}
	c, err := s.Catalog(context.Background(), "contoso")
	if err != nil {
		t.Fatal(err)
	}
	c.Offers[0].Prices[0].Unit.Minor = 1
	c.Offers[0].Aliases[0] = "changed"
	c2, _ := s.Catalog(context.Background(), "contoso")
	if c2.Offers[0].Prices[0].Unit.Minor == 1 || c2.Offers[0].Aliases[0] == "changed" {
		t.Error("catalog shared with the caller")
	}
	if _, ok := c2.Offer("o365-e3"); !ok {
		t.Error("copy is not indexed")
	}
}

func TestFailedWriteChangesNothing(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(seedTime(t))
	s := openAt(t, dir, clk)
	// A non-empty directory where the state file was makes the rename fail.
	path := filepath.Join(dir, StateFile)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := s.Apply(context.Background(), cust, csp.Operation{Key: "a", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 12})
	if err == nil {
		t.Fatal("want a write error")
	}
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if q := get(t, s, "sub-1").Quantity; q != 10 {
		t.Errorf("quantity %d after a failed write, want 10", q)
	}
	// The same failure during a rollover leaves the term where it was.
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	clk.Set(day(t, 2026, 12, 3))
	if _, err := s.Subscription(context.Background(), cust, "sub-5"); err == nil {
		t.Fatal("want a write error")
	}
	os.RemoveAll(path)
	if sub := get(t, s, "sub-5"); sub.Trial || !sub.TermStart.Equal(day(t, 2026, 12, 2)) {
		t.Errorf("sub-5 after retry: %+v", sub)
	}
}

// A monthly term that ends on the 31st keeps renewing on the last day of
// each month (31 Jan → 28 Feb → 31 Mar), not on the 28th forever after.
func TestMonthlyRenewalsKeepTheirAnchorDay(t *testing.T) {
	// Seeded on 20 Jan 2027, Teams Essentials (sub-6) ends its term at
	// T0 + 11 days = 31 Jan 00:00.
	clk := clock.NewManual(day(t, 2027, 1, 20).Add(10 * time.Hour))
	s := openAt(t, t.TempDir(), clk)
	if got := get(t, s, "sub-6").TermEnd; !got.Equal(day(t, 2027, 1, 31)) {
		t.Fatalf("seeded term end %v, want 31 Jan", got)
	}
	for _, want := range [][2]time.Time{
		{day(t, 2027, 1, 31), day(t, 2027, 2, 28)},
		{day(t, 2027, 2, 28), day(t, 2027, 3, 31)},
		{day(t, 2027, 3, 31), day(t, 2027, 4, 30)},
	} {
		clk.Set(want[0].Add(time.Hour))
		sub := get(t, s, "sub-6")
		if !sub.TermStart.Equal(want[0]) || !sub.TermEnd.Equal(want[1]) {
			t.Fatalf("term %v – %v, want %v – %v", sub.TermStart, sub.TermEnd, want[0], want[1])
		}
	}
}
