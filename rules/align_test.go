package rules

import (
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

func alignWith(id string) csp.Change {
	return csp.Change{Kind: csp.ChangeAlignEndDate, TargetSubscriptionID: id}
}

// other is an active annual line ending at end, auto-renewing unless
// told.
func other(tb testing.TB, end time.Time, term csp.Term, auto bool) csp.Subscription {
	s := offerSub(tb, "e1", 7.00)
	s.ID, s.Term, s.TermEnd, s.AutoRenew = "other", term, end, auto
	s.TermStart = csp.AddMonths(end, -term.Months())
	return s
}

// G11: the next term can end on another subscription's end date. The base
// subscription's next term runs 15 January 2027 → 15 January 2028.
func TestAlignEndDate(t *testing.T) {
	tests := []struct {
		name   string
		other  csp.Subscription
		reason Code
		want   time.Time // custom term end
	}{
		{"mid next term", other(t, at(t, 2027, 6, 30, 0, 0, 0), csp.TermAnnual, true), "", at(t, 2027, 6, 30, 0, 0, 0)},
		{"day after next start", other(t, at(t, 2027, 1, 16, 0, 0, 0), csp.TermAnnual, true), "", at(t, 2027, 1, 16, 0, 0, 0)},
		{"last day of next term", other(t, at(t, 2028, 1, 14, 0, 0, 0), csp.TermAnnual, false), "", at(t, 2028, 1, 14, 0, 0, 0)},
		// The other line ends this term; it renews, so its next end counts.
		{"renewing, ends earlier", other(t, at(t, 2026, 6, 30, 0, 0, 0), csp.TermAnnual, true), "", at(t, 2027, 6, 30, 0, 0, 0)},
		{"not renewing, ends earlier", other(t, at(t, 2026, 6, 30, 0, 0, 0), csp.TermAnnual, false), CodeAlignEndTooEarly, time.Time{}},
		// Same date as the next term start: no term of zero days.
		{"not renewing, same day", other(t, at(t, 2027, 1, 15, 12, 0, 0), csp.TermAnnual, false), CodeAlignEndTooEarly, time.Time{}},
		// Renewing from the same day lands on the natural end.
		{"renewing, same day", other(t, at(t, 2027, 1, 15, 12, 0, 0), csp.TermAnnual, true), CodeNothingToChange, time.Time{}},
		// A monthly line's ends are its anniversaries: 28 January 2027.
		{"monthly line", other(t, at(t, 2026, 2, 28, 0, 0, 0), csp.TermMonthly, true), "", at(t, 2027, 1, 28, 0, 0, 0)},
		{"beyond next term", other(t, at(t, 2028, 1, 16, 0, 0, 0), csp.TermTriennial, true), CodeAlignEndTooLate, time.Time{}},
		{"natural end", other(t, at(t, 2028, 1, 15, 0, 0, 0), csp.TermAnnual, true), CodeNothingToChange, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(t, baseSub(t), alignWith("other"), RoleLicenceAdmin, midTerm(t))
			in.Others = []csp.Subscription{tt.other}
			d := Evaluate(in)
			wantQuantities(t, d, 10, 10)
			if tt.reason != "" {
				wantRefused(t, d, tt.reason)
				if !d.CustomTermEnd.IsZero() {
					t.Errorf("refusal carries a custom end %s", d.CustomTermEnd)
				}
				return
			}
			wantAllowed(t, d)
			wantDeadline(t, d, termEnd(t))
			if !d.CustomTermEnd.Equal(tt.want) {
				t.Errorf("custom end = %s, want %s", d.CustomTermEnd, tt.want)
			}
		})
	}
}

// Month arithmetic around the 31st: a line renewing monthly from 31
// January ends on 28 February, 31 March, 30 April, 31 May — not 28 May as
// chained additions would say. A monthly subscription starting 31 March
// ends 30 April and its next term 30 May.
func TestAlignEndDateMonthEnds(t *testing.T) {
	s := baseSub(t)
	s.TermStart, s.TermEnd = at(t, 2025, 4, 30, 0, 0, 0), at(t, 2026, 4, 30, 0, 0, 0)
	in := input(t, s, alignWith("other"), RoleLicenceAdmin, at(t, 2026, 2, 10, 0, 0, 0))
	in.Others = []csp.Subscription{other(t, at(t, 2026, 1, 31, 0, 0, 0), csp.TermMonthly, true)}
	d := Evaluate(in)
	wantAllowed(t, d)
	if want := at(t, 2026, 5, 31, 0, 0, 0); !d.CustomTermEnd.Equal(want) {
		t.Errorf("custom end = %s, want %s", d.CustomTermEnd, want)
	}

	m := baseSub(t)
	m.Term, m.UnitPrice = csp.TermMonthly, eur(24.72)
	m.TermStart = at(t, 2026, 3, 31, 0, 0, 0)
	m.TermEnd = csp.TermEnd(m.TermStart, csp.TermMonthly) // 30 April
	for _, tt := range []struct {
		end    time.Time
		reason Code
	}{
		{at(t, 2026, 4, 30, 12, 0, 0), CodeAlignEndTooEarly},
		{at(t, 2026, 5, 1, 0, 0, 0), ""},
		{at(t, 2026, 5, 15, 0, 0, 0), ""},
		{at(t, 2026, 5, 30, 0, 0, 0), CodeNothingToChange},
		{at(t, 2026, 5, 31, 0, 0, 0), CodeAlignEndTooLate},
	} {
		in := input(t, m, alignWith("other"), RoleLicenceAdmin, at(t, 2026, 4, 10, 0, 0, 0))
		in.Others = []csp.Subscription{other(t, tt.end, csp.TermAnnual, false)}
		d := Evaluate(in)
		if tt.reason == "" {
			wantAllowed(t, d)
			if !d.CustomTermEnd.Equal(tt.end) {
				t.Errorf("custom end = %s, want %s", d.CustomTermEnd, tt.end)
			}
		} else {
			wantRefused(t, d, tt.reason)
		}
	}
}

// Month arithmetic is done in the customer's zone even when the portal
// gives UTC instants: 31 March 00:00 in Paris is 30 March 22:00 UTC, and
// its next monthly end is 30 April in Paris, not 1 May.
func TestAlignEndDateUTCInstants(t *testing.T) {
	m := baseSub(t)
	m.Term, m.UnitPrice = csp.TermMonthly, eur(24.72)
	m.TermStart = at(t, 2026, 2, 28, 0, 0, 0).UTC()
	m.TermEnd = at(t, 2026, 3, 31, 0, 0, 0).UTC()
	for _, tt := range []struct {
		end    time.Time
		reason Code
	}{
		{at(t, 2026, 4, 29, 0, 0, 0), ""},
		{at(t, 2026, 4, 30, 0, 0, 0), CodeNothingToChange},
		{at(t, 2026, 5, 1, 0, 0, 0), CodeAlignEndTooLate},
	} {
		in := input(t, m, alignWith("other"), RoleLicenceAdmin, at(t, 2026, 3, 10, 0, 0, 0))
		in.Others = []csp.Subscription{other(t, tt.end.UTC(), csp.TermAnnual, false)}
		d := Evaluate(in)
		if tt.reason == "" {
			wantAllowed(t, d)
		} else {
			wantRefused(t, d, tt.reason)
		}
	}
}

func TestAlignEndDateRefusals(t *testing.T) {
	good := other(t, at(t, 2027, 6, 30, 0, 0, 0), csp.TermAnnual, true)
	expired := good
	expired.Status = csp.StatusExpired

	noAuto := baseSub(t)
	noAuto.AutoRenew = false
	in := input(t, noAuto, alignWith("other"), RoleLicenceAdmin, midTerm(t))
	in.Others = []csp.Subscription{good}
	d := Evaluate(in)
	wantRefused(t, d, CodeNeedsAutoRenew)
	wantAlts(t, d, CodeTurnOnAutoRenew)

	for _, id := range []string{"", "nope", "sub-e3"} {
		in := input(t, baseSub(t), alignWith(id), RoleLicenceAdmin, midTerm(t))
		in.Others = []csp.Subscription{good, baseSub(t)}
		d := Evaluate(in)
		wantRefused(t, d, CodeAlignTargetNotFound)
		wantParam(t, d, ParamSubscriptionID, id)
	}

	in = input(t, baseSub(t), alignWith("other"), RoleLicenceAdmin, midTerm(t))
	in.Others = []csp.Subscription{expired}
	d = Evaluate(in)
	wantRefused(t, d, CodeAlignTargetNotActive)
	wantParam(t, d, ParamStatus, "expired")

	// Already aligned by a previous instruction.
	s := baseSub(t)
	end := at(t, 2027, 6, 30, 0, 0, 0)
	s.Renewal = &csp.RenewalInstructions{CustomTermEnd: &end}
	in = input(t, s, alignWith("other"), RoleLicenceAdmin, midTerm(t))
	in.Others = []csp.Subscription{good}
	wantRefused(t, Evaluate(in), CodeNothingToChange)
	// A different earlier instruction is replaced.
	end2 := at(t, 2027, 3, 1, 0, 0, 0)
	s.Renewal.CustomTermEnd = &end2
	in.Subscription = s
	wantAllowed(t, Evaluate(in))
}

func TestAlignEndDateRouting(t *testing.T) {
	good := other(t, at(t, 2027, 6, 30, 0, 0, 0), csp.TermAnnual, true)
	for _, tt := range []struct {
		role Role
		now  time.Time
	}{
		{RoleMember, midTerm(t)},
		{RoleMember, termEnd(t).Add(-time.Second)},
	} {
		in := input(t, baseSub(t), alignWith("other"), tt.role, tt.now)
		in.Others = []csp.Subscription{good}
		d := Evaluate(in)
		wantApproval(t, d, RoleLicenceAdmin, CodeNeedsLicenceAdmin)
		wantDeadline(t, d, termEnd(t))
		if d.Irreversible {
			t.Error("alignment is a renewal instruction: reversible")
		}
	}
	in := input(t, baseSub(t), alignWith("other"), RoleAccountManager, termEnd(t).Add(-time.Second))
	in.Others = []csp.Subscription{good}
	wantAllowed(t, Evaluate(in))
	in.Now = termEnd(t)
	wantRefused(t, Evaluate(in), CodeTermEnded)
}
