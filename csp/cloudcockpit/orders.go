package cloudcockpit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// Purchases go through POST /v1/Orders with the caller's order id: the
// operation key (a UUID) is the order's `id`, so the portal itself knows
// the order by the key the workflow recorded before sending. Apply reads
// GET /v1/Orders/{id} first and never places an order whose id the
// portal already has; the order is then followed by id until Completed
// or Failed (Processing and Provisioning are on the way). The new line
// is the order's subscription, or the subscription whose orderId is the
// order's.
//
// The documented order body has no end date, so a purchase cannot be
// aligned with another subscription's end here (Capabilities says so and
// the bot offers no alignment): the new line's renewal can be aligned
// afterwards with align_end_date.

// Purchase refusal codes.
const (
	CodeUnknownOffer          = csp.CodeUnknownOffer
	CodePurchaseFailed        = "purchase_failed"
	CodeAlignmentNotSupported = csp.CodeAlignmentNotSupported
)

// Order statuses, as the portal names them.
const (
	orderCompleted = "completed"
	orderFailed    = "failed"
)

// orderBody is the documented body of POST /v1/Orders.
type orderBody struct {
	ID                 string  `json:"id"`
	OfferID            string  `json:"offerId"`
	CustomerID         string  `json:"customerId"`
	ProviderInstanceID *string `json:"providerInstanceId"`
	SubscriptionName   string  `json:"subscriptionName"`
	TermDuration       enumObj `json:"termDuration"`
	BillingFrequency   enumObj `json:"billingFrequency"`
	Segment            enumObj `json:"segment"`
	Operation          enumObj `json:"operation"`
	Quantity           int     `json:"quantity"`
	AutoRenewEnabled   bool    `json:"autoRenewEnabled"`
}

// orderWire is an order as read back. Beyond id and status the shape is
// not in the public reference; the subscription is read tolerantly.
type orderWire struct {
	ID             string `json:"id"`
	Status         enum   `json:"status"`
	SubscriptionID string `json:"subscriptionId"`
	Subscriptions  []struct {
		ID string `json:"id"`
	} `json:"subscriptions"`
}

// offerWire is an item of GET /v1/Offers.
type offerWire struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	ProviderOfferID    string `json:"providerOfferId"`
	ProviderInstanceID string `json:"providerInstanceId"`
}

func ordersPath(id string) string { return "/v1/Orders/" + url.PathEscape(id) }

// wireTerm and wireBilling write a term and a billing cycle as the
// portal's enum names.
func wireTerm(t csp.Term) string {
	switch t {
	case csp.TermMonthly:
		return "OneMonth"
	case csp.TermAnnual:
		return "OneYear"
	case csp.TermTriennial:
		return "ThreeYears"
	}
	return ""
}

func wireBilling(b csp.BillingCycle) string {
	switch b {
	case csp.BillingMonthly:
		return "Monthly"
	case csp.BillingAnnual:
		return "Annual"
	case csp.BillingTriennial:
		return "Triennial"
	}
	return ""
}

// order reads an order by id; found is false when the portal has none.
func (c *Client) order(ctx context.Context, id string) (o orderWire, found bool, err error) {
	_, err = c.do(ctx, request{method: http.MethodGet, path: ordersPath(id)}, &o)
	if errors.Is(err, csp.ErrNotFound) {
		return orderWire{}, false, nil
	}
	return o, err == nil, err
}

// purchase places op's order once and follows it.
func (c *Client) purchase(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	log := c.log.With("customer_id", customerID, "operation", string(op.Kind), "key", op.Key, "offer_id", op.TargetOfferID)
	if op.CustomTermEnd != nil || op.TargetSubscriptionID != "" {
		return csp.Result{}, refuse(CodeAlignmentNotSupported,
			"CloudCockpit's order has no end date: buy without alignment, then align the new line's renewal")
	}
	id := KeyCorrelationID(op.Key)
	o, found, err := c.order(ctx, id)
	if err != nil {
		return csp.Result{}, fmt.Errorf("cloudcockpit: purchase: read order %s: %w", id, err)
	}
	rec := csp.Receipt{Status: http.StatusOK, CorrelationID: id, OrderID: id, At: c.clock.Now()}
	if found {
		log.InfoContext(ctx, "the portal already has this order; not placed again", "order_id", id, "status", o.Status.Name)
	} else {
		offer, err := c.portalOffer(ctx, customerID, op.TargetOfferID)
		if err != nil {
			return csp.Result{}, err
		}
		body := orderBody{ID: id, OfferID: offer.ID, CustomerID: customerID,
			SubscriptionName: portal.FirstNonEmpty(c.offerName(op.TargetOfferID), offer.Name),
			TermDuration:     enumObj{wireTerm(op.Term)}, BillingFrequency: enumObj{wireBilling(op.Billing)},
			Segment: enumObj{"Commercial"}, Operation: enumObj{"CreateSubscription"}, Quantity: op.Quantity, AutoRenewEnabled: true}
		if offer.ProviderInstanceID != "" {
			body.ProviderInstanceID = &offer.ProviderInstanceID
		}
		resp, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/Orders", body: body, once: true, cid: id, log: log}, &o)
		switch {
		case errors.Is(err, csp.ErrConflict):
			// Placed by an earlier send whose answer was lost.
			log.InfoContext(ctx, "the portal already has this order id", "order_id", id)
		case err != nil:
			return csp.Result{Receipt: csp.Receipt{Status: resp.status, CorrelationID: id, OrderID: id, At: c.clock.Now()}},
				fmt.Errorf("cloudcockpit: purchase: place order: %w", err)
		default:
			rec.Status = resp.status
			log.InfoContext(ctx, "cloudcockpit accepted the order", "order_id", id, "status", resp.status)
		}
	}
	obs, err := c.followOrder(ctx, customerID, id, log)
	if err != nil {
		log.WarnContext(ctx, "order not read after placing it; left pending", "err", err)
		return csp.Result{Pending: true, Receipt: rec}, nil
	}
	switch obs.Outcome {
	case csp.ObservedDone:
		return csp.Result{Subscription: *obs.Subscription, Receipt: rec}, nil
	case csp.ObservedNotDone:
		return csp.Result{Receipt: rec}, refuse(CodePurchaseFailed, "CloudCockpit accepted order %s and then failed it: %s", id, obs.Detail)
	}
	return csp.Result{Pending: true, Receipt: rec}, nil
}

// followOrder reads the order until it ends or the polls run out.
func (c *Client) followOrder(ctx context.Context, customerID, id string, log *slog.Logger) (csp.Observation, error) {
	var obs csp.Observation
	var err error
	for i := 0; i <= c.polls; i++ {
		if i > 0 {
			if err := c.sleep(ctx, c.interval); err != nil {
				break
			}
		}
		obs, err = c.observeOrder(ctx, customerID, id, csp.Receipt{Status: http.StatusAccepted, At: c.clock.Now()})
		if err != nil {
			log.WarnContext(ctx, "could not read the order", "order_id", id, "err", err)
			continue
		}
		if obs.Outcome != csp.ObservedPending {
			return obs, nil
		}
	}
	return obs, err
}

// observeOrder reports what became of order id. An order the portal does
// not have is not done, unless it was sent moments ago (its answer may
// be late to show).
func (c *Client) observeOrder(ctx context.Context, customerID, id string, receipt csp.Receipt) (csp.Observation, error) {
	o, found, err := c.order(ctx, id)
	if err != nil {
		return csp.Observation{}, err
	}
	if !found {
		if c.young(receipt) || (receipt.Status == 0 && !receipt.At.IsZero() && c.clock.Now().Before(receipt.At.Add(SettleTime))) {
			return csp.Observation{Outcome: csp.ObservedPending, Detail: "order " + id + " is not visible yet"}, nil
		}
		return csp.Observation{Outcome: csp.ObservedNotDone, Detail: "the portal has no order " + id}, nil
	}
	obs := csp.Observation{Detail: "order " + id + " is " + o.Status.Name}
	switch strings.ToLower(o.Status.Name) {
	case orderFailed:
		obs.Outcome = csp.ObservedNotDone
		return obs, nil
	case orderCompleted:
	default:
		obs.Outcome = csp.ObservedPending
		return obs, nil
	}
	sub, ok, err := c.orderSubscription(ctx, customerID, id, o)
	switch {
	case err != nil:
		return csp.Observation{}, err
	case !ok:
		// Completed, and its line not listed yet.
		obs.Outcome = csp.ObservedPending
		obs.Detail += "; its subscription is not listed yet"
		return obs, nil
	}
	obs.Outcome, obs.Subscription = csp.ObservedDone, &sub
	return obs, nil
}

// orderSubscription finds the line a completed order created.
func (c *Client) orderSubscription(ctx context.Context, customerID, id string, o orderWire) (csp.Subscription, bool, error) {
	sid := o.SubscriptionID
	if sid == "" && len(o.Subscriptions) > 0 {
		sid = o.Subscriptions[0].ID
	}
	if sid == "" {
		ws, err := c.listSubscriptions(ctx, customerID)
		if err != nil {
			return csp.Subscription{}, false, err
		}
		for _, w := range ws {
			if strings.EqualFold(w.OrderID, id) {
				sid = w.ID
				break
			}
		}
	}
	if sid == "" {
		return csp.Subscription{}, false, nil
	}
	s, err := c.Subscription(ctx, customerID, sid)
	if errors.Is(err, csp.ErrNotFound) {
		return csp.Subscription{}, false, nil
	}
	return s, err == nil, err
}

// portalOffer finds the portal's offer of a catalog offer among the
// licence offers the customer can buy (GET /v1/Offers).
func (c *Client) portalOffer(ctx context.Context, customerID, offerID string) (offerWire, error) {
	for n := 1; n <= 50; n++ {
		q := url.Values{}
		q.Set("OfferTypes", "License")
		q.Set("Segment", "Commercial")
		q.Set("CustomerId", customerID)
		q.Set("PageNumber", strconv.Itoa(n))
		q.Set("PageSize", strconv.Itoa(c.pageSize))
		var pg page[offerWire]
		if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/Offers", query: q}, &pg); err != nil {
			return offerWire{}, fmt.Errorf("cloudcockpit: purchase: list offers: %w", err)
		}
		for _, o := range pg.Items {
			if c.matchesOffer(offerID, o.ID, o.ProviderOfferID, o.Name) {
				return o, nil
			}
		}
		if !pg.HasNextPage {
			break
		}
	}
	return offerWire{}, refuse(CodeUnknownOffer, "the portal sells no %q to customer %s", offerID, customerID)
}

func (c *Client) offerName(offerID string) string {
	if o, ok := c.cat.Offer(offerID); ok {
		return o.Name
	}
	return ""
}

// observePurchase is Observe for a purchase: by its order id, the key.
func (c *Client) observePurchase(ctx context.Context, customerID string, op csp.Operation, receipt csp.Receipt) (csp.Observation, error) {
	return c.observeOrder(ctx, customerID, KeyCorrelationID(op.Key), receipt)
}
