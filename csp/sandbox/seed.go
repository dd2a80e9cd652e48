package sandbox

import (
	"fmt"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// DemoCustomerID is the id of the demo customer the sandbox seeds.
const DemoCustomerID = "contoso"

const demoCustomerID = DemoCustomerID

// SecondCustomerID is the sandbox's second customer, served by the same
// account managers: it shows one bot serving several customers.
const SecondCustomerID = "fabrikam"

// fabrikamSubscriptions returns Fabrikam's smaller portfolio. Its ids
// ("fab-N") never collide with Contoso's, and new lines keep being
// numbered "sub-N" from where Contoso's left off.
func fabrikamSubscriptions() []seedSub {
	return []seedSub{
		{id: "fab-1", offerID: "m365-business-premium", quantity: 12, term: csp.TermAnnual, billing: csp.BillingMonthly, commitDay: 120},
		{id: "fab-2", offerID: "o365-e3", quantity: 4, term: csp.TermAnnual, billing: csp.BillingMonthly, startDay: intp(-2)},
		{id: "fab-3", offerID: "teams-essentials", quantity: 6, term: csp.TermMonthly, billing: csp.BillingMonthly, commitDay: 14},
	}
}

// seedSub describes one demo subscription. Dates are in days from T0,
// local midnight of the seeding day: either the term starts at startDay,
// or the commitment end date people see is commitDay (the term then ends
// at the following midnight).
type seedSub struct {
	id        string
	offerID   string
	quantity  int
	term      csp.Term
	billing   csp.BillingCycle
	startDay  *int
	commitDay int
	trial     bool
	renewal   *csp.RenewalInstructions
}

func intp(n int) *int { return &n }

// demoSubscriptions returns Contoso's portfolio, chosen so that every reminder
// and rule has something to show in the first weeks of a demo: an open
// removal window (sub-1), an annual renewal in a month (sub-2), a trial
// about to convert (sub-5), a monthly renewal (sub-6) and a scheduled
// renewal reduction (sub-7).
func demoSubscriptions() []seedSub {
	return []seedSub{
		{id: "sub-1", offerID: "m365-business-standard", quantity: 10, term: csp.TermAnnual, billing: csp.BillingMonthly, startDay: intp(-1)},
		{id: "sub-2", offerID: "m365-apps-business", quantity: 1, term: csp.TermAnnual, billing: csp.BillingAnnual, commitDay: 30},
		{id: "sub-3", offerID: "o365-e1", quantity: 25, term: csp.TermAnnual, billing: csp.BillingMonthly, commitDay: 200},
		{id: "sub-4", offerID: "o365-e3", quantity: 5, term: csp.TermAnnual, billing: csp.BillingMonthly, commitDay: 250},
		{id: "sub-5", offerID: "m365-business-premium", quantity: 25, term: csp.TermMonthly, billing: csp.BillingMonthly, commitDay: 5, trial: true},
		{id: "sub-6", offerID: "teams-essentials", quantity: 3, term: csp.TermMonthly, billing: csp.BillingMonthly, commitDay: 10},
		{id: "sub-7", offerID: "exchange-online-p1", quantity: 8, term: csp.TermAnnual, billing: csp.BillingMonthly, commitDay: 60, renewal: &csp.RenewalInstructions{Quantity: 6}},
	}
}

// seed builds the demo state relative to now.
func seed(now time.Time, loc *time.Location, window time.Duration, cat *csp.Catalog) (*state, error) {
	t0 := csp.StartOfDay(now, loc)
	subs := demoSubscriptions()
	st := &state{
		Version:  stateVersion,
		Revision: 1,
		NextID:   len(subs) + 1,
		SeededAt: now.In(loc),
	}
	contoso, err := seedCustomer(t0, window, cat, csp.Customer{
		ID:       demoCustomerID,
		Name:     "Contoso SAS",
		Domain:   "contoso.example",
		Currency: "EUR",
		TimeZone: loc.String(),
	}, subs)
	if err != nil {
		return nil, err
	}
	fabrikam, err := seedCustomer(t0, window, cat, csp.Customer{
		ID:       SecondCustomerID,
		Name:     "Fabrikam SARL",
		Domain:   "fabrikam.example",
		Currency: "EUR",
		TimeZone: loc.String(),
	}, fabrikamSubscriptions())
	if err != nil {
		return nil, err
	}
	for _, cs := range []*customerData{contoso, fabrikam} {
		for _, sub := range cs.Subscriptions {
			st.touch(sub)
		}
	}
	st.Customers = []*customerData{contoso, fabrikam}
	return st, nil
}

// seedCustomer builds one customer's subscriptions from t0, local
// midnight of the seeding day.
func seedCustomer(t0 time.Time, window time.Duration, cat *csp.Catalog, c csp.Customer, subs []seedSub) (*customerData, error) {
	cs := &customerData{Customer: c}
	for _, d := range subs {
		offer, ok := cat.Offer(d.offerID)
		if !ok {
			return nil, fmt.Errorf("offer %q is not in the catalog", d.offerID)
		}
		var start, end time.Time
		if d.startDay != nil {
			start = t0.AddDate(0, 0, *d.startDay)
			end = csp.TermEnd(start, d.term)
		} else {
			end = t0.AddDate(0, 0, d.commitDay+1)
			start = csp.AddMonths(end, -d.term.Months())
		}
		// A trial shows what it will cost once converted: the paid
		// month-to-month price it converts to.
		priceTerm, priceBilling := d.term, d.billing
		if d.trial {
			priceTerm, priceBilling = csp.TermMonthly, csp.BillingMonthly
		}
		price, ok := offer.Price(priceTerm, priceBilling)
		if !ok {
			return nil, fmt.Errorf("offer %q has no %s/%s price", d.offerID, priceTerm, priceBilling)
		}
		cancelUntil := start.Add(window)
		if d.trial {
			// A trial can be cancelled at no cost until it ends.
			cancelUntil = end
		}
		sub := &csp.Subscription{
			ID:         d.id,
			CustomerID: c.ID,
			OfferID:    offer.ID,
			Name:       offer.Name,
			Quantity:   d.quantity,
			Term:       d.term,
			Billing:    d.billing,
			TermStart:  start,
			TermEnd:    end,
			AutoRenew:  true,
			Status:     csp.StatusActive,
			Trial:      d.trial,
			UnitPrice:  price.Unit,
			Lots: []csp.SeatLot{{
				Quantity:       d.quantity,
				PurchasedAt:    start,
				RemovableUntil: start.Add(window),
			}},
			CancellationAllowedUntil: &cancelUntil,
		}
		if d.renewal != nil {
			r := *d.renewal
			sub.Renewal = &r
		}
		cs.Subscriptions = append(cs.Subscriptions, sub)
	}
	return cs, nil
}
