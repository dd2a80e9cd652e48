package cloudcockpit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCC is an httptest CloudCockpit: the token endpoint and the API
// endpoints the client uses, with subscriptions held in memory. Writes are
// asynchronous like the real portal: they show after lag further reads of
// the subscription (0: at once, -1: never).
type fakeCC struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	tenant string

	mu          sync.Mutex
	subs        map[string]*fakeSub // by id, customer custID
	order       []string
	transitions map[string][]map[string]any
	tokens      map[string]bool // issued and still valid
	issued      int
	expiresIn   int
	lag         int
	pending     []*pendingWrite
	queued      map[string][]fakeResp // "METHOD path" → canned answers, in order
	reqs        []recorded
	rejectAll   bool         // 401 to every API call
	audit       []*fakeAudit // newest last
	// consumed is the licences assigned per offer name (usage_test.go);
	// a product not in it has one licence unassigned.
	consumed map[string]int
	// relationships are the GDAP relationships listed (usage_test.go).
	relationships []map[string]any
	orders        map[string]*fakeOrder
	offers        []map[string]any // GET /v1/Offers
}

// fakeAudit is one audit-log entry, keyed by the X-Correlation-Id of the
// write that caused it.
type fakeAudit struct {
	CorrelationID, Operation, Status string
}

const (
	custID     = "cust-1"
	testTenant = "csp.example.fr"
	testSecret = "s3cr3t-VALUE-never-leak"
)

type recorded struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

type fakeResp struct {
	status int
	header map[string]string
	body   string
}

type pendingWrite struct {
	sid   string
	reads int
	apply func()
	entry *fakeAudit
}

// fakeSub is a subscription in portal terms.
type fakeSub struct {
	ID, Name, OfferID, ProviderOfferID, OfferName string
	Status                                        string
	Start, End, CancelUntil                       string
	Qty                                           int
	Term, Billing                                 string
	AutoRenew                                     bool
	RenewTerm, RenewBilling, CustomEnd            string
	Trial                                         bool
	OfferPrice, ListPrice                         float64
	OrderID                                       string // the order that created it, if bought
}

func enumOf(name string) any {
	if name == "" {
		return nil
	}
	return map[string]string{"name": name}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// item is the list shape.
func (s *fakeSub) item() map[string]any {
	return map[string]any{
		"id": s.ID, "orderId": portalOr(s.OrderID, "ord-"+s.ID), "offerId": s.OfferID, "customerId": custID,
		"subscriptionName": s.Name, "offerName": s.OfferName, "offerType": "License",
		"isAddonOffer": false, "isTrialOffer": s.Trial, "providerOfferId": s.ProviderOfferID,
		"subscriptionStatus": enumOf(s.Status), "startDate": s.Start, "endDate": s.End,
		"cancellationAllowedUntil": nullable(s.CancelUntil), "quantity": s.Qty, "assignedLicenses": 0,
		"listPrice": s.ListPrice, "revenuePrice": s.OfferPrice, "erpPrice": s.ListPrice * 12,
		"billingFrequency": enumOf(s.Billing), "billingType": enumOf("License"),
		"termDuration": enumOf(s.Term), "segment": enumOf("Commercial"),
	}
}

// detail is the detail shape: no offerId/offerName at the top, an offer
// object instead, and the auto-renew fields.
func (s *fakeSub) detail() map[string]any {
	return map[string]any{
		"id": s.ID, "customerId": custID, "name": s.Name, "providerSubscriptionId": "pc-" + s.ID,
		"status": enumOf(s.Status), "startDate": s.Start, "endDate": s.End,
		"cancellationAllowedUntil": nullable(s.CancelUntil), "quantity": s.Qty,
		"termDuration": enumOf(s.Term), "billingFrequency": enumOf(s.Billing),
		"nextBillingFrequency": enumOf(s.Billing), "segment": enumOf("Commercial"),
		"autoRenewEnabled": s.AutoRenew,
		"autoRenewSettings": map[string]any{
			"term": enumOf(s.RenewTerm), "billingFrequency": enumOf(s.RenewBilling),
			"customTermEndDate": nullable(s.CustomEnd),
		},
		"offer": map[string]any{
			"id": s.OfferID, "name": s.OfferName, "providerOfferId": s.ProviderOfferID, "isTrial": s.Trial,
		},
		"offerPrice": s.OfferPrice,
	}
}

func newFake(t *testing.T) *fakeCC {
	f := &fakeCC{
		t: t, secret: testSecret, tenant: testTenant,
		subs: map[string]*fakeSub{}, transitions: map[string][]map[string]any{},
		tokens: map[string]bool{}, expiresIn: 3599, queued: map[string][]fakeResp{},
		orders: map[string]*fakeOrder{}, offers: defaultOffers(),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /tenant/oauth2/v2.0/token", f.token)
	mux.HandleFunc("GET /v1/Customers/{id}", f.api(f.customer))
	mux.HandleFunc("GET /v1/customers/{cid}/subscriptions", f.api(f.list))
	mux.HandleFunc("GET /v1/customers/{cid}/subscriptions/{sid}", f.api(f.get))
	mux.HandleFunc("PATCH /v1/customers/{cid}/subscriptions/{sid}", f.api(f.patch))
	mux.HandleFunc("DELETE /v1/customers/{cid}/subscriptions/{sid}", f.api(f.delete))
	mux.HandleFunc("GET /v1/customers/{cid}/subscriptions/{sid}/eligible-transitions", f.api(f.eligible))
	mux.HandleFunc("POST /v1/customers/{cid}/subscriptions/{sid}/upgrade", f.api(f.upgrade))
	mux.HandleFunc("GET /v1/AuditLogs", f.api(f.auditLogs))
	mux.HandleFunc("GET /v1/Customers/{cid}/licenses", f.api(f.licences))
	mux.HandleFunc("GET /v1/Customers/{cid}/delegated-admin-relationships", f.api(f.delegated))
	mux.HandleFunc("GET /v1/Offers", f.api(f.listOffers))
	mux.HandleFunc("POST /v1/Orders", f.api(f.placeOrder))
	mux.HandleFunc("GET /v1/Orders/{id}", f.api(f.getOrder))
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

func (f *fakeCC) add(s fakeSub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := s
	f.subs[s.ID] = &c
	f.order = append(f.order, s.ID)
}

func (f *fakeCC) sub(id string) fakeSub {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.subs[id]
}

func (f *fakeCC) setLag(n int) {
	f.mu.Lock()
	f.lag = n
	f.mu.Unlock()
}

func (f *fakeCC) queue(key string, rs ...fakeResp) {
	f.mu.Lock()
	f.queued[key] = append(f.queued[key], rs...)
	f.mu.Unlock()
}

// requests returns the recorded requests matching method and a path
// suffix ("" for all).
func (f *fakeCC) requests(method, pathSuffix string) []recorded {
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

func (f *fakeCC) all() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeCC) reset() {
	f.mu.Lock()
	f.reqs = nil
	f.mu.Unlock()
}

func (f *fakeCC) revokeTokens() {
	f.mu.Lock()
	f.tokens = map[string]bool{}
	f.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func envelope(status int, desc string) map[string]any {
	return map[string]any{"statusCode": status, "type": "Error", "description": desc, "correlationId": "portal-corr", "errors": []any{}}
}

func (f *fakeCC) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != "client-1" ||
		r.PostForm.Get("scope") != DefaultScope {
		f.t.Errorf("token request form: %v", redactForm(r.PostForm))
	}
	if r.PostForm.Get("client_secret") != f.secret {
		writeJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
		return
	}
	f.mu.Lock()
	f.issued++
	tok := fmt.Sprintf("tok-%d-abcdef", f.issued)
	f.tokens[tok] = true
	exp := f.expiresIn
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": exp, "access_token": tok})
}

func redactForm(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		if k != "client_secret" {
			c[k] = vs
		}
	}
	return c
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// api checks the headers of every API call, answers canned responses
// first, then hands over to h.
func (f *fakeCC) api(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("X-Tenant"); got != f.tenant {
			f.t.Errorf("%s %s: X-Tenant %q", r.Method, r.URL.Path, got)
		}
		if got := r.Header.Get("X-Correlation-Id"); !uuidRE.MatchString(got) {
			f.t.Errorf("%s %s: X-Correlation-Id %q is not a uuid", r.Method, r.URL.Path, got)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			f.t.Errorf("%s %s: Accept %q", r.Method, r.URL.Path, got)
		}
		auth := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		f.mu.Lock()
		valid := ok && f.tokens[tok] && !f.rejectAll
		key := r.Method + " " + r.URL.Path
		var canned *fakeResp
		if valid && len(f.queued[key]) > 0 {
			c := f.queued[key][0]
			f.queued[key] = f.queued[key][1:]
			canned = &c
		}
		f.mu.Unlock()
		if !valid {
			writeJSON(w, 401, envelope(401, "Unauthorized"))
			return
		}
		if canned != nil {
			for k, v := range canned.header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(canned.status)
			_, _ = io.WriteString(w, canned.body)
			return
		}
		if cid := r.PathValue("cid"); cid != "" && cid != custID {
			writeJSON(w, 404, envelope(404, "Customer not found"))
			return
		}
		h(w, r)
	}
}

func (f *fakeCC) customer(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != custID {
		writeJSON(w, 404, envelope(404, "Customer not found"))
		return
	}
	writeJSON(w, 200, map[string]any{
		"id": custID, "company": map[string]any{"name": "Contoso SAS"}, "domain": "contoso.example",
	})
}

func (f *fakeCC) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, _ := strconv.Atoi(q.Get("PageNumber"))
	size, _ := strconv.Atoi(q.Get("PageSize"))
	if n < 1 || size < 1 || size > MaxPageSize {
		writeJSON(w, 400, envelope(400, "bad paging"))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n > 1 && q.Get("ContinuationToken") != fmt.Sprintf("ct-%d", n) {
		f.t.Errorf("page %d asked with continuation token %q", n, q.Get("ContinuationToken"))
	}
	total := len(f.order)
	pages := (total + size - 1) / size
	items := []any{}
	for i := (n - 1) * size; i < min(total, n*size); i++ {
		items = append(items, f.subs[f.order[i]].item())
	}
	cont := ""
	if n < pages {
		cont = fmt.Sprintf("ct-%d", n+1)
	}
	writeJSON(w, 200, map[string]any{
		"items": items, "paginationParameters": map[string]int{"pageNumber": n, "pageSize": size},
		"totalPages": pages, "totalCount": total, "hasPreviousPage": n > 1, "hasNextPage": n < pages,
		"continuationToken": nullable(cont),
	})
}

// tick counts a read of sid and applies the writes that become visible.
// Callers hold f.mu.
func (f *fakeCC) tick(sid string) {
	kept := f.pending[:0]
	for _, p := range f.pending {
		if p.sid == sid && p.reads >= 0 {
			if p.reads == 0 {
				p.apply()
				continue
			}
			p.reads--
		}
		kept = append(kept, p)
	}
	f.pending = kept
}

// later queues a write, recorded in the audit log under the request's
// X-Correlation-Id as Processing until it shows; callers hold f.mu.
func (f *fakeCC) later(r *http.Request, operation, sid string, apply func()) {
	e := &fakeAudit{CorrelationID: r.Header.Get("X-Correlation-Id"), Operation: operation, Status: "Processing"}
	f.audit = append(f.audit, e)
	done := func() {
		apply()
		e.Status = "Succeded" // sic: the documented value
	}
	if f.lag == 0 {
		done()
		return
	}
	reads := f.lag // reads that still show the old state; -1: never
	if f.lag < 0 {
		reads = -1
	}
	f.pending = append(f.pending, &pendingWrite{sid: sid, reads: reads, apply: done, entry: e})
}

func (f *fakeCC) auditLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for _, k := range []string{"StartDate", "EndDate"} {
		if _, err := time.Parse(time.RFC3339, q.Get(k)); err != nil {
			writeJSON(w, 400, envelope(400, k+" is not a date-time"))
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	items := []any{}
	for i := len(f.audit) - 1; i >= 0; i-- {
		e := f.audit[i]
		items = append(items, map[string]any{"correlationId": e.CorrelationID, "operation": enumOf(e.Operation), "status": enumOf(e.Status)})
	}
	writeJSON(w, 200, map[string]any{"items": items, "totalPages": 1, "totalCount": len(items), "hasNextPage": false})
}

// auditEntries returns the audit entries with this correlation id.
func (f *fakeCC) auditEntries(cid string) []fakeAudit {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeAudit
	for _, e := range f.audit {
		if e.CorrelationID == cid {
			out = append(out, *e)
		}
	}
	return out
}

func (f *fakeCC) get(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sid := r.PathValue("sid")
	f.tick(sid)
	s, ok := f.subs[sid]
	if !ok {
		writeJSON(w, 404, envelope(404, "Subscription not found"))
		return
	}
	writeJSON(w, 200, s.detail())
}

// patchBody is the PATCH body after strictPatch checked it.
type patchRequest struct {
	Quantity         int
	AutoRenew        *bool
	RenewTerm        string
	RenewBilling     string
	CustomEnd        string
	HasRenewSettings bool
	NextBilling      string
}

var (
	fakeTerms    = []string{"NoTerm", "OneMonth", "OneYear", "ThreeYears", "FiveYears"}
	fakeBillings = []string{"OneTime", "Monthly", "Annual", "Triennial", "None"}
)

// strictPatch checks a PATCH body as the API reference documents it:
// name (string or null), quantity and nextBillingFrequency required;
// autoRenewEnabled a boolean; autoRenewSettings with term and
// billingFrequency required and customTermEndDate a date-time or null;
// enums are {"name": …} objects with a documented value; no other
// property anywhere.
func strictPatch(raw []byte) (patchRequest, []string) {
	var p patchRequest
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return p, []string{"body: not a JSON object"}
	}
	allowed(top, bad, "", "name", "quantity", "nextBillingFrequency", "autoRenewEnabled", "autoRenewSettings")
	for _, k := range []string{"name", "quantity", "nextBillingFrequency"} {
		if _, ok := top[k]; !ok {
			bad("%s: required", k)
		}
	}
	if v, ok := top["name"]; ok && string(v) != "null" {
		var name string
		if json.Unmarshal(v, &name) != nil || len(name) > 255 {
			bad("name: a string of at most 255 characters or null")
		}
	}
	if v, ok := top["quantity"]; ok && json.Unmarshal(v, &p.Quantity) != nil {
		bad("quantity: an integer")
	}
	if v, ok := top["nextBillingFrequency"]; ok {
		p.NextBilling = strictEnum(v, "nextBillingFrequency", fakeBillings, bad)
	}
	if v, ok := top["autoRenewEnabled"]; ok {
		var b bool
		if json.Unmarshal(v, &b) != nil {
			bad("autoRenewEnabled: a boolean")
		}
		p.AutoRenew = &b
	}
	if v, ok := top["autoRenewSettings"]; ok && string(v) != "null" {
		p.HasRenewSettings = true
		var rs map[string]json.RawMessage
		if json.Unmarshal(v, &rs) != nil {
			bad("autoRenewSettings: an object")
		}
		allowed(rs, bad, "autoRenewSettings.", "term", "billingFrequency", "customTermEndDate")
		if t, ok := rs["term"]; ok {
			p.RenewTerm = strictEnum(t, "autoRenewSettings.term", fakeTerms, bad)
		} else {
			bad("autoRenewSettings.term: required")
		}
		if b, ok := rs["billingFrequency"]; ok {
			p.RenewBilling = strictEnum(b, "autoRenewSettings.billingFrequency", fakeBillings, bad)
		} else {
			bad("autoRenewSettings.billingFrequency: required")
		}
		if d, ok := rs["customTermEndDate"]; ok && string(d) != "null" {
			var ds string
			_ = json.Unmarshal(d, &ds)
			if _, err := time.Parse(time.RFC3339, ds); err != nil {
				bad("autoRenewSettings.customTermEndDate: a date-time or null, got %s", d)
			} else {
				p.CustomEnd = ds[:len(time.DateOnly)]
			}
		}
	}
	return p, problems
}

func allowed(m map[string]json.RawMessage, bad func(string, ...any), prefix string, keys ...string) {
	for k := range m {
		if !slices.Contains(keys, k) {
			bad("%s%s: additional properties are not allowed", prefix, k)
		}
	}
}

func strictEnum(v json.RawMessage, field string, values []string, bad func(string, ...any)) string {
	var o map[string]json.RawMessage
	if json.Unmarshal(v, &o) != nil {
		bad("%s: an object {\"name\": …}, got %s", field, v)
		return ""
	}
	allowed(o, bad, field+".", "name")
	var name string
	if json.Unmarshal(o["name"], &name) != nil || !slices.Contains(values, name) {
		bad("%s: name must be one of %v, got %s", field, values, o["name"])
	}
	return name
}

func (f *fakeCC) patch(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	body, problems := strictPatch(raw)
	if len(problems) > 0 {
		env := envelope(400, "One or more validation errors occurred.")
		var errs []any
		for _, p := range problems {
			name, desc, _ := strings.Cut(p, ": ")
			errs = append(errs, map[string]any{"propertyName": name, "description": []string{desc}})
		}
		env["errors"] = errs
		writeJSON(w, 400, env)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sid := r.PathValue("sid")
	s, ok := f.subs[sid]
	if !ok {
		writeJSON(w, 404, envelope(404, "Subscription not found"))
		return
	}
	f.later(r, "UpdateSubscription", sid, func() {
		s.Qty = body.Quantity
		if body.AutoRenew != nil {
			s.AutoRenew = *body.AutoRenew
		}
		if body.HasRenewSettings {
			s.RenewTerm, s.RenewBilling, s.CustomEnd = body.RenewTerm, body.RenewBilling, body.CustomEnd
		}
	})
	w.WriteHeader(http.StatusAccepted)
}

func (f *fakeCC) delete(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sid := r.PathValue("sid")
	s, ok := f.subs[sid]
	if !ok {
		writeJSON(w, 404, envelope(404, "Subscription not found"))
		return
	}
	f.later(r, "DeleteSubscription", sid, func() { s.Status, s.AutoRenew, s.CancelUntil = "Cancelled", false, "" })
	w.WriteHeader(http.StatusAccepted)
}

func (f *fakeCC) eligible(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ts := f.transitions[r.PathValue("sid")]
	if ts == nil {
		ts = []map[string]any{}
	}
	writeJSON(w, 200, ts)
}

func (f *fakeCC) upgrade(w http.ResponseWriter, r *http.Request) {
	var body struct {
		DestinationSubscriptionID string `json:"destinationSubscriptionId"`
		ProviderOfferID           string `json:"providerOfferId"`
		OfferID                   string `json:"offerId"`
		OfferName                 string `json:"offerName"`
		Quantity                  int    `json:"quantity"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Quantity < 1 {
		writeJSON(w, 400, envelope(400, "bad body"))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sid := r.PathValue("sid")
	src, ok := f.subs[sid]
	if !ok {
		writeJSON(w, 404, envelope(404, "Subscription not found"))
		return
	}
	dst := f.subs[body.DestinationSubscriptionID]
	f.later(r, "UpgradeSubscription", sid, func() {
		src.Qty -= body.Quantity
		if dst != nil {
			dst.Qty += body.Quantity
			return
		}
		// A new line, with the source's term and dates.
		n := *src
		n.ID = fmt.Sprintf("%s-up-%d", src.ID, len(f.order)+1)
		n.Name, n.OfferID, n.ProviderOfferID, n.OfferName = body.OfferName, body.OfferID, body.ProviderOfferID, body.OfferName
		n.Qty, n.CancelUntil, n.Trial = body.Quantity, "", false
		f.subs[n.ID] = &n
		f.order = append(f.order, n.ID)
	})
	w.WriteHeader(http.StatusAccepted)
}

// sleeper records the waits the client asks for.
type sleeper struct {
	mu     sync.Mutex
	waits  []time.Duration
	onWait func(n int) // called with the number of waits so far
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	n, hook := len(s.waits), s.onWait
	s.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func (s *sleeper) reset() {
	s.mu.Lock()
	s.waits = nil
	s.mu.Unlock()
}
