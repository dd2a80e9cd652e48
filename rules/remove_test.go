package rules

import (
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

func removeSeats(n int) csp.Change { return csp.Change{Kind: csp.ChangeRemoveSeats, Quantity: n} }

// withLot adds a mid-term purchase of n seats at p, removable until
// until (zero: only the policy says).
func withLot(s csp.Subscription, n int, p, until time.Time) csp.Subscription {
	s.Quantity += n
	s.Lots = append(append([]csp.SeatLot(nil), s.Lots...), csp.SeatLot{Quantity: n, PurchasedAt: p, RemovableUntil: until})
	return s
}

// G2: the term-start seats are removable in [TermStart, TermStart+72h).
func TestRemoveSeatsTermStartWindow(t *testing.T) {
	start := termStart(t)
	closes := start.Add(72 * time.Hour)
	tests := []struct {
		name   string
		now    time.Time
		reason Code
	}{
		{"first second", start, ""},
		{"last second", closes.Add(-time.Second), ""},
		{"window closes", closes, CodeWindowClosed},
		{"mid-term", midTerm(t), CodeWindowClosed},
		{"last second of term", termEnd(t).Add(-time.Second), CodeWindowClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(input(t, baseSub(t), removeSeats(3), RoleLicenceAdmin, tt.now))
			wantQuantities(t, d, 10, 7)
			if tt.reason == "" {
				wantAllowed(t, d)
				wantDeadline(t, d, closes)
				if !d.Irreversible {
					t.Error("a removal is irreversible")
				}
				wantWarning(t, d, CodeIrreversible)
				return
			}
			wantRefused(t, d, tt.reason)
			wantParam(t, d, ParamRemovable, "0")
		})
	}
}

// G2 per purchase: seats added mid-term are removable in the window after
// they were added, not the others.
func TestRemoveSeatsMidTermLot(t *testing.T) {
	p := at(t, 2026, 6, 10, 9, 30, 0)
	closes := p.Add(72 * time.Hour)
	s := withLot(baseSub(t), 2, p, closes)
	tests := []struct {
		name   string
		now    time.Time
		remove int
		reason Code
	}{
		{"before the purchase", p.Add(-time.Second), 2, CodeWindowClosed},
		{"first second", p, 2, ""},
		{"last second", closes.Add(-time.Second), 2, ""},
		{"closed", closes, 2, CodeWindowClosed},
		{"one of two", p.Add(time.Hour), 1, ""},
		{"more than the lot", p.Add(time.Hour), 3, CodeFewerRemovable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(input(t, s, removeSeats(tt.remove), RoleLicenceAdmin, tt.now))
			wantQuantities(t, d, 12, 12-tt.remove)
			if tt.reason == "" {
				wantAllowed(t, d)
				wantDeadline(t, d, closes)
				return
			}
			wantRefused(t, d, tt.reason)
		})
	}
}

// The window is 72 real hours: across the spring change the wall clock
// shows 73 hours, across the autumn change 71.
func TestRemoveSeatsWindowAcrossDST(t *testing.T) {
	tests := []struct {
		name      string
		purchased time.Time
		closes    time.Time // wall clock, Paris
	}{
		{"spring 29 March 2026", at(t, 2026, 3, 27, 10, 0, 0), at(t, 2026, 3, 30, 11, 0, 0)},
		{"autumn 25 October 2026", at(t, 2026, 10, 23, 10, 0, 0), at(t, 2026, 10, 26, 9, 0, 0)},
	}
	for _, tt := range tests {
		if got := tt.closes.Sub(tt.purchased); got != 72*time.Hour {
			t.Fatalf("%s: fixture is %s apart", tt.name, got)
		}
		// From the portal's RemovableUntil, and from the policy alone.
		for _, until := range []time.Time{tt.closes, {}} {
			s := withLot(baseSub(t), 2, tt.purchased, until)
			name := tt.name + "/portal"
			if until.IsZero() {
				name = tt.name + "/policy"
			}
			t.Run(name, func(t *testing.T) {
				d := Evaluate(input(t, s, removeSeats(2), RoleLicenceAdmin, tt.closes.Add(-time.Second)))
				wantAllowed(t, d)
				wantDeadline(t, d, tt.closes)
				wantRefused(t, Evaluate(input(t, s, removeSeats(2), RoleLicenceAdmin, tt.closes)), CodeWindowClosed)
			})
		}
	}
}

// The policy window may be stricter than the portal's (guide 72h against
// Microsoft 168h); it never widens it.
func TestRemoveSeatsPolicyWindow(t *testing.T) {
	p := at(t, 2026, 6, 10, 9, 0, 0)
	s := withLot(baseSub(t), 2, p, p.Add(168*time.Hour))
	tests := []struct {
		window time.Duration
		now    time.Time
		ok     bool
	}{
		{DefaultRemovalWindow, p.Add(72*time.Hour - time.Second), true},
		{DefaultRemovalWindow, p.Add(72 * time.Hour), false},
		{DefaultRemovalWindow, p.Add(100 * time.Hour), false},
		{MicrosoftRemovalWindow, p.Add(100 * time.Hour), true},
		{MicrosoftRemovalWindow, p.Add(168*time.Hour - time.Second), true},
		{MicrosoftRemovalWindow, p.Add(168 * time.Hour), false},
		{240 * time.Hour, p.Add(200 * time.Hour), false}, // the portal's limit holds
		{0, p.Add(167 * time.Hour), true},                // no policy: the portal decides
	}
	for _, tt := range tests {
		in := input(t, s, removeSeats(2), RoleLicenceAdmin, tt.now)
		in.Policy.RemovalWindow = tt.window
		d := Evaluate(in)
		if tt.ok != (d.Outcome == Allowed) {
			t.Errorf("window %s at +%s: %s/%s", tt.window, tt.now.Sub(p), d.Outcome, d.Reason)
		}
	}
	// No limit from either side: never removable.
	bare := withLot(baseSub(t), 2, p, time.Time{})
	in := input(t, bare, removeSeats(2), RoleLicenceAdmin, p.Add(time.Minute))
	in.Policy.RemovalWindow = 0
	wantRefused(t, Evaluate(in), CodeWindowClosed)
}

// Refused removals offer the legal ways: schedule the renewal at the
// quantity asked for, and a reminder when the window opens.
func TestRemoveSeatsRefusedAlternatives(t *testing.T) {
	s := baseSub(t)
	d := Evaluate(input(t, s, removeSeats(3), RoleMember, midTerm(t)))
	wantRefused(t, d, CodeWindowClosed)
	wantAlts(t, d, CodeScheduleRenewal, CodeRemindWindowOpens)
	sched := findAlt(t, d, CodeScheduleRenewal)
	if *sched.Change != (csp.Change{Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: s.ID, Quantity: 7}) {
		t.Errorf("schedule = %+v", *sched.Change)
	}
	remind := findAlt(t, d, CodeRemindWindowOpens)
	if remind.Change != nil || !remind.At.Equal(termEnd(t)) {
		t.Errorf("remind = %+v, want at %s", remind, termEnd(t))
	}
	wantParam(t, d, ParamWindowOpensAt, "2027-01-15T00:00:00+01:00")
	wantParam(t, d, ParamCommitmentDate, "2027-01-14")

	// Some seats removable: offer those too.
	p := at(t, 2026, 6, 10, 9, 0, 0)
	s2 := withLot(s, 2, p, p.Add(72*time.Hour))
	d = Evaluate(input(t, s2, removeSeats(3), RoleMember, p.Add(time.Hour)))
	wantRefused(t, d, CodeFewerRemovable)
	wantParam(t, d, ParamRemovable, "2")
	wantAlts(t, d, CodeRemoveRemovableSeats, CodeScheduleRenewal, CodeRemindWindowOpens)
	if c := findAlt(t, d, CodeRemoveRemovableSeats).Change; c.Quantity != 2 || c.Kind != csp.ChangeRemoveSeats || c.SubscriptionID != s.ID {
		t.Errorf("remove removable = %+v", c)
	}
	if c := findAlt(t, d, CodeScheduleRenewal).Change; c.Quantity != 9 {
		t.Errorf("schedule %d, want 12-3 = 9", c.Quantity)
	}

	// A smaller renewal already scheduled: scheduling 7 would raise it.
	s3 := baseSub(t)
	s3.Renewal = &csp.RenewalInstructions{Quantity: 5}
	d = Evaluate(input(t, s3, removeSeats(3), RoleMember, midTerm(t)))
	wantAlts(t, d, CodeRemindWindowOpens)
	s3.Renewal.Quantity = 7
	wantAlts(t, Evaluate(input(t, s3, removeSeats(3), RoleMember, midTerm(t))), CodeRemindWindowOpens)
	s3.Renewal.Quantity = 8
	wantAlts(t, Evaluate(input(t, s3, removeSeats(3), RoleMember, midTerm(t))), CodeScheduleRenewal, CodeRemindWindowOpens)

	// Auto-renew off: the subscription expires, no window will open.
	s4 := baseSub(t)
	s4.AutoRenew = false
	d = Evaluate(input(t, s4, removeSeats(3), RoleMember, midTerm(t)))
	wantRefused(t, d, CodeWindowClosed)
	wantAlts(t, d)
	wantParam(t, d, ParamExpiresAt, rfc(termEnd(t)))
	if _, ok := d.Params[ParamWindowOpensAt]; ok {
		t.Error("no window opens for an expiring subscription")
	}
}

// Portals give instants in UTC; dates and params are in the customer's
// zone: 23:00 UTC on 14 January is midnight on the 15th in Paris, so the
// commitment date is the 14th.
func TestRemoveSeatsParamsInCustomerZone(t *testing.T) {
	s := baseSub(t)
	s.TermStart, s.TermEnd = s.TermStart.UTC(), s.TermEnd.UTC()
	for i := range s.Lots {
		s.Lots[i].PurchasedAt, s.Lots[i].RemovableUntil = s.Lots[i].PurchasedAt.UTC(), s.Lots[i].RemovableUntil.UTC()
	}
	d := Evaluate(input(t, s, removeSeats(3), RoleMember, midTerm(t).UTC()))
	wantRefused(t, d, CodeWindowClosed)
	wantParam(t, d, ParamWindowOpensAt, "2027-01-15T00:00:00+01:00")
	wantParam(t, d, ParamCommitmentDate, "2027-01-14")
}

// A term ending on the 31st is followed by a 30-day month: the reminder
// is at the real end of the term.
func TestRemoveSeatsReminderAfterShortMonth(t *testing.T) {
	s := baseSub(t)
	s.Term, s.UnitPrice = csp.TermMonthly, eur(24.72)
	s.TermStart = at(t, 2026, 3, 31, 0, 0, 0)
	s.TermEnd = csp.TermEnd(s.TermStart, csp.TermMonthly)
	s.Lots = []csp.SeatLot{{Quantity: 10, PurchasedAt: s.TermStart, RemovableUntil: s.TermStart.Add(72 * time.Hour)}}
	d := Evaluate(input(t, s, removeSeats(1), RoleLicenceAdmin, at(t, 2026, 4, 10, 0, 0, 0)))
	wantRefused(t, d, CodeWindowClosed)
	if a := findAlt(t, d, CodeRemindWindowOpens); !a.At.Equal(at(t, 2026, 4, 30, 0, 0, 0)) {
		t.Errorf("remind at %s, want 30 April", a.At)
	}
	wantParam(t, d, ParamCommitmentDate, "2026-04-29")
}

func TestRemoveSeatsQuantity(t *testing.T) {
	start := termStart(t)
	tests := []struct {
		name   string
		remove int
		now    time.Time
		auto   bool
		reason Code
		to     int
		alts   []Code
	}{
		{"zero", 0, start, true, CodeInvalidQuantity, 10, nil},
		{"negative", -2, start, true, CodeInvalidQuantity, 10, nil},
		{"leaves one", 9, start, true, "", 1, nil},
		{"all, in window", 10, start, true, CodeQuantityBelowOne, 0, []Code{CodeCancelNow, CodeTurnOffAutoRenew}},
		{"more than all", 11, start, true, CodeQuantityBelowOne, 0, []Code{CodeCancelNow, CodeTurnOffAutoRenew}},
		{"all, mid-term", 10, midTerm(t), true, CodeQuantityBelowOne, 0, []Code{CodeTurnOffAutoRenew}},
		{"all, auto-renew off", 10, midTerm(t), false, CodeQuantityBelowOne, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSub(t)
			s.AutoRenew = tt.auto
			d := Evaluate(input(t, s, removeSeats(tt.remove), RoleLicenceAdmin, tt.now))
			wantQuantities(t, d, 10, tt.to)
			if tt.reason == "" {
				wantAllowed(t, d)
				return
			}
			wantRefused(t, d, tt.reason)
			wantAlts(t, d, tt.alts...)
		})
	}
}

// Routing: licence admins (and account managers) remove at once; members
// need a licence admin before the window closes.
func TestRemoveSeatsRouting(t *testing.T) {
	start := termStart(t)
	closes := start.Add(72 * time.Hour)
	for _, r := range []Role{RoleLicenceAdmin, RoleAccountManager} {
		wantAllowed(t, Evaluate(input(t, baseSub(t), removeSeats(2), r, start.Add(time.Hour))))
	}
	d := Evaluate(input(t, baseSub(t), removeSeats(2), RoleMember, start.Add(time.Hour)))
	wantApproval(t, d, RoleLicenceAdmin, CodeNeedsLicenceAdmin)
	wantDeadline(t, d, closes)
	wantNoWarning(t, d, CodeApprovalDeadlineNear)

	// Within ApprovalLead (12h) of the deadline the user is told.
	d = Evaluate(input(t, baseSub(t), removeSeats(2), RoleMember, closes.Add(-12*time.Hour)))
	w := wantWarning(t, d, CodeApprovalDeadlineNear)
	if w.Params[ParamDeadline] != rfc(closes) {
		t.Errorf("deadline param = %q", w.Params[ParamDeadline])
	}
	d = Evaluate(input(t, baseSub(t), removeSeats(2), RoleMember, closes.Add(-12*time.Hour-time.Second)))
	wantNoWarning(t, d, CodeApprovalDeadlineNear)
	// Allowed changes need no approval, so no such warning.
	d = Evaluate(input(t, baseSub(t), removeSeats(2), RoleLicenceAdmin, closes.Add(-time.Hour)))
	wantNoWarning(t, d, CodeApprovalDeadlineNear)
}

// With several lots open, seats come from those that stay open longest:
// the deadline is when fewer than the asked seats remain removable.
func TestRemoveSeatsDeadlineAcrossLots(t *testing.T) {
	p1 := at(t, 2026, 6, 10, 9, 0, 0)
	p2 := at(t, 2026, 6, 11, 9, 0, 0)
	s := withLot(withLot(baseSub(t), 2, p1, p1.Add(72*time.Hour)), 3, p2, p2.Add(72*time.Hour))
	now := p2.Add(time.Hour)
	for _, tt := range []struct {
		n    int
		want time.Time
	}{{1, p2.Add(72 * time.Hour)}, {3, p2.Add(72 * time.Hour)}, {4, p1.Add(72 * time.Hour)}, {5, p1.Add(72 * time.Hour)}} {
		d := Evaluate(input(t, s, removeSeats(tt.n), RoleMember, now))
		wantApproval(t, d, RoleLicenceAdmin, CodeNeedsLicenceAdmin)
		wantDeadline(t, d, tt.want)
	}
	wantRefused(t, Evaluate(input(t, s, removeSeats(6), RoleMember, now)), CodeFewerRemovable)
	// After the first lot's window, only the second's 3 seats remain.
	wantRefused(t, Evaluate(input(t, s, removeSeats(4), RoleMember, p1.Add(72*time.Hour))), CodeFewerRemovable)
}

func TestRemoveSeatsRefund(t *testing.T) {
	// On the term's first day: the whole term back, 2 × 12 × 20.60.
	d := Evaluate(input(t, baseSub(t), removeSeats(2), RoleLicenceAdmin, termStart(t).Add(time.Hour)))
	wantMoney(t, "refund", d.Cost.ProratedRefund, 494.40)
	wantMoney(t, "charge", d.Cost.ProratedCharge, 0)
	wantMoney(t, "monthly before", d.Cost.MonthlyBefore, 206.00)
	wantMoney(t, "monthly after", d.Cost.MonthlyAfter, 164.80)
	wantMoney(t, "annual after", d.Cost.AnnualAfter, 1977.60)

	// Seats bought and removed on 10 June: 219 of 365 days left.
	p := midTerm(t)
	s := withLot(baseSub(t), 2, p, p.Add(72*time.Hour))
	d = Evaluate(input(t, s, removeSeats(2), RoleLicenceAdmin, p.Add(time.Hour)))
	wantMoney(t, "refund", d.Cost.ProratedRefund, 296.64)
}

func TestRemoveSeatsWipesScheduledRenewal(t *testing.T) {
	s := baseSub(t)
	s.Renewal = &csp.RenewalInstructions{Quantity: 8}
	d := Evaluate(input(t, s, removeSeats(1), RoleLicenceAdmin, termStart(t)))
	wantAllowed(t, d)
	wantWarning(t, d, CodeWipesScheduledRenewal)
	wantAlts(t, d, CodeReapplyRenewal)
}
