package partnercenter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// PurchaseOrder is a new subscription to buy through a cart and its
// checkout.
type PurchaseOrder struct {
	// Key identifies the logical purchase. The cart's MS-RequestId comes
	// from it as a write's does; the checkout has its own, derived from
	// it too (see Purchase).
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
// the poll timeout passes (Result.Pending). The cart and the checkout are
// two calls, and Microsoft resets MS-RequestId after each answer: the
// cart's id comes from Key, the checkout's from Key and "checkout", both
// the same whenever the purchase is retried with its key. The checkout
// is sent once in this call (Microsoft documents a repeated checkout of
// the same cart as returning the first result, but a purchase is the
// costliest write there is). The receipt holds the order id and the
// cart's location for ObservePurchase.
func (c *Client) Purchase(ctx context.Context, customerID string, po PurchaseOrder) (csp.Result, error) {
	if po.Quantity < 1 {
		return csp.Result{}, refuse(CodeQuantityMin, "quantity must be at least 1, got %d", po.Quantity)
	}
	if err := po.validate(); err != nil {
		return csp.Result{}, fmt.Errorf("partnercenter: %w", err)
	}
	log := c.log.With("customer_id", customerID, "operation", "purchase", "key", po.Key, "offer_id", po.OfferID)
	li, err := c.cartLine(ctx, customerID, po)
	if err != nil {
		return csp.Result{}, err
	}
	cartID, err := c.createCart(ctx, customerID, li, po.Key, log)
	if err != nil {
		return csp.Result{}, err
	}
	o, rec, err := c.checkout(ctx, customerID, cartID, po.Key, log)
	if err != nil {
		return csp.Result{Receipt: rec}, err
	}
	o = c.followOrder(ctx, customerID, o, log)
	return c.purchaseResult(ctx, customerID, o, rec)
}

func cartsPath(customerID string) string {
	return "/v1/customers/" + url.PathEscape(customerID) + "/carts"
}

// cartLine is the cart's one line: the catalog item for the customer's
// market and, when asked, the aligned end date.
func (c *Client) cartLine(ctx context.Context, customerID string, po PurchaseOrder) (cartLineItem, error) {
	item, err := c.catalogItem(ctx, customerID, po.OfferID)
	if err != nil {
		return cartLineItem{}, err
	}
	end, err := c.purchaseEnd(ctx, customerID, po)
	if err != nil {
		return cartLineItem{}, err
	}
	return cartLineItem{ID: 0, CatalogItemID: item, FriendlyName: po.FriendlyName, Quantity: po.Quantity,
		BillingCycle: string(po.Billing), TermDuration: string(po.Term), CustomTermEndDate: end,
		ProvisioningContext: map[string]string{}}, nil
}

// purchaseEnd is the customTermEndDate of the cart line: the allowed
// date that co-terms with AlignWith, CustomTermEnd, or none.
func (c *Client) purchaseEnd(ctx context.Context, customerID string, po PurchaseOrder) (string, error) {
	if po.AlignWith == "" {
		if po.CustomTermEnd == nil {
			return "", nil
		}
		return wireLastDay(*po.CustomTermEnd, c.locOf(customerID)), nil
	}
	ds, err := c.CustomTermEndDates(ctx, customerID, po.Term, po.AlignWith)
	if err != nil {
		return "", err
	}
	var pick *EndDate
	for i, d := range ds {
		if d.CotermSubscriptionID == po.AlignWith || (pick == nil && strings.EqualFold(d.Type, "subscription")) {
			pick = &ds[i]
		}
	}
	if pick == nil {
		return "", refuse(CodeNoAlignmentDate, "Partner Center allows no end date for a %s term that co-terms with subscription %s", po.Term, po.AlignWith)
	}
	return wireLastDay(pick.End, c.locOf(customerID)), nil
}

// createCart creates the cart and returns its id; a line Partner Center
// refuses is a refusal.
func (c *Client) createCart(ctx context.Context, customerID string, li cartLineItem, key string, log *slog.Logger) (string, error) {
	var ct cart
	if _, err := c.do(ctx, request{method: http.MethodPost, path: cartsPath(customerID), body: cart{LineItems: []cartLineItem{li}},
		requestID: requestID(key), log: log}, &ct); err != nil {
		return "", fmt.Errorf("partnercenter: create cart: %w", err)
	}
	for _, l := range ct.LineItems {
		if l.Error != nil {
			return "", refuse(classifyPurchase(codeString(l.Error.ErrorCode), l.Error.ErrorDescription),
				"Partner Center refused the cart line: %s", l.Error.ErrorDescription)
		}
	}
	if ct.ID == "" {
		return "", errors.New("partnercenter: create cart: no cart id in the answer")
	}
	return ct.ID, nil
}

// checkout checks the cart out, once, and returns its order. The receipt
// names the cart, for ObservePurchase when the answer is lost.
func (c *Client) checkout(ctx context.Context, customerID, cartID, key string, log *slog.Logger) (order, csp.Receipt, error) {
	var out checkoutResult
	resp, err := c.do(ctx, request{method: http.MethodPost, path: cartsPath(customerID) + "/" + url.PathEscape(cartID) + "/checkout",
		requestID: callRequestID(key, "checkout"), once: true, log: log}, &out)
	rec := resp.receipt(c.clock.Now())
	rec.Location = cartsPath(customerID) + "/" + cartID
	if err != nil {
		return order{}, rec, fmt.Errorf("partnercenter: checkout: %w", err)
	}
	if len(out.OrderErrors) > 0 {
		e := out.OrderErrors[0]
		return order{}, rec, refuse(classifyPurchase(codeString(e.Code), e.Description), "Partner Center refused the order: %s", e.Description)
	}
	if len(out.Orders) == 0 || out.Orders[0].ID == "" {
		return order{}, rec, errors.New("partnercenter: checkout: no order in the answer")
	}
	o := out.Orders[0]
	rec.OrderID = o.ID
	log.InfoContext(ctx, "partner center accepted the order", "order_id", o.ID, "status", o.Status, "ms_correlation_id", rec.CorrelationID)
	return o, rec, nil
}

// followOrder reads the order until it ends or the polls run out.
func (c *Client) followOrder(ctx context.Context, customerID string, o order, log *slog.Logger) order {
	for i := 0; orderOutcome(o.Status) == csp.ObservedPending && i < c.polls; i++ {
		if err := c.sleep(ctx, c.interval); err != nil {
			break
		}
		got, err := c.order(ctx, customerID, o.ID)
		if err != nil {
			log.WarnContext(ctx, "could not read the order", "err", err)
			continue
		}
		o = got
	}
	return o
}

// purchaseResult reports the order's outcome with the new subscription.
func (c *Client) purchaseResult(ctx context.Context, customerID string, o order, rec csp.Receipt) (csp.Result, error) {
	res := csp.Result{Receipt: rec}
	switch orderOutcome(o.Status) {
	case csp.ObservedNotDone:
		return res, refuse(CodePurchaseRefused, "Partner Center accepted order %s and then %s it", o.ID, strings.ToLower(o.Status))
	case csp.ObservedPending:
		res.Pending = true
	}
	sid := orderSubscription(o)
	if sid == "" {
		return res, nil
	}
	if s, err := c.Subscription(ctx, customerID, sid); err == nil {
		res.Subscription = s
	} else {
		res.Pending = true // completed but the line is not readable yet
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

// applyPurchase is Apply for a purchase: the operation's key is the
// purchase's key (the cart's MS-RequestId, and the checkout's derived
// from it), the aligned subscription co-terms the new one through
// Partner Center's allowed end dates.
func (c *Client) applyPurchase(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	po := PurchaseOrder{Key: op.Key, OfferID: op.TargetOfferID, Quantity: op.Quantity, Term: op.Term, Billing: op.Billing,
		AlignWith: op.TargetSubscriptionID, CustomTermEnd: op.CustomTermEnd}
	if o, ok := c.cat.Offer(op.TargetOfferID); ok {
		po.FriendlyName = o.Name
	}
	res, err := c.Purchase(ctx, customerID, po)
	var refused *csp.RefusedError
	if err != nil && !errors.As(err, &refused) {
		err = fmt.Errorf("partnercenter: purchase of %s: %w", op.TargetOfferID, err)
	}
	return res, err
}
