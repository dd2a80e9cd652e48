package cloudcockpit

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/providertest"
)

func buyE3(key string, n int) csp.Operation {
	return csp.Operation{Key: key, Kind: csp.ChangePurchase, TargetOfferID: "o365-e3", Quantity: n,
		Term: csp.TermAnnual, Billing: csp.BillingMonthly}
}

func boughtLines(t *testing.T, e *env) []csp.Subscription {
	t.Helper()
	subs, err := e.c.Subscriptions(context.Background(), custID)
	if err != nil {
		t.Fatal(err)
	}
	var out []csp.Subscription
	for _, s := range subs {
		if strings.HasPrefix(s.ID, "bought-") {
			out = append(out, s)
		}
	}
	return out
}

// The order carries the key as its id and the documented body; the
// portal's offer is found by the catalog's provider offer id.
func TestPurchasePlacesOneOrderWithTheKeyAsItsID(t *testing.T) {
	e := setup(t)
	k := providertest.NewKey()
	res, err := e.c.Apply(context.Background(), custID, buyE3(k, 4))
	if err != nil || res.Pending || res.Subscription.Quantity != 4 || res.Subscription.OfferID != "o365-e3" {
		t.Fatalf("%+v %v", res, err)
	}
	posts := e.f.requests(http.MethodPost, "/v1/Orders")
	if len(posts) != 1 || !strings.Contains(posts[0].Body, `"id":"`+k+`"`) || !strings.Contains(posts[0].Body, `"offerId":"off-e3"`) ||
		!strings.Contains(posts[0].Body, `"termDuration":{"name":"OneYear"}`) || posts[0].Header.Get("X-Correlation-Id") != k {
		t.Errorf("orders posted: %+v", posts)
	}
	if res.Receipt.OrderID != k {
		t.Errorf("receipt %+v, want the order id %s", res.Receipt, k)
	}
}

// The POST's answer was lost after the portal took the order: the next
// send with the same key finds the order (GET, or 409 on a POST) and
// places nothing more.
func TestPurchaseAnswerLostThenSentAgain(t *testing.T) {
	e := setup(t)
	e.f.setLag(3)
	k := providertest.NewKey()
	// The order is placed (as by a send whose answer never came back).
	first, err := e.c.Apply(context.Background(), custID, buyE3(k, 2))
	if err != nil {
		t.Fatal(err)
	}
	_ = first
	again, err := e.c.Apply(context.Background(), custID, buyE3(k, 2))
	if err != nil {
		t.Fatalf("sent again: %v", err)
	}
	if n := len(e.f.requests(http.MethodPost, "/v1/Orders")); n != 1 {
		t.Errorf("%d orders posted for one key, want 1", n)
	}
	if again.Pending {
		e.clk.Advance(time.Minute)
		obs, err := e.c.Observe(context.Background(), custID, buyE3(k, 2), again.Receipt)
		if err != nil || obs.Outcome != csp.ObservedDone {
			t.Fatalf("observe: %+v %v", obs, err)
		}
	}
	if got := boughtLines(t, e); len(got) != 1 || got[0].Quantity != 2 {
		t.Errorf("lines bought: %+v, want one of 2 seats", got)
	}
}

// The GET that guards the POST missed the order (a read lagging behind):
// the POST answers 409 and the client follows the order it names.
func TestPurchaseConflictIsTheSameOrder(t *testing.T) {
	e := setup(t)
	k := providertest.NewKey()
	if _, err := e.c.Apply(context.Background(), custID, buyE3(k, 1)); err != nil {
		t.Fatal(err)
	}
	e.f.queue("GET /v1/Orders/"+k, fakeResp{status: 404, body: `{"statusCode":404,"description":"Order not found"}`})
	res, err := e.c.Apply(context.Background(), custID, buyE3(k, 1))
	if err != nil || res.Subscription.Quantity != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := boughtLines(t, e); len(got) != 1 {
		t.Errorf("%d lines bought for one key", len(got))
	}
}

// No end date in the documented order: an aligned purchase is refused
// before anything is sent, and Capabilities says so up front.
func TestPurchaseAlignmentRefused(t *testing.T) {
	e := setup(t)
	if e.c.Capabilities().AlignsPurchases {
		t.Error("CloudCockpit declares aligned purchases")
	}
	op := buyE3(providertest.NewKey(), 1)
	end := time.Date(2027, 8, 4, 0, 0, 0, 0, e.loc)
	op.TargetSubscriptionID, op.CustomTermEnd = "s3", &end
	_, err := e.c.Apply(context.Background(), custID, op)
	var refused *csp.RefusedError
	if !errors.As(err, &refused) || refused.Code != CodeAlignmentNotSupported {
		t.Fatalf("%v, want %s", err, CodeAlignmentNotSupported)
	}
	if n := len(e.f.requests(http.MethodPost, "/v1/Orders")); n != 0 {
		t.Errorf("%d orders posted", n)
	}
}

// A bare-string enum or a property the reference does not list is
// refused by the strict fake, as by the portal.
func TestStrictOrderBody(t *testing.T) {
	e := setup(t)
	_, err := e.c.do(context.Background(), request{method: http.MethodPost, path: "/v1/Orders", once: true, body: map[string]any{
		"id": providertest.NewKey(), "offerId": "off-e3", "customerId": custID, "subscriptionName": "x",
		"termDuration": "OneYear", "billingFrequency": map[string]string{"name": "Monthly"}, "segment": map[string]string{"name": "Commercial"},
		"operation": map[string]string{"name": "CreateSubscription"}, "quantity": 1, "status": "x"}}, nil)
	var refused *csp.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("want a refusal, got %v", err)
	}
	if len(boughtLines(t, e)) != 0 {
		t.Error("a refused order bought something")
	}
}
