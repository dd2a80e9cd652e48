package csp

import (
	"fmt"
	"time"
)

// A purchase (ChangePurchase) buys a new subscription from the catalog,
// the guide's Catalogue menu. It names no existing subscription: the
// operation carries the offer (TargetOfferID), the seats (Quantity), the
// commitment (Term) and billing cycle (Billing), and, when the new
// subscription is aligned with an existing one (co-terminosity), that
// subscription (TargetSubscriptionID) and the end it takes
// (CustomTermEnd, exclusive, like Subscription.TermEnd).
//
// The operation's Key is the order id the caller chooses: a portal that
// takes a caller's order id (CloudCockpit's POST /v1/Orders `id`) uses it
// as the idempotency key, the sandbox records its orders by it, and
// Partner Center derives its cart and checkout request ids from it. A
// purchase is an action, not a state, so it is sent once and then
// observed (the order's status) until it completes or fails; a purchase
// is never recognised from a subscription alone (SatisfiedBy is false),
// since two lines of one offer are legal.

// purchaseSpec is the KindSpec row of ChangePurchase: no subscription,
// a quantity, an offer, and an optional subscription to align with. It
// is not irreversible: the new subscription can be cancelled within its
// cancellation window like any other.
var purchaseSpec = KindSpec{Kind: ChangePurchase, NeedsQuantity: true, TargetOffer: true, TargetSubscription: true}

// Purchase codes every provider refuses with, so callers can branch on
// them whichever portal is configured.
const (
	// CodeUnknownOffer: the portal does not sell the offer to the customer.
	CodeUnknownOffer = "unknown_offer"
	// CodeNoPrice: the offer is not sold with that term and billing.
	CodeNoPrice = "no_price"
	// CodeAlignmentNotSupported: the portal cannot give a new
	// subscription the end date of another (Capabilities.AlignsPurchases).
	CodeAlignmentNotSupported = "alignment_not_supported"
)

func (op Operation) validatePurchase() error {
	switch {
	case op.TargetOfferID == "":
		return fmt.Errorf("operation purchase: the offer to buy (target_offer_id) is required")
	case op.Quantity < 1:
		return fmt.Errorf("operation purchase: quantity must be at least 1, got %d", op.Quantity)
	case !op.Term.Valid() || op.Billing.Months() == 0:
		return fmt.Errorf("operation purchase: term %q and billing %q must be valid", op.Term, op.Billing)
	case op.SubscriptionID != "":
		return fmt.Errorf("operation purchase: names no existing subscription, got %q", op.SubscriptionID)
	}
	return nil
}

// PurchaseEnd is when a subscription bought at start for term ends
// (exclusive): the aligned end when one is given, else the natural end
// of the term, computed in loc.
func PurchaseEnd(start time.Time, term Term, aligned *time.Time, loc *time.Location) time.Time {
	if aligned != nil {
		return aligned.In(loc)
	}
	return TermEnd(StartOfDay(start, loc), term)
}
