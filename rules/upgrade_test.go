package rules

import (
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

func upgradeTo(offer string, n int) csp.Change {
	return csp.Change{Kind: csp.ChangeUpgrade, TargetOfferID: offer, Quantity: n}
}

func mergeInto(offer string, n int, line string) csp.Change {
	return csp.Change{Kind: csp.ChangeUpgrade, TargetOfferID: offer, Quantity: n, TargetSubscriptionID: line}
}

// offerSub is the base subscription moved to another offer and price.
func offerSub(tb testing.TB, offer string, price float64) csp.Subscription {
	s := baseSub(tb)
	s.ID, s.OfferID, s.UnitPrice = "sub-"+offer, offer, eur(price)
	return s
}

// line is an existing E3 line of 5 seats with the base term, outside its
// cancellation window at midTerm.
func line(tb testing.TB, id string) csp.Subscription {
	s := offerSub(tb, "e3", 20.60)
	s.ID, s.Quantity = id, 5
	s.Lots[0].Quantity = 5
	return s
}

// G6: every ladder of licence-rules.md, one step and two.
func TestUpgradeLadders(t *testing.T) {
	tests := []struct{ from, to string }{
		{"biz-basic", "biz-std"}, {"biz-basic", "biz-prem"}, {"biz-std", "biz-prem"},
		{"apps-biz", "apps-ent"},
		{"e1", "e3"}, {"e1", "e5"}, {"e3", "e5"},
		{"m365-e3", "m365-e5"},
		{"f1", "f3"},
		{"exo-1", "exo-2"},
	}
	cat := testCatalog(t)
	for _, tt := range tests {
		t.Run(tt.from+"→"+tt.to, func(t *testing.T) {
			o, _ := cat.Offer(tt.from)
			s := offerSub(t, tt.from, o.Prices[0].Unit.Float())
			s.Billing = o.Prices[0].Billing
			d := Evaluate(input(t, s, upgradeTo(tt.to, 0), RoleMember, midTerm(t)))
			wantApproval(t, d, RoleAccountManager, CodeUpgradeNeedsAccountManager)
		})
	}
}

// G7: always the account manager, irreversible; at any time of the year.
func TestUpgradeRoutingAndCost(t *testing.T) {
	s := offerSub(t, "e1", 7.00)
	for _, r := range []Role{RoleMember, RoleLicenceAdmin, RoleAccountManager} {
		for _, now := range []time.Time{termStart(t), midTerm(t), termEnd(t).Add(-time.Second)} {
			d := Evaluate(input(t, s, upgradeTo("e3", 0), r, now))
			wantApproval(t, d, RoleAccountManager, CodeUpgradeNeedsAccountManager)
			if !d.Irreversible {
				t.Fatal("an upgrade is irreversible")
			}
			wantWarning(t, d, CodeIrreversible)
			if !d.Deadline.IsZero() {
				t.Errorf("an upgrade stays legal: deadline %s", d.Deadline)
			}
		}
	}
	// All seats (0) on the first day of the term.
	d := Evaluate(input(t, s, upgradeTo("e3", 0), RoleMember, termStart(t)))
	wantQuantities(t, d, 10, 0)
	wantMoney(t, "monthly before", d.Cost.MonthlyBefore, 70.00)
	wantMoney(t, "monthly after", d.Cost.MonthlyAfter, 206.00)
	wantMoney(t, "annual before", d.Cost.AnnualBefore, 840.00)
	wantMoney(t, "annual after", d.Cost.AnnualAfter, 2472.00)
	wantMoney(t, "charge", d.Cost.ProratedCharge, 2472.00)
	wantMoney(t, "refund", d.Cost.ProratedRefund, 840.00)
	// A new line gets the seats that move: shown as "0 → 10", never
	// "0 → 0" (a bug people saw in previews and approval cards).
	if d.TargetFrom != 0 || d.TargetTo != 10 {
		t.Errorf("new line %d→%d, want 0→10", d.TargetFrom, d.TargetTo)
	}
	// 3 seats on 10 June: 219/365 = 0.6 of the term is left.
	d = Evaluate(input(t, s, upgradeTo("e3", 3), RoleMember, midTerm(t)))
	wantQuantities(t, d, 10, 7)
	wantMoney(t, "monthly after", d.Cost.MonthlyAfter, 49.00+61.80)
	wantMoney(t, "charge", d.Cost.ProratedCharge, 444.96)
	wantMoney(t, "refund", d.Cost.ProratedRefund, 151.20)
}

func TestUpgradeQuantity(t *testing.T) {
	s := offerSub(t, "e1", 7.00)
	tests := []struct {
		n      int
		reason Code
		to     int
	}{
		{0, "", 0},
		{1, "", 9},
		{10, "", 0},
		{11, CodeQuantityAboveCurrent, 10},
		{-1, CodeInvalidQuantity, 10},
	}
	for _, tt := range tests {
		d := Evaluate(input(t, s, upgradeTo("e3", tt.n), RoleMember, midTerm(t)))
		wantQuantities(t, d, 10, tt.to)
		if tt.reason == "" {
			wantApproval(t, d, RoleAccountManager, CodeUpgradeNeedsAccountManager)
		} else {
			wantRefused(t, d, tt.reason)
		}
	}
}

// G6 refusals: other segment, not higher, no path, unknown; each offers
// the eligible targets instead.
func TestUpgradeRefusals(t *testing.T) {
	e1Monthly := offerSub(t, "e1", 8.40)
	e1Monthly.Term = csp.TermMonthly
	e1Monthly.TermStart = at(t, 2026, 6, 1, 0, 0, 0)
	e1Monthly.TermEnd = csp.TermEnd(e1Monthly.TermStart, csp.TermMonthly)
	tests := []struct {
		name   string
		sub    csp.Subscription
		target string
		reason Code
		alts   []string // offers of upgrade_to alternatives
	}{
		{"Standard → E3", offerSub(t, "biz-std", 11.70), "e3", CodeCrossSegmentUpgrade, []string{"biz-prem"}},
		{"Basic → Apps", offerSub(t, "biz-basic", 5.60), "apps-ent", CodeCrossSegmentUpgrade, []string{"biz-std", "biz-prem"}},
		{"E5 → Premium", offerSub(t, "e5", 35.70), "biz-prem", CodeCrossSegmentUpgrade, nil},
		{"E3 → E1", offerSub(t, "e3", 20.60), "e1", CodeNotHigherTier, []string{"e5"}},
		{"E3 → E3", offerSub(t, "e3", 20.60), "e3", CodeNotHigherTier, []string{"e5"}},
		{"E5 → E3", offerSub(t, "e5", 35.70), "e3", CodeNotHigherTier, nil},
		{"Teams → E3", offerSub(t, "teams-ess", 4.00), "e3", CodeNoUpgradePath, nil},
		{"Teams → Teams", offerSub(t, "teams-ess", 4.00), "teams-ess", CodeNoUpgradePath, nil},
		{"E5 → nothing", offerSub(t, "e5", 35.70), "", CodeNoUpgradePath, nil},
		{"E1 → nothing", offerSub(t, "e1", 7.00), "", CodeUnknownTargetOffer, []string{"e3", "e5"}},
		{"E1 → bogus", offerSub(t, "e1", 7.00), "bogus", CodeUnknownTargetOffer, []string{"e3", "e5"}},
		{"unknown source", offerSub(t, "legacy", 1.00), "e3", CodeUnknownOffer, nil},
		// E5 is not sold monthly: a new line could not keep the end date.
		{"E1 monthly → E5", e1Monthly, "e5", CodeTargetTermUnavailable, nil},
		{"E1 monthly → nothing", e1Monthly, "", CodeUnknownTargetOffer, []string{"e3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(input(t, tt.sub, upgradeTo(tt.target, 4), RoleAccountManager, midTerm(t)))
			wantRefused(t, d, tt.reason)
			var got []string
			for _, a := range d.Alternatives {
				if a.Code != CodeUpgradeTo {
					t.Errorf("alternative %q", a.Code)
					continue
				}
				want := csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: tt.sub.ID, Quantity: 4, TargetOfferID: a.Change.TargetOfferID}
				if *a.Change != want {
					t.Errorf("alternative change = %+v", *a.Change)
				}
				got = append(got, a.Change.TargetOfferID)
			}
			if len(got) != len(tt.alts) {
				t.Fatalf("upgrade_to %v, want %v", got, tt.alts)
			}
			for i := range got {
				if got[i] != tt.alts[i] {
					t.Fatalf("upgrade_to %v, want %v", got, tt.alts)
				}
			}
		})
	}
	in := input(t, offerSub(t, "e1", 7.00), upgradeTo("e3", 0), RoleAccountManager, midTerm(t))
	in.Catalog = nil
	wantRefused(t, Evaluate(in), CodeUnknownOffer)
}

// G8: merging into an existing line of the target offer.
func TestUpgradeMerge(t *testing.T) {
	s := offerSub(t, "e1", 7.00)
	in := input(t, s, mergeInto("e3", 0, "l1"), RoleMember, midTerm(t))
	in.Others = []csp.Subscription{line(t, "l1")}
	d := Evaluate(in)
	wantApproval(t, d, RoleAccountManager, CodeUpgradeNeedsAccountManager)
	wantQuantities(t, d, 10, 0)
	if d.TargetFrom != 5 || d.TargetTo != 15 {
		t.Errorf("target %d→%d, want 5→15", d.TargetFrom, d.TargetTo)
	}
	wantMoney(t, "monthly before", d.Cost.MonthlyBefore, 70.00+103.00)
	wantMoney(t, "monthly after", d.Cost.MonthlyAfter, 309.00)
	wantMoney(t, "annual after", d.Cost.AnnualAfter, 3708.00)
	wantAlts(t, d) // merging already: nothing to suggest

	// The moved seats are charged to the end of the line they join: a
	// line running 1 March 2026 → 1 March 2027 has 264 of 365 days left
	// on 10 June. The source's refund still follows its own term.
	later := line(t, "l1")
	later.TermStart, later.TermEnd = at(t, 2026, 3, 1, 0, 0, 0), at(t, 2027, 3, 1, 0, 0, 0)
	later.Lots[0].PurchasedAt, later.Lots[0].RemovableUntil = later.TermStart, later.TermStart.Add(72*time.Hour)
	in.Others = []csp.Subscription{later}
	d = Evaluate(in)
	wantApproval(t, d, RoleAccountManager, CodeUpgradeNeedsAccountManager)
	wantMoney(t, "charge", d.Cost.ProratedCharge, 1787.97)
	wantMoney(t, "refund", d.Cost.ProratedRefund, 504.00)

	in.Others = []csp.Subscription{line(t, "l1")}
	in.Change = mergeInto("e3", 3, "l1")
	in.Change.SubscriptionID = s.ID
	d = Evaluate(in)
	wantQuantities(t, d, 10, 7)
	if d.TargetFrom != 5 || d.TargetTo != 8 {
		t.Errorf("target %d→%d, want 5→8", d.TargetFrom, d.TargetTo)
	}
}

// Every merge-target rule, on both sides.
func TestUpgradeMergeTargetRules(t *testing.T) {
	now := midTerm(t)
	src := offerSub(t, "e1", 7.00)
	srcLate := src // ends at 10:00 on 15 January 2027
	srcLate.TermEnd = at(t, 2027, 1, 15, 10, 0, 0)

	mod := func(f func(*csp.Subscription)) csp.Subscription {
		l := line(t, "l1")
		f(&l)
		return l
	}
	// A line bought an hour ago is inside its own cancellation window
	// until 72 hours after its start.
	fresh := func(l *csp.Subscription) {
		l.TermStart = now.Add(-time.Hour)
		l.TermEnd = csp.TermEnd(l.TermStart, csp.TermAnnual)
		l.Lots = []csp.SeatLot{{Quantity: 5, PurchasedAt: l.TermStart, RemovableUntil: l.TermStart.Add(72 * time.Hour)}}
	}
	tests := []struct {
		name   string
		src    csp.Subscription
		line   csp.Subscription
		now    time.Time
		target string // merge line id asked for
		reason Code
	}{
		{"same end", src, line(t, "l1"), now, "l1", ""},
		{"ends later", src, mod(func(l *csp.Subscription) { l.TermEnd = at(t, 2027, 6, 30, 0, 0, 0) }), now, "l1", ""},
		{"ends a day earlier", src, mod(func(l *csp.Subscription) { l.TermEnd = at(t, 2027, 1, 14, 0, 0, 0) }), now, "l1", CodeMergeTargetEndsEarlier},
		{"ends an hour earlier, day before", src, mod(func(l *csp.Subscription) { l.TermEnd = at(t, 2027, 1, 14, 23, 0, 0) }), now, "l1", CodeMergeTargetEndsEarlier},
		{"ends earlier the same day", srcLate, line(t, "l1"), now, "l1", ""},
		{"suspended", src, mod(func(l *csp.Subscription) { l.Status = csp.StatusSuspended }), now, "l1", CodeMergeTargetNotActive},
		{"pending", src, mod(func(l *csp.Subscription) { l.Status = csp.StatusPending }), now, "l1", CodeMergeTargetNotActive},
		{"a trial", src, mod(func(l *csp.Subscription) { l.Trial = true }), now, "l1", CodeMergeTargetTrial},
		{"in its window", src, mod(fresh), now, "l1", CodeMergeTargetInWindow},
		{"its window last second", src, mod(fresh), now.Add(71*time.Hour - time.Second), "l1", CodeMergeTargetInWindow},
		{"its window closed", src, mod(fresh), now.Add(71 * time.Hour), "l1", ""},
		// The portal's date counts, even when shorter than the lot's.
		{"in its portal window", src, mod(func(l *csp.Subscription) {
			fresh(l)
			u := l.TermStart.Add(24 * time.Hour)
			l.CancellationAllowedUntil = &u
		}), now.Add(23*time.Hour - time.Second), "l1", CodeMergeTargetInWindow},
		{"its portal window closed", src, mod(func(l *csp.Subscription) {
			fresh(l)
			u := l.TermStart.Add(24 * time.Hour)
			l.CancellationAllowedUntil = &u
		}), now.Add(23 * time.Hour), "l1", ""},
		{"monthly term", src, mod(func(l *csp.Subscription) {
			l.Term, l.TermEnd = csp.TermMonthly, at(t, 2027, 2, 1, 0, 0, 0)
		}), now, "l1", CodeMergeTargetTermShorter},
		{"triennial term", src, mod(func(l *csp.Subscription) {
			l.Term, l.TermEnd = csp.TermTriennial, at(t, 2029, 1, 15, 0, 0, 0)
		}), now, "l1", ""},
		{"wrong offer", src, mod(func(l *csp.Subscription) { l.OfferID = "e5" }), now, "l1", CodeMergeTargetWrongOffer},
		{"unknown line", src, line(t, "l1"), now, "l2", CodeMergeTargetNotFound},
		{"itself", src, line(t, "l1"), now, src.ID, CodeMergeTargetNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(t, tt.src, mergeInto("e3", 0, tt.target), RoleMember, tt.now)
			in.Others = []csp.Subscription{tt.line}
			d := Evaluate(in)
			if tt.reason == "" {
				wantApproval(t, d, RoleAccountManager, CodeUpgradeNeedsAccountManager)
				return
			}
			wantRefused(t, d, tt.reason)
			wantParam(t, d, ParamSubscriptionID, tt.target)
			// A new line is always the fallback; the line asked for is
			// offered only when it was not the one refused.
			if tt.reason == CodeMergeTargetNotFound {
				wantAlts(t, d, CodeUpgradeNewLine, CodeMergeInto)
			} else {
				wantAlts(t, d, CodeUpgradeNewLine)
			}
			if c := d.Alternatives[0].Change; *c != (csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: tt.src.ID, TargetOfferID: "e3"}) {
				t.Errorf("new line = %+v", *c)
			}
		})
	}
}

// The guide prefers merging: a refused merge and a new-line upgrade both
// list the lines that would accept the seats.
func TestUpgradeMergeAlternatives(t *testing.T) {
	bad := line(t, "bad")
	bad.Status = csp.StatusSuspended
	good := line(t, "good")
	early := line(t, "early")
	early.TermEnd = at(t, 2026, 12, 1, 0, 0, 0)
	others := []csp.Subscription{bad, early, good, offerSub(t, "e5", 35.70)}

	in := input(t, offerSub(t, "e1", 7.00), mergeInto("e3", 2, "bad"), RoleMember, midTerm(t))
	in.Others = others
	d := Evaluate(in)
	wantRefused(t, d, CodeMergeTargetNotActive)
	wantParam(t, d, ParamStatus, "suspended")
	wantAlts(t, d, CodeUpgradeNewLine, CodeMergeInto)
	if c := findAlt(t, d, CodeMergeInto).Change; c.TargetSubscriptionID != "good" || c.Quantity != 2 || c.TargetOfferID != "e3" {
		t.Errorf("merge into = %+v", c)
	}

	in.Change = upgradeTo("e3", 2)
	d = Evaluate(in)
	wantApproval(t, d, RoleAccountManager, CodeUpgradeNeedsAccountManager)
	wantAlts(t, d, CodeMergeInto)

	in.Others = []csp.Subscription{bad, early}
	wantAlts(t, Evaluate(in))
}

// The seat cap counts the target offer across the customer.
func TestUpgradeSeatCap(t *testing.T) {
	src := offerSub(t, "biz-std", 11.70) // 10 seats
	prem := func(id string, q int) csp.Subscription {
		s := offerSub(t, "biz-prem", 20.60)
		s.ID, s.Quantity = id, q
		return s
	}
	for _, tt := range []struct {
		held   int
		n      int
		merge  string
		reason Code
	}{
		{290, 0, "", ""},
		{291, 0, "", CodeOverSeatCap},
		{291, 9, "", ""},
		{290, 0, "p1", ""},
		{291, 0, "p1", CodeOverSeatCap},
	} {
		in := input(t, src, mergeInto("biz-prem", tt.n, tt.merge), RoleMember, midTerm(t))
		in.Others = []csp.Subscription{prem("p1", tt.held-100), prem("p2", 100), src}
		d := Evaluate(in)
		if tt.reason == "" {
			wantApproval(t, d, RoleAccountManager, CodeUpgradeNeedsAccountManager)
			continue
		}
		wantRefused(t, d, tt.reason)
		wantParam(t, d, ParamSeatsAfter, "301")
		wantAlts(t, d)
	}
	// A refused merge does not suggest a new line that would break the
	// cap either.
	in := input(t, src, mergeInto("biz-prem", 0, "p9"), RoleMember, midTerm(t))
	in.Others = []csp.Subscription{prem("p1", 191), prem("p2", 100)}
	wantRefused(t, Evaluate(in), CodeMergeTargetNotFound)
	wantAlts(t, Evaluate(in))
	in.Others[0].Quantity = 190
	wantAlts(t, Evaluate(in), CodeUpgradeNewLine, CodeMergeInto, CodeMergeInto)
}

func TestUpgradeWipesScheduledRenewals(t *testing.T) {
	s := offerSub(t, "e1", 7.00)
	s.Renewal = &csp.RenewalInstructions{Quantity: 8}
	d := Evaluate(input(t, s, upgradeTo("e3", 3), RoleMember, midTerm(t)))
	wantWarning(t, d, CodeWipesScheduledRenewal)
	if c := findAlt(t, d, CodeReapplyRenewal).Change; c.SubscriptionID != s.ID || c.Quantity != 8 {
		t.Errorf("reapply = %+v", c)
	}
	// All seats leave: nothing to reapply on the source.
	d = Evaluate(input(t, s, upgradeTo("e3", 0), RoleMember, midTerm(t)))
	wantWarning(t, d, CodeWipesScheduledRenewal)
	wantAlts(t, d)

	// The merge line's schedule is wiped too: adding seats to it is a
	// mid-term change.
	l := line(t, "l1")
	l.Renewal = &csp.RenewalInstructions{Quantity: 4}
	in := input(t, offerSub(t, "e1", 7.00), mergeInto("e3", 0, "l1"), RoleMember, midTerm(t))
	in.Others = []csp.Subscription{l}
	d = Evaluate(in)
	w := wantWarning(t, d, CodeWipesScheduledRenewal)
	if w.Params[ParamSubscriptionID] != "l1" || w.Params[ParamRenewalQuantity] != "4" {
		t.Errorf("warning params = %v", w.Params)
	}
	if c := findAlt(t, d, CodeReapplyRenewal).Change; c.SubscriptionID != "l1" || c.Quantity != 4 {
		t.Errorf("reapply = %+v", c)
	}
}
