package rules

import (
	"reflect"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Test fixtures. Times are in Europe/Paris unless a test says otherwise;
// the catalog follows the segments and tiers of licence-rules.md.

func paris(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		tb.Fatalf("load Europe/Paris: %v", err)
	}
	return loc
}

// at is a wall-clock instant in Paris.
func at(tb testing.TB, y int, m time.Month, d, hh, mm, ss int) time.Time {
	tb.Helper()
	return time.Date(y, m, d, hh, mm, ss, 0, paris(tb))
}

func eur(v float64) csp.Money { return csp.NewMoney(v, "EUR") }

func monthly(term csp.Term, v float64) csp.Price {
	return csp.Price{Term: term, Billing: csp.BillingMonthly, Unit: eur(v)}
}

func annualBilled(v float64) csp.Price {
	return csp.Price{Term: csp.TermAnnual, Billing: csp.BillingAnnual, Unit: eur(v)}
}

func testCatalog(tb testing.TB) *csp.Catalog {
	tb.Helper()
	no := false
	const (
		biz   = "Microsoft 365 Business"
		apps  = "Microsoft 365 Apps"
		o365  = "Office 365 Enterprise"
		m365  = "Microsoft 365 Enterprise"
		front = "Microsoft 365 Frontline"
		exo   = "Exchange Online"
		teams = "Teams"
	)
	offers := []csp.Offer{
		{ID: "biz-basic", Name: "Microsoft 365 Business Basic", Segment: biz, Tier: 1, MaxSeats: 300, Prices: []csp.Price{monthly(csp.TermAnnual, 5.60)}},
		{ID: "biz-std", Name: "Microsoft 365 Business Standard", Segment: biz, Tier: 2, MaxSeats: 300, Prices: []csp.Price{monthly(csp.TermAnnual, 11.70)}},
		{ID: "biz-prem", Name: "Microsoft 365 Business Premium", Segment: biz, Tier: 3, MaxSeats: 300, Prices: []csp.Price{monthly(csp.TermAnnual, 20.60)}},
		{ID: "apps-biz", Name: "Microsoft 365 Apps for business", Segment: apps, Tier: 1, MaxSeats: 300, Prices: []csp.Price{annualBilled(105.60), monthly(csp.TermAnnual, 8.80)}},
		{ID: "apps-ent", Name: "Microsoft 365 Apps for enterprise", Segment: apps, Tier: 2, Prices: []csp.Price{annualBilled(144.00), monthly(csp.TermAnnual, 12.00)}},
		{ID: "e1", Name: "Office 365 E1", Segment: o365, Tier: 1, Prices: []csp.Price{monthly(csp.TermAnnual, 7.00), monthly(csp.TermMonthly, 8.40), monthly(csp.TermTriennial, 7.00)}},
		{ID: "e3", Name: "Office 365 E3", Segment: o365, Tier: 2, Prices: []csp.Price{monthly(csp.TermAnnual, 20.60), monthly(csp.TermMonthly, 24.72), monthly(csp.TermTriennial, 20.60)}},
		// E5 is not sold monthly: target_term_unavailable for P1M sources.
		{ID: "e5", Name: "Office 365 E5", Segment: o365, Tier: 3, Prices: []csp.Price{monthly(csp.TermAnnual, 35.70), monthly(csp.TermTriennial, 35.70)}},
		{ID: "m365-e3", Name: "Microsoft 365 E3", Segment: m365, Tier: 1, Prices: []csp.Price{monthly(csp.TermAnnual, 36.00)}},
		{ID: "m365-e5", Name: "Microsoft 365 E5", Segment: m365, Tier: 2, Prices: []csp.Price{monthly(csp.TermAnnual, 57.00)}},
		{ID: "f1", Name: "Microsoft 365 F1", Segment: front, Tier: 1, Prices: []csp.Price{monthly(csp.TermAnnual, 2.25)}},
		{ID: "f3", Name: "Microsoft 365 F3", Segment: front, Tier: 2, Prices: []csp.Price{monthly(csp.TermAnnual, 8.00)}},
		{ID: "exo-1", Name: "Exchange Online (Plan 1)", Segment: exo, Tier: 1, Prices: []csp.Price{monthly(csp.TermAnnual, 4.00)}},
		{ID: "exo-2", Name: "Exchange Online (Plan 2)", Segment: exo, Tier: 2, Prices: []csp.Price{monthly(csp.TermAnnual, 8.00)}},
		{ID: "teams-ess", Name: "Microsoft Teams Essentials", Segment: teams, Tier: 1, Upgradable: &no, TrialAvailable: true, Prices: []csp.Price{monthly(csp.TermAnnual, 4.00)}},
	}
	c, err := csp.NewCatalog(offers)
	if err != nil {
		tb.Fatalf("catalog: %v", err)
	}
	return c
}

// Term of the base subscription: 15 January 2026 00:00 → 15 January 2027
// 00:00, Paris (commitment end date 14 January 2027).
func termStart(tb testing.TB) time.Time { return at(tb, 2026, 1, 15, 0, 0, 0) }
func termEnd(tb testing.TB) time.Time   { return at(tb, 2027, 1, 15, 0, 0, 0) }

// baseSub is an active annual E3 line of 10 seats billed monthly at 20.60,
// auto-renewing, whose term-start lot is removable for 72 hours.
func baseSub(tb testing.TB) csp.Subscription {
	tb.Helper()
	start := termStart(tb)
	return csp.Subscription{
		ID: "sub-e3", CustomerID: "cust", OfferID: "e3", Name: "Office 365 E3",
		Quantity: 10, Term: csp.TermAnnual, Billing: csp.BillingMonthly,
		TermStart: start, TermEnd: csp.TermEnd(start, csp.TermAnnual),
		AutoRenew: true, Status: csp.StatusActive, UnitPrice: eur(20.60),
		Lots: []csp.SeatLot{{Quantity: 10, PurchasedAt: start, RemovableUntil: start.Add(72 * time.Hour)}},
	}
}

// midTerm is a moment when no window is open: 10 June 2026, noon.
func midTerm(tb testing.TB) time.Time { return at(tb, 2026, 6, 10, 12, 0, 0) }

// input builds an Input with the default Paris policy and the test
// catalog.
func input(tb testing.TB, s csp.Subscription, ch csp.Change, role Role, now time.Time) Input {
	tb.Helper()
	if ch.SubscriptionID == "" {
		ch.SubscriptionID = s.ID
	}
	return Input{Subscription: s, Change: ch, Role: role, Policy: DefaultPolicy(paris(tb)), Catalog: testCatalog(tb), Now: now}
}

// --- assertions -------------------------------------------------------

func wantOutcome(tb testing.TB, d Decision, o Outcome, reason Code) {
	tb.Helper()
	if d.Outcome != o || d.Reason != reason {
		tb.Fatalf("got %s/%q (%s), want %s/%q", d.Outcome, d.Reason, d.Detail, o, reason)
	}
}

func wantAllowed(tb testing.TB, d Decision) {
	tb.Helper()
	wantOutcome(tb, d, Allowed, "")
	if d.Approver != "" {
		tb.Errorf("allowed decision has approver %q", d.Approver)
	}
}

func wantApproval(tb testing.TB, d Decision, by Role, reason Code) {
	tb.Helper()
	wantOutcome(tb, d, NeedsApproval, reason)
	if d.Approver != by {
		tb.Errorf("approver = %q, want %q", d.Approver, by)
	}
}

func wantRefused(tb testing.TB, d Decision, reason Code) {
	tb.Helper()
	wantOutcome(tb, d, Refused, reason)
	if d.Approver != "" || !d.Deadline.IsZero() || len(d.Warnings) != 0 || d.Irreversible {
		tb.Errorf("refusal carries approval data: %+v", d)
	}
}

func wantQuantities(tb testing.TB, d Decision, from, to int) {
	tb.Helper()
	if d.FromQuantity != from || d.ToQuantity != to {
		tb.Errorf("quantities %d→%d, want %d→%d", d.FromQuantity, d.ToQuantity, from, to)
	}
}

func wantMoney(tb testing.TB, what string, got csp.Money, want float64) {
	tb.Helper()
	if w := eur(want); got != w {
		tb.Errorf("%s = %s, want %s", what, got, w)
	}
}

func wantDeadline(tb testing.TB, d Decision, want time.Time) {
	tb.Helper()
	if !d.Deadline.Equal(want) {
		tb.Errorf("deadline = %s, want %s", d.Deadline, want)
	}
}

func wantParam(tb testing.TB, d Decision, k, v string) {
	tb.Helper()
	if got, ok := d.Params[k]; !ok || got != v {
		tb.Errorf("param %s = %q (present %v), want %q; params %v", k, got, ok, v, d.Params)
	}
}

// codesOf lists alternative codes, in order.
func altCodes(d Decision) []Code {
	var out []Code
	for _, a := range d.Alternatives {
		out = append(out, a.Code)
	}
	return out
}

func wantAlts(tb testing.TB, d Decision, codes ...Code) {
	tb.Helper()
	if got := altCodes(d); !reflect.DeepEqual(got, codes) {
		tb.Errorf("alternatives = %v, want %v", got, codes)
	}
}

// alt returns the first alternative with that code.
func findAlt(tb testing.TB, d Decision, c Code) Alternative {
	tb.Helper()
	for _, a := range d.Alternatives {
		if a.Code == c {
			return a
		}
	}
	tb.Fatalf("no alternative %q in %v", c, altCodes(d))
	return Alternative{}
}

func warning(d Decision, c Code) (Warning, bool) {
	for _, w := range d.Warnings {
		if w.Code == c {
			return w, true
		}
	}
	return Warning{}, false
}

func wantWarning(tb testing.TB, d Decision, c Code) Warning {
	tb.Helper()
	w, ok := warning(d, c)
	if !ok {
		tb.Fatalf("no warning %q in %+v", c, d.Warnings)
	}
	return w
}

func wantNoWarning(tb testing.TB, d Decision, c Code) {
	tb.Helper()
	if _, ok := warning(d, c); ok {
		tb.Errorf("unexpected warning %q", c)
	}
}

func rfc(t time.Time) string { return t.Format(time.RFC3339) }
