package rules

import (
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Every change kind with a quantity that would be legal on an active
// subscription at midTerm or in the term-start window.
func everyKind() []csp.Change {
	return []csp.Change{
		{Kind: csp.ChangeAddSeats, Quantity: 1},
		{Kind: csp.ChangeRemoveSeats, Quantity: 1},
		{Kind: csp.ChangeSetRenewalQuantity, Quantity: 8},
		{Kind: csp.ChangeAutoRenewOff},
		{Kind: csp.ChangeAutoRenewOn},
		{Kind: csp.ChangeCancel},
		{Kind: csp.ChangeUpgrade, TargetOfferID: "e5"},
		{Kind: csp.ChangeAlignEndDate, TargetSubscriptionID: "other"},
	}
}

func TestUnknownChangeKind(t *testing.T) {
	d := Evaluate(input(t, baseSub(t), csp.Change{Kind: "make_coffee", Quantity: 3}, RoleLicenceAdmin, midTerm(t)))
	wantRefused(t, d, CodeUnknownChange)
	wantQuantities(t, d, 10, 10)
}

func TestSubscriptionMismatch(t *testing.T) {
	in := input(t, baseSub(t), csp.Change{Kind: csp.ChangeAddSeats, Quantity: 2}, RoleLicenceAdmin, midTerm(t))
	in.Change.SubscriptionID = "someone-else"
	d := Evaluate(in)
	wantRefused(t, d, CodeSubscriptionMismatch)
	wantQuantities(t, d, 10, 12)

	// An empty id means "this subscription".
	in.Change.SubscriptionID = ""
	wantAllowed(t, Evaluate(in))
}

// No change at all on a subscription that is not active — not even
// auto-renew on for an expired one.
func TestInactiveStatusesRefuseEveryChange(t *testing.T) {
	statuses := []csp.Status{csp.StatusSuspended, csp.StatusExpired, csp.StatusCancelled, csp.StatusPending}
	for _, st := range statuses {
		for _, ch := range everyKind() {
			t.Run(string(st)+"/"+string(ch.Kind), func(t *testing.T) {
				s := baseSub(t)
				s.Status = st
				if ch.Kind == csp.ChangeAutoRenewOn {
					s.AutoRenew = false
				}
				d := Evaluate(input(t, s, ch, RoleAccountManager, termStart(t).Add(time.Hour)))
				wantRefused(t, d, CodeNotActive)
				wantParam(t, d, ParamStatus, string(st))
			})
		}
	}
}

// At the TermEnd instant the term is over: a subscription the portal has
// not rolled over yet takes no change. One second before, it does.
func TestTermEndBoundary(t *testing.T) {
	end := termEnd(t)
	for _, ch := range everyKind() {
		t.Run(string(ch.Kind), func(t *testing.T) {
			d := Evaluate(input(t, baseSub(t), ch, RoleAccountManager, end))
			wantRefused(t, d, CodeTermEnded)
			d = Evaluate(input(t, baseSub(t), ch, RoleAccountManager, end.Add(time.Hour)))
			wantRefused(t, d, CodeTermEnded)
		})
	}
	d := Evaluate(input(t, baseSub(t), csp.Change{Kind: csp.ChangeSetRenewalQuantity, Quantity: 8}, RoleLicenceAdmin, end.Add(-time.Second)))
	wantAllowed(t, d)
}

// An empty or unknown role is a member: least privilege.
func TestUnknownRoleIsMember(t *testing.T) {
	for _, r := range []Role{"", "ceo", RoleMember} {
		d := Evaluate(input(t, baseSub(t), csp.Change{Kind: csp.ChangeSetRenewalQuantity, Quantity: 8}, r, midTerm(t)))
		wantApproval(t, d, RoleLicenceAdmin, CodeNeedsLicenceAdmin)
	}
}

// The input is not modified: Evaluate can run on shared data.
func TestEvaluateDoesNotMutateInput(t *testing.T) {
	s := baseSub(t)
	s.Renewal = &csp.RenewalInstructions{Quantity: 8}
	other := baseSub(t)
	other.ID = "other"
	in := input(t, s, csp.Change{Kind: csp.ChangeUpgrade, TargetOfferID: "e5", Quantity: 2}, RoleMember, midTerm(t))
	in.Others = []csp.Subscription{other}
	before := s.Clone()
	_ = Evaluate(in)
	_ = Evaluate(input(t, s, csp.Change{Kind: csp.ChangeRemoveSeats, Quantity: 2}, RoleMember, midTerm(t)))
	if in.Subscription.Quantity != before.Quantity || in.Subscription.Renewal.Quantity != 8 || len(in.Subscription.Lots) != 1 {
		t.Fatalf("input changed: %+v", in.Subscription)
	}
}
