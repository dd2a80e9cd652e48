package partnercenter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// PurchaseOrder is a new subscription to buy through a cart and its
// checkout.
type PurchaseOrder struct {
	// Key identifies the logical purchase; it is the MS-RequestId of the
	// cart and of the checkout.
	Key string
	// OfferID is a catalog offer id (its ProviderOfferID names the
	// Partner Center product and SKU) or "pc:productId:skuId[:availabilityId]".
	OfferID  string
	Quantity int
	Term     csp.Term
	Billing  csp.BillingCycle
	// AlignWith is a subscription to co-term with: the end date comes
	// from Partner Center's allowed custom term end dates.
	AlignWith string
	// CustomTermEnd is an explicit (exclusive) end; it must be one of the
	// allowed dates. AlignWith wins when both are set.
	CustomTermEnd *time.Time
	FriendlyName  string
}

func (po PurchaseOrder) validate() error {
	switch {
	case po.Key == "":
		return errors.New("purchase: key is required")
	case po.OfferID == "":
		return errors.New("purchase: offer is required")
	case !po.Term.Valid() || po.Billing.Months() == 0:
		return fmt.Errorf("purchase: term %q and billing %q must be valid", po.Term, po.Billing)
	}
	return nil
}

// Purchase buys a new subscription: it resolves the catalog item for the
// customer's market, picks the aligned end date when asked, creates a
// cart and checks it out, then follows the order until it completes or
// the poll timeout passes (Result.Pending). The cart and checkout carry
// MS-RequestId = Key; the checkout is sent once in this call (Microsoft
// documents a repeated checkout of the same cart as returning the first
// result, but a purchase is the costliest write there is). The receipt
// holds the order id and the cart's location for ObservePurchase.
func (c *Client) Purchase(ctx context.Context, customerID string, po PurchaseOrder) (csp.Result, error) {
	if po.Quantity < 1 {
		return csp.Result{}, refuse(CodeQuantityMin, "quantity must be at least 1, got %d", po.Quantity)
	}
	if err := po.validate(); err != nil {
		return csp.Result{}, fmt.Errorf("partnercenter: %w", err)
	}
	log := c.log.With("customer_id", customerID, "operation", "purchase", "key", po.Key, "offer_id", po.OfferID)
	item, err := c.catalogItem(ctx, customerID, po.OfferID)
	if err != nil {
		return csp.Result{}, err
	}
	li := cartLineItem{ID: 0, CatalogItemID: item, FriendlyName: po.FriendlyName, Quantity: po.Quantity,
		BillingCycle: string(po.Billing), TermDuration: string(po.Term), ProvisioningContext: map[string]string{}}
	switch {
	case po.AlignWith != "":
		ds, err := c.CustomTermEndDates(ctx, customerID, po.Term, po.AlignWith)
		if err != nil {
			return csp.Result{}, err
		}
		var pick *EndDate
		for i, d := range ds {
			if d.CotermSubscriptionID == po.AlignWith || (pick == nil && strings.EqualFold(d.Type, "subscription")) {
				pick = &ds[i]
			}
		}
		if pick == nil {
			return csp.Result{}, refuse(CodeNoAlignmentDate, "Partner Center allows no end date for a %s term that co-terms with subscription %s", po.Term, po.AlignWith)
		}
		li.CustomTermEndDate = c.wireLastDay(pick.End)
	case po.CustomTermEnd != nil:
		li.CustomTermEndDate = c.wireLastDay(*po.CustomTermEnd)
	}
	var ct cart
	cartPath := "/v1/customers/" + url.PathEscape(customerID) + "/carts"
	if _, err := c.do(ctx, request{method: http.MethodPost, path: cartPath, body: cart{LineItems: []cartLineItem{li}},
		requestID: po.Key, log: log}, &ct); err != nil {
		return csp.Result{}, fmt.Errorf("partnercenter: create cart: %w", err)
	}
	for _, l := range ct.LineItems {
		if l.Error != nil {
			return csp.Result{}, refuse(classifyPurchase(codeString(l.Error.ErrorCode), l.Error.ErrorDescription),
				"Partner Center refused the cart line: %s", l.Error.ErrorDescription)
		}
	}
	if ct.ID == "" {
		return csp.Result{}, errors.New("partnercenter: create cart: no cart id in the answer")
	}
	var out checkoutResult
	resp, err := c.do(ctx, request{method: http.MethodPost, path: cartPath + "/" + url.PathEscape(ct.ID) + "/checkout",
		requestID: po.Key, once: true, log: log}, &out)
	rec := resp.receipt(c.clock.Now())
	rec.Location = cartPath + "/" + ct.ID
	if err != nil {
		return csp.Result{Receipt: rec}, fmt.Errorf("partnercenter: checkout: %w", err)
	}
	if len(out.OrderErrors) > 0 {
		e := out.OrderErrors[0]
		return csp.Result{Receipt: rec}, refuse(classifyPurchase(codeString(e.Code), e.Description), "Partner Center refused the order: %s", e.Description)
	}
	if len(out.Orders) == 0 || out.Orders[0].ID == "" {
		return csp.Result{Receipt: rec}, errors.New("partnercenter: checkout: no order in the answer")
	}
	o := out.Orders[0]
	rec.OrderID = o.ID
	log.InfoContext(ctx, "partner center accepted the order", "order_id", o.ID, "status", o.Status, "ms_correlation_id", rec.CorrelationID)
	for i := 0; orderOutcome(o.Status) == csp.ObservedPending && i < c.polls; i++ {
		if err := c.sleep(ctx, c.interval); err != nil {
			break
		}
		if got, err := c.order(ctx, customerID, o.ID); err == nil {
			o = got
		} else {
			log.WarnContext(ctx, "could not read the order", "err", err)
		}
	}
	res := csp.Result{Receipt: rec}
	switch orderOutcome(o.Status) {
	case csp.ObservedNotDone:
		return res, refuse(CodePurchaseRefused, "Partner Center accepted order %s and then %s it", o.ID, strings.ToLower(o.Status))
	case csp.ObservedPending:
		res.Pending = true
	}
	if sid := orderSubscription(o); sid != "" {
		if s, err := c.Subscription(ctx, customerID, sid); err == nil {
			res.Subscription = s
		} else if !res.Pending {
			res.Pending = true // completed but the line is not readable yet
		}
	}
	return res, nil
}

// ObservePurchase reports, without writing, what became of a purchase
// from its receipt: the order's status, or, when the checkout's answer was
// lost (no order id), that a person must look.
func (c *Client) ObservePurchase(ctx context.Context, customerID string, receipt csp.Receipt) (csp.Observation, error) {
	if receipt.OrderID == "" {
		if receipt.Status >= 400 && receipt.Status < 500 && receipt.Status != http.StatusTooManyRequests {
			return csp.Observation{Outcome: csp.ObservedNotDone, Detail: fmt.Sprintf("the checkout was refused (HTTP %d)", receipt.Status)}, nil
		}
		return csp.Observation{Outcome: csp.ObservedUnknown,
			Detail: "no answer to the checkout of " + receipt.Location + "; Microsoft documents checking out the same cart again as returning the first result"}, nil
	}
	o, err := c.order(ctx, customerID, receipt.OrderID)
	if err != nil {
		return csp.Observation{}, err
	}
	obs := csp.Observation{Outcome: orderOutcome(o.Status), Detail: "order " + o.ID + " is " + o.Status}
	if sid := orderSubscription(o); sid != "" && obs.Outcome == csp.ObservedDone {
		if s, err := c.Subscription(ctx, customerID, sid); err == nil {
			obs.Subscription = &s
		}
	}
	return obs, nil
}

func (c *Client) order(ctx context.Context, customerID, orderID string) (order, error) {
	var o order
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/customers/" + url.PathEscape(customerID) + "/orders/" + url.PathEscape(orderID)}, &o)
	return o, err
}

func orderSubscription(o order) string {
	for _, l := range o.LineItems {
		if l.SubscriptionID != "" {
			return l.SubscriptionID
		}
	}
	return ""
}

func orderOutcome(status string) csp.Outcome {
	switch strings.ToLower(status) {
	case "completed":
		return csp.ObservedDone
	case "cancelled", "canceled", "failed":
		return csp.ObservedNotDone
	}
	return csp.ObservedPending
}

func classifyPurchase(code, description string) string {
	if c := classify(code, description); c != CodePortalRefused {
		return c
	}
	return CodePurchaseRefused
}

// catalogItem returns the catalog item id (productId:skuId:availabilityId)
// to buy: the catalog's when it has three parts, otherwise the first
// availability Partner Center lists for the customer
// (GET …/products/{productId}/skus/{skuId}/availabilities).
func (c *Client) catalogItem(ctx context.Context, customerID, offerID string) (string, error) {
	pid := c.providerOffer(offerID)
	parts := strings.Split(pid, ":")
	if len(parts) >= 3 && parts[2] != "" {
		return pid, nil
	}
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return "", refuse(CodeOfferNotAvailable, "offer %q has no Partner Center product and SKU id (provider_offer_id in the catalog)", offerID)
	}
	var col collection[availability]
	path := "/v1/customers/" + url.PathEscape(customerID) + "/products/" + url.PathEscape(parts[0]) + "/skus/" + url.PathEscape(parts[1]) + "/availabilities"
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path}, &col); err != nil {
		if errors.Is(err, csp.ErrNotFound) {
			return "", refuse(CodeOfferNotAvailable, "Partner Center sells no %s:%s to this customer", parts[0], parts[1])
		}
		return "", fmt.Errorf("partnercenter: availabilities of %s: %w", pid, err)
	}
	for _, a := range col.Items {
		if a.CatalogItemID != "" {
			return a.CatalogItemID, nil
		}
		if a.ID != "" {
			return parts[0] + ":" + parts[1] + ":" + a.ID, nil
		}
	}
	return "", refuse(CodeOfferNotAvailable, "Partner Center lists no availability of %s:%s for this customer", parts[0], parts[1])
}
