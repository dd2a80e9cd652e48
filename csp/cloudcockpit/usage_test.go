package cloudcockpit

import (
	"errors"
	"net/http"
	"sort"
	"testing"

	"github.com/licensebot/licensebot/csp"
)

// licences answers GET /v1/Customers/{cid}/licenses like the guide's
// Licences tab: per product name, the live subscriptions' seats as total
// and f.consumed as assigned. It refuses a call without
// providerInstanceId, as the reference writes the endpoint with it.
func (f *fakeCC) licences(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("providerInstanceId") == "" {
		writeJSON(w, 400, envelope(400, "providerInstanceId is required"))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	total := map[string]int{}
	for _, id := range f.order {
		s := f.subs[id]
		if s.Status == "Active" || s.Status == "Suspended" {
			total[s.OfferName] += s.Qty
		}
	}
	names := make([]string, 0, len(total))
	for n := range total {
		names = append(names, n)
	}
	sort.Strings(names)
	items := []any{}
	for _, n := range names {
		used, ok := f.consumed[n]
		if !ok {
			used = total[n] - 1
		}
		items = append(items, map[string]any{"skuId": "sku-" + n, "name": n, "totalLicenses": total[n],
			"consumedLicenses": used, "availableLicenses": total[n] - used, "suspendedLicenses": 0, "isSelected": true})
	}
	writeJSON(w, 200, items)
}

func (f *fakeCC) delegated(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("providerInstanceId") == "" {
		writeJSON(w, 400, envelope(400, "providerInstanceId is required"))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	items := []any{}
	for _, rel := range f.relationships {
		items = append(items, rel)
	}
	writeJSON(w, 200, items)
}

func TestUsageFromTheLicencesEndpoint(t *testing.T) {
	e := setup(t)
	e.f.consumed = map[string]int{"Office 365 E1": 21, "Office 365 E3": 5}
	us, err := e.c.Usage(t.Context(), custID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]csp.Usage{}
	for _, u := range us {
		got[u.SubscriptionID] = u
	}
	if u := got["s2"]; u.Assigned != 21 || u.Bought != 25 || u.Unused() != 4 || u.Pooled {
		t.Errorf("E1: %+v, want 21 of 25 assigned", u)
	}
	if u := got["s3"]; u.Assigned != 5 || u.Unused() != 0 {
		t.Errorf("E3: %+v, want all 5 assigned", u)
	}
	if _, ok := got["s5"]; ok {
		t.Error("a deleted subscription has usage")
	}
	if u := got["s2"]; !u.MeasuredAt.Equal(e.clk.Now()) {
		t.Errorf("measured at %s, want the time of the read %s", u.MeasuredAt, e.clk.Now())
	}
	reqs := e.f.requests(http.MethodGet, "/licenses")
	if len(reqs) != 1 || reqs[0].Query != "providerInstanceId=pi-1" {
		t.Errorf("licences requests: %+v", reqs)
	}
}

// Two subscriptions of one product share the product's count: the one
// that renews last is filled first, so the unused seats show on the one
// that renews first.
func TestUsagePooledProduct(t *testing.T) {
	e := setup(t)
	e.f.add(fakeSub{ID: "s6", Name: "Office 365 E1", OfferID: "off-e1", ProviderOfferID: "CFQ7TTC0LF8Q:0001:CFQ7TTC0LF8S",
		OfferName: "Office 365 E1", Status: "Active", Start: "2026-02-01", End: "2027-01-31", Qty: 10, Term: "OneYear", Billing: "Monthly"})
	e.f.consumed = map[string]int{"Office 365 E1": 30}
	us, err := e.c.Usage(t.Context(), custID)
	if err != nil {
		t.Fatal(err)
	}
	later, _ := csp.UsageOf(us, "s2")  // ends 2027-06
	sooner, _ := csp.UsageOf(us, "s6") // ends 2027-01
	if later.Assigned != 25 || sooner.Assigned != 5 || !later.Pooled || !sooner.Pooled {
		t.Errorf("pooled E1: s2 %+v, s6 %+v; want 25 and 5, pooled", later, sooner)
	}
}

// An over-assigned tenant (seats reduced below the assignments) shows it
// rather than hiding it.
func TestUsageOverAssigned(t *testing.T) {
	e := setup(t)
	e.f.consumed = map[string]int{"Office 365 E3": 7}
	us, err := e.c.Usage(t.Context(), custID)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := csp.UsageOf(us, "s3"); u.Over() != 2 || u.Unused() != 0 {
		t.Errorf("E3 with 7 assigned of 5: %+v", u)
	}
}

func TestUsageUnsupported(t *testing.T) {
	t.Run("no provider instance", func(t *testing.T) {
		e := setup(t, func(o *Options) { o.ProviderInstanceID = "" })
		if _, err := e.c.Usage(t.Context(), custID); !errors.Is(err, csp.ErrUsageUnsupported) {
			t.Errorf("Usage: %v, want csp.ErrUsageUnsupported", err)
		}
		if _, err := e.c.DelegatedAccess(t.Context(), custID); !errors.Is(err, csp.ErrAccessUnsupported) {
			t.Errorf("DelegatedAccess: %v, want csp.ErrAccessUnsupported", err)
		}
		if n := len(e.f.requests("", "/licenses")); n != 0 {
			t.Errorf("%d licences calls without a provider instance", n)
		}
	})
	t.Run("not a Microsoft customer", func(t *testing.T) {
		e := setup(t)
		e.f.queue("GET /v1/Customers/"+custID+"/licenses", fakeResp{status: 404, body: `{"statusCode":404,"type":"Error","description":"Not found"}`})
		if _, err := e.c.Usage(t.Context(), custID); !errors.Is(err, csp.ErrUsageUnsupported) {
			t.Errorf("Usage after a 404: %v, want csp.ErrUsageUnsupported", err)
		}
	})
	t.Run("unknown customer", func(t *testing.T) {
		e := setup(t)
		if _, err := e.c.Usage(t.Context(), "nobody"); !errors.Is(err, csp.ErrNotFound) {
			t.Errorf("Usage of an unknown customer: %v, want csp.ErrNotFound", err)
		}
	})
}

func TestDelegatedAccessFromTheGDAPEndpoint(t *testing.T) {
	e := setup(t)
	e.f.relationships = []map[string]any{{
		"id": "rel-1", "displayName": "ERP Cloud support", "duration": "P730D", "autoExtendDuration": "P180D",
		"customer": map[string]any{"tenantId": "t-1"}, "status": map[string]string{"name": "active"},
		"activatedDateTime": "2026-01-10T08:00:00Z",
		"accessDetails": map[string]any{"unifiedRoles": []any{
			map[string]string{"roleDefinitionId": "729827e3-9c14-49f7-bb1b-9608f156bbb8"},
			map[string]string{"roleDefinitionId": "00000000-0000-0000-0000-000000000001"},
		}},
	}}
	rs, err := e.c.DelegatedAccess(t.Context(), custID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("relationships: %+v", rs)
	}
	r := rs[0]
	if r.ID != "rel-1" || r.Status != csp.DelegatedActive || !r.AutoExtend || r.End.Format("2006-01-02") != "2028-01-10" {
		t.Errorf("relationship: %+v", r)
	}
	if len(r.Roles) != 2 || r.Roles[0] != "Helpdesk Administrator" || r.Roles[1] != "00000000-0000-0000-0000-000000000001" {
		t.Errorf("roles: %v, want the known role named and the unknown one as its id", r.Roles)
	}
}
