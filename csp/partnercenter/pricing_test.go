package partnercenter

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

const (
	usCustomer  = "cust-us"
	fr2Customer = "cust-fr-2"
)

func withMarkets(e *env) {
	e.f.addCustomer(usCustomer, "US")
	e.f.addCustomer(fr2Customer, "FR")
}

func catalogOf(t *testing.T, e *env, customer string) *csp.Catalog {
	t.Helper()
	cat, err := e.c.Catalog(context.Background(), customer)
	if err != nil {
		t.Fatalf("catalog of %s: %v", customer, err)
	}
	return cat
}

// price is the P1Y monthly price of an offer, or "absent".
func price(cat *csp.Catalog, offer string) string {
	o, ok := cat.Offer(offer)
	if !ok {
		return "absent"
	}
	p, ok := o.Price(csp.TermAnnual, csp.BillingMonthly)
	if !ok {
		return "no P1Y monthly price"
	}
	return p.Unit.String()
}

func (e *env) sheetFetches(market string) int {
	return len(e.f.requests("GET", "pricesheets(Market='"+market+"',PricesheetView='updatedlicensebased')/$value"))
}

func TestCatalogFrenchCustomerSeesEuroPrices(t *testing.T) {
	e := setup(t, withUser)
	withMarkets(e)
	cat := catalogOf(t, e, custID)
	for offer, want := range map[string]string{
		"m365-business-standard": "11.70 EUR", // November's price, not October's or December's
		"m365-business-basic":    "5.60 EUR",
		"o365-e1":                "9.40 EUR", // the commercial price, not education's
		"o365-e3":                "10.00 EUR",
		"no-id":                  "10.00 EUR", // no Partner Center id: the file's offer as it is
	} {
		if got := price(cat, offer); got != want {
			t.Errorf("%s: %s, want %s", offer, got, want)
		}
	}
	o, _ := cat.Offer("m365-business-standard")
	if len(o.Aliases) != 0 || o.Segment != "Microsoft 365 Business" || o.Tier != 2 || o.MaxSeats != 300 {
		t.Errorf("the file's segment, tier and cap are lost: %+v", o)
	}
	// E3 is sold in France but missing from the price list: the file's
	// price stands, and the log says so.
	if !strings.Contains(e.logs.String(), "price missing from partner center's price list") ||
		!strings.Contains(e.logs.String(), "offer=o365-e3") {
		t.Errorf("no warning for the missing E3 price:\n%s", e.logs.String())
	}
	// The configured catalog itself is untouched.
	if got := price(e.c.cat, "m365-business-standard"); got != "10.00 EUR" {
		t.Errorf("the catalog file changed: %s", got)
	}
}

func TestCatalogUSCustomerSeesDollarPricesWithoutOffersNotSoldThere(t *testing.T) {
	e := setup(t, withUser)
	withMarkets(e)
	cat := catalogOf(t, e, usCustomer)
	for offer, want := range map[string]string{
		"m365-business-standard": "12.50 USD",
		"m365-business-basic":    "6.00 USD",
		"o365-e1":                "10.00 USD",
		"o365-e3":                "absent", // not sold in the United States
	} {
		if got := price(cat, offer); got != want {
			t.Errorf("%s: %s, want %s", offer, got, want)
		}
	}
	if len(cat.UpgradeTargets("o365-e1")) != 0 {
		t.Errorf("E1 can be upgraded to an offer not sold in the market: %+v", cat.UpgradeTargets("o365-e1"))
	}
	if fr := catalogOf(t, e, custID); price(fr, "o365-e3") == "absent" {
		t.Error("E3 missing for a French customer")
	}
}

func TestCatalogSharedPerMarketAndFetchedOnce(t *testing.T) {
	e := setup(t, withUser)
	withMarkets(e)
	var wg sync.WaitGroup
	cats := make([]*csp.Catalog, 8)
	for i := range cats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := custID
			if i%2 == 1 {
				who = fr2Customer
			}
			cats[i] = catalogOf(t, e, who)
		}()
	}
	wg.Wait()
	for i, c := range cats {
		if c != cats[0] {
			t.Fatalf("customer call %d of one market got another catalog value", i)
		}
	}
	us := catalogOf(t, e, usCustomer)
	if us == cats[0] {
		t.Fatal("two markets share one catalog")
	}
	if n := e.sheetFetches("FR"); n != 1 {
		t.Errorf("French price list fetched %d times, want 1", n)
	}
	if n := e.sheetFetches("US"); n != 1 {
		t.Errorf("US price list fetched %d times, want 1", n)
	}
	reads := len(e.f.requests("GET", "/customers/"+custID))
	catalogOf(t, e, custID)
	if n := len(e.f.requests("GET", "/customers/"+custID)); n != reads {
		t.Errorf("customer profile read again (%d, then %d): not cached", reads, n)
	}
}

func TestCatalogRefreshedAfterExpiry(t *testing.T) {
	e := setup(t, withUser)
	before := catalogOf(t, e, custID)
	e.clk.Advance(20 * time.Hour) // within the day: cached
	if c := catalogOf(t, e, custID); c != before || e.sheetFetches("FR") != 1 {
		t.Fatalf("refetched before expiry: %d fetches", e.sheetFetches("FR"))
	}
	// 1 December: the new month's price list applies once the day is up.
	e.clk.Advance(4*24*time.Hour + 5*time.Hour)
	after := catalogOf(t, e, custID)
	if n := e.sheetFetches("FR"); n != 2 {
		t.Fatalf("price list fetched %d times after expiry, want 2", n)
	}
	if got := price(after, "m365-business-standard"); got != "12.30 EUR" {
		t.Errorf("December price %s, want 12.30 EUR", got)
	}
	if got := price(before, "m365-business-standard"); got != "11.70 EUR" {
		t.Errorf("the earlier catalog value changed: %s", got)
	}
}

func TestCatalogOutageFallsBackToFile(t *testing.T) {
	e := setup(t, withUser)
	outage := make([]fault, MaxTries)
	for i := range outage {
		outage[i] = fault{status: 503}
	}
	e.f.fault("pricesheet", outage...)
	e.f.fault("products", outage...)
	cat, err := e.c.Catalog(context.Background(), custID)
	if err != nil {
		t.Fatalf("an outage failed the turn: %v", err)
	}
	for _, offer := range []string{"m365-business-standard", "m365-business-basic", "o365-e1", "o365-e3", "no-id"} {
		if got := price(cat, offer); got != "10.00 EUR" {
			t.Errorf("%s: %s, want the file's 10.00 EUR", offer, got)
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "price list unreadable") || !strings.Contains(logs, "availabilities unreadable") {
		t.Errorf("no warning for the outage:\n%s", logs)
	}
	// Partner Center is back: a few minutes later the market is priced
	// again, without waiting a day.
	e.clk.Advance(catalogRetry + time.Second)
	if got := price(catalogOf(t, e, custID), "m365-business-standard"); got != "11.70 EUR" {
		t.Errorf("after the outage: %s, want 11.70 EUR", got)
	}
}

func TestCatalogCustomerUnreadableFallsBackToFile(t *testing.T) {
	e := setup(t, withUser)
	cat, err := e.c.Catalog(context.Background(), "cust-unknown")
	if err != nil || cat != e.c.cat {
		t.Fatalf("unknown customer: %v, file catalog %v", err, cat == e.c.cat)
	}
	if !strings.Contains(e.logs.String(), "customer's market unknown") {
		t.Errorf("no warning:\n%s", e.logs.String())
	}
}

// App-only credentials cannot read the price list (Microsoft: App+User
// only): the market's offers are still narrowed, the prices come from
// the file, and nothing is sent to the pricing API.
func TestCatalogAppOnlyKeepsFilePrices(t *testing.T) {
	e := setup(t)
	e.f.addCustomer(usCustomer, "US")
	cat := catalogOf(t, e, usCustomer)
	if got := price(cat, "o365-e3"); got != "absent" {
		t.Errorf("E3 in the US: %s", got)
	}
	if got := price(cat, "m365-business-standard"); got != "10.00 EUR" {
		t.Errorf("Business Standard: %s, want the file's price", got)
	}
	if n := e.sheetFetches("US"); n != 0 {
		t.Errorf("price list asked %d times without App+User credentials", n)
	}
	if !strings.Contains(e.logs.String(), EnvRefreshToken) {
		t.Errorf("the warning does not say what to configure:\n%s", e.logs.String())
	}
}

func TestParsePriceSheetPlainCSV(t *testing.T) {
	data := sheetHeader + "\n" +
		sheetLine(bizProduct, "P1M", "Monthly", "FR", "EUR", "14.04", "", "", "") + "\n" +
		sheetLine(bizProduct, "P1Y", "Annual", "DE", "EUR", "1", "", "", "") + "\n" +
		sheetLine(bizProduct, "P1Y", "Weird", "FR", "EUR", "1", "", "", "") + "\n"
	r, err := unzipSheet([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	got, err := parsePriceSheet(r, "FR", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[priceKey{bizProduct + ":0001", csp.TermMonthly, csp.BillingMonthly}].String() != "14.04 EUR" {
		t.Errorf("parsed %v", got)
	}
	if _, err := parsePriceSheet(strings.NewReader("a,b\n1,2\n"), "FR", time.Time{}); err == nil {
		t.Error("a file without the price list's columns was accepted")
	}
}
