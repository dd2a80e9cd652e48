package rules_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
)

func exampleInput() rules.Input {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	cat, err := csp.NewCatalog([]csp.Offer{{
		ID: "e3", Name: "Office 365 E3", Segment: "Office 365 Enterprise", Tier: 2,
		Prices: []csp.Price{{Term: csp.TermAnnual, Billing: csp.BillingMonthly, Unit: csp.NewMoney(20.60, "EUR")}},
	}})
	if err != nil {
		panic(err)
	}
	start := time.Date(2026, 1, 15, 0, 0, 0, 0, loc)
	sub := csp.Subscription{
		ID: "sub-1", OfferID: "e3", Quantity: 10, Term: csp.TermAnnual, Billing: csp.BillingMonthly,
		TermStart: start, TermEnd: csp.TermEnd(start, csp.TermAnnual), AutoRenew: true,
		Status: csp.StatusActive, UnitPrice: csp.NewMoney(20.60, "EUR"),
		Lots: []csp.SeatLot{{Quantity: 10, PurchasedAt: start, RemovableUntil: start.Add(72 * time.Hour)}},
	}
	return rules.Input{
		Subscription: sub,
		Change:       csp.Change{Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", Quantity: 3},
		Role:         rules.RoleMember,
		Policy:       rules.DefaultPolicy(loc),
		Catalog:      cat,
		Now:          time.Date(2026, 6, 10, 12, 0, 0, 0, loc),
	}
}

// A member asks to remove 3 of 10 seats in June: the removal window is
// closed, so the bot offers to schedule the renewal at 7 seats or to
// remind them when the window opens.
func ExampleEvaluate() {
	d := rules.Evaluate(exampleInput())
	fmt.Println(d.Outcome, d.Reason, d.FromQuantity, "→", d.ToQuantity)
	for _, a := range d.Alternatives {
		if a.Change != nil {
			fmt.Println("instead:", a.Code, a.Change.Kind, a.Change.Quantity)
		} else {
			fmt.Println("instead:", a.Code, a.At.Format(time.RFC3339))
		}
	}
	// Output:
	// refused window_closed 10 → 7
	// instead: schedule_renewal set_renewal_quantity 7
	// instead: remind_window_opens 2027-01-15T00:00:00+01:00
}

func BenchmarkEvaluate(b *testing.B) {
	in := exampleInput()
	add := in
	add.Change = csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 2}
	b.Run("remove_refused", func(b *testing.B) {
		for b.Loop() {
			_ = rules.Evaluate(in)
		}
	})
	b.Run("add_allowed", func(b *testing.B) {
		for b.Loop() {
			_ = rules.Evaluate(add)
		}
	})
}
