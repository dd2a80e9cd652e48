package partnercenter

import (
	"errors"
	"net/http"
	"sort"
	"testing"

	"github.com/licensebot/licensebot/csp"
)

// subscribedSkus answers GET …/subscribedskus from the live subscriptions:
// per product name, their seats as totalUnits and f.consumed as
// consumedUnits. newFake marks the route App+User only, as Microsoft
// documents it.
func (f *fakePC) subscribedSkus(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	total := map[string]int{}
	for _, id := range f.order {
		s := f.subs[id]
		if s.Status == "active" || s.Status == "suspended" {
			total[s.Name] += s.Qty
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
		items = append(items, map[string]any{
			"availableUnits": total[n] - used, "activeUnits": total[n], "consumedUnits": used, "suspendedUnits": 0,
			"totalUnits": total[n], "warningUnits": 0, "capabilityStatus": "Enabled",
			"productSku": map[string]any{"id": "sku-" + n, "name": n, "skuPartNumber": "PART", "targetType": "User"},
			"attributes": map[string]any{"objectType": "SubscribedSku"},
		})
	}
	writeJSON(w, 200, map[string]any{"totalCount": len(items), "items": items, "attributes": map[string]any{"objectType": "Collection"}})
}

func TestUsageFromSubscribedSkus(t *testing.T) {
	e := setup(t, withUser)
	e.f.consumed = map[string]int{"Office 365 E1": 19}
	us, err := e.c.Usage(t.Context(), custID)
	if err != nil {
		t.Fatal(err)
	}
	e1, ok := csp.UsageOf(us, "s2")
	if !ok || e1.Assigned != 19 || e1.Bought != 25 || e1.Unused() != 6 {
		t.Errorf("E1: %+v, want 19 of 25", e1)
	}
	if _, ok := csp.UsageOf(us, "s4"); ok {
		t.Error("a cancelled subscription has usage")
	}
	for _, r := range e.f.requests(http.MethodGet, "/subscribedskus") {
		if r.Header.Get("Authorization") == "" {
			t.Error("subscribedskus without a token")
		}
	}
}

// Without App+User credentials nothing is sent and the bot is told the
// portal cannot say; a 403 (no GDAP role that reads licences) is the same.
func TestUsageUnsupported(t *testing.T) {
	t.Run("app-only", func(t *testing.T) {
		e := setup(t)
		if _, err := e.c.Usage(t.Context(), custID); !errors.Is(err, csp.ErrUsageUnsupported) {
			t.Errorf("Usage: %v, want csp.ErrUsageUnsupported", err)
		}
		if n := len(e.f.requests("", "/subscribedskus")); n != 0 {
			t.Errorf("%d subscribedskus calls with app-only credentials", n)
		}
	})
	t.Run("forbidden", func(t *testing.T) {
		e := setup(t, withUser)
		e.f.fault("subscribedskus", fault{status: 403})
		if _, err := e.c.Usage(t.Context(), custID); !errors.Is(err, csp.ErrUsageUnsupported) {
			t.Errorf("Usage after a 403: %v, want csp.ErrUsageUnsupported", err)
		}
	})
	t.Run("unknown customer", func(t *testing.T) {
		e := setup(t, withUser)
		if _, err := e.c.Usage(t.Context(), "nobody"); !errors.Is(err, csp.ErrNotFound) {
			t.Errorf("Usage of an unknown customer: %v, want csp.ErrNotFound", err)
		}
	})
	t.Run("GDAP", func(t *testing.T) {
		e := setup(t, withUser)
		if _, err := e.c.DelegatedAccess(t.Context(), custID); !errors.Is(err, csp.ErrAccessUnsupported) {
			t.Errorf("DelegatedAccess: %v, want csp.ErrAccessUnsupported", err)
		}
	})
}
