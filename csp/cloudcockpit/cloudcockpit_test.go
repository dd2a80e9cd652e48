package cloudcockpit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	f    *fakeCC
	c    *Client
	clk  *clock.Manual
	sl   *sleeper
	logs *syncBuffer
	loc  *time.Location
}

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func testCatalog(t *testing.T) *csp.Catalog {
	t.Helper()
	p := []csp.Price{{Term: csp.TermAnnual, Billing: csp.BillingMonthly, Unit: csp.Money{Minor: 1000, Currency: "EUR"}}}
	cat, err := csp.NewCatalog([]csp.Offer{
		// Matched by name: no provider id in the catalog.
		{ID: "m365-business-standard", Name: "Microsoft 365 Business Standard", Segment: "Microsoft 365 Business", Tier: 2, Prices: p},
		{ID: "o365-e1", Name: "Office 365 E1", Segment: "Office 365 Enterprise", Tier: 1, ProviderOfferID: "CFQ7TTC0LF8Q:0001",
			Prices: append([]csp.Price{{Term: csp.TermAnnual, Billing: csp.BillingAnnual, Unit: csp.Money{Minor: 12000, Currency: "EUR"}}}, p...)},
		{ID: "o365-e3", Name: "Office 365 E3", Segment: "Office 365 Enterprise", Tier: 2, Prices: p, ProviderOfferID: "CFQ7TTC0LF8R:0001"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// The clock: 26 November 2026, 10:00 in Paris.
func setup(t *testing.T, mod ...func(*Options)) *env {
	t.Helper()
	f := newFake(t)
	loc := paris(t)
	e := &env{f: f, clk: clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, loc)), sl: &sleeper{}, logs: &syncBuffer{}, loc: loc}
	f.add(fakeSub{ID: "s1", Name: "Microsoft 365 Business Standard", OfferID: "off-bs", ProviderOfferID: "CFQ7TTC0LDPB:0001",
		OfferName: "Microsoft 365 Business Standard", Status: "Active", Start: "2026-11-25T00:00:00", End: "2027-11-24T00:00:00",
		CancelUntil: "2026-11-28T00:00:00Z", Qty: 10, Term: "OneYear", Billing: "Monthly", AutoRenew: true,
		RenewTerm: "OneYear", RenewBilling: "Monthly", OfferPrice: 10.5, ListPrice: 12})
	f.add(fakeSub{ID: "s2", Name: "Office 365 E1", OfferID: "off-e1", ProviderOfferID: "CFQ7TTC0LF8Q:0001:CFQ7TTC0LF8S",
		OfferName: "Office 365 E1", Status: "Active", Start: "2026-06-15T00:00:00Z", End: "2027-06-14T00:00:00Z",
		Qty: 25, Term: "OneYear", Billing: "Annual", AutoRenew: true,
		RenewTerm: "ThreeYears", RenewBilling: "Triennial", CustomEnd: "2027-12-31", ListPrice: 120})
	f.add(fakeSub{ID: "s3", Name: "Office 365 E3", OfferID: "off-e3", ProviderOfferID: "CFQ7TTC0LF8R:0001",
		OfferName: "Office 365 E3", Status: "Active", Start: "2026-08-04", End: "2027-08-03",
		Qty: 5, Term: "OneYear", Billing: "Monthly", AutoRenew: true, OfferPrice: 23})
	f.add(fakeSub{ID: "s4", Name: "My Power BI", OfferID: "off-pbi", OfferName: "Power BI Pro", Status: "Suspended",
		Start: "2026-11-20", End: "2026-12-19", Qty: 3, Term: "OneMonth", Billing: "Monthly", Trial: true})
	f.add(fakeSub{ID: "s5", Name: "Exchange Online (Plan 1)", OfferID: "off-exo", OfferName: "Exchange Online (Plan 1)",
		Status: "Deleted", Start: "2026-01-10", End: "2027-01-09", Qty: 8, Term: "OneYear", Billing: "Monthly"})
	f.transitions["s2"] = []map[string]any{
		{"destinationSubscriptionId": nil, "offerName": "Office 365 E3", "offerId": "off-e3", "providerOfferId": "CFQ7TTC0LF8R:0001",
			"quantity": 25, "termDuration": map[string]string{"name": "OneYear"}, "billingFrequency": map[string]string{"name": "Annual"},
			"transitionType": map[string]string{"name": "TransitionOnly"}},
		{"destinationSubscriptionId": "s3", "offerName": "Office 365 E3", "offerId": "off-e3", "providerOfferId": "CFQ7TTC0LF8R:0001",
			"quantity": 25, "termDuration": map[string]string{"name": "OneYear"}, "billingFrequency": map[string]string{"name": "Annual"},
			"transitionType": map[string]string{"name": "TransitionWithLicenseTransfer"}},
		{"destinationSubscriptionId": nil, "offerName": "Office 365 E5 (no Teams)", "offerId": "off-e5", "providerOfferId": "CFQ7TTC0LF8Z:0001",
			"quantity": 25, "transitionType": map[string]string{"name": "TransitionOnly"}},
	}
	opts := Options{
		BaseURL:      f.srv.URL,
		TokenURL:     f.srv.URL + "/tenant/oauth2/v2.0/token",
		ClientID:     "client-1",
		ClientSecret: testSecret,
		Tenant:       testTenant,
		CustomerIDs:  []string{custID},
		HTTPClient:   f.srv.Client(),
		Clock:        e.clk,
		Logger:       slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Catalog:      testCatalog(t),
		Location:     loc,
		PollInterval: 2 * time.Second,
		PollTimeout:  10 * time.Second,
		Sleep:        e.sl.sleep,
		// The licences and GDAP endpoints need one (usage_test.go).
		ProviderInstanceID: "pi-1",
	}
	for _, m := range mod {
		m(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	t.Cleanup(func() { e.checkNoLeak(t) })
	return e
}

// checkNoLeak: the secret appears only in token request bodies, and
// neither the secret nor a token is ever logged.
func (e *env) checkNoLeak(t *testing.T) {
	t.Helper()
	for _, r := range e.f.all() {
		outsideBody := r.Path + "?" + r.Query
		for k, vs := range r.Header {
			outsideBody += "\n" + k + ": " + strings.Join(vs, ",")
		}
		isToken := strings.HasSuffix(r.Path, "/token")
		if strings.Contains(outsideBody, testSecret) || (!isToken && strings.Contains(r.Body, testSecret)) {
			t.Errorf("client secret sent outside the token call body: %s %s", r.Method, r.Path)
		}
	}
	logs := e.logs.String()
	if strings.Contains(logs, testSecret) {
		t.Error("client secret logged")
	}
	if strings.Contains(logs, "abcdef") { // every fake token ends so
		t.Error("a token was logged")
	}
}

func (e *env) subscription(t *testing.T, id string) csp.Subscription {
	t.Helper()
	s, err := e.c.Subscription(context.Background(), custID, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func at(loc *time.Location, y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func ptr[T any](v T) *T { return &v }

func TestNewValidates(t *testing.T) {
	clk := clock.NewManual(time.Unix(0, 0))
	ok := Options{ClientID: "a", ClientSecret: "b", Tenant: "t", Clock: clk}
	for name, mod := range map[string]func(*Options){
		"no clock":  func(o *Options) { o.Clock = nil },
		"no tenant": func(o *Options) { o.Tenant = "" },
		"no secret": func(o *Options) { o.ClientSecret = "" },
		"bad base":  func(o *Options) { o.BaseURL = "ftp://x" },
	} {
		o := ok
		mod(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	c, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if c.base.String() != DefaultBaseURL || c.tokenURL != DefaultTokenURL || c.scope != DefaultScope ||
		c.hc.Timeout != DefaultTimeout || c.loc.String() != "Europe/Paris" || c.window != 72*time.Hour ||
		c.interval != 2*time.Second || c.polls != 30 || c.Name() != "cloudcockpit" {
		t.Errorf("defaults: %+v", c)
	}
	if cat, _ := c.Catalog(context.Background(), "contoso"); cat == nil || len(cat.Offers) == 0 {
		t.Error("default catalog is empty")
	}
}

func TestHeadersTokenCacheAndRefresh(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for range 3 {
		e.subscription(t, "s1")
	}
	if n := len(e.f.requests(http.MethodPost, "/token")); n != 1 {
		t.Fatalf("token requested %d times for 3 calls, want 1 (cached)", n)
	}
	api := e.f.requests(http.MethodGet, "/s1")
	seen := map[string]bool{}
	for _, r := range api {
		if r.Header.Get("Authorization") != "Bearer tok-1-abcdef" {
			t.Errorf("Authorization %q", r.Header.Get("Authorization"))
		}
		cid := r.Header.Get("X-Correlation-Id")
		if seen[cid] {
			t.Errorf("correlation id %s reused", cid)
		}
		seen[cid] = true
	}

	// Renewed a minute before it expires (3599 s).
	e.clk.Advance(3599*time.Second - time.Minute - time.Second)
	e.subscription(t, "s1")
	if n := len(e.f.requests(http.MethodPost, "/token")); n != 1 {
		t.Fatalf("token renewed too early (%d requests)", n)
	}
	e.clk.Advance(2 * time.Second)
	e.subscription(t, "s1")
	if n := len(e.f.requests(http.MethodPost, "/token")); n != 2 {
		t.Fatalf("token not renewed before expiry (%d requests)", n)
	}

	// A revoked token: 401, one refresh, the call succeeds.
	e.f.revokeTokens()
	e.f.reset()
	if _, err := e.c.Customers(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(e.f.requests(http.MethodPost, "/token")); got != 1 {
		t.Errorf("token requests after 401: %d, want 1", got)
	}
	if got := len(e.f.requests(http.MethodGet, "/Customers/"+custID)); got != 2 {
		t.Errorf("customer calls: %d, want 2 (401 then success)", got)
	}

	// A portal that refuses every token: one refresh only, then an error
	// that is not "unavailable" (retrying will not help).
	e.f.mu.Lock()
	e.f.rejectAll = true
	e.f.mu.Unlock()
	e.f.reset()
	_, err := e.c.Subscription(ctx, custID, "s1")
	if err == nil || errors.Is(err, csp.ErrUnavailable) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v, want a 401 error", err)
	}
	if got := len(e.f.requests(http.MethodGet, "/s1")); got != 2 {
		t.Errorf("calls with a rejected token: %d, want 2", got)
	}
}

func TestBadSecret(t *testing.T) {
	e := setup(t, func(o *Options) { o.ClientSecret = "wrong" })
	_, err := e.c.Subscription(context.Background(), custID, "s1")
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || errors.Is(err, csp.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Error("the secret is in the error")
	}
}

func TestCustomers(t *testing.T) {
	e := setup(t)
	cs, err := e.c.Customers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := csp.Customer{ID: custID, Name: "Contoso SAS", Domain: "contoso.example", Currency: "EUR", TimeZone: "Europe/Paris"}
	if len(cs) != 1 || cs[0] != want {
		t.Errorf("customers = %+v", cs)
	}
}

func TestSubscriptionsPagingAndMapping(t *testing.T) {
	e := setup(t, func(o *Options) { o.PageSize = 3 })
	subs, err := e.c.Subscriptions(context.Background(), custID)
	if err != nil {
		t.Fatal(err)
	}
	pages := e.f.requests(http.MethodGet, "/subscriptions")
	if len(pages) != 2 || !strings.Contains(pages[0].Query, "PageNumber=1") || !strings.Contains(pages[1].Query, "PageNumber=2") ||
		!strings.Contains(pages[1].Query, "ContinuationToken=ct-2") || !strings.Contains(pages[0].Query, "PageSize=3") {
		t.Fatalf("pages: %+v", pages)
	}
	if len(subs) != 5 {
		t.Fatalf("%d subscriptions, want 5", len(subs))
	}
	byID := map[string]csp.Subscription{}
	for i, s := range subs {
		if want := []string{"s1", "s2", "s3", "s4", "s5"}[i]; s.ID != want {
			t.Errorf("order: %d is %s, want %s", i, s.ID, want)
		}
		byID[s.ID] = s
	}
	loc := e.loc

	s1 := byID["s1"]
	until := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC).In(loc)
	want1 := csp.Subscription{
		ID: "s1", CustomerID: custID, OfferID: "m365-business-standard", Name: "Microsoft 365 Business Standard",
		Quantity: 10, Term: csp.TermAnnual, Billing: csp.BillingMonthly,
		TermStart: at(loc, 2026, 11, 25), TermEnd: at(loc, 2027, 11, 25), AutoRenew: true, Status: csp.StatusActive,
		UnitPrice: csp.Money{Minor: 1050, Currency: "EUR"},
		Lots:      []csp.SeatLot{{Quantity: 10, PurchasedAt: at(loc, 2026, 11, 25), RemovableUntil: until}},
	}
	checkSub(t, s1, want1)
	if s1.CancellationAllowedUntil == nil || !s1.CancellationAllowedUntil.Equal(until) || s1.CancellationAllowedUntil.Location() != loc {
		t.Errorf("s1 cancellation until %v", s1.CancellationAllowedUntil)
	}
	if s1.Renewal != nil {
		t.Errorf("s1: echoed renewal settings are not a scheduled change: %+v", s1.Renewal)
	}

	// Matched by provider product:sku despite the availability suffix;
	// listPrice when there is no offerPrice; window from the start date.
	s2 := byID["s2"]
	checkSub(t, s2, csp.Subscription{
		ID: "s2", CustomerID: custID, OfferID: "o365-e1", Name: "Office 365 E1", Quantity: 25,
		Term: csp.TermAnnual, Billing: csp.BillingAnnual, TermStart: at(loc, 2026, 6, 15), TermEnd: at(loc, 2027, 6, 15),
		AutoRenew: true, Status: csp.StatusActive, UnitPrice: csp.Money{Minor: 12000, Currency: "EUR"},
		Lots: []csp.SeatLot{{Quantity: 25, PurchasedAt: at(loc, 2026, 6, 15), RemovableUntil: at(loc, 2026, 6, 15).Add(72 * time.Hour)}},
	})
	if s2.CancellationAllowedUntil != nil {
		t.Errorf("s2 cancellation until %v, want nil", s2.CancellationAllowedUntil)
	}
	r := s2.Renewal
	if r == nil || r.Term != csp.TermTriennial || r.Billing != csp.BillingTriennial || r.Quantity != 0 ||
		r.CustomTermEnd == nil || !r.CustomTermEnd.Equal(at(loc, 2028, 1, 1)) {
		t.Errorf("s2 renewal = %+v", r)
	}

	checkSub(t, byID["s3"], csp.Subscription{
		ID: "s3", CustomerID: custID, OfferID: "o365-e3", Name: "Office 365 E3", Quantity: 5,
		Term: csp.TermAnnual, Billing: csp.BillingMonthly, TermStart: at(loc, 2026, 8, 4), TermEnd: at(loc, 2027, 8, 4),
		AutoRenew: true, Status: csp.StatusActive, UnitPrice: csp.Money{Minor: 2300, Currency: "EUR"},
		Lots: []csp.SeatLot{{Quantity: 5, PurchasedAt: at(loc, 2026, 8, 4), RemovableUntil: at(loc, 2026, 8, 4).Add(72 * time.Hour)}},
	})
	// Not in the catalog: "cc:" id, the portal's offer name.
	checkSub(t, byID["s4"], csp.Subscription{
		ID: "s4", CustomerID: custID, OfferID: "cc:off-pbi", Name: "Power BI Pro", Quantity: 3,
		Term: csp.TermMonthly, Billing: csp.BillingMonthly, TermStart: at(loc, 2026, 11, 20), TermEnd: at(loc, 2026, 12, 20),
		Status: csp.StatusSuspended, Trial: true, UnitPrice: csp.Money{Currency: "EUR"},
		Lots: []csp.SeatLot{{Quantity: 3, PurchasedAt: at(loc, 2026, 11, 20), RemovableUntil: at(loc, 2026, 11, 23)}},
	})
	if byID["s5"].Status != csp.StatusCancelled || byID["s5"].OfferID != "cc:off-exo" {
		t.Errorf("s5 = %+v", byID["s5"])
	}

	// The single read gives the same subscription as the listing; its
	// detail has no listPrice, so the price is the catalog's.
	one := e.subscription(t, "s2")
	checkSub(t, one, s2)
}

func checkSub(t *testing.T, got, want csp.Subscription) {
	t.Helper()
	g, w := got, want
	g.Renewal, w.Renewal = nil, nil
	g.CancellationAllowedUntil, w.CancellationAllowedUntil = nil, nil
	gj, _ := json.Marshal(g)
	wj, _ := json.Marshal(w)
	if !bytes.Equal(gj, wj) {
		t.Errorf("%s:\n got %s\nwant %s", want.ID, gj, wj)
	}
	for _, tm := range []time.Time{got.TermStart, got.TermEnd} {
		if !tm.IsZero() && tm.Location().String() != "Europe/Paris" {
			t.Errorf("%s: %v not in Europe/Paris", got.ID, tm)
		}
	}
}

func TestEnumsAndDates(t *testing.T) {
	for name, want := range map[string]csp.Status{
		"Active": csp.StatusActive, "Suspended": csp.StatusSuspended, "Deleted": csp.StatusCancelled,
		"Cancelled": csp.StatusCancelled, "Expired": csp.StatusExpired, "Disabled": csp.StatusExpired,
		"Pending": csp.StatusPending, "active": csp.StatusActive,
	} {
		if got, ok := mapStatus(name); !ok || got != want {
			t.Errorf("status %s = %s, %t", name, got, ok)
		}
	}
	if got, ok := mapStatus("Provisioning"); ok || got != csp.StatusPending {
		t.Errorf("unknown status = %s, %t", got, ok)
	}
	for name, want := range map[string]csp.Term{"OneMonth": csp.TermMonthly, "OneYear": csp.TermAnnual, "ThreeYears": csp.TermTriennial} {
		if got, ok := mapTerm(name); !ok || got != want {
			t.Errorf("term %s = %s", name, got)
		}
	}
	for _, name := range []string{"NoTerm", "FiveYears"} {
		if got, ok := mapTerm(name); ok || got != "" {
			t.Errorf("term %s = %q, %t", name, got, ok)
		}
	}
	for name, want := range map[string]csp.BillingCycle{"Monthly": csp.BillingMonthly, "Annual": csp.BillingAnnual, "Triennial": csp.BillingTriennial} {
		if got, ok := mapBilling(name); !ok || got != want {
			t.Errorf("billing %s = %s", name, got)
		}
	}
	for _, name := range []string{"OneTime", "None"} {
		if got, ok := mapBilling(name); ok || got != "" {
			t.Errorf("billing %s = %q", name, got)
		}
	}

	// Enums as objects or strings, prices as numbers, strings or objects.
	var w subscription
	if err := json.Unmarshal([]byte(`{"status":"Active","termDuration":{"name":"OneYear"},"offerPrice":{"amount":"9.90","currency":"USD"},"listPrice":"12.5"}`), &w); err != nil {
		t.Fatal(err)
	}
	if w.Status.Name != "Active" || w.TermDuration.Name != "OneYear" || !w.OfferPrice.OK || w.OfferPrice.Value != 9.9 ||
		w.OfferPrice.Currency != "USD" || w.ListPrice.Value != 12.5 {
		t.Errorf("decoded %+v", w)
	}

	loc := paris(t)
	for in, want := range map[string]time.Time{
		"2027-06-14":                  at(loc, 2027, 6, 14),
		"2027-06-14T00:00:00":         at(loc, 2027, 6, 14),
		"2027-06-14T00:00:00Z":        at(loc, 2027, 6, 14),
		"2027-06-14T23:30:00Z":        at(loc, 2027, 6, 14), // the date as written, not shifted to Paris
		"2027-06-14T00:00:00.1234567": at(loc, 2027, 6, 14),
		"2027-06-14T00:00:00+02:00":   at(loc, 2027, 6, 14),
	} {
		if got, ok := localDay(in, loc); !ok || !got.Equal(want) {
			t.Errorf("localDay(%s) = %v, %t", in, got, ok)
		}
	}
	if got, ok := parseInstant("2026-11-28T00:00:00"); !ok || !got.Equal(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("instant without zone = %v (want UTC)", got)
	}
	// A term clamped to a short month keeps its anchor day.
	if got := anchorDay(at(loc, 2027, 1, 31), at(loc, 2027, 2, 28), loc); got != 31 {
		t.Errorf("anchor = %d, want 31", got)
	}
	if got := anchorDay(at(loc, 2026, 11, 25), at(loc, 2027, 11, 25), loc); got != 0 {
		t.Errorf("anchor = %d, want 0", got)
	}
	if got := lastDay(at(loc, 2028, 1, 1), loc); got != "2027-12-31" {
		t.Errorf("lastDay = %s", got)
	}
}

func TestEligibleUpgrades(t *testing.T) {
	e := setup(t)
	got, err := e.c.EligibleUpgrades(context.Background(), custID, "s2")
	if err != nil {
		t.Fatal(err)
	}
	want := []csp.UpgradeOption{
		{OfferID: "o365-e3", OfferName: "Office 365 E3"},
		{OfferID: "o365-e3", OfferName: "Office 365 E3", TargetSubscriptionID: "s3"},
		{OfferID: "cc:off-e5", OfferName: "Office 365 E5 (no Teams)"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func addOp(from, to int) csp.Operation {
	return csp.Operation{Key: "R-1", Kind: csp.ChangeAddSeats, SubscriptionID: "s1", FromQuantity: from, Quantity: to}
}

func TestApplyAddSeats(t *testing.T) {
	e := setup(t)
	e.f.setLag(1) // the first re-read still shows 10
	res, err := e.c.Apply(context.Background(), custID, addOp(10, 12))
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending || res.AlreadyApplied || res.Subscription.Quantity != 12 {
		t.Fatalf("result %+v", res)
	}
	patches := e.f.requests(http.MethodPatch, "/s1")
	// The documented whole body, as read, quantity changed.
	want := `{"name":"Microsoft 365 Business Standard","quantity":12,"nextBillingFrequency":{"name":"Monthly"},"autoRenewEnabled":true,` +
		`"autoRenewSettings":{"term":{"name":"OneYear"},"billingFrequency":{"name":"Monthly"},"customTermEndDate":null}}`
	if len(patches) != 1 || strings.TrimSpace(patches[0].Body) != want {
		t.Fatalf("patches: %+v", patches)
	}
	if got := e.sl.got(); len(got) != 1 || got[0] != 2*time.Second {
		t.Errorf("waits %v, want one poll interval", got)
	}
	// The same operation again: already there, nothing sent.
	e.f.reset()
	res, err = e.c.Apply(context.Background(), custID, addOp(10, 12))
	if err != nil || !res.AlreadyApplied || res.Subscription.Quantity != 12 {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	if n := len(e.f.requests(http.MethodPatch, "")); n != 0 {
		t.Errorf("%d PATCH sent for an applied operation", n)
	}
}

func TestApplyRemoveSeats(t *testing.T) {
	e := setup(t)
	op := addOp(10, 7)
	op.Kind = csp.ChangeRemoveSeats
	res, err := e.c.Apply(context.Background(), custID, op)
	if err != nil || res.Subscription.Quantity != 7 {
		t.Fatalf("%+v, %v", res, err)
	}
	// An add that is a removal is refused before anything is sent.
	e.f.reset()
	_, err = e.c.Apply(context.Background(), custID, csp.Operation{Key: "R-2", Kind: csp.ChangeAddSeats, SubscriptionID: "s1", FromQuantity: 7, Quantity: 5})
	var refused *csp.RefusedError
	if !errors.As(err, &refused) || refused.Code != CodeNotAnIncrease {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.f.requests(http.MethodPatch, "")); n != 0 {
		t.Errorf("%d PATCH sent", n)
	}
}

func TestApplyConflict(t *testing.T) {
	e := setup(t)
	_, err := e.c.Apply(context.Background(), custID, addOp(8, 12))
	if !errors.Is(err, csp.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	if n := len(e.f.requests(http.MethodPatch, "")); n != 0 {
		t.Errorf("%d PATCH sent on a conflict", n)
	}
}

func TestApplyNotActive(t *testing.T) {
	e := setup(t)
	_, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: "R-1", Kind: csp.ChangeAddSeats, SubscriptionID: "s4", FromQuantity: 3, Quantity: 4})
	var refused *csp.RefusedError
	if !errors.As(err, &refused) || refused.Code != CodeNotActive {
		t.Fatalf("err = %v", err)
	}
}

func TestApplyCancel(t *testing.T) {
	e := setup(t)
	op := csp.Operation{Key: "R-1", Kind: csp.ChangeCancel, SubscriptionID: "s1"}
	res, err := e.c.Apply(context.Background(), custID, op)
	if err != nil || res.Subscription.Status != csp.StatusCancelled || res.Pending {
		t.Fatalf("%+v, %v", res, err)
	}
	if n := len(e.f.requests(http.MethodDelete, "/s1")); n != 1 {
		t.Errorf("%d DELETE", n)
	}
	e.f.reset()
	res, err = e.c.Apply(context.Background(), custID, op)
	if err != nil || !res.AlreadyApplied {
		t.Fatalf("again: %+v, %v", res, err)
	}
	if n := len(e.f.requests(http.MethodDelete, "")); n != 0 {
		t.Errorf("%d DELETE for a cancelled subscription", n)
	}
}

func TestApplyCancelConflict409(t *testing.T) {
	e := setup(t)
	e.f.queue("DELETE /v1/customers/"+custID+"/subscriptions/s1", fakeResp{status: 409, body: `{"statusCode":409,"type":"Conflict","description":"portal and provider disagree"}`})
	_, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: "R-1", Kind: csp.ChangeCancel, SubscriptionID: "s1"})
	if !errors.Is(err, csp.ErrConflict) || !strings.Contains(err.Error(), "disagree") {
		t.Fatalf("err = %v", err)
	}
}

func TestApplyAutoRenewOff(t *testing.T) {
	e := setup(t)
	op := csp.Operation{Key: "R-1", Kind: csp.ChangeAutoRenewOff, SubscriptionID: "s1", AutoRenew: ptr(false)}
	res, err := e.c.Apply(context.Background(), custID, op)
	if err != nil || res.Subscription.AutoRenew {
		t.Fatalf("%+v, %v", res, err)
	}
	p := e.f.requests(http.MethodPatch, "/s1")
	want := `{"name":"Microsoft 365 Business Standard","quantity":10,"nextBillingFrequency":{"name":"Monthly"},"autoRenewEnabled":false,` +
		`"autoRenewSettings":{"term":{"name":"OneYear"},"billingFrequency":{"name":"Monthly"},"customTermEndDate":null}}`
	if len(p) != 1 || strings.TrimSpace(p[0].Body) != want {
		t.Fatalf("patches %+v", p)
	}
	// Inconsistent operation: a plain error, nothing read.
	bad := op
	bad.AutoRenew = ptr(true)
	if _, err := e.c.Apply(context.Background(), custID, bad); err == nil {
		t.Error("auto_renew_off with auto_renew true accepted")
	}
}

func TestApplyAlignEndDate(t *testing.T) {
	e := setup(t)
	end := at(e.loc, 2028, 6, 15) // the next term ends 14 June 2028
	op := csp.Operation{Key: "R-1", Kind: csp.ChangeAlignEndDate, SubscriptionID: "s1", TargetSubscriptionID: "s3", CustomTermEnd: &end}
	res, err := e.c.Apply(context.Background(), custID, op)
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Subscription.Renewal; r == nil || r.CustomTermEnd == nil || !r.CustomTermEnd.Equal(end) {
		t.Fatalf("renewal %+v", res.Subscription.Renewal)
	}
	p := e.f.requests(http.MethodPatch, "/s1")
	want := `{"name":"Microsoft 365 Business Standard","quantity":10,"nextBillingFrequency":{"name":"Monthly"},"autoRenewEnabled":true,` +
		`"autoRenewSettings":{"term":{"name":"OneYear"},"billingFrequency":{"name":"Monthly"},"customTermEndDate":"2028-06-14T00:00:00Z"}}`
	if len(p) != 1 || strings.TrimSpace(p[0].Body) != want {
		t.Fatalf("patches %+v\nwant %s", p, want)
	}
	e.f.reset()
	res, err = e.c.Apply(context.Background(), custID, op)
	if err != nil || !res.AlreadyApplied || len(e.f.requests(http.MethodPatch, "")) != 0 {
		t.Fatalf("again: %+v, %v", res, err)
	}
}

func upgradeOp() csp.Operation {
	return csp.Operation{Key: "R-9", Kind: csp.ChangeUpgrade, SubscriptionID: "s2", FromQuantity: 25, Quantity: 5,
		TargetOfferID: "o365-e3", TargetSubscriptionID: "s3"}
}

func TestApplyUpgradeMerge(t *testing.T) {
	e := setup(t)
	res, err := e.c.Apply(context.Background(), custID, upgradeOp())
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending || res.Subscription.Quantity != 20 || res.Target == nil || res.Target.ID != "s3" || res.Target.Quantity != 10 {
		t.Fatalf("result %+v target %+v", res, res.Target)
	}
	if n := len(e.f.requests(http.MethodGet, "/s2/eligible-transitions")); n != 1 {
		t.Errorf("eligible transitions read %d times", n)
	}
	posts := e.f.requests(http.MethodPost, "/s2/upgrade")
	if len(posts) != 1 {
		t.Fatalf("%d upgrade posts", len(posts))
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(posts[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	if body["destinationSubscriptionId"] != "s3" || body["quantity"] != float64(5) || body["providerOfferId"] != "CFQ7TTC0LF8R:0001" ||
		body["transitionType"].(map[string]any)["name"] != "TransitionWithLicenseTransfer" {
		t.Errorf("upgrade body %s", posts[0].Body)
	}
	// A retry (lost answer): recognised from the state, no second POST.
	e.f.reset()
	res, err = e.c.Apply(context.Background(), custID, upgradeOp())
	if err != nil || !res.AlreadyApplied || res.Target == nil || res.Target.Quantity != 10 {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	if n := len(e.f.requests(http.MethodPost, "/upgrade")); n != 0 {
		t.Errorf("%d POST on retry", n)
	}
}

func TestApplyUpgradeNotEligible(t *testing.T) {
	e := setup(t)
	op := upgradeOp()
	op.TargetSubscriptionID = "s1" // not a destination the portal offers
	_, err := e.c.Apply(context.Background(), custID, op)
	var refused *csp.RefusedError
	if !errors.As(err, &refused) || refused.Code != CodeUpgradeNotEligible || !strings.Contains(refused.Detail, "Office 365 E3 into s3") {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.f.requests(http.MethodPost, "/upgrade")); n != 0 {
		t.Errorf("%d POST", n)
	}
}

func TestApplyUpgradeNotRetriedOn5xx(t *testing.T) {
	e := setup(t)
	e.f.queue("POST /v1/customers/"+custID+"/subscriptions/s2/upgrade", fakeResp{status: 502})
	_, err := e.c.Apply(context.Background(), custID, upgradeOp())
	if !errors.Is(err, csp.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.f.requests(http.MethodPost, "/upgrade")); n != 1 {
		t.Errorf("upgrade sent %d times; a relative write must not be resent after a 5xx", n)
	}
}

func TestApplyNeverVisibleIsPending(t *testing.T) {
	e := setup(t)
	e.f.setLag(-1)
	res, err := e.c.Apply(context.Background(), custID, addOp(10, 12))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pending || res.Subscription.Quantity != 10 {
		t.Fatalf("result %+v", res)
	}
	// 10 s / 2 s: five waits, six re-reads after the first read.
	if got := e.sl.got(); len(got) != 5 {
		t.Errorf("waits %v", got)
	}
	if n := len(e.f.requests(http.MethodGet, "/s1")); n != 7 {
		t.Errorf("%d reads, want 7", n)
	}
}

func TestApplyPortalRefuses(t *testing.T) {
	e := setup(t)
	e.f.queue("PATCH /v1/customers/"+custID+"/subscriptions/s1", fakeResp{status: 400, body: `{"statusCode":400,"type":"ValidationError",
		"description":"The quantity cannot be changed.","correlationId":"abc",
		"errors":[{"propertyName":"Quantity","description":["must not exceed 300","is locked"]}]}`})
	_, err := e.c.Apply(context.Background(), custID, addOp(10, 400))
	var refused *csp.RefusedError
	if !errors.As(err, &refused) || refused.Code != CodePortalRefused ||
		refused.Detail != "The quantity cannot be changed.; Quantity: must not exceed 300, is locked" {
		t.Fatalf("err = %#v", err)
	}
}

func TestSetRenewalQuantityNotSupported(t *testing.T) {
	e := setup(t)
	_, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: "R-1", Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "s1", FromQuantity: 10, Quantity: 8})
	var refused *csp.RefusedError
	if !errors.As(err, &refused) || refused.Code != CodeNotSupported {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.f.all()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestNotFound(t *testing.T) {
	e := setup(t)
	if _, err := e.c.Subscription(context.Background(), custID, "nope"); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("Subscription: %v", err)
	}
	if _, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: "k", Kind: csp.ChangeCancel, SubscriptionID: "nope"}); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("Apply: %v", err)
	}
	if _, err := e.c.Subscriptions(context.Background(), "other"); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("Subscriptions: %v", err)
	}
}

func TestRetryAfter429(t *testing.T) {
	e := setup(t)
	e.f.queue("GET /v1/customers/"+custID+"/subscriptions/s1", fakeResp{status: 429, header: map[string]string{"Retry-After": "7"}})
	s := e.subscription(t, "s1")
	if s.Quantity != 10 {
		t.Fatalf("%+v", s)
	}
	if got := e.sl.got(); len(got) != 1 || got[0] != 7*time.Second {
		t.Errorf("waits %v, want [7s]", got)
	}
	if n := len(e.f.requests(http.MethodGet, "/s1")); n != 2 {
		t.Errorf("%d calls", n)
	}
	// A Retry-After beyond MaxRetryAfter ends the call at once.
	e.sl.reset()
	e.f.queue("GET /v1/customers/"+custID+"/subscriptions/s1", fakeResp{status: 429, header: map[string]string{"Retry-After": "3600"}})
	if _, err := e.c.Subscription(context.Background(), custID, "s1"); !errors.Is(err, csp.ErrUnavailable) {
		t.Errorf("err = %v", err)
	}
	if len(e.sl.got()) != 0 {
		t.Errorf("waited %v", e.sl.got())
	}
}

func TestUnavailableAfterThreeTries(t *testing.T) {
	e := setup(t)
	r := fakeResp{status: 503, body: `{"statusCode":503,"description":"maintenance"}`}
	e.f.queue("PATCH /v1/customers/"+custID+"/subscriptions/s1", r, r, r)
	_, err := e.c.Apply(context.Background(), custID, addOp(10, 12))
	if !errors.Is(err, csp.ErrUnavailable) || !strings.Contains(err.Error(), "maintenance") {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.f.requests(http.MethodPatch, "/s1")); n != 3 {
		t.Errorf("%d PATCH, want 3", n)
	}
	if got := e.sl.got(); len(got) != 2 || got[0] != time.Second || got[1] != 2*time.Second {
		t.Errorf("waits %v, want [1s 2s]", got)
	}
}

func TestNetworkErrorUnavailable(t *testing.T) {
	e := setup(t)
	e.f.srv.Close()
	_, err := e.c.Subscription(context.Background(), custID, "s1")
	if !errors.Is(err, csp.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

func TestContextCancel(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.c.Subscription(ctx, custID, "s1"); !errors.Is(err, context.Canceled) || errors.Is(err, csp.ErrUnavailable) {
		t.Errorf("cancelled before: %v", err)
	}

	// Cancelled while waiting to retry.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	e.sl.onWait = func(int) { cancel() }
	e.f.queue("GET /v1/customers/"+custID+"/subscriptions/s1", fakeResp{status: 503}, fakeResp{status: 503})
	if _, err := e.c.Subscription(ctx, custID, "s1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during backoff: %v", err)
	}
	if n := len(e.f.requests(http.MethodGet, "/s1")); n != 1 {
		t.Errorf("%d calls after cancel", n)
	}
}

func TestSecretOnlyInTokenCall(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	if _, err := e.c.Customers(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Subscriptions(ctx, custID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Apply(ctx, custID, addOp(10, 11)); err != nil {
		t.Fatal(err)
	}
	e.f.revokeTokens()
	if _, err := e.c.Apply(ctx, custID, upgradeOp()); err != nil {
		t.Fatal(err)
	}
	tokenCalls := 0
	for _, r := range e.f.all() {
		has := strings.Contains(r.Body, testSecret) || strings.Contains(r.Query, testSecret)
		for _, vs := range r.Header {
			has = has || strings.Contains(strings.Join(vs, ","), testSecret)
		}
		if strings.HasSuffix(r.Path, "/token") {
			tokenCalls++
			if !strings.Contains(r.Body, testSecret) {
				t.Error("token call without the secret")
			}
			continue
		}
		if has {
			t.Errorf("secret sent in %s %s", r.Method, r.Path)
		}
	}
	if tokenCalls != 2 {
		t.Errorf("%d token calls, want 2", tokenCalls)
	}
	// checkNoLeak (cleanup) checks the logs.
}

// Each customer's dates and removal window are its own: a customer in
// New York is not read in Paris time, nor given another's window.
func TestCustomerSettingsArePerCustomer(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{loc: paris(t), window: 72 * time.Hour,
		settings: map[string]csp.CustomerSettings{"ny": {Location: ny, RemovalWindow: 168 * time.Hour}}}
	if c.locOf("ny") != ny || c.windowOf("ny") != 168*time.Hour {
		t.Errorf("ny: %v %v", c.locOf("ny"), c.windowOf("ny"))
	}
	if c.locOf("contoso") != c.loc || c.windowOf("contoso") != 72*time.Hour {
		t.Errorf("default: %v %v", c.locOf("contoso"), c.windowOf("contoso"))
	}
	start, _ := localDay("2027-06-14", c.locOf("ny"))
	if start.Location() != ny {
		t.Errorf("a New York customer's date is read in %v", start.Location())
	}
}
