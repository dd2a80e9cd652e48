package rules

import (
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

func renewalQty(n int) csp.Change { return csp.Change{Kind: csp.ChangeSetRenewalQuantity, Quantity: n} }

// G3: the renewal quantity can be scheduled at any time before term end,
// with auto-renew on.
func TestSetRenewalQuantity(t *testing.T) {
	scheduled := func(q int) csp.Subscription {
		s := baseSub(t)
		s.Renewal = &csp.RenewalInstructions{Quantity: q}
		return s
	}
	noAuto := baseSub(t)
	noAuto.AutoRenew = false
	tests := []struct {
		name     string
		sub      csp.Subscription
		q        int
		reason   Code
		from, to int
		alts     []Code
	}{
		{"reduce", baseSub(t), 8, "", 10, 8, nil},
		{"to one", baseSub(t), 1, "", 10, 1, nil},
		{"raise", baseSub(t), 12, "", 10, 12, nil},
		{"same as quantity", baseSub(t), 10, CodeNothingToChange, 10, 10, nil},
		{"same as scheduled", scheduled(8), 8, CodeNothingToChange, 8, 8, nil},
		{"back to quantity", scheduled(8), 10, "", 8, 10, nil},
		{"zero", baseSub(t), 0, CodeQuantityBelowOne, 10, 0, []Code{CodeTurnOffAutoRenew}},
		{"negative", baseSub(t), -1, CodeInvalidQuantity, 10, 10, nil},
		{"auto-renew off", noAuto, 8, CodeNeedsAutoRenew, 10, 8, []Code{CodeTurnOnAutoRenew}},
		{"zero, auto-renew off", noAuto, 0, CodeQuantityBelowOne, 10, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(input(t, tt.sub, renewalQty(tt.q), RoleLicenceAdmin, midTerm(t)))
			wantQuantities(t, d, tt.from, tt.to)
			if tt.reason == "" {
				wantAllowed(t, d)
				wantDeadline(t, d, termEnd(t))
				if d.Irreversible {
					t.Error("a renewal quantity can be changed again")
				}
				return
			}
			wantRefused(t, d, tt.reason)
			wantAlts(t, d, tt.alts...)
		})
	}
	d := Evaluate(input(t, noAuto, renewalQty(8), RoleLicenceAdmin, midTerm(t)))
	if c := d.Alternatives[0].Change; *c != (csp.Change{Kind: csp.ChangeAutoRenewOn, SubscriptionID: noAuto.ID}) {
		t.Errorf("turn on = %+v", c)
	}
	d = Evaluate(input(t, scheduled(8), renewalQty(8), RoleLicenceAdmin, midTerm(t)))
	wantParam(t, d, ParamRenewalQuantity, "8")
	// Inside the cancellation window, zero seats can also be a cancel.
	d = Evaluate(input(t, baseSub(t), renewalQty(0), RoleLicenceAdmin, termStart(t)))
	wantAlts(t, d, CodeCancelNow, CodeTurnOffAutoRenew)
}

func TestSetRenewalQuantityRoutingAndCost(t *testing.T) {
	for _, r := range []Role{RoleLicenceAdmin, RoleAccountManager} {
		wantAllowed(t, Evaluate(input(t, baseSub(t), renewalQty(8), r, midTerm(t))))
	}
	d := Evaluate(input(t, baseSub(t), renewalQty(8), RoleMember, midTerm(t)))
	wantApproval(t, d, RoleLicenceAdmin, CodeNeedsLicenceAdmin)
	wantDeadline(t, d, termEnd(t))
	wantMoney(t, "monthly before", d.Cost.MonthlyBefore, 206.00)
	wantMoney(t, "monthly after", d.Cost.MonthlyAfter, 164.80)
	wantMoney(t, "annual before", d.Cost.AnnualBefore, 2472.00)
	wantMoney(t, "annual after", d.Cost.AnnualAfter, 1977.60)
	wantMoney(t, "charge", d.Cost.ProratedCharge, 0)
	wantMoney(t, "refund", d.Cost.ProratedRefund, 0)
	// A renewal instruction does not wipe itself.
	wantNoWarning(t, d, CodeWipesScheduledRenewal)

	// Approval deadline near: 12 hours before term end.
	d = Evaluate(input(t, baseSub(t), renewalQty(8), RoleMember, termEnd(t).Add(-12*time.Hour)))
	wantWarning(t, d, CodeApprovalDeadlineNear)
	d = Evaluate(input(t, baseSub(t), renewalQty(8), RoleMember, termEnd(t).Add(-12*time.Hour-time.Second)))
	wantNoWarning(t, d, CodeApprovalDeadlineNear)
}

// The seat cap applies to renewal increases only: a customer over the
// cap can always reduce.
func TestSetRenewalQuantitySeatCap(t *testing.T) {
	s := baseSub(t)
	s.OfferID, s.Quantity, s.UnitPrice = "biz-prem", 250, eur(20.60)
	other := s
	other.ID, other.Quantity = "other", 50
	for _, tt := range []struct {
		q      int
		others int
		reason Code
	}{
		{250 + 0, 50, CodeNothingToChange},
		{249, 50, ""},
		{251, 49, ""},              // 300
		{251, 50, CodeOverSeatCap}, // 301
		{200, 400, ""},             // reduction while over the cap
		{260, 40, ""},              // 300
		{261, 40, CodeOverSeatCap}, // 301
		{300, 0, ""},               // alone at the cap
		{301, 0, CodeOverSeatCap},  // alone over it
	} {
		other.Quantity = tt.others
		in := input(t, s, renewalQty(tt.q), RoleLicenceAdmin, midTerm(t))
		in.Others = []csp.Subscription{other}
		d := Evaluate(in)
		if tt.reason == "" {
			wantAllowed(t, d)
		} else {
			wantRefused(t, d, tt.reason)
		}
	}

	// Raising a reduced schedule counts too: 200 scheduled on 250 seats,
	// back to 250 while others hold 100, would renew 350.
	s2 := s
	s2.Renewal = &csp.RenewalInstructions{Quantity: 200}
	other.Quantity = 100
	in2 := input(t, s2, renewalQty(250), RoleLicenceAdmin, midTerm(t))
	in2.Others = []csp.Subscription{other}
	wantRefused(t, Evaluate(in2), CodeOverSeatCap)
	in2.Change.Quantity = 199
	wantAllowed(t, Evaluate(in2))

	// Increases need the catalog; reductions do not.
	in := input(t, s, renewalQty(251), RoleLicenceAdmin, midTerm(t))
	in.Catalog = nil
	wantRefused(t, Evaluate(in), CodeUnknownOffer)
	in.Change = renewalQty(249)
	in.Change.SubscriptionID = s.ID
	wantAllowed(t, Evaluate(in))
}

// G5: auto-renew off schedules the end of the subscription; the account
// manager approves before the term ends.
func TestAutoRenewOff(t *testing.T) {
	off := csp.Change{Kind: csp.ChangeAutoRenewOff}
	for _, r := range []Role{RoleMember, RoleLicenceAdmin, RoleAccountManager} {
		d := Evaluate(input(t, baseSub(t), off, r, midTerm(t)))
		wantApproval(t, d, RoleAccountManager, CodeAutoRenewOffNeedsAccountManager)
		wantDeadline(t, d, termEnd(t))
		wantQuantities(t, d, 10, 0)
		w := wantWarning(t, d, CodeExpiresAtTermEnd)
		if w.Params[ParamExpiresAt] != rfc(termEnd(t)) {
			t.Errorf("expires_at = %q", w.Params[ParamExpiresAt])
		}
		wantMoney(t, "annual before", d.Cost.AnnualBefore, 2472.00)
		wantMoney(t, "annual after", d.Cost.AnnualAfter, 0)
		if d.Irreversible {
			t.Error("auto-renew can be turned on again until term end")
		}
	}
	s := baseSub(t)
	s.Renewal = &csp.RenewalInstructions{Quantity: 8}
	wantQuantities(t, Evaluate(input(t, s, off, RoleMember, midTerm(t))), 8, 0)

	s.AutoRenew = false
	d := Evaluate(input(t, s, off, RoleMember, midTerm(t)))
	wantRefused(t, d, CodeNothingToChange)
	wantQuantities(t, d, 0, 0)

	// Turning a trial's auto-renew off is what the guide asks: no
	// conversion warning.
	trial := baseSub(t)
	trial.Trial = true
	d = Evaluate(input(t, trial, off, RoleMember, midTerm(t)))
	wantNoWarning(t, d, CodeTrialConverts)

	// The approval must land before term end.
	d = Evaluate(input(t, baseSub(t), off, RoleMember, termEnd(t).Add(-time.Hour)))
	wantWarning(t, d, CodeApprovalDeadlineNear)
}

func TestAutoRenewOn(t *testing.T) {
	on := csp.Change{Kind: csp.ChangeAutoRenewOn}
	s := baseSub(t)
	s.AutoRenew = false
	for _, r := range []Role{RoleLicenceAdmin, RoleAccountManager} {
		d := Evaluate(input(t, s, on, r, midTerm(t)))
		wantAllowed(t, d)
		wantDeadline(t, d, termEnd(t))
		wantQuantities(t, d, 0, 10)
		wantMoney(t, "annual after", d.Cost.AnnualAfter, 2472.00)
	}
	d := Evaluate(input(t, s, on, RoleMember, midTerm(t)))
	wantApproval(t, d, RoleLicenceAdmin, CodeNeedsLicenceAdmin)
	wantDeadline(t, d, termEnd(t))

	wantRefused(t, Evaluate(input(t, baseSub(t), on, RoleLicenceAdmin, midTerm(t))), CodeNothingToChange)

	// G5: a trial with auto-renew on converts to paid.
	s.Trial = true
	d = Evaluate(input(t, s, on, RoleLicenceAdmin, midTerm(t)))
	wantAllowed(t, d)
	w := wantWarning(t, d, CodeTrialConverts)
	if w.Params[ParamConvertsAt] != rfc(termEnd(t)) {
		t.Errorf("converts_at = %q", w.Params[ParamConvertsAt])
	}

	// An expired subscription cannot be revived by auto-renew.
	s.Trial, s.Status = false, csp.StatusExpired
	d = Evaluate(input(t, s, on, RoleAccountManager, midTerm(t)))
	wantRefused(t, d, CodeNotActive)
	wantParam(t, d, ParamStatus, "expired")
}

// G4: cancel only inside the cancellation window, always with the
// account manager, irreversibly.
func TestCancel(t *testing.T) {
	start := termStart(t)
	closes := start.Add(72 * time.Hour)
	cancel := csp.Change{Kind: csp.ChangeCancel}
	cau := func(d time.Duration) csp.Subscription {
		s := baseSub(t)
		u := start.Add(d)
		s.CancellationAllowedUntil = &u
		return s
	}
	noLots := baseSub(t)
	noLots.Lots = nil
	tests := []struct {
		name   string
		sub    csp.Subscription
		now    time.Time
		window time.Duration
		closes time.Time // zero: refused
	}{
		{"lot window first second", baseSub(t), start, DefaultRemovalWindow, closes},
		{"lot window last second", baseSub(t), closes.Add(-time.Second), DefaultRemovalWindow, closes},
		{"lot window closed", baseSub(t), closes, DefaultRemovalWindow, time.Time{}},
		{"mid-term", baseSub(t), midTerm(t), DefaultRemovalWindow, time.Time{}},
		{"portal 48h, last second", cau(48 * time.Hour), start.Add(48*time.Hour - time.Second), DefaultRemovalWindow, start.Add(48 * time.Hour)},
		{"portal 48h, closed", cau(48 * time.Hour), start.Add(48 * time.Hour), DefaultRemovalWindow, time.Time{}},
		// The portal's date wins over the lots: 48h even though the
		// term-start lot is removable for 72h.
		{"portal 48h, lot open", cau(48 * time.Hour), start.Add(60 * time.Hour), DefaultRemovalWindow, time.Time{}},
		// The guide's 72h caps Microsoft's 168h.
		{"portal 168h, policy 72h", cau(168 * time.Hour), start.Add(100 * time.Hour), DefaultRemovalWindow, time.Time{}},
		{"portal 168h, policy 72h, last second", cau(168 * time.Hour), closes.Add(-time.Second), DefaultRemovalWindow, closes},
		{"portal 168h, policy 168h", cau(168 * time.Hour), start.Add(100 * time.Hour), MicrosoftRemovalWindow, start.Add(168 * time.Hour)},
		{"no portal date, no lot", noLots, start.Add(time.Hour), DefaultRemovalWindow, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(t, tt.sub, cancel, RoleAccountManager, tt.now)
			in.Policy.RemovalWindow = tt.window
			d := Evaluate(in)
			wantQuantities(t, d, 10, 0)
			if tt.closes.IsZero() {
				wantRefused(t, d, CodeBeforeCommitment)
				wantAlts(t, d, CodeTurnOffAutoRenew, CodeRemindWindowOpens)
				wantParam(t, d, ParamWindowOpensAt, rfc(termEnd(t)))
				return
			}
			wantApproval(t, d, RoleAccountManager, CodeCancellationNeedsAccountManager)
			wantDeadline(t, d, tt.closes)
			if !d.Irreversible {
				t.Error("cancellation is irreversible")
			}
			wantWarning(t, d, CodeIrreversible)
		})
	}
}

func TestCancelRoutingAndRefund(t *testing.T) {
	cancel := csp.Change{Kind: csp.ChangeCancel}
	now := termStart(t).Add(time.Hour)
	for _, r := range []Role{RoleMember, RoleLicenceAdmin, RoleAccountManager} {
		d := Evaluate(input(t, baseSub(t), cancel, r, now))
		wantApproval(t, d, RoleAccountManager, CodeCancellationNeedsAccountManager)
		// First day of the term: everything back, 10 × 12 × 20.60.
		wantMoney(t, "refund", d.Cost.ProratedRefund, 2472.00)
		wantMoney(t, "monthly after", d.Cost.MonthlyAfter, 0)
		wantMoney(t, "annual before", d.Cost.AnnualBefore, 2472.00)
	}
	// Auto-renew already off: nothing to offer, the subscription ends.
	s := baseSub(t)
	s.AutoRenew = false
	d := Evaluate(input(t, s, cancel, RoleMember, midTerm(t)))
	wantRefused(t, d, CodeBeforeCommitment)
	wantAlts(t, d)
	wantParam(t, d, ParamExpiresAt, rfc(termEnd(t)))
	// The cancel alternative names this subscription.
	d = Evaluate(input(t, baseSub(t), cancel, RoleMember, midTerm(t)))
	if c := findAlt(t, d, CodeTurnOffAutoRenew).Change; *c != (csp.Change{Kind: csp.ChangeAutoRenewOff, SubscriptionID: "sub-e3"}) {
		t.Errorf("auto-renew off = %+v", c)
	}
	// Deadline near: within 12h of the window's close.
	d = Evaluate(input(t, baseSub(t), cancel, RoleMember, termStart(t).Add(61*time.Hour)))
	wantWarning(t, d, CodeApprovalDeadlineNear)
}
