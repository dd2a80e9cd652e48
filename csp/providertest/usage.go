package providertest

import (
	"errors"
	"testing"

	"github.com/licensebot/licensebot/csp"
)

// testUsage: a portal reports usage or says it cannot (ErrUsageUnsupported);
// what it reports is about the customer's live subscriptions, with their
// seats as bought, a count that is not negative and the time it was
// measured; reading it changes nothing; an unknown customer wraps
// ErrNotFound (or ErrUsageUnsupported, for a portal that never asks).
func testUsage(t *testing.T, h Harness) {
	ctx := t.Context()
	before := subscriptions(t, h)
	us, err := h.Provider.Usage(ctx, h.CustomerID)
	if errors.Is(err, csp.ErrUsageUnsupported) {
		t.Logf("%s reports no usage: %v", h.Provider.Name(), err)
		return
	}
	if err != nil {
		t.Fatalf("Usage: %v", err)
	}
	if len(us) == 0 {
		t.Fatal("Usage returned nothing for a customer with subscriptions; a portal that cannot tell must say so with csp.ErrUsageUnsupported")
	}
	byID := map[string]csp.Subscription{}
	for _, s := range before {
		byID[s.ID] = s
	}
	seen := map[string]bool{}
	for _, u := range us {
		s, ok := byID[u.SubscriptionID]
		switch {
		case !ok:
			t.Errorf("usage of %q, which is not one of the customer's subscriptions", u.SubscriptionID)
			continue
		case seen[u.SubscriptionID]:
			t.Errorf("usage of %s given twice", u.SubscriptionID)
		case s.Status != csp.StatusActive && s.Status != csp.StatusSuspended:
			t.Errorf("usage of %s, which is %s", s.ID, s.Status)
		}
		seen[u.SubscriptionID] = true
		if u.Bought != s.Quantity {
			t.Errorf("%s: bought %d, the subscription has %d seats", s.ID, u.Bought, s.Quantity)
		}
		if u.Assigned < 0 {
			t.Errorf("%s: %d assigned", s.ID, u.Assigned)
		}
		if u.MeasuredAt.IsZero() {
			t.Errorf("%s: no measuring time", s.ID)
		}
		if u.Unused()-u.Over() != u.Bought-u.Assigned {
			t.Errorf("%s: unused %d and over %d do not add up to %d bought, %d assigned", s.ID, u.Unused(), u.Over(), u.Bought, u.Assigned)
		}
	}
	sameSubscriptions(t, before, subscriptions(t, h))
	if _, err := h.Provider.Usage(ctx, "no-such-customer"); !errors.Is(err, csp.ErrNotFound) && !errors.Is(err, csp.ErrUsageUnsupported) {
		t.Errorf("usage of an unknown customer: %v, want csp.ErrNotFound", err)
	}
}

// testDelegatedAccess: relationships have a name or id, a known status
// and roles; or the portal says it cannot tell (ErrAccessUnsupported).
func testDelegatedAccess(t *testing.T, h Harness) {
	ctx := t.Context()
	rs, err := h.Provider.DelegatedAccess(ctx, h.CustomerID)
	if errors.Is(err, csp.ErrAccessUnsupported) {
		t.Logf("%s reports no delegated access: %v", h.Provider.Name(), err)
		return
	}
	if err != nil {
		t.Fatalf("DelegatedAccess: %v", err)
	}
	for _, r := range rs {
		if r.ID == "" && r.Name == "" {
			t.Errorf("a relationship with neither id nor name: %+v", r)
		}
		if r.Status == "" {
			t.Errorf("%s: no status", r.ID)
		}
		if !r.End.IsZero() && !r.Start.IsZero() && r.End.Before(r.Start) {
			t.Errorf("%s: ends (%s) before it starts (%s)", r.ID, r.End, r.Start)
		}
	}
	if _, err := h.Provider.DelegatedAccess(ctx, "no-such-customer"); !errors.Is(err, csp.ErrNotFound) && !errors.Is(err, csp.ErrAccessUnsupported) {
		t.Errorf("delegated access of an unknown customer: %v, want csp.ErrNotFound", err)
	}
}
