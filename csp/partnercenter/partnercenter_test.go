package partnercenter

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
	f       *fakePC
	c       *Client
	clk     *clock.Manual
	sl      *sleeper
	logs    *syncBuffer
	loc     *time.Location
	rotated []string
}

func testCatalog(t *testing.T) *csp.Catalog {
	t.Helper()
	p := []csp.Price{{Term: csp.TermAnnual, Billing: csp.BillingMonthly, Unit: csp.Money{Minor: 1000, Currency: "EUR"}}}
	cat, err := csp.NewCatalog([]csp.Offer{
		{ID: "m365-business-standard", Name: "Microsoft 365 Business Standard", Segment: "Microsoft 365 Business", Tier: 2, Prices: p,
			ProviderOfferID: bizProduct + ":0001", MaxSeats: 300},
		{ID: "m365-business-basic", Name: "Microsoft 365 Business Basic", Segment: "Microsoft 365 Business", Tier: 1, Prices: p,
			ProviderOfferID: bizBasic + ":0001:AV01", MaxSeats: 300},
		{ID: "o365-e1", Name: "Office 365 E1", Segment: "Office 365 Enterprise", Tier: 1, ProviderOfferID: e1Product + ":0001", Prices: p},
		{ID: "o365-e3", Name: "Office 365 E3", Segment: "Office 365 Enterprise", Tier: 2, ProviderOfferID: e3Product + ":0001", Prices: p},
		{ID: "no-id", Name: "No Id", Segment: "X", Tier: 1, Prices: p},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// The clock: 26 November 2026, 10:00 in Paris.
func setup(t *testing.T, mod ...func(*Options)) *env {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, loc)
	clk := clock.NewManual(now)
	f := newFake(t, clk)
	e := &env{f: f, clk: clk, sl: &sleeper{}, logs: &syncBuffer{}, loc: loc}
	utc := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	// s1: Business Standard, renewed yesterday: its 10 seats are inside
	// the window; 2 more were added this morning.
	f.add(fakeSub{ID: "s1", OfferID: bizProduct + ":0001:AV01", Name: "Microsoft 365 Business Standard", Status: "active", Qty: 12,
		Term: "P1Y", Billing: "monthly", AutoRenew: true, Start: utc(2026, 11, 25), End: utc(2027, 11, 24),
		CancelUntil: utc(2026, 12, 2), Lots: []fakeLot{{10, utc(2026, 12, 2)}, {2, now.Add(167 * time.Hour)}}})
	// s2: E1, mid-term, nothing removable, a smaller renewal scheduled.
	f.add(fakeSub{ID: "s2", OfferID: e1Product + ":0001:AV01", Name: "Office 365 E1", Status: "active", Qty: 25,
		Term: "P1Y", Billing: "annual", AutoRenew: true, Start: utc(2026, 6, 15), End: utc(2027, 6, 14),
		Next: map[string]any{"product": map[string]any{"productId": e1Product, "skuId": "0001", "availabilityId": "AV01",
			"billingCycle": "annual", "termDuration": "P1Y"}, "quantity": 20}})
	// s3: E3, a line to merge into.
	f.add(fakeSub{ID: "s3", OfferID: e3Product + ":0001:AV01", Name: "Office 365 E3", Status: "active", Qty: 5,
		Term: "P1Y", Billing: "annual", AutoRenew: true, Start: utc(2026, 8, 4), End: utc(2027, 8, 3)})
	// s4: cancelled.
	f.add(fakeSub{ID: "s4", OfferID: "CFQ7TTC0LH16:0001:AV01", Name: "Exchange Online (Plan 1)", Status: "deleted", Qty: 8,
		Term: "P1Y", Billing: "monthly", Start: utc(2026, 1, 10), End: utc(2027, 1, 9)})
	// s5: Business Basic with auto-renew off.
	f.add(fakeSub{ID: "s5", OfferID: bizBasic + ":0001:AV01", Name: "Microsoft 365 Business Basic", Status: "active", Qty: 280,
		Term: "P1Y", Billing: "monthly", AutoRenew: false, Start: utc(2026, 3, 1), End: utc(2027, 2, 28)})
	f.eligible["s2"] = []map[string]any{
		{"catalogItemId": e3Product + ":0001:AV01", "title": "Office 365 E3",
			"eligibilities": []any{
				map[string]any{"isEligible": true, "transitionType": transitionOnly},
				map[string]any{"isEligible": true, "transitionType": transitionWithLicenseTransfer}},
			"subscriptionEligibilities": []any{
				map[string]any{"subscriptionId": "s3", "isEligible": true},
				map[string]any{"subscriptionId": "s9", "isEligible": false,
					"errors": []any{map[string]any{"code": 4001, "description": "The target subscription ends before the source subscription"}}}}},
		{"catalogItemId": "CFQ7TTC0LF8Z:0001:AV01", "title": "Office 365 E5",
			"eligibilities": []any{map[string]any{"isEligible": false, "transitionType": transitionOnly,
				"errors": []any{map[string]any{"code": "4002", "description": "The customer has reached the maximum number of transitions"}}}}},
	}
	opts := Options{
		BaseURL: f.srv.URL, PricingURL: f.srv.URL, TokenURL: f.srv.URL + "/tenant/oauth2/v2.0/token", ClientID: "client-1", ClientSecret: testSecret,
		CustomerIDs: []string{custID}, HTTPClient: f.srv.Client(), Clock: clk,
		Logger:  slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Catalog: testCatalog(t), Location: loc, PollInterval: 5 * time.Second, PollTimeout: 30 * time.Second, Sleep: e.sl.sleep,
		OnRefreshToken: func(s string) { e.rotated = append(e.rotated, s) },
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

func withUser(o *Options) { o.RefreshToken = testRefresh }

// checkNoLeak: secrets travel only in token request bodies, and no secret
// or token is ever logged.
func (e *env) checkNoLeak(t *testing.T) {
	t.Helper()
	for _, r := range e.f.all() {
		outside := r.Path + "?" + r.Query
		for k, vs := range r.Header {
			outside += "\n" + k + ": " + strings.Join(vs, ",")
		}
		isToken := strings.HasSuffix(r.Path, "/token")
		if strings.Contains(outside, "VALUE-never-leak") || (!isToken && strings.Contains(r.Body, "VALUE-never-leak")) {
			t.Errorf("a secret was sent outside a token request body: %s %s", r.Method, r.Path)
		}
	}
	logs := e.logs.String()
	if strings.Contains(logs, "VALUE-never-leak") || strings.Contains(logs, "abcdef") {
		t.Error("a secret or a token was logged")
	}
}

func (e *env) sub(t *testing.T, id string) csp.Subscription {
	t.Helper()
	s, err := e.c.Subscription(context.Background(), custID, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func key() string { return newUUID() }

func ptr[T any](v T) *T { return &v }

func refusal(t *testing.T, err error, code string) *csp.RefusedError {
	t.Helper()
	var r *csp.RefusedError
	if !errors.As(err, &r) || r.Code != code {
		t.Fatalf("want refusal %s, got %v", code, err)
	}
	if r.Detail == "" {
		t.Errorf("refusal %s has no detail", code)
	}
	return r
}

func TestNewValidates(t *testing.T) {
	clk := clock.NewManual(time.Unix(0, 0))
	ok := Options{ClientID: "a", ClientSecret: "b", TenantID: "contoso.onmicrosoft.com", Clock: clk}
	for name, mod := range map[string]func(*Options){
		"no clock":          func(o *Options) { o.Clock = nil },
		"no client id":      func(o *Options) { o.ClientID = "" },
		"no secret or user": func(o *Options) { o.ClientSecret = "" },
		"no tenant":         func(o *Options) { o.TenantID = "" },
		"bad base":          func(o *Options) { o.BaseURL = "ftp://x" },
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
	if c.base.String() != DefaultBaseURL || c.auth.tokenURL != "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token" ||
		c.window != 168*time.Hour || c.Name() != "partnercenter" {
		t.Errorf("defaults: base %s, token %s, window %s", c.base, c.auth.tokenURL, c.window)
	}
}

func TestHeadersAndTokenCachedThenRenewedBeforeExpiry(t *testing.T) {
	e := setup(t)
	for range 3 {
		e.sub(t, "s1")
	}
	if n := len(e.f.requests(http.MethodPost, "/token")); n != 1 {
		t.Fatalf("token requested %d times for 3 calls, want 1", n)
	}
	// 56 minutes later the 60-minute token is within the renewal margin.
	e.clk.Advance(56 * time.Minute)
	e.sub(t, "s1")
	if n := len(e.f.requests(http.MethodPost, "/token")); n != 2 {
		t.Fatalf("token not renewed before expiry: %d requests", n)
	}
	gets := e.f.requests(http.MethodGet, "/subscriptions/s1")
	if gets[0].Header.Get("MS-RequestId") == gets[1].Header.Get("MS-RequestId") {
		t.Error("two logical reads shared an MS-RequestId")
	}
	if !strings.Contains(e.logs.String(), "ms_correlation_id=") {
		t.Error("MS-CorrelationId is not logged")
	}
}

func TestRevokedTokenIsRefreshedOnce(t *testing.T) {
	e := setup(t)
	e.sub(t, "s1")
	e.f.mu.Lock()
	e.f.tokens = map[string]string{}
	e.f.mu.Unlock()
	e.sub(t, "s1")
	if n := len(e.f.requests(http.MethodPost, "/token")); n != 2 {
		t.Fatalf("token requests %d, want 2", n)
	}
}

func TestAppOnlyRefusedMovesToAppPlusUserAndRotatesRefreshToken(t *testing.T) {
	e := setup(t, withUser)
	e.f.userOnly["get"] = true
	s := e.sub(t, "s1")
	if s.Quantity != 12 {
		t.Fatalf("quantity %d", s.Quantity)
	}
	var grants []string
	for _, r := range e.f.requests(http.MethodPost, "/token") {
		if strings.Contains(r.Body, "grant_type=refresh_token") {
			grants = append(grants, "user")
		} else {
			grants = append(grants, "app")
		}
	}
	if strings.Join(grants, ",") != "app,user" {
		t.Errorf("grants %v, want app then user", grants)
	}
	if len(e.rotated) != 1 {
		t.Fatalf("rotated refresh token not handed over: %d", len(e.rotated))
	}
	// The next user token uses the rotated refresh token (the old one is
	// no longer valid in the fake).
	e.clk.Advance(2 * time.Hour)
	e.sub(t, "s1")
	if len(e.rotated) != 2 {
		t.Errorf("second rotation not seen: %d", len(e.rotated))
	}
}

func TestAppOnlyCredentialsCannotDoAnAppPlusUserOperation(t *testing.T) {
	e := setup(t)
	e.f.userOnly["get"] = true
	_, err := e.c.Subscription(context.Background(), custID, "s1")
	refusal(t, err, CodePermissionDenied)
}

func TestUserOnlyCredentials(t *testing.T) {
	e := setup(t, withUser, func(o *Options) { o.ClientSecret = "" })
	e.sub(t, "s1")
	for _, r := range e.f.requests(http.MethodPost, "/token") {
		if !strings.Contains(r.Body, "grant_type=refresh_token") {
			t.Errorf("token grant without refresh token: %s", r.Body)
		}
	}
}

func TestMappingLotsRenewalDatesAndStatus(t *testing.T) {
	e := setup(t)
	subs, err := e.c.Subscriptions(context.Background(), custID)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]csp.Subscription{}
	for _, s := range subs {
		by[s.ID] = s
	}
	s1 := by["s1"]
	if s1.OfferID != "m365-business-standard" || s1.Term != csp.TermAnnual || s1.Billing != csp.BillingMonthly || s1.ETag == "" {
		t.Errorf("s1: %+v", s1)
	}
	if len(s1.Lots) != 2 || s1.Lots[0].Quantity != 10 || s1.Lots[1].Quantity != 2 {
		t.Fatalf("s1 lots %+v", s1.Lots)
	}
	now := e.clk.Now()
	// Partner Center gives the deadline; the purchase is dated one window
	// (168 h) before it: this morning's lot was bought an hour ago.
	if !s1.Lots[1].PurchasedAt.Equal(now.Add(-time.Hour)) || !s1.Lots[1].RemovableUntil.Equal(now.Add(167*time.Hour)) {
		t.Errorf("lot dates %+v", s1.Lots[1])
	}
	if got := s1.RemovableAt(now); got != 12 {
		t.Errorf("removable now %d, want 12", got)
	}
	// After 2 December only the 2 seats bought this morning remain removable.
	if got := s1.RemovableAt(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)); got != 2 {
		t.Errorf("removable on 2 December %d, want 2", got)
	}
	if !s1.TermEnd.Equal(time.Date(2027, 11, 25, 0, 0, 0, 0, e.loc)) || !s1.TermStart.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, e.loc)) {
		t.Errorf("s1 term %s – %s", s1.TermStart, s1.TermEnd)
	}
	if s1.CancellationAllowedUntil == nil || !s1.CancellationAllowedUntil.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("s1 cancellation %v", s1.CancellationAllowedUntil)
	}
	if s1.UnitPrice.Minor != 1000 {
		t.Errorf("s1 price %v", s1.UnitPrice)
	}
	s2 := by["s2"]
	if s2.Renewal == nil || s2.Renewal.Quantity != 20 || s2.Renewal.Term != "" || s2.RenewalQuantity() != 20 {
		t.Errorf("s2 renewal %+v", s2.Renewal)
	}
	if s2.RemovableAt(now) != 0 || s2.CancellationAllowedUntil != nil {
		t.Errorf("s2 removable %d, cancellation %v", s2.RemovableAt(now), s2.CancellationAllowedUntil)
	}
	if by["s4"].Status != csp.StatusCancelled {
		t.Errorf("s4 status %s", by["s4"].Status)
	}
	cus, err := e.c.Customers(context.Background())
	if err != nil || len(cus) != 1 || cus[0].Name != "Contoso SAS" {
		t.Errorf("customers %+v %v", cus, err)
	}
	if m, err := e.c.Market(context.Background(), custID); m != "FR" || err != nil {
		t.Errorf("market %q %v", m, err)
	}
}

func patchBody(t *testing.T, r recorded) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAddSeatsPatchesWholeResourceWithIfMatchAndWipesSchedule(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	before := e.f.sub("s2")
	k := key()
	res, err := e.c.Apply(ctx, custID, csp.Operation{Key: k, Kind: csp.ChangeAddSeats, SubscriptionID: "s2", FromQuantity: 25, Quantity: 27})
	if err != nil {
		t.Fatal(err)
	}
	if res.Subscription.Quantity != 27 || res.AlreadyApplied || res.Pending {
		t.Fatalf("result %+v", res)
	}
	if res.Subscription.Renewal != nil {
		t.Errorf("the mid-term change should have deleted the scheduled renewal: %+v", res.Subscription.Renewal)
	}
	if res.Receipt.Status != 200 || res.Receipt.CorrelationID == "" {
		t.Errorf("receipt %+v", res.Receipt)
	}
	patches := e.f.requests(http.MethodPatch, "/s2")
	if len(patches) != 1 {
		t.Fatalf("%d PATCHes", len(patches))
	}
	p := patches[0]
	if p.Header.Get("If-Match") != before.Etag || p.Header.Get("MS-RequestId") != k {
		t.Errorf("If-Match %q (want %q), MS-RequestId %q (want the key)", p.Header.Get("If-Match"), before.Etag, p.Header.Get("MS-RequestId"))
	}
	if b := patchBody(t, p); b["offerId"] == nil || b["refundableQuantity"] == nil || b["quantity"].(float64) != 27 {
		t.Errorf("PATCH body is not the whole resource: %v", b)
	}
	if !strings.Contains(e.logs.String(), "delete the scheduled next-term instructions") {
		t.Error("no warning that the schedule is wiped")
	}
	// The same operation again: nothing sent.
	res, err = e.c.Apply(ctx, custID, csp.Operation{Key: k, Kind: csp.ChangeAddSeats, SubscriptionID: "s2", FromQuantity: 25, Quantity: 27})
	if err != nil || !res.AlreadyApplied {
		t.Fatalf("again: %+v %v", res, err)
	}
	if n := len(e.f.requests(http.MethodPatch, "")); n != 1 {
		t.Errorf("PATCHes after a repeat: %d", n)
	}
	// The new lot is removable for 168 hours.
	if got := res.Subscription.RemovableAt(e.clk.Now()); got != 2 {
		t.Errorf("removable after adding 2: %d", got)
	}
}

func TestSeatCapOnBusinessPlans(t *testing.T) {
	e := setup(t)
	// s5 (Business Basic) has 280 and s1 (Business Standard) 12: 292.
	_, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: key(), Kind: csp.ChangeAddSeats, SubscriptionID: "s1", FromQuantity: 12, Quantity: 21})
	refusal(t, err, CodeMaxSeats)
	if got := e.f.sub("s1").Qty; got != 12 {
		t.Errorf("quantity changed to %d", got)
	}
}

func TestRemoveSeatsOnlyWithinTheirOwnWindow(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// After 2 December only this morning's 2 seats are removable.
	e.clk.Set(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
	_, err := e.c.Apply(ctx, custID, csp.Operation{Key: key(), Kind: csp.ChangeRemoveSeats, SubscriptionID: "s1", FromQuantity: 12, Quantity: 9})
	refusal(t, err, CodeRemovalWindowClosed)
	if n := len(e.f.requests(http.MethodPatch, "")); n != 0 {
		t.Fatalf("a refused removal was sent (%d PATCHes)", n)
	}
	res, err := e.c.Apply(ctx, custID, csp.Operation{Key: key(), Kind: csp.ChangeRemoveSeats, SubscriptionID: "s1", FromQuantity: 12, Quantity: 10})
	if err != nil || res.Subscription.Quantity != 10 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestPortalRefusalIsMappedWhenTheLocalCheckCannotSeeIt(t *testing.T) {
	e := setup(t)
	// The fake refuses on its own rules; the client's copy says 12 are
	// removable, but the portal's lots closed a second ago.
	e.f.mu.Lock()
	e.f.beforePatch = func(s *fakeSub) { s.Lots = nil }
	e.f.mu.Unlock()
	_, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: key(), Kind: csp.ChangeRemoveSeats, SubscriptionID: "s1", FromQuantity: 12, Quantity: 11})
	r := refusal(t, err, CodeRemovalWindowClosed)
	if !strings.Contains(r.Detail, "RefundWindowExpired") {
		t.Errorf("detail %q lacks Partner Center's code", r.Detail)
	}
}

func TestEtagChangedRereadsAndDecidesAgain(t *testing.T) {
	t.Run("someone else changed the quantity: conflict, nothing written", func(t *testing.T) {
		e := setup(t)
		e.f.mu.Lock()
		e.f.beforePatch = func(s *fakeSub) { s.Qty = 13; e.f.bump(s) }
		e.f.mu.Unlock()
		_, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: key(), Kind: csp.ChangeAddSeats, SubscriptionID: "s1", FromQuantity: 12, Quantity: 14})
		if !errors.Is(err, csp.ErrConflict) {
			t.Fatalf("want conflict, got %v", err)
		}
		if got := e.f.sub("s1").Qty; got != 13 {
			t.Errorf("quantity %d, want 13 (untouched)", got)
		}
		if n := len(e.f.requests(http.MethodPatch, "")); n != 1 {
			t.Errorf("PATCHes %d, want 1 (the 412)", n)
		}
	})
	t.Run("only the etag moved: decided again on the new etag", func(t *testing.T) {
		e := setup(t)
		e.f.mu.Lock()
		e.f.beforePatch = func(s *fakeSub) { e.f.bump(s) }
		e.f.mu.Unlock()
		k := key()
		res, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: k, Kind: csp.ChangeAddSeats, SubscriptionID: "s1", FromQuantity: 12, Quantity: 14})
		if err != nil || res.Subscription.Quantity != 14 {
			t.Fatalf("%+v %v", res, err)
		}
		ps := e.f.requests(http.MethodPatch, "")
		if len(ps) != 2 || ps[0].Header.Get("If-Match") == ps[1].Header.Get("If-Match") {
			t.Fatalf("want two PATCHes on two etags, got %d", len(ps))
		}
		if e.f.sub("s1").Qty != 14 {
			t.Error("not applied")
		}
	})
}

func TestTimeoutAfterTheWriteTookEffectIsNotAppliedTwice(t *testing.T) {
	e := setup(t)
	e.f.fault("patch", fault{drop: true, afterApply: true})
	k := key()
	res, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: k, Kind: csp.ChangeAddSeats, SubscriptionID: "s1", FromQuantity: 12, Quantity: 15})
	if err != nil || res.Subscription.Quantity != 15 {
		t.Fatalf("%+v %v", res, err)
	}
	s := e.f.sub("s1")
	if s.Qty != 15 || len(s.Lots) != 3 {
		t.Errorf("quantity %d with %d lots: applied more than once", s.Qty, len(s.Lots))
	}
	ps := e.f.requests(http.MethodPatch, "")
	if len(ps) != 2 || ps[0].Header.Get("MS-RequestId") != k || ps[1].Header.Get("MS-RequestId") != k {
		t.Errorf("retry must carry the same MS-RequestId")
	}
	if ps[0].Header.Get("MS-CorrelationId") == ps[1].Header.Get("MS-CorrelationId") {
		t.Error("retry reused the MS-CorrelationId")
	}
}

func TestThrottlingAndServerErrorsAreRetried(t *testing.T) {
	e := setup(t)
	e.f.fault("get", fault{status: 429, retryAfter: "7"}, fault{status: 503})
	e.sub(t, "s1")
	got := e.sl.got()
	if len(got) != 2 || got[0] != 7*time.Second || got[1] != 2*time.Second {
		t.Errorf("waits %v, want [7s 2s]", got)
	}
	gets := e.f.requests(http.MethodGet, "/s1")
	if len(gets) != 3 || gets[0].Header.Get("MS-RequestId") != gets[2].Header.Get("MS-RequestId") {
		t.Errorf("retries of one read must share the MS-RequestId (%d sends)", len(gets))
	}
}

func TestTooLongRetryAfterAndExhaustedRetriesAreUnavailable(t *testing.T) {
	e := setup(t)
	e.f.fault("get", fault{status: 429, retryAfter: "600"})
	_, err := e.c.Subscription(context.Background(), custID, "s1")
	if !errors.Is(err, csp.ErrUnavailable) {
		t.Fatalf("want unavailable, got %v", err)
	}
	e.f.fault("get", fault{status: 500}, fault{status: 502}, fault{status: 503}, fault{status: 504})
	_, err = e.c.Subscription(context.Background(), custID, "s1")
	if !errors.Is(err, csp.ErrUnavailable) {
		t.Fatalf("want unavailable, got %v", err)
	}
}

func TestAutoRenewAndRenewalQuantity(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	res, err := e.c.Apply(ctx, custID, csp.Operation{Key: key(), Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "s1", FromQuantity: 12, Quantity: 8})
	if err != nil || res.Subscription.RenewalQuantity() != 8 {
		t.Fatalf("%+v %v", res, err)
	}
	next := e.f.sub("s1").Next
	if next == nil || next["quantity"].(float64) != 8 || next["product"].(map[string]any)["productId"] != bizProduct {
		t.Errorf("scheduled %v", next)
	}
	// Scheduling the current quantity clears the instructions.
	res, err = e.c.Apply(ctx, custID, csp.Operation{Key: key(), Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "s1", FromQuantity: 12, Quantity: 12})
	if err != nil || res.Subscription.Renewal != nil || e.f.sub("s1").Next != nil {
		t.Fatalf("not cleared: %+v %v", res.Subscription.Renewal, err)
	}
	// Auto-renew off: scheduling is refused up front.
	_, err = e.c.Apply(ctx, custID, csp.Operation{Key: key(), Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "s5", FromQuantity: 280, Quantity: 200})
	refusal(t, err, CodeAutoRenewOff)
	res, err = e.c.Apply(ctx, custID, csp.Operation{Key: key(), Kind: csp.ChangeAutoRenewOn, SubscriptionID: "s5", AutoRenew: ptr(true)})
	if err != nil || !res.Subscription.AutoRenew || !e.f.sub("s5").AutoRenew {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestAlignEndDate(t *testing.T) {
	e := setup(t)
	end := time.Date(2027, 12, 1, 0, 0, 0, 0, e.loc) // last day 30 November
	res, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: key(), Kind: csp.ChangeAlignEndDate, SubscriptionID: "s1", CustomTermEnd: &end})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Subscription.Renewal; r == nil || r.CustomTermEnd == nil || !r.CustomTermEnd.Equal(end) {
		t.Fatalf("renewal %+v", res.Subscription.Renewal)
	}
	if got := e.f.sub("s1").Next["customTermEndDate"]; got != "2027-11-30T00:00:00Z" {
		t.Errorf("customTermEndDate %v", got)
	}
	obs, err := e.c.Observe(context.Background(), custID, csp.Operation{Kind: csp.ChangeAlignEndDate, SubscriptionID: "s1", CustomTermEnd: &end}, res.Receipt)
	if err != nil || obs.Outcome != csp.ObservedDone {
		t.Errorf("observe %+v %v", obs, err)
	}
}

func TestCancelInsideTheWindowOnly(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	_, err := e.c.Apply(ctx, custID, csp.Operation{Key: key(), Kind: csp.ChangeCancel, SubscriptionID: "s2"})
	refusal(t, err, CodeCancellationWindowClosed)
	if n := len(e.f.requests(http.MethodPatch, "")); n != 0 {
		t.Fatal("a refused cancellation was sent")
	}
	res, err := e.c.Apply(ctx, custID, csp.Operation{Key: key(), Kind: csp.ChangeCancel, SubscriptionID: "s1"})
	if err != nil || res.Subscription.Status != csp.StatusCancelled {
		t.Fatalf("%+v %v", res, err)
	}
	if b := patchBody(t, e.f.requests(http.MethodPatch, "")[0]); b["status"] != "deleted" {
		t.Errorf("status sent %v", b["status"])
	}
}

func TestObserveStateWrites(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	obs, err := e.c.Observe(ctx, custID, csp.Operation{Kind: csp.ChangeAddSeats, SubscriptionID: "s1", FromQuantity: 12, Quantity: 14}, csp.Receipt{})
	if err != nil || obs.Outcome != csp.ObservedNotDone {
		t.Errorf("absent state: %+v %v", obs, err)
	}
	obs, _ = e.c.Observe(ctx, custID, csp.Operation{Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "s2", Quantity: 20}, csp.Receipt{})
	if obs.Outcome != csp.ObservedDone {
		t.Errorf("scheduled renewal: %+v", obs)
	}
	obs, _ = e.c.Observe(ctx, custID, csp.Operation{Kind: csp.ChangeCancel, SubscriptionID: "s1"}, csp.Receipt{})
	if obs.Outcome != csp.ObservedUnknown {
		t.Errorf("unanswered cancellation inside the window: %+v", obs)
	}
	obs, _ = e.c.Observe(ctx, custID, csp.Operation{Kind: csp.ChangeCancel, SubscriptionID: "s1"}, csp.Receipt{Status: 400})
	if obs.Outcome != csp.ObservedNotDone {
		t.Errorf("refused cancellation: %+v", obs)
	}
	obs, _ = e.c.Observe(ctx, custID, csp.Operation{Kind: csp.ChangeCancel, SubscriptionID: "s4"}, csp.Receipt{})
	if obs.Outcome != csp.ObservedDone {
		t.Errorf("cancelled: %+v", obs)
	}
	if n := len(e.f.requests(http.MethodPatch, "")) + len(e.f.requests(http.MethodPost, "/transitions")); n != 0 {
		t.Errorf("Observe wrote %d times", n)
	}
}

func TestEligibilitiesCarryTheirReasons(t *testing.T) {
	e := setup(t)
	es, err := e.c.TransitionEligibilities(context.Background(), custID, "s2")
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, x := range es {
		if !x.Eligible {
			reasons = append(reasons, x.Reasons...)
		}
	}
	if len(reasons) != 2 || !strings.Contains(strings.Join(reasons, "|"), "ends before") {
		t.Errorf("reasons %v", reasons)
	}
	ups, err := e.c.EligibleUpgrades(context.Background(), custID, "s2")
	if err != nil || len(ups) != 2 || ups[0].OfferID != "o365-e3" || ups[0].TargetSubscriptionID != "" || ups[1].TargetSubscriptionID != "s3" {
		t.Errorf("upgrades %+v %v", ups, err)
	}
}

func TestUpgradeIntoExistingLineFollowsItsOperation(t *testing.T) {
	e := setup(t)
	e.f.opLag = 2
	k := key()
	op := csp.Operation{Key: k, Kind: csp.ChangeUpgrade, SubscriptionID: "s2", FromQuantity: 25, Quantity: 5, TargetOfferID: "o365-e3", TargetSubscriptionID: "s3"}
	res, err := e.c.Apply(context.Background(), custID, op)
	if err != nil || res.Pending {
		t.Fatalf("%+v %v", res, err)
	}
	if res.Subscription.Quantity != 20 || res.Target == nil || res.Target.Quantity != 10 || res.Receipt.OrderID == "" {
		t.Fatalf("result %+v", res)
	}
	posts := e.f.requests(http.MethodPost, "/transitions")
	if len(posts) != 1 || posts[0].Header.Get("MS-RequestId") != k {
		t.Fatalf("transitions sent %d times", len(posts))
	}
	if b := patchBody(t, posts[0]); b["transitionType"] != transitionWithLicenseTransfer || b["toSubscriptionId"] != "s3" {
		t.Errorf("body %v", b)
	}
	obs, err := e.c.Observe(context.Background(), custID, op, res.Receipt)
	if err != nil || obs.Outcome != csp.ObservedDone || obs.Target == nil {
		t.Errorf("observe %+v %v", obs, err)
	}
}

func TestUpgradeNotEligibleIsRefusedWithPartnerCentersReason(t *testing.T) {
	e := setup(t)
	_, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: key(), Kind: csp.ChangeUpgrade, SubscriptionID: "s2", FromQuantity: 25,
		Quantity: 5, TargetOfferID: "o365-e3", TargetSubscriptionID: "s9"})
	r := refusal(t, err, CodeUpgradeNotEligible)
	if !strings.Contains(r.Detail, "ends before the source") {
		t.Errorf("detail %q", r.Detail)
	}
	if n := len(e.f.requests(http.MethodPost, "/transitions")); n != 0 {
		t.Error("an ineligible transition was sent")
	}
}

func TestUpgradeIsSentOnceThenObserved(t *testing.T) {
	e := setup(t)
	e.f.fault("transition", fault{drop: true, afterApply: true})
	op := csp.Operation{Key: key(), Kind: csp.ChangeUpgrade, SubscriptionID: "s2", FromQuantity: 25, Quantity: 5, TargetOfferID: "o365-e3"}
	res, err := e.c.Apply(context.Background(), custID, op)
	if !errors.Is(err, csp.ErrUnavailable) {
		t.Fatalf("want unavailable, got %v", err)
	}
	if n := len(e.f.requests(http.MethodPost, "/transitions")); n != 1 {
		t.Fatalf("send-once transition sent %d times", n)
	}
	if res.Receipt.Status != 0 || res.Receipt.CorrelationID == "" {
		t.Errorf("receipt %+v", res.Receipt)
	}
	res.Receipt.At = e.clk.Now()
	obs, err := e.c.Observe(context.Background(), custID, op, res.Receipt)
	if err != nil || obs.Outcome != csp.ObservedPending {
		t.Fatalf("observe %+v %v", obs, err)
	}
	// A 5xx is not retried either.
	e2 := setup(t)
	e2.f.fault("transition", fault{status: 503})
	_, err = e2.c.Apply(context.Background(), custID, op)
	if !errors.Is(err, csp.ErrUnavailable) || len(e2.f.requests(http.MethodPost, "/transitions")) != 1 {
		t.Fatalf("5xx on a send-once call: %v", err)
	}
	obs, err = e2.c.Observe(context.Background(), custID, op, csp.Receipt{Status: 503, At: e2.clk.Now()})
	if err != nil || obs.Outcome != csp.ObservedUnknown {
		t.Errorf("observe after 5xx %+v %v", obs, err)
	}
}

func TestUpgradeFailedByPartnerCenter(t *testing.T) {
	e := setup(t)
	e.f.failOps = true
	_, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: key(), Kind: csp.ChangeUpgrade, SubscriptionID: "s2", FromQuantity: 25, Quantity: 5, TargetOfferID: "o365-e3"})
	refusal(t, err, CodePortalRefused)
}

func TestBadInputChangesNothing(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	_, err := e.c.Apply(ctx, custID, csp.Operation{Key: key(), Kind: csp.ChangeRemoveSeats, SubscriptionID: "s1", FromQuantity: 12, Quantity: 0})
	refusal(t, err, CodeQuantityMin)
	_, err = e.c.Apply(ctx, custID, csp.Operation{Key: key(), Kind: csp.ChangeAddSeats, SubscriptionID: "s4", FromQuantity: 8, Quantity: 9})
	refusal(t, err, CodeNotActive)
	_, err = e.c.Apply(ctx, custID, csp.Operation{Key: key(), Kind: csp.ChangeAddSeats, SubscriptionID: "nope", FromQuantity: 1, Quantity: 2})
	if !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("unknown subscription: %v", err)
	}
	if n := len(e.f.requests(http.MethodPatch, "")); n != 0 {
		t.Errorf("%d PATCHes for bad input", n)
	}
}

func TestPurchaseWithEndDateAlignment(t *testing.T) {
	e := setup(t)
	k := key()
	res, err := e.c.Purchase(context.Background(), custID, PurchaseOrder{Key: k, OfferID: "o365-e3", Quantity: 3,
		Term: csp.TermAnnual, Billing: csp.BillingAnnual, AlignWith: "s3"})
	if err != nil || res.Pending {
		t.Fatalf("%+v %v", res, err)
	}
	if res.Receipt.OrderID == "" || res.Subscription.Quantity != 3 || !res.Subscription.TermEnd.Equal(time.Date(2027, 8, 4, 0, 0, 0, 0, e.loc)) {
		t.Fatalf("result %+v", res)
	}
	cart := e.f.requests(http.MethodPost, "/carts")[0]
	if !strings.Contains(cart.Body, `"customTermEndDate":"2027-08-03T00:00:00Z"`) || !strings.Contains(cart.Body, e3Product+":0001:AV01") {
		t.Errorf("cart %s", cart.Body)
	}
	// The cart and the checkout are two calls: Microsoft resets
	// MS-RequestId after each answer, so the checkout must not reuse the
	// cart's (the portal could take it for a retry of the cart and replay
	// the cart's answer). Its id is derived from the key, not random, so
	// that the purchase retried with its key sends the same checkout id.
	checkout := e.f.requests(http.MethodPost, "/checkout")
	cartID, checkoutID := cart.Header.Get("MS-RequestId"), ""
	if len(checkout) == 1 {
		checkoutID = checkout[0].Header.Get("MS-RequestId")
	}
	if len(checkout) != 1 || cartID != k || checkoutID == cartID || !uuidRE.MatchString(checkoutID) {
		t.Errorf("%d checkouts; MS-RequestId of the cart %q, of the checkout %q: want the key, then another GUID", len(checkout), cartID, checkoutID)
	}
	obs, err := e.c.ObservePurchase(context.Background(), custID, res.Receipt)
	if err != nil || obs.Outcome != csp.ObservedDone || obs.Subscription == nil {
		t.Errorf("observe %+v %v", obs, err)
	}

	// The same purchase sent again with its key (its answer was lost
	// upstream): both calls carry the ids they had, Partner Center
	// replays its answers, and nothing more is bought.
	again, err := e.c.Purchase(context.Background(), custID, PurchaseOrder{Key: k, OfferID: "o365-e3", Quantity: 3,
		Term: csp.TermAnnual, Billing: csp.BillingAnnual, AlignWith: "s3"})
	if err != nil || again.Receipt.OrderID != res.Receipt.OrderID {
		t.Fatalf("again: %+v %v; want order %s", again, err, res.Receipt.OrderID)
	}
	carts, checkouts := e.f.requests(http.MethodPost, "/carts"), e.f.requests(http.MethodPost, "/checkout")
	if len(carts) != 2 || len(checkouts) != 2 || carts[1].Header.Get("MS-RequestId") != cartID ||
		checkouts[1].Header.Get("MS-RequestId") != checkoutID {
		t.Errorf("the retried purchase did not repeat its ids: %d carts, %d checkouts", len(carts), len(checkouts))
	}
	bought := 0
	for _, s := range subs(t, e) {
		if s.OfferID == "o365-e3" && s.ID != "s3" {
			bought++
		}
	}
	if bought != 1 {
		t.Errorf("%d new E3 lines after one purchase sent twice with its key, want 1", bought)
	}
}

func subs(t *testing.T, e *env) []csp.Subscription {
	t.Helper()
	ss, err := e.c.Subscriptions(context.Background(), custID)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

func TestPurchaseRefusals(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	_, err := e.c.Purchase(ctx, custID, PurchaseOrder{Key: key(), OfferID: "m365-business-basic", Quantity: 30, Term: csp.TermAnnual, Billing: csp.BillingMonthly})
	refusal(t, err, CodeMaxSeats)
	_, err = e.c.Purchase(ctx, custID, PurchaseOrder{Key: key(), OfferID: "no-id", Quantity: 1, Term: csp.TermAnnual, Billing: csp.BillingMonthly})
	refusal(t, err, CodeOfferNotAvailable)
	_, err = e.c.Purchase(ctx, custID, PurchaseOrder{Key: key(), OfferID: "o365-e3", Quantity: 1, Term: csp.TermMonthly, Billing: csp.BillingMonthly, AlignWith: "s3"})
	refusal(t, err, CodeNoAlignmentDate)
	if n := len(e.f.requests(http.MethodPost, "/checkout")); n != 1 {
		t.Errorf("checkouts %d, want only the capped one", n)
	}
}

func TestPurchaseCheckoutWithoutAnswerIsNotSentAgain(t *testing.T) {
	e := setup(t)
	e.f.fault("checkout", fault{drop: true, afterApply: true})
	res, err := e.c.Purchase(context.Background(), custID, PurchaseOrder{Key: key(), OfferID: "o365-e1", Quantity: 2, Term: csp.TermAnnual, Billing: csp.BillingAnnual})
	if !errors.Is(err, csp.ErrUnavailable) {
		t.Fatalf("want unavailable, got %v", err)
	}
	if n := len(e.f.requests(http.MethodPost, "/checkout")); n != 1 {
		t.Fatalf("checkout sent %d times", n)
	}
	obs, err := e.c.ObservePurchase(context.Background(), custID, res.Receipt)
	if err != nil || obs.Outcome != csp.ObservedUnknown || !strings.Contains(obs.Detail, "carts/cart-1") {
		t.Errorf("observe %+v %v", obs, err)
	}
}

func TestAccessTable(t *testing.T) {
	e := setup(t)
	for _, a := range e.c.Access() {
		if a.Needs == NeedsAppPlusUser && a.Allowed {
			t.Errorf("%s allowed without App+User credentials", a.Operation)
		}
		if a.Needs == NeedsEither && !a.Allowed {
			t.Errorf("%s refused with app-only credentials", a.Operation)
		}
	}
}
