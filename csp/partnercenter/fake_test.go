package partnercenter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
)

// fakePC is an httptest Partner Center, as strict as the documentation:
// every call needs the documented headers and a valid token; PATCH needs
// the whole resource and If-Match on the current etag (412 otherwise);
// the new-commerce rules hold (seats removable only inside their own
// 168-hour window, a mid-term quantity change deletes the scheduled
// next-term instructions, 300 seats at most across the Business plans,
// cancellation only until cancellationAllowedUntilDate, next-term
// instructions only with auto-renew on); a repeated MS-RequestId on a
// write replays the first answer, success or business failure, without
// applying it again, and an answered MS-RequestId sent on another route
// is a test failure (Microsoft resets the id after each answer).
// Throttling and faults are queued per route on demand.
type fakePC struct {
	t   *testing.T
	srv *httptest.Server
	clk *clock.Manual

	mu          sync.Mutex
	subs        map[string]*fakeSub
	order       []string
	eligible    map[string][]map[string]any // subscription → transitionEligibilities items
	transitions map[string]*fakeTransition  // operation id → transition
	carts       map[string]map[string]any
	orders      map[string]*fakeOrder
	tokens      map[string]string // token → "app" | "user"
	refresh     string            // the current valid refresh token
	issued      int
	expiresIn   int
	userOnly    map[string]bool // route → App+User required
	faults      map[string][]fault
	replays     map[string]replay // MS-RequestId → first answer of a write
	corrIDs     map[string]bool
	reqs        []recorded
	etagN       int
	opLag       int // status reads before a transition or an order completes
	// opDelay > 0: a transition moves its seats only when it completes,
	// opDelay after it was accepted on the fake's clock (opLag is then
	// not used for transitions).
	opDelay time.Duration
	// forgetful: a repeated MS-RequestId is not recognised once answered
	// (Microsoft documents the id for retries after a timeout, and says to
	// reset it after an answer; it does not say the portal remembers).
	forgetful bool
	failOps   bool
	// countries is each known customer's billing country; markets what
	// Partner Center sells in each, and at what price.
	countries   map[string]string
	markets     map[string]*fakeMarket
	beforePatch func(s *fakeSub) // runs after the If-Match check would pass
	tokenGate   func()           // runs as a token request arrives, before it is answered

	// consumed is the licences assigned per product name (usage_test.go);
	// a product not in it has one unit unassigned.
	consumed map[string]int
}

const (
	custID      = "cust-1"
	testSecret  = "s3cr3t-VALUE-never-leak"
	testRefresh = "refresh-0-VALUE-never-leak"
	bizProduct  = "CFQ7TTC0LDPB" // Business Standard
	bizBasic    = "CFQ7TTC0LH18" // Business Basic
	e1Product   = "CFQ7TTC0LF8Q"
	e3Product   = "CFQ7TTC0LF8R"
)

type recorded struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// fault is a canned misbehaviour for the next call of a route.
type fault struct {
	status     int
	retryAfter string
	// drop: close the connection without an answer; afterApply: do the
	// write first (a timeout after the write took effect).
	drop, afterApply bool
}

type replay struct {
	route  string
	status int
	body   []byte
}

type fakeLot struct {
	qty   int
	until time.Time
}

type fakeSub struct {
	ID, OfferID, Name, Status string
	Qty                       int
	Term, Billing             string
	AutoRenew, Trial          bool
	Start, End                time.Time // dates
	CancelUntil               time.Time
	Lots                      []fakeLot
	Next                      map[string]any // scheduledNextTermInstructions
	Etag                      string
}

type fakeTransition struct {
	ID, From, To, ToCatalogItem, Status string
	Qty, reads                          int
	Created                             time.Time
}

type fakeOrder struct {
	ID, Status, SubID string
	reads             int
}

func newFake(t *testing.T, clk *clock.Manual) *fakePC {
	f := &fakePC{t: t, clk: clk, subs: map[string]*fakeSub{}, eligible: map[string][]map[string]any{},
		transitions: map[string]*fakeTransition{}, carts: map[string]map[string]any{}, orders: map[string]*fakeOrder{},
		tokens: map[string]string{}, refresh: testRefresh, expiresIn: 3600, userOnly: map[string]bool{"subscribedskus": true},
		faults: map[string][]fault{}, replays: map[string]replay{}, corrIDs: map[string]bool{}, opLag: 1,
		countries: map[string]string{custID: "FR"}, markets: defaultMarkets()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /tenant/oauth2/v2.0/token", f.token)
	route := func(pattern, name string, h func(http.ResponseWriter, *http.Request)) {
		mux.HandleFunc(pattern, f.api(name, h))
	}
	route("GET /v1/customers/{cid}", "customer", f.customer)
	route("GET /v1/customers/{cid}/subscriptions", "list", f.list)
	route("GET /v1/customers/{cid}/subscriptions/customTermEndDates", "coterm", f.coterm)
	route("GET /v1/customers/{cid}/subscriptions/{sid}", "get", f.get)
	route("PATCH /v1/customers/{cid}/subscriptions/{sid}", "patch", f.patch)
	route("GET /v1/customers/{cid}/subscriptions/{sid}/transitionEligibilities", "eligibilities", f.eligibilities)
	route("POST /v1/customers/{cid}/subscriptions/{sid}/transitions", "transition", f.transition)
	route("GET /v1/customers/{cid}/subscriptions/{sid}/transitions", "transitions", f.transitionList)
	route("GET /v1/customers/{cid}/products/{pid}/skus/{sku}/availabilities", "availabilities", f.availabilities)
	route("POST /v1/customers/{cid}/carts", "cart", f.cart)
	route("POST /v1/customers/{cid}/carts/{cart}/checkout", "checkout", f.checkout)
	route("GET /v1/customers/{cid}/orders/{oid}", "order", f.getOrder)
	route("GET /v1/products/{pid}/skus/{sku}/availabilities", "products", f.productAvailabilities)
	route("GET /v1.0/sales/{sheet}/{value}", "pricesheet", f.priceSheet)
	route("GET /v1/customers/{cid}/subscribedskus", "subscribedskus", f.subscribedSkus)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)})
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePC) add(s fakeSub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := s
	f.etagN++
	c.Etag = fmt.Sprintf("etag-%d", f.etagN)
	f.subs[s.ID] = &c
	f.order = append(f.order, s.ID)
}

func (f *fakePC) sub(id string) fakeSub {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.subs[id]
}

func (f *fakePC) fault(route string, fs ...fault) {
	f.mu.Lock()
	f.faults[route] = append(f.faults[route], fs...)
	f.mu.Unlock()
}

func (f *fakePC) requests(method, pathSuffix string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.reqs {
		if (method == "" || r.Method == method) && strings.HasSuffix(r.Path, pathSuffix) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakePC) all() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func pcError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]any{"code": code, "description": desc, "data": []any{}, "source": "PartnerFD"})
}

func (f *fakePC) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	gate := f.tokenGate
	f.mu.Unlock()
	if gate != nil {
		gate()
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	form := r.PostForm
	if form.Get("client_id") != "client-1" {
		writeJSON(w, 400, map[string]string{"error": "unauthorized_client"})
		return
	}
	kind := ""
	f.mu.Lock()
	defer f.mu.Unlock()
	switch form.Get("grant_type") {
	case "client_credentials":
		if form.Get("scope") != AppScope {
			f.t.Errorf("app token scope %q", form.Get("scope"))
		}
		if form.Get("client_secret") != testSecret {
			writeJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
			return
		}
		kind = "app"
	case "refresh_token":
		kind = "user"
		switch form.Get("scope") {
		case UserScope:
		case PricingScope:
			// The pricing API is another resource: its tokens are
			// good for it only.
			kind = "pricing"
		default:
			f.t.Errorf("user token scope %q", form.Get("scope"))
		}
		if form.Get("refresh_token") != f.refresh {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "AADSTS70043: The refresh token has expired or is invalid."})
			return
		}
	default:
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	f.issued++
	tok := fmt.Sprintf("tok-%s-%d-abcdef", kind, f.issued)
	f.tokens[tok] = kind
	answer := map[string]any{"token_type": "Bearer", "expires_in": f.expiresIn, "access_token": tok}
	if kind != "app" {
		// The identity platform rotates refresh tokens.
		f.refresh = fmt.Sprintf("refresh-%d-VALUE-never-leak", f.issued)
		answer["refresh_token"] = f.refresh
	}
	writeJSON(w, 200, answer)
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// api checks the headers and the token, answers faults and replays, then
// hands over to h.
func (f *fakePC) api(name string, h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, hd := range []string{"MS-RequestId", "MS-CorrelationId"} {
			// Both are GUIDs in Microsoft's header reference.
			if !uuidRE.MatchString(r.Header.Get(hd)) {
				f.t.Errorf("%s %s: %s %q", r.Method, r.URL.Path, hd, r.Header.Get(hd))
			}
		}
		if name != "pricesheet" && (r.Header.Get("MS-Contract-Version") != "v1" || r.Header.Get("Accept") != "application/json") {
			f.t.Errorf("%s %s: MS-Contract-Version %q, Accept %q", r.Method, r.URL.Path, r.Header.Get("MS-Contract-Version"), r.Header.Get("Accept"))
		}
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		cid := r.Header.Get("MS-CorrelationId")
		if f.corrIDs[cid] {
			f.t.Errorf("%s %s: MS-CorrelationId %s reused", r.Method, r.URL.Path, cid)
		}
		f.corrIDs[cid] = true
		kind, valid := f.tokens[tok]
		needUser := f.userOnly[name]
		var fl *fault
		if valid && len(f.faults[name]) > 0 {
			x := f.faults[name][0]
			f.faults[name] = f.faults[name][1:]
			fl = &x
		}
		rid := r.Header.Get("MS-RequestId")
		rep, replayed := f.replays[rid]
		f.mu.Unlock()
		if !valid || (name == "pricesheet") != (kind == "pricing") {
			// A token is good for its own resource only.
			pcError(w, 401, "401", "Unauthorized")
			return
		}
		if needUser && kind != "user" {
			pcError(w, 403, "600008", "This operation requires App+User authentication")
			return
		}
		if fl != nil && !fl.afterApply {
			if fl.drop {
				dropConn(w)
				return
			}
			if fl.retryAfter != "" {
				w.Header().Set("Retry-After", fl.retryAfter)
			}
			pcError(w, fl.status, fmt.Sprint(fl.status), "injected fault")
			return
		}
		if r.Method != http.MethodGet && replayed && rep.route != name {
			// Microsoft resets the id after an answer: another call
			// under an answered id is a client bug, whatever the
			// portal would make of it.
			f.t.Errorf("%s %s: MS-RequestId %s was already answered on %s", r.Method, r.URL.Path, rid, rep.route)
		}
		if r.Method != http.MethodGet && replayed && rep.route == name && !f.forgetful {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rep.status)
			_, _ = w.Write(rep.body)
			return
		}
		f.mu.Lock()
		cidp := r.PathValue("cid")
		_, known := f.countries[cidp]
		f.mu.Unlock()
		if cidp != "" && !known {
			pcError(w, 404, "800002", "Customer not found")
			return
		}
		f.mu.Lock()
		f.settleTransitions()
		f.mu.Unlock()
		rec := httptest.NewRecorder()
		h(rec, r)
		if r.Method != http.MethodGet {
			// Success or business failure, the first answer is what a
			// repeated MS-RequestId gets.
			f.mu.Lock()
			f.replays[rid] = replay{route: name, status: rec.Code, body: rec.Body.Bytes()}
			f.mu.Unlock()
		}
		if fl != nil && fl.afterApply {
			dropConn(w)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}
}

// dropConn closes the connection without an answer: the client sees a
// network error, as after a timeout.
func dropConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("no hijacker")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

func (f *fakePC) customer(w http.ResponseWriter, r *http.Request) {
	cid := r.PathValue("cid")
	f.mu.Lock()
	country := f.countries[cid]
	f.mu.Unlock()
	name := "Contoso SAS"
	if cid != custID {
		name = "Contoso " + country
	}
	writeJSON(w, 200, map[string]any{"id": cid,
		"companyProfile": map[string]any{"companyName": name, "domain": "contoso.example"},
		"billingProfile": map[string]any{"culture": "fr-FR", "defaultAddress": map[string]any{"country": country}}})
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") + "T00:00:00Z" }

// resource renders s; callers hold f.mu.
func (f *fakePC) resource(s *fakeSub) map[string]any {
	now := f.clk.Now()
	var details []any
	total := 0
	for _, l := range s.Lots {
		if now.Before(l.until) {
			details = append(details, map[string]any{"quantity": l.qty, "allowedUntilDateTime": l.until.UTC().Format(time.RFC3339)})
			total += l.qty
		}
	}
	m := map[string]any{
		"id": s.ID, "offerId": s.OfferID, "offerName": s.Name, "friendlyName": s.Name, "quantity": s.Qty,
		"unitType": "Licenses", "status": s.Status, "autoRenewEnabled": s.AutoRenew, "isTrial": s.Trial,
		"creationDate": day(s.Start), "effectiveStartDate": day(s.Start), "commitmentEndDate": day(s.End),
		"termDuration": s.Term, "billingCycle": s.Billing,
		"refundableQuantity":            map[string]any{"totalQuantity": total, "details": details},
		"scheduledNextTermInstructions": nil,
		"attributes":                    map[string]any{"etag": s.Etag, "objectType": "Subscription"},
		"links":                         map[string]any{"self": map[string]any{"uri": "/customers/" + custID + "/subscriptions/" + s.ID}},
	}
	if !s.CancelUntil.IsZero() && now.Before(s.CancelUntil) {
		m["cancellationAllowedUntilDate"] = s.CancelUntil.UTC().Format(time.RFC3339)
	}
	if s.Next != nil {
		m["scheduledNextTermInstructions"] = s.Next
	}
	return m
}

func (f *fakePC) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	items := []any{}
	for _, id := range f.order {
		items = append(items, f.resource(f.subs[id]))
	}
	writeJSON(w, 200, map[string]any{"totalCount": len(items), "items": items, "attributes": map[string]any{"objectType": "Collection"}})
}

func (f *fakePC) get(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.subs[r.PathValue("sid")]
	if !ok {
		pcError(w, 404, "800002", "Subscription not found")
		return
	}
	writeJSON(w, 200, f.resource(s))
}

func isBusiness(offerID string) bool {
	return strings.HasPrefix(offerID, bizProduct) || strings.HasPrefix(offerID, bizBasic)
}

// businessSeats counts live Business-plan seats except on skip; callers
// hold f.mu.
func (f *fakePC) businessSeats(skip string) int {
	n := 0
	for _, s := range f.subs {
		if s.ID != skip && isBusiness(s.OfferID) && (s.Status == "active" || s.Status == "suspended") {
			n += s.Qty
		}
	}
	return n
}

func (f *fakePC) bump(s *fakeSub) {
	f.etagN++
	s.Etag = fmt.Sprintf("etag-%d", f.etagN)
}

func (f *fakePC) patch(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		pcError(w, 400, "400", "bad body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.subs[r.PathValue("sid")]
	if !ok {
		pcError(w, 404, "800002", "Subscription not found")
		return
	}
	if f.beforePatch != nil {
		hook := f.beforePatch
		f.beforePatch = nil
		hook(s)
	}
	if r.Header.Get("If-Match") == "" {
		pcError(w, 400, "400", "If-Match is required")
		return
	}
	if r.Header.Get("If-Match") != s.Etag {
		pcError(w, 412, "412", "The etag does not match")
		return
	}
	// The whole resource, unchanged but for what may change.
	cur := f.resource(s)
	for _, k := range []string{"id", "offerId", "termDuration", "billingCycle", "unitType", "commitmentEndDate", "effectiveStartDate", "attributes"} {
		a, _ := json.Marshal(cur[k])
		b, _ := json.Marshal(body[k])
		if string(a) != string(b) {
			pcError(w, 400, "400", fmt.Sprintf("the request must carry the whole subscription; %s differs or is missing", k))
			return
		}
	}
	now := f.clk.Now()
	qty := int(body["quantity"].(float64))
	status, _ := body["status"].(string)
	auto, _ := body["autoRenewEnabled"].(bool)
	next, hasNext := body["scheduledNextTermInstructions"]
	changed := 0
	if status != s.Status {
		changed++
	}
	if qty != s.Qty {
		changed++
	}
	if auto != s.AutoRenew {
		changed++
	}
	nb, _ := json.Marshal(next)
	cb, _ := json.Marshal(cur["scheduledNextTermInstructions"])
	nextChanged := hasNext && string(nb) != string(cb)
	if nextChanged {
		changed++
	}
	if changed > 1 {
		pcError(w, 400, "400", "one change per request")
		return
	}
	switch {
	case status != s.Status:
		if status != "deleted" {
			pcError(w, 400, "400", "only status deleted can be set")
			return
		}
		if s.CancelUntil.IsZero() || !now.Before(s.CancelUntil) {
			pcError(w, 400, "CancellationWindowExpired", "The subscription can no longer be cancelled: the cancellation window has passed")
			return
		}
		s.Status, s.AutoRenew, s.Lots, s.Next = "deleted", false, nil, nil
	case qty != s.Qty:
		if qty < 1 {
			pcError(w, 400, "400", "quantity must be at least 1")
			return
		}
		if qty > s.Qty {
			if isBusiness(s.OfferID) && f.businessSeats(s.ID)+qty > 300 {
				pcError(w, 400, "SeatLimitExceeded", "Microsoft 365 Business plans are limited to 300 seats per customer")
				return
			}
			s.Lots = append(s.Lots, fakeLot{qty: qty - s.Qty, until: now.Add(168 * time.Hour)})
		} else {
			drop := s.Qty - qty
			open := 0
			for _, l := range s.Lots {
				if now.Before(l.until) {
					open += l.qty
				}
			}
			if drop > open {
				pcError(w, 400, "RefundWindowExpired", "The quantity can no longer be reduced: the seats are outside their refund window")
				return
			}
			for i := len(s.Lots) - 1; i >= 0 && drop > 0; i-- { // newest first
				if !now.Before(s.Lots[i].until) {
					continue
				}
				n := min(drop, s.Lots[i].qty)
				s.Lots[i].qty -= n
				drop -= n
			}
		}
		s.Qty = qty
		s.Next = nil // a mid-term change deletes scheduled changes
	case auto != s.AutoRenew:
		s.AutoRenew = auto
	case nextChanged:
		if !s.AutoRenew {
			pcError(w, 400, "AutoRenewDisabled", "Scheduled changes need auto-renew to be enabled")
			return
		}
		if next == nil {
			s.Next = nil
			break
		}
		m, ok := next.(map[string]any)
		q, _ := m["quantity"].(float64)
		if !ok || q < 1 || m["product"] == nil {
			pcError(w, 400, "InvalidScheduledInstructions", "scheduledNextTermInstructions needs a product and a quantity of at least 1")
			return
		}
		s.Next = m
	}
	f.bump(s)
	writeJSON(w, 200, f.resource(s))
}

func (f *fakePC) eligibilities(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("eligibilityType") != "immediate" {
		f.t.Errorf("eligibilityType %q", r.URL.Query().Get("eligibilityType"))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	items := f.eligible[r.PathValue("sid")]
	if items == nil {
		items = []map[string]any{}
	}
	writeJSON(w, 200, map[string]any{"totalCount": len(items), "items": items})
}

func (f *fakePC) transition(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ToCatalogItemID  string `json:"toCatalogItemId"`
		ToSubscriptionID string `json:"toSubscriptionId"`
		Quantity         int    `json:"quantity"`
		TransitionType   string `json:"transitionType"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Quantity < 1 || body.ToCatalogItemID == "" {
		pcError(w, 400, "400", "bad body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sid := r.PathValue("sid")
	src, ok := f.subs[sid]
	if !ok {
		pcError(w, 404, "800002", "Subscription not found")
		return
	}
	eligible := false
	for _, it := range f.eligible[sid] {
		if it["catalogItemId"] == body.ToCatalogItemID {
			for _, e := range it["eligibilities"].([]any) {
				em := e.(map[string]any)
				if em["transitionType"] == body.TransitionType && em["isEligible"] == true {
					eligible = true
				}
			}
		}
	}
	if !eligible || body.Quantity > src.Qty {
		pcError(w, 400, "TransitionNotEligible", "The subscription is not eligible for this transition")
		return
	}
	if (body.TransitionType == transitionWithLicenseTransfer) != (body.ToSubscriptionID != "") {
		pcError(w, 400, "400", "toSubscriptionId goes with transition_with_license_transfer")
		return
	}
	op := fmt.Sprintf("op-%d", len(f.transitions)+1)
	t := &fakeTransition{ID: op, From: sid, To: body.ToSubscriptionID, ToCatalogItem: body.ToCatalogItemID, Qty: body.Quantity,
		Status: "pending", Created: f.clk.Now()}
	if f.opDelay <= 0 {
		f.moveSeats(t)
	}
	f.transitions[op] = t
	writeJSON(w, 200, f.transitionJSON(t))
}

// moveSeats carries out t: its seats leave the source for the target line
// or a new one; callers hold f.mu.
func (f *fakePC) moveSeats(t *fakeTransition) {
	src := f.subs[t.From]
	if d, ok := f.subs[t.To]; ok {
		d.Qty += t.Qty
		f.bump(d)
	} else {
		t.To = "new-" + t.ID
		n := *src
		n.ID, n.OfferID, n.Qty, n.Lots, n.Next = t.To, t.ToCatalogItem, t.Qty, nil, nil
		f.subs[t.To] = &n
		f.order = append(f.order, t.To)
		f.bump(&n)
	}
	src.Qty -= t.Qty
	src.Next = nil
	f.bump(src)
}

// settleTransitions, when opDelay is set, carries out every pending
// transition accepted at least opDelay ago on the fake's clock, whatever
// is being read; callers hold f.mu.
func (f *fakePC) settleTransitions() {
	if f.opDelay <= 0 {
		return
	}
	now := f.clk.Now()
	var ids []string
	for id := range f.transitions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t := f.transitions[id]
		if t.Status != "pending" || now.Before(t.Created.Add(f.opDelay)) {
			continue
		}
		if f.failOps || f.subs[t.From].Qty < t.Qty {
			t.Status = "failed"
			continue
		}
		f.moveSeats(t)
		t.Status = "completed"
	}
}

func (f *fakePC) transitionJSON(t *fakeTransition) map[string]any {
	return map[string]any{"id": t.ID, "fromSubscriptionId": t.From, "toSubscriptionId": t.To, "toCatalogItemId": t.ToCatalogItem,
		"quantity": t.Qty, "status": t.Status, "creationDate": t.Created.UTC().Format(time.RFC3339)}
}

func (f *fakePC) transitionList(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	opID := r.URL.Query().Get("operationId")
	var items []any
	var ids []string
	for id := range f.transitions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t := f.transitions[id]
		if t.From != r.PathValue("sid") || (opID != "" && id != opID) {
			continue
		}
		if opID != "" && t.Status == "pending" && f.opDelay <= 0 {
			t.reads++
			if t.reads >= f.opLag {
				t.Status = "completed"
				if f.failOps {
					t.Status = "failed"
				}
			}
		}
		items = append(items, f.transitionJSON(t))
	}
	writeJSON(w, 200, map[string]any{"totalCount": len(items), "items": items})
}

func (f *fakePC) coterm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("term_duration") == "" {
		pcError(w, 400, "400", "term_duration is required")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var items []any
	now := f.clk.Now()
	eom := time.Date(now.Year(), now.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	items = append(items, map[string]any{"allowedCustomTermEndDate": day(eom), "allowedCustomTermEndType": "calendarMonthAligned"})
	if id := q.Get("target_coterm_subscription_id"); id != "" {
		s, ok := f.subs[id]
		if !ok {
			pcError(w, 404, "800002", "Subscription not found")
			return
		}
		if s.Status == "active" && q.Get("term_duration") == s.Term {
			items = append(items, map[string]any{"allowedCustomTermEndDate": day(s.End), "allowedCustomTermEndType": "subscription", "cotermSubscriptionId": id})
		}
	}
	writeJSON(w, 200, map[string]any{"totalCount": len(items), "items": items})
}

func (f *fakePC) availabilities(w http.ResponseWriter, r *http.Request) {
	pid, sku := r.PathValue("pid"), r.PathValue("sku")
	if pid == "UNKNOWN" {
		pcError(w, 404, "800002", "Product not found")
		return
	}
	writeJSON(w, 200, map[string]any{"totalCount": 1, "items": []any{map[string]any{"id": "AV01", "productId": pid, "skuId": sku,
		"catalogItemId": pid + ":" + sku + ":AV01"}}})
}

func (f *fakePC) cart(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		pcError(w, 400, "400", "bad body")
		return
	}
	items, _ := body["lineItems"].([]any)
	if len(items) == 0 {
		pcError(w, 400, "400", "a cart needs at least one line item")
		return
	}
	for _, it := range items {
		m := it.(map[string]any)
		if strings.Count(fmt.Sprint(m["catalogItemId"]), ":") != 2 || m["termDuration"] == "" || m["billingCycle"] == "" {
			pcError(w, 400, "400", "catalogItemId must be productId:skuId:availabilityId, with a term and billing cycle")
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("cart-%d", len(f.carts)+1)
	body["id"] = id
	f.carts[id] = body
	writeJSON(w, 201, body)
}

func (f *fakePC) checkout(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.carts[r.PathValue("cart")]
	if !ok {
		pcError(w, 404, "800002", "Cart not found")
		return
	}
	li := c["lineItems"].([]any)[0].(map[string]any)
	qty := int(li["quantity"].(float64))
	item := li["catalogItemId"].(string)
	if isBusiness(item) && f.businessSeats("")+qty > 300 {
		writeJSON(w, 201, map[string]any{"orders": []any{}, "orderErrors": []any{map[string]any{"orderGroupId": "0",
			"code": "SeatLimitExceeded", "description": "Microsoft 365 Business plans are limited to 300 seats per customer"}}})
		return
	}
	now := f.clk.Now()
	oid := fmt.Sprintf("order-%d", len(f.orders)+1)
	sid := "bought-" + oid
	end := now.AddDate(1, 0, -1)
	if ct, _ := li["customTermEndDate"].(string); ct != "" {
		end, _ = time.Parse(time.RFC3339, ct)
	}
	n := &fakeSub{ID: sid, OfferID: item, Name: "Bought", Status: "active", Qty: qty, Term: li["termDuration"].(string),
		Billing: li["billingCycle"].(string), AutoRenew: true, Start: now, End: end, CancelUntil: now.Add(168 * time.Hour),
		Lots: []fakeLot{{qty: qty, until: now.Add(168 * time.Hour)}}}
	f.bump(n)
	f.subs[sid] = n
	f.order = append(f.order, sid)
	f.orders[oid] = &fakeOrder{ID: oid, Status: "pending", SubID: sid}
	writeJSON(w, 201, map[string]any{"orders": []any{f.orderJSON(f.orders[oid])}})
}

func (f *fakePC) orderJSON(o *fakeOrder) map[string]any {
	return map[string]any{"id": o.ID, "status": o.Status, "lineItems": []any{map[string]any{"lineItemNumber": 0, "subscriptionId": o.SubID}}}
}

func (f *fakePC) getOrder(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.orders[r.PathValue("oid")]
	if !ok {
		pcError(w, 404, "800002", "Order not found")
		return
	}
	if o.Status == "pending" {
		o.reads++
		if o.reads >= f.opLag {
			o.Status = "completed"
		}
	}
	writeJSON(w, 200, f.orderJSON(o))
}

// sleeper records the waits the client asks for instead of waiting.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}
