package cloudcockpit

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Harness {
		e := setup(t)
		return providertest.Harness{Provider: e.c, CustomerID: custID, Cancellable: "s1", Advance: e.clk.Advance, PurchaseOffer: "o365-e3"}
	})
}

// Writes that show only after more reads than Apply makes: Apply answers
// Pending, a second Apply with the same key sends nothing, Observe
// follows the write to the end.
func TestConformanceSlowPortal(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Harness {
		e := setup(t)
		e.f.setLag(8)
		return providertest.Harness{Provider: e.c, CustomerID: custID, Cancellable: "s1", Advance: e.clk.Advance, PurchaseOffer: "o365-e3"}
	})
}

// The fake is as strict as the reference: a partial body, a bare-string
// enum or an unknown property is refused, and nothing changes.
func TestPartialPatchRefused(t *testing.T) {
	e := setup(t)
	for name, body := range map[string]any{
		"quantity only":   map[string]any{"quantity": 12},
		"auto-renew only": map[string]any{"autoRenewEnabled": false},
		"bare enum":       map[string]any{"name": "x", "quantity": 12, "nextBillingFrequency": "Monthly"},
		"unknown enum":    map[string]any{"name": "x", "quantity": 12, "nextBillingFrequency": map[string]string{"name": "Weekly"}},
		"extra property":  map[string]any{"name": "x", "quantity": 12, "nextBillingFrequency": map[string]string{"name": "Monthly"}, "status": "Active"},
		"settings without term": map[string]any{"name": "x", "quantity": 12, "nextBillingFrequency": map[string]string{"name": "Monthly"},
			"autoRenewSettings": map[string]any{"billingFrequency": map[string]string{"name": "Monthly"}}},
		"date, not date-time": map[string]any{"name": "x", "quantity": 12, "nextBillingFrequency": map[string]string{"name": "Monthly"},
			"autoRenewSettings": map[string]any{"term": map[string]string{"name": "OneYear"}, "billingFrequency": map[string]string{"name": "Monthly"}, "customTermEndDate": "2028-01-01"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.c.do(context.Background(), request{method: http.MethodPatch, path: subscriptionPath(custID, "s1"), body: body}, nil)
			var refused *csp.RefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("want a refusal, got %v", err)
			}
			if s := e.f.sub("s1"); s.Qty != 10 || !s.AutoRenew {
				t.Errorf("changed: %+v", s)
			}
		})
	}
}

// The body is built from a fresh read: a seat change keeps the scheduled
// renewal settings (term, billing, aligned end date) as they were.
func TestPatchKeepsRenewalSettings(t *testing.T) {
	e := setup(t)
	before := e.f.sub("s2")
	op := csp.Operation{Key: providertest.NewKey(), Kind: csp.ChangeAddSeats, SubscriptionID: "s2", FromQuantity: 25, Quantity: 26}
	if _, err := e.c.Apply(context.Background(), custID, op); err != nil {
		t.Fatal(err)
	}
	after := e.f.sub("s2")
	if after.Qty != 26 || after.RenewTerm != before.RenewTerm || after.RenewBilling != before.RenewBilling ||
		after.CustomEnd != before.CustomEnd || after.AutoRenew != before.AutoRenew {
		t.Errorf("before %+v\nafter  %+v", before, after)
	}
}

// An upgrade carries its key as X-Correlation-Id, is POSTed once even
// when sent again with the same key before it shows, and Observe follows
// it through the audit log.
func TestUpgradeSentOnceByKey(t *testing.T) {
	e := setup(t)
	e.f.setLag(20)
	key := providertest.NewKey()
	op := csp.Operation{Key: key, Kind: csp.ChangeUpgrade, SubscriptionID: "s2", FromQuantity: 25, Quantity: 5,
		TargetOfferID: "o365-e3", TargetSubscriptionID: "s3"}
	res, err := e.c.Apply(context.Background(), custID, op)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pending || res.Receipt.Status != http.StatusAccepted || res.Receipt.CorrelationID != key {
		t.Fatalf("result %+v", res)
	}
	posts := e.f.requests(http.MethodPost, "/upgrade")
	if len(posts) != 1 || posts[0].Header.Get("X-Correlation-Id") != key {
		t.Fatalf("posts %+v", posts)
	}
	obs, err := e.c.Observe(context.Background(), custID, op, res.Receipt)
	if err != nil || obs.Outcome != csp.ObservedPending {
		t.Fatalf("observed %+v, %v", obs, err)
	}
	// Sent again with the same key (a crash before the receipt was
	// recorded): the audit log has it, nothing is POSTed.
	again, err := e.c.Apply(context.Background(), custID, op)
	if err != nil || !again.Pending {
		t.Fatalf("again: %+v, %v", again, err)
	}
	if n := len(e.f.requests(http.MethodPost, "/upgrade")); n != 1 {
		t.Fatalf("%d upgrade POSTs, want 1", n)
	}
	for range 20 {
		if obs, err = e.c.Observe(context.Background(), custID, op, res.Receipt); err != nil || obs.Outcome == csp.ObservedDone {
			break
		}
	}
	if obs.Outcome != csp.ObservedDone || obs.Target == nil || obs.Target.Quantity != 10 {
		t.Fatalf("observed %+v, %v", obs, err)
	}
	if s2, s3 := e.f.sub("s2"), e.f.sub("s3"); s2.Qty != 20 || s3.Qty != 10 {
		t.Errorf("E1 %d, E3 %d; want 20 and 10", s2.Qty, s3.Qty)
	}
}

// A failed entry in the audit log proves the upgrade did not happen.
func TestObserveAuditFailed(t *testing.T) {
	e := setup(t)
	key := providertest.NewKey()
	e.f.mu.Lock()
	e.f.audit = append(e.f.audit, &fakeAudit{CorrelationID: key, Operation: "UpgradeSubscription", Status: "Failed"})
	e.f.mu.Unlock()
	op := csp.Operation{Key: key, Kind: csp.ChangeUpgrade, SubscriptionID: "s2", FromQuantity: 25, Quantity: 5, TargetOfferID: "o365-e3"}
	obs, err := e.c.Observe(context.Background(), custID, op, csp.Receipt{Status: 202, CorrelationID: key, At: e.clk.Now()})
	if err != nil || obs.Outcome != csp.ObservedNotDone || !strings.Contains(obs.Detail, "failed") {
		t.Fatalf("observed %+v, %v", obs, err)
	}
	// Without an entry and past the settle time: unknown, never done.
	op.Key = providertest.NewKey()
	r := csp.Receipt{Status: 202, CorrelationID: KeyCorrelationID(op.Key), At: e.clk.Now().Add(-SettleTime - 1)}
	if obs, err := e.c.Observe(context.Background(), custID, op, r); err != nil || obs.Outcome != csp.ObservedUnknown {
		t.Fatalf("observed %+v, %v", obs, err)
	}
}

func TestKeyCorrelationID(t *testing.T) {
	k := "0F8FAD5B-D9CB-469F-A165-70867728950E"
	if got := KeyCorrelationID(k); got != strings.ToLower(k) {
		t.Errorf("a UUID key became %q", got)
	}
	a, b := KeyCorrelationID("R-12"), KeyCorrelationID("R-13")
	if !uuidRE.MatchString(a) || a == b || a != KeyCorrelationID("R-12") {
		t.Errorf("derived ids %q %q", a, b)
	}
}
