package rules

import (
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

func addSeats(n int) csp.Change { return csp.Change{Kind: csp.ChangeAddSeats, Quantity: n} }

// G1: seats can be added at any time of the term.
func TestAddSeatsAnyTime(t *testing.T) {
	for _, now := range []time.Time{termStart(t), midTerm(t), termEnd(t).Add(-time.Second)} {
		d := Evaluate(input(t, baseSub(t), addSeats(2), RoleLicenceAdmin, now))
		wantAllowed(t, d)
		wantQuantities(t, d, 10, 12)
		if d.Irreversible || !d.Deadline.IsZero() || len(d.Warnings) != 0 {
			t.Errorf("at %s: %+v", now, d)
		}
	}
}

func TestAddSeatsInvalidQuantity(t *testing.T) {
	for _, n := range []int{0, -1, -10} {
		d := Evaluate(input(t, baseSub(t), addSeats(n), RoleLicenceAdmin, midTerm(t)))
		wantRefused(t, d, CodeInvalidQuantity)
		wantQuantities(t, d, 10, 10)
	}
}

func TestAddSeatsNeedsCatalogOffer(t *testing.T) {
	in := input(t, baseSub(t), addSeats(1), RoleLicenceAdmin, midTerm(t))
	in.Catalog = nil
	wantRefused(t, Evaluate(in), CodeUnknownOffer)

	s := baseSub(t)
	s.OfferID = "discontinued"
	wantRefused(t, Evaluate(input(t, s, addSeats(1), RoleLicenceAdmin, midTerm(t))), CodeUnknownOffer)
}

// Business plans are capped at 300 seats per customer for the plan,
// across all the customer's lines of that offer.
func TestAddSeatsSeatCap(t *testing.T) {
	bizStd := func(id string, q int, st csp.Status) csp.Subscription {
		s := baseSub(t)
		s.ID, s.OfferID, s.Quantity, s.Status, s.UnitPrice = id, "biz-std", q, st, eur(11.70)
		return s
	}
	s := bizStd("main", 250, csp.StatusActive)
	others := []csp.Subscription{
		bizStd("second", 40, csp.StatusActive),
		bizStd("main", 250, csp.StatusActive),         // the subject itself: not counted twice
		bizStd("old", 500, csp.StatusExpired),         // expired lines hold no seats
		bizStd("gone", 500, csp.StatusCancelled),      // nor cancelled ones
		{ID: "e3-line", OfferID: "e3", Quantity: 999}, // another offer
	}
	tests := []struct {
		add    int
		reason Code
	}{
		{add: 9},                           // 299
		{add: 10},                          // 300: at the cap
		{add: 11, reason: CodeOverSeatCap}, // 301
		{add: 100, reason: CodeOverSeatCap},
	}
	for _, tt := range tests {
		in := input(t, s, addSeats(tt.add), RoleLicenceAdmin, midTerm(t))
		in.Others = others
		d := Evaluate(in)
		if tt.reason == "" {
			wantAllowed(t, d)
			continue
		}
		wantRefused(t, d, tt.reason)
		wantParam(t, d, ParamMaxSeats, "300")
		wantQuantities(t, d, 250, 250+tt.add)
	}
	in := input(t, s, addSeats(11), RoleLicenceAdmin, midTerm(t))
	in.Others = others
	wantParam(t, Evaluate(in), ParamSeatsAfter, "301")

	// A suspended line still holds its seats.
	in = input(t, s, addSeats(10), RoleLicenceAdmin, midTerm(t))
	in.Others = append(others[:1:1], bizStd("paused", 1, csp.StatusSuspended))
	wantRefused(t, Evaluate(in), CodeOverSeatCap)

	// Offers without a cap take any number.
	big := baseSub(t)
	big.Quantity = 5000
	wantAllowed(t, Evaluate(input(t, big, addSeats(1000), RoleLicenceAdmin, midTerm(t))))
}

// Routing: a member's addition runs at once only while the added monthly
// cost is strictly under the limit (50.00 EUR by default).
func TestAddSeatsMemberLimit(t *testing.T) {
	withPrice := func(p csp.Money, billing csp.BillingCycle) csp.Subscription {
		s := baseSub(t)
		s.UnitPrice, s.Billing = p, billing
		return s
	}
	tests := []struct {
		name  string
		sub   csp.Subscription
		add   int
		role  Role
		allow bool
	}{
		{"49.99 monthly", withPrice(eur(49.99), csp.BillingMonthly), 1, RoleMember, true},
		{"50.00 monthly", withPrice(eur(25.00), csp.BillingMonthly), 2, RoleMember, false},
		{"50.01 monthly", withPrice(eur(50.01), csp.BillingMonthly), 1, RoleMember, false},
		{"2 E3 = 41.20", baseSub(t), 2, RoleMember, true},
		{"3 E3 = 61.80", baseSub(t), 3, RoleMember, false},
		// Annual billing: 599.88 a year is 49.99 a month; 600.00 is 50.00.
		{"49.99 yearly/12", withPrice(eur(599.88), csp.BillingAnnual), 1, RoleMember, true},
		{"50.00 yearly/12", withPrice(eur(600.00), csp.BillingAnnual), 1, RoleMember, false},
		// Apps for business: 105.60 a year is 8.80 a month.
		{"5 apps = 44.00", withPrice(eur(105.60), csp.BillingAnnual), 5, RoleMember, true},
		{"6 apps = 52.80", withPrice(eur(105.60), csp.BillingAnnual), 6, RoleMember, false},
		{"admin over limit", baseSub(t), 100, RoleLicenceAdmin, true},
		{"account manager over limit", baseSub(t), 100, RoleAccountManager, true},
		{"no role over limit", baseSub(t), 3, "", false},
		// Amounts in another currency are not compared: approval.
		{"USD small", withPrice(csp.NewMoney(1, "USD"), csp.BillingMonthly), 1, RoleMember, false},
		// Free seats (a trial) are under any positive limit.
		{"free", withPrice(csp.Money{}, csp.BillingMonthly), 3, RoleMember, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(input(t, tt.sub, addSeats(tt.add), tt.role, midTerm(t)))
			if tt.allow {
				wantAllowed(t, d)
			} else {
				wantApproval(t, d, RoleLicenceAdmin, CodeOverMemberLimit)
				if !d.Deadline.IsZero() {
					t.Errorf("adding seats stays legal: deadline %s", d.Deadline)
				}
			}
		})
	}
}

func TestAddSeatsMemberLimitIsConfigurable(t *testing.T) {
	in := input(t, baseSub(t), addSeats(3), RoleMember, midTerm(t))
	in.Policy.MemberAddSeatsLimit = eur(100)
	wantAllowed(t, Evaluate(in))
	in.Policy.MemberAddSeatsLimit = csp.Money{}
	in.Change = addSeats(1)
	wantApproval(t, Evaluate(in), RoleLicenceAdmin, CodeOverMemberLimit)
}

func TestAddSeatsCost(t *testing.T) {
	d := Evaluate(input(t, baseSub(t), addSeats(2), RoleLicenceAdmin, termStart(t)))
	wantMoney(t, "monthly before", d.Cost.MonthlyBefore, 206.00)
	wantMoney(t, "monthly after", d.Cost.MonthlyAfter, 247.20)
	wantMoney(t, "annual before", d.Cost.AnnualBefore, 2472.00)
	wantMoney(t, "annual after", d.Cost.AnnualAfter, 2966.40)
	// Bought on the first day: the whole term, 2 × 12 × 20.60.
	wantMoney(t, "prorated charge", d.Cost.ProratedCharge, 494.40)
	wantMoney(t, "prorated refund", d.Cost.ProratedRefund, 0)

	// Apps for business, annual term billed annually at 105.60.
	s := baseSub(t)
	s.OfferID, s.Billing, s.UnitPrice, s.Quantity = "apps-biz", csp.BillingAnnual, eur(105.60), 1
	d = Evaluate(input(t, s, addSeats(1), RoleLicenceAdmin, termStart(t)))
	wantMoney(t, "monthly before", d.Cost.MonthlyBefore, 8.80)
	wantMoney(t, "monthly after", d.Cost.MonthlyAfter, 17.60)
	wantMoney(t, "annual before", d.Cost.AnnualBefore, 105.60)
	wantMoney(t, "annual after", d.Cost.AnnualAfter, 211.20)
	wantMoney(t, "prorated charge", d.Cost.ProratedCharge, 105.60)
}

// Proration: per-seat term price × seats × days left / days in term, days
// counted as calendar dates in the customer's zone.
func TestAddSeatsProration(t *testing.T) {
	loc := paris(t)
	monthlyE3 := func(start time.Time) csp.Subscription {
		s := baseSub(t)
		s.Term, s.UnitPrice = csp.TermMonthly, eur(24.72)
		s.TermStart, s.TermEnd = start, csp.TermEnd(start, csp.TermMonthly)
		s.Lots = []csp.SeatLot{{Quantity: 10, PurchasedAt: start, RemovableUntil: start.Add(72 * time.Hour)}}
		return s
	}
	leap := baseSub(t)
	leap.TermStart = at(t, 2028, 2, 29, 0, 0, 0)
	leap.TermEnd = csp.TermEnd(leap.TermStart, csp.TermAnnual)
	if want := at(t, 2029, 2, 28, 0, 0, 0); !leap.TermEnd.Equal(want) {
		t.Fatalf("leap term end = %s, want %s", leap.TermEnd, want)
	}

	tests := []struct {
		name string
		sub  csp.Subscription
		add  int
		now  time.Time
		want float64
	}{
		// 219 of 365 days: 247.20 × 2 × 219 / 365.
		{"mid-term", baseSub(t), 2, midTerm(t), 296.64},
		// The last second of the term is on the last day: 1 day left.
		{"last second", baseSub(t), 2, termEnd(t).Add(-time.Second), 1.35},
		// Leap day start, P1Y ends 28 Feb 2029: 365 days, 183 left.
		{"leap day term", leap, 1, at(t, 2028, 8, 29, 12, 0, 0), 123.94},
		{"leap day term start", leap, 1, leap.TermStart, 247.20},
		// March 2026 has 31 dates though 743 hours; on 29 March (23
		// hours) three dates are left: 24.72 × 3 / 31.
		{"spring DST day", monthlyE3(at(t, 2026, 3, 1, 0, 0, 0)), 1, at(t, 2026, 3, 29, 0, 0, 0), 2.39},
		// 25 October 2026 has 25 hours; seven dates to 1 November.
		{"autumn DST day", monthlyE3(at(t, 2026, 10, 1, 0, 0, 0)), 1, at(t, 2026, 10, 25, 12, 0, 0), 5.58},
		// A term starting on 31 March ends 30 April (30 days); on 15
		// April half of it is left.
		{"31st to 30-day month", monthlyE3(at(t, 2026, 3, 31, 0, 0, 0)), 1, at(t, 2026, 4, 15, 9, 0, 0), 12.36},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(t, tt.sub, addSeats(tt.add), RoleLicenceAdmin, tt.now)
			in.Policy.Location = loc
			d := Evaluate(in)
			wantAllowed(t, d)
			wantMoney(t, "prorated charge", d.Cost.ProratedCharge, tt.want)
		})
	}
	if got := csp.TermEnd(at(t, 2026, 3, 31, 0, 0, 0), csp.TermMonthly); !got.Equal(at(t, 2026, 4, 30, 0, 0, 0)) {
		t.Fatalf("31 March + P1M = %s", got)
	}
}

// NCE: any mid-term change deletes the scheduled renewal changes. The bot
// warns and offers to schedule the quantity again.
func TestAddSeatsWipesScheduledRenewal(t *testing.T) {
	s := baseSub(t)
	s.Renewal = &csp.RenewalInstructions{Quantity: 8}
	d := Evaluate(input(t, s, addSeats(2), RoleLicenceAdmin, midTerm(t)))
	wantAllowed(t, d)
	w := wantWarning(t, d, CodeWipesScheduledRenewal)
	if w.Params[ParamRenewalQuantity] != "8" || w.Params[ParamSubscriptionID] != s.ID {
		t.Errorf("warning params = %v", w.Params)
	}
	a := findAlt(t, d, CodeReapplyRenewal)
	if a.Change == nil || *a.Change != (csp.Change{Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: s.ID, Quantity: 8}) {
		t.Errorf("reapply = %+v", a.Change)
	}

	// A schedule without a quantity (only a custom end) is wiped too, but
	// there is no quantity to reapply.
	end := at(t, 2027, 6, 30, 0, 0, 0)
	s.Renewal = &csp.RenewalInstructions{CustomTermEnd: &end}
	d = Evaluate(input(t, s, addSeats(2), RoleLicenceAdmin, midTerm(t)))
	w = wantWarning(t, d, CodeWipesScheduledRenewal)
	if _, ok := w.Params[ParamRenewalQuantity]; ok || len(d.Alternatives) != 0 {
		t.Errorf("unexpected reapply: %v %v", w.Params, altCodes(d))
	}

	// Nothing scheduled, nothing wiped.
	s.Renewal = &csp.RenewalInstructions{}
	wantNoWarning(t, Evaluate(input(t, s, addSeats(2), RoleLicenceAdmin, midTerm(t))), CodeWipesScheduledRenewal)
}

// G5: a trial with auto-renew on converts to paid; every change on it
// says so, and not once auto-renew is off.
func TestAddSeatsTrialWarning(t *testing.T) {
	s := baseSub(t)
	s.Trial = true
	d := Evaluate(input(t, s, addSeats(1), RoleLicenceAdmin, midTerm(t)))
	w := wantWarning(t, d, CodeTrialConverts)
	if w.Params[ParamConvertsAt] != rfc(termEnd(t)) {
		t.Errorf("converts_at = %q", w.Params[ParamConvertsAt])
	}
	s.AutoRenew = false
	wantNoWarning(t, Evaluate(input(t, s, addSeats(1), RoleLicenceAdmin, midTerm(t))), CodeTrialConverts)
}

// A trial charges nothing now: no prorated charge, and a member's
// addition is free, so it needs no approval whatever the paid price.
func TestTrialSeatsAreFreeUntilConversion(t *testing.T) {
	s := baseSub(t)
	s.Trial = true
	d := Evaluate(input(t, s, addSeats(20), RoleMember, midTerm(t)))
	if !d.Cost.ProratedCharge.IsZero() || d.Outcome != Allowed {
		t.Fatalf("charge %v, outcome %s: want nothing charged and allowed", d.Cost.ProratedCharge, d.Outcome)
	}
	if d.Cost.MonthlyAfter == d.Cost.MonthlyBefore {
		t.Fatal("the monthly cost after conversion should still be shown")
	}
	s.Trial = false
	if d := Evaluate(input(t, s, addSeats(20), RoleMember, midTerm(t))); d.Cost.ProratedCharge.IsZero() || d.Outcome == Allowed {
		t.Fatalf("paid subscription: charge %v outcome %s", d.Cost.ProratedCharge, d.Outcome)
	}
}
