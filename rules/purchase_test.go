package rules

import (
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// buy is a purchase of n annual seats of offer billed monthly on
// 10 June 2026 at noon, for role, with the customer's E3 line (ends
// 15 January 2027) as its only subscription.
func buy(tb testing.TB, offer string, n int, role Role) PurchaseInput {
	tb.Helper()
	return PurchaseInput{
		Change: csp.Change{Kind: csp.ChangePurchase, TargetOfferID: offer, Quantity: n, Term: csp.TermAnnual, Billing: csp.BillingMonthly},
		Role:   role, Policy: DefaultPolicy(paris(tb)), Catalog: testCatalog(tb),
		Subscriptions: []csp.Subscription{baseSub(tb)}, AlignsPurchases: true, Now: midTerm(tb),
	}
}

func TestPurchaseCostsAFullFirstTerm(t *testing.T) {
	d := EvaluatePurchase(buy(t, "e5", 4, RoleLicenceAdmin))
	wantAllowed(t, d)
	wantMoney(t, "monthly", d.Cost.MonthlyAfter, 142.80)
	wantMoney(t, "annual", d.Cost.AnnualAfter, 1713.60)
	wantMoney(t, "first term", d.Cost.FirstTerm, 1713.60)
	if d.ToQuantity != 4 || !d.CustomTermEnd.IsZero() || d.Irreversible {
		t.Errorf("decision %+v", d)
	}
	wantParam(t, d, ParamEnd, at(t, 2027, 6, 10, 0, 0, 0).Format(time.RFC3339))
}

// Aligned with the E3 line, the first term runs 10 June 2026 → 15 January
// 2027: 219 of 365 days, so 0.6 of the annual price.
func TestPurchaseAlignedIsProratedToTheOtherEndDate(t *testing.T) {
	in := buy(t, "e5", 4, RoleLicenceAdmin)
	in.Change.TargetSubscriptionID = "sub-e3"
	d := EvaluatePurchase(in)
	wantAllowed(t, d)
	wantMoney(t, "first term", d.Cost.FirstTerm, 1028.16)
	wantMoney(t, "monthly", d.Cost.MonthlyAfter, 142.80)
	if !d.CustomTermEnd.Equal(termEnd(t)) {
		t.Errorf("aligned end %s, want %s", d.CustomTermEnd, termEnd(t))
	}
}

func TestPurchaseAlignmentRefusals(t *testing.T) {
	t.Run("a monthly term ends before the other line", func(t *testing.T) {
		in := buy(t, "e3", 1, RoleLicenceAdmin)
		in.Change.Term = csp.TermMonthly
		in.Change.TargetSubscriptionID = "sub-e3"
		wantRefused(t, EvaluatePurchase(in), CodeAlignEndTooLate)
	})
	t.Run("unknown line", func(t *testing.T) {
		in := buy(t, "e5", 1, RoleLicenceAdmin)
		in.Change.TargetSubscriptionID = "nope"
		wantRefused(t, EvaluatePurchase(in), CodeAlignTargetNotFound)
	})
	t.Run("portal cannot align", func(t *testing.T) {
		in := buy(t, "e5", 1, RoleLicenceAdmin)
		in.Change.TargetSubscriptionID = "sub-e3"
		in.AlignsPurchases = false
		d := EvaluatePurchase(in)
		wantRefused(t, d, CodeAlignNotSupported)
		if !d.Cost.FirstTerm.IsZero() {
			t.Errorf("a refusal carries money: %+v", d.Cost)
		}
	})
}

// The guide's "View subscription end-dates": every active line, the end
// the purchase would take, and whether it can.
func TestAlignmentsListTheEndDates(t *testing.T) {
	in := buy(t, "e5", 4, RoleMember)
	expired := baseSub(t)
	expired.ID, expired.Status = "sub-old", csp.StatusExpired
	monthlyLine := baseSub(t)
	monthlyLine.ID, monthlyLine.Term = "sub-m", csp.TermMonthly
	monthlyLine.TermStart, monthlyLine.TermEnd = at(t, 2026, 6, 1, 0, 0, 0), at(t, 2026, 7, 1, 0, 0, 0)
	in.Subscriptions = append(in.Subscriptions, expired, monthlyLine)
	as := Alignments(in)
	if len(as) != 2 {
		t.Fatalf("alignments %+v, want the two active lines", as)
	}
	if as[0].Subscription.ID != "sub-m" || !as[0].OK || !as[0].End.Equal(at(t, 2026, 7, 1, 0, 0, 0)) {
		t.Errorf("first %+v", as[0])
	}
	// 21 of 365 days of 1713.60.
	wantMoney(t, "first term to 1 July", as[0].FirstTerm, 98.59)
	if as[1].Subscription.ID != "sub-e3" || !as[1].OK {
		t.Errorf("second %+v", as[1])
	}
	in.Change.Term = csp.TermMonthly
	in.Change.TargetOfferID = "e3"
	for _, a := range Alignments(in) {
		if a.Subscription.ID == "sub-e3" && (a.OK || a.Reason != CodeAlignEndTooLate) {
			t.Errorf("a monthly purchase cannot end in January: %+v", a)
		}
	}
}

func TestPurchaseRouting(t *testing.T) {
	wantApproval(t, EvaluatePurchase(buy(t, "e5", 4, RoleMember)), RoleLicenceAdmin, CodePurchaseNeedsLicenceAdmin)
	wantAllowed(t, EvaluatePurchase(buy(t, "e5", 4, RoleAccountManager)))
	// Above the customer's amount the account manager decides, whoever asks.
	for _, role := range []Role{RoleMember, RoleLicenceAdmin} {
		in := buy(t, "e5", 4, role)
		in.Policy.PurchaseApprovalAbove = eur(1000)
		d := EvaluatePurchase(in)
		wantApproval(t, d, RoleAccountManager, CodePurchaseOverLimit)
		wantParam(t, d, ParamLimit, "1000.00 EUR")
	}
	// The first term decides: aligned, the same seats cost 1028.16.
	in := buy(t, "e5", 4, RoleLicenceAdmin)
	in.Policy.PurchaseApprovalAbove = eur(1028.16)
	in.Change.TargetSubscriptionID = "sub-e3"
	wantAllowed(t, EvaluatePurchase(in))
	// Another currency is never compared: approval.
	in.Policy.PurchaseApprovalAbove = csp.NewMoney(5000, "USD")
	wantApproval(t, EvaluatePurchase(in), RoleAccountManager, CodePurchaseOverLimit)
}

func TestPurchaseRefusals(t *testing.T) {
	for name, c := range map[string]struct {
		mod  func(*PurchaseInput)
		want Code
	}{
		"no seat":        {func(in *PurchaseInput) { in.Change.Quantity = 0 }, CodeInvalidQuantity},
		"not sold":       {func(in *PurchaseInput) { in.Change.TargetOfferID = "visio-p2" }, CodeUnknownOffer},
		"no catalog":     {func(in *PurchaseInput) { in.Catalog = nil }, CodeUnknownOffer},
		"no such plan":   {func(in *PurchaseInput) { in.Change.Term = csp.TermMonthly }, CodeNoSuchPlan},
		"over the cap":   {func(in *PurchaseInput) { in.Change.TargetOfferID, in.Change.Quantity = "biz-std", 301 }, CodeOverSeatCap},
		"not a purchase": {func(in *PurchaseInput) { in.Change.Kind = csp.ChangeAddSeats }, CodeUnknownChange},
	} {
		t.Run(name, func(t *testing.T) {
			in := buy(t, "e5", 2, RoleLicenceAdmin)
			c.mod(&in)
			d := EvaluatePurchase(in)
			wantRefused(t, d, c.want)
			if !d.Cost.MonthlyAfter.IsZero() || len(d.Warnings) != 0 {
				t.Errorf("a refusal with money or warnings: %+v", d)
			}
		})
	}
}

// Buying an offer the customer already has: allowed (a second line is
// legal), with a warning and the usual way as an alternative.
func TestPurchaseOfAnOfferAlreadyHeldOffersAddingSeats(t *testing.T) {
	d := EvaluatePurchase(buy(t, "e3", 3, RoleLicenceAdmin))
	wantAllowed(t, d)
	if len(d.Warnings) != 1 || d.Warnings[0].Code != CodeAlreadyHasOffer || len(d.Alternatives) != 1 {
		t.Fatalf("warnings %+v alternatives %+v", d.Warnings, d.Alternatives)
	}
	alt := d.Alternatives[0]
	if alt.Code != CodeAddSeatsInstead || alt.Change == nil || alt.Change.Kind != csp.ChangeAddSeats ||
		alt.Change.SubscriptionID != "sub-e3" || alt.Change.Quantity != 3 {
		t.Errorf("alternative %+v", alt)
	}
}

func TestPlansListEveryTermAndBilling(t *testing.T) {
	o, _ := testCatalog(t).Offer("apps-biz")
	ps := Plans(o, 2)
	if len(ps) != 2 || ps[0].Billing != csp.BillingMonthly || ps[1].Billing != csp.BillingAnnual {
		t.Fatalf("plans %+v", ps)
	}
	wantMoney(t, "monthly billing, per month", ps[0].Monthly, 17.60)
	wantMoney(t, "annual billing, per term", ps[1].PerTerm, 211.20)
	wantMoney(t, "annual billing, per month", ps[1].Monthly, 17.60)
}

func TestNearestOffers(t *testing.T) {
	cat := testCatalog(t)
	ids := func(os []csp.Offer) []string {
		var out []string
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	if got := ids(NearestOffers(cat, "Office 365 E7", 3)); len(got) != 3 || got[0] != "e5" {
		t.Errorf("Office 365 E7 → %v, want the Office 365 plans, E5 first", got)
	}
	// Nothing of Visio is sold: "plan 2" alone is not a likeness.
	if got := NearestOffers(cat, "Visio Plan 2", 3); len(got) != 0 {
		t.Errorf("Visio Plan 2 → %v, want none", ids(got))
	}
	if got := ids(NearestOffers(cat, "Teams Premium", 3)); len(got) != 2 {
		t.Errorf("Teams Premium → %v, want Teams Essentials and Business Premium", got)
	}
	if got := NearestOffers(cat, "Microsoft 365", 3); len(got) != 0 {
		t.Errorf("brand words alone → %v", ids(got))
	}
}
