package cloudcockpit

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// The fake's orders, as strict as the API reference: POST /v1/Orders
// takes the documented properties only, enums as {"name": …} objects,
// the caller's id as a UUID; an id the portal already has is 409.
// An order is Processing for lag reads of it (0: Completed at once;
// -1: never), then Completed, and its subscription appears with the
// order's id in its orderId.

type fakeOrder struct {
	ID, Status string
	Body       map[string]any
	reads      int
	SubID      string
}

func portalOr(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

func defaultOffers() []map[string]any {
	return []map[string]any{
		{"id": "off-bs", "name": "Microsoft 365 Business Standard", "providerOfferId": "CFQ7TTC0LDPB:0001", "providerInstanceId": "pi-1"},
		{"id": "off-e1", "name": "Office 365 E1", "providerOfferId": "CFQ7TTC0LF8Q:0001", "providerInstanceId": "pi-1"},
		{"id": "off-e3", "name": "Office 365 E3", "providerOfferId": "CFQ7TTC0LF8R:0001", "providerInstanceId": "pi-1"},
	}
}

func (f *fakeCC) listOffers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("CustomerId") != custID || q.Get("OfferTypes") != "License" {
		writeJSON(w, 400, envelope(400, "CustomerId and OfferTypes=License are expected"))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	items := []any{}
	for _, o := range f.offers {
		items = append(items, o)
	}
	writeJSON(w, 200, map[string]any{"items": items, "totalPages": 1, "totalCount": len(items), "hasNextPage": false})
}

var orderKeys = []string{"id", "offerId", "customerId", "providerInstanceId", "subscriptionName", "termDuration",
	"billingFrequency", "segment", "operation", "quantity", "autoRenewEnabled", "poNumber", "subscriptionInternalId"}

// strictOrder checks a POST /v1/Orders body against the reference.
func strictOrder(raw []byte) (map[string]any, []string) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, []string{"body: not a JSON object"}
	}
	for k := range m {
		if !slices.Contains(orderKeys, k) {
			bad("%s: is not a property of an order", k)
		}
	}
	var id, offer, cust, name string
	_ = json.Unmarshal(m["id"], &id)
	_ = json.Unmarshal(m["offerId"], &offer)
	_ = json.Unmarshal(m["customerId"], &cust)
	_ = json.Unmarshal(m["subscriptionName"], &name)
	if !uuidRE.MatchString(id) {
		bad("id: %q is not a uuid", id)
	}
	if offer == "" || cust == "" {
		bad("offerId: offerId and customerId are required")
	}
	if name == "" || len(name) > 255 {
		bad("subscriptionName: is required, at most 255 characters")
	}
	var qty int
	if err := json.Unmarshal(m["quantity"], &qty); err != nil || qty < 1 {
		bad("quantity: must be at least 1")
	}
	term := strictEnum(m["termDuration"], "termDuration", fakeTerms, bad)
	billing := strictEnum(m["billingFrequency"], "billingFrequency", fakeBillings, bad)
	strictEnum(m["segment"], "segment", []string{"Commercial", "Education", "Government", "NonProfit"}, bad)
	strictEnum(m["operation"], "operation", []string{"CreateSubscription"}, bad)
	return map[string]any{"id": id, "offerId": offer, "customerId": cust, "name": name, "quantity": qty, "term": term, "billing": billing}, problems
}

func (f *fakeCC) placeOrder(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	body, problems := strictOrder(raw)
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
	id := body["id"].(string)
	if _, dup := f.orders[id]; dup {
		writeJSON(w, 409, envelope(409, "An order with this id already exists"))
		return
	}
	if body["customerId"] != custID {
		writeJSON(w, 404, envelope(404, "Customer not found"))
		return
	}
	found := false
	for _, o := range f.offers {
		found = found || o["id"] == body["offerId"]
	}
	if !found {
		writeJSON(w, 400, envelope(400, "Offer not found"))
		return
	}
	o := &fakeOrder{ID: id, Status: "Processing", Body: body, reads: f.lag}
	f.orders[id] = o
	f.audit = append(f.audit, &fakeAudit{CorrelationID: r.Header.Get("X-Correlation-Id"), Operation: "CreateOrder", Status: "Processing"})
	if f.lag == 0 {
		f.complete(o)
	}
	writeJSON(w, 201, map[string]any{"id": id, "status": enumOf(o.Status)})
}

// complete provisions an order: its subscription appears. Callers hold
// f.mu.
func (f *fakeCC) complete(o *fakeOrder) {
	b := o.Body
	var offer map[string]any
	for _, x := range f.offers {
		if x["id"] == b["offerId"] {
			offer = x
		}
	}
	sid := fmt.Sprintf("bought-%d", len(f.order)+1)
	s := &fakeSub{ID: sid, Name: b["name"].(string), OfferID: offer["id"].(string), ProviderOfferID: offer["providerOfferId"].(string),
		OfferName: offer["name"].(string), Status: "Active", Start: "2026-11-26", End: "2027-11-25", CancelUntil: "2026-11-29T10:00:00Z",
		Qty: b["quantity"].(int), Term: b["term"].(string), Billing: b["billing"].(string), AutoRenew: true,
		RenewTerm: b["term"].(string), RenewBilling: b["billing"].(string), OrderID: o.ID}
	f.subs[sid] = s
	f.order = append(f.order, sid)
	o.Status, o.SubID = "Completed", sid
}

func (f *fakeCC) getOrder(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.orders[r.PathValue("id")]
	if !ok {
		writeJSON(w, 404, envelope(404, "Order not found"))
		return
	}
	if o.Status == "Processing" && o.reads >= 0 {
		if o.reads == 0 {
			f.complete(o)
		} else {
			o.reads--
		}
	}
	// The read shape is not documented beyond id and status: the fake
	// names no subscription, so the client finds it by orderId.
	writeJSON(w, 200, map[string]any{"id": o.ID, "status": enumOf(o.Status)})
}
