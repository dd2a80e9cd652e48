package csp

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ChangeKind names what a person asks for.
type ChangeKind string

// The change kinds of the guide.
const (
	ChangeAddSeats           ChangeKind = "add_seats"
	ChangeRemoveSeats        ChangeKind = "remove_seats"
	ChangeSetRenewalQuantity ChangeKind = "set_renewal_quantity"
	ChangeAutoRenewOff       ChangeKind = "auto_renew_off"
	ChangeAutoRenewOn        ChangeKind = "auto_renew_on"
	ChangeCancel             ChangeKind = "cancel"
	ChangeUpgrade            ChangeKind = "upgrade"
	ChangeAlignEndDate       ChangeKind = "align_end_date"
	// ChangePurchase buys a new subscription from the catalog (the
	// guide's Catalogue menu); see purchase.go.
	ChangePurchase ChangeKind = "purchase"
)

// Valid reports whether k is a known kind.
func (k ChangeKind) Valid() bool {
	_, ok := k.Spec()
	return ok
}

// Change is what a person asks for, in their terms: "add 2 seats" is
// relative. The workflow turns it into an absolute Operation once, at
// submission, from the subscription it was decided on.
type Change struct {
	Kind           ChangeKind `json:"kind"`
	SubscriptionID string     `json:"subscription_id"`
	// Quantity: seats to add or remove; the renewal quantity to set; the
	// seats to upgrade (0 means all).
	Quantity int `json:"quantity,omitempty"`
	// TargetOfferID is the offer to upgrade to.
	TargetOfferID string `json:"target_offer_id,omitempty"`
	// TargetSubscriptionID is the existing line to merge an upgrade into,
	// or the subscription whose end date to align with.
	TargetSubscriptionID string `json:"target_subscription_id,omitempty"`
	// Term and Billing are a purchase's commitment and billing cycle.
	Term    Term         `json:"term,omitempty"`
	Billing BillingCycle `json:"billing,omitempty"`
}

// Operation is an absolute, idempotent write to a provider: "set quantity
// to 12", never "add 2". Applying it twice leaves the subscription as
// applying it once does.
type Operation struct {
	// Key identifies one attempt: random, unique, never reused (not a
	// request number, which a lost counter step could hand out twice).
	// Providers use it as their idempotency or de-duplication key
	// (MS-RequestId, an order id, the sandbox's record of upgrades).
	Key            string     `json:"key"`
	Kind           ChangeKind `json:"kind"`
	SubscriptionID string     `json:"subscription_id"`
	// FromQuantity is the quantity the decision was made on; a provider
	// refuses with ErrConflict when the subscription no longer has it
	// and does not already have Quantity.
	FromQuantity int `json:"from_quantity"`
	// Quantity is the target: the new quantity (add/remove), the renewal
	// quantity, or the seats moved by an upgrade.
	Quantity             int        `json:"quantity"`
	AutoRenew            *bool      `json:"auto_renew,omitempty"`
	TargetOfferID        string     `json:"target_offer_id,omitempty"`
	TargetSubscriptionID string     `json:"target_subscription_id,omitempty"`
	CustomTermEnd        *time.Time `json:"custom_term_end,omitempty"`
	// Term and Billing are a purchase's (see purchase.go).
	Term    Term         `json:"term,omitempty"`
	Billing BillingCycle `json:"billing,omitempty"`
}

// Validate checks the operation's shape, not the licence rules.
func (op Operation) Validate() error {
	if op.Key == "" {
		return fmt.Errorf("operation: key is required")
	}
	if op.SubscriptionID == "" && op.Kind != ChangePurchase {
		return fmt.Errorf("operation: subscription id is required")
	}
	switch op.Kind {
	case ChangeAddSeats, ChangeRemoveSeats, ChangeSetRenewalQuantity:
		if op.Quantity < 1 {
			return fmt.Errorf("operation %s: quantity must be at least 1, got %d", op.Kind, op.Quantity)
		}
	case ChangeAutoRenewOff, ChangeAutoRenewOn:
		if op.AutoRenew == nil {
			return fmt.Errorf("operation %s: auto_renew is required", op.Kind)
		}
	case ChangeCancel:
	case ChangeUpgrade:
		if op.TargetOfferID == "" || op.Quantity < 1 {
			return fmt.Errorf("operation upgrade: target offer and a quantity of at least 1 are required")
		}
	case ChangeAlignEndDate:
		if op.CustomTermEnd == nil {
			return fmt.Errorf("operation align_end_date: custom term end is required")
		}
	case ChangePurchase:
		return op.validatePurchase()
	default:
		return fmt.Errorf("operation: unknown kind %q", op.Kind)
	}
	return nil
}

// Result is what a provider reports after applying an operation.
type Result struct {
	// Subscription is the source subscription after the operation.
	Subscription Subscription `json:"subscription"`
	// Target is the upgrade's destination line after the operation.
	Target *Subscription `json:"target,omitempty"`
	// AlreadyApplied is true when the subscription already had the
	// target state, so nothing was written.
	AlreadyApplied bool `json:"already_applied"`
	// Pending is true when the portal accepted the change asynchronously
	// (HTTP 202) and it is not visible yet.
	Pending bool `json:"pending"`
	// Receipt is what the portal answered to the write (its status,
	// correlation id, order id or Location), so that the caller can
	// record it and later Observe the write by it. Empty only when
	// nothing was sent.
	Receipt Receipt `json:"receipt,omitzero"`
}

// UpgradeOption is one eligible upgrade: the target offer and, if merging,
// the existing line it would go into (empty for a new line).
type UpgradeOption struct {
	OfferID              string `json:"offer_id"`
	OfferName            string `json:"offer_name"`
	TargetSubscriptionID string `json:"target_subscription_id,omitempty"`
}

// CodeQuantityMin is the refusal code of an operation that asks for
// fewer than one seat. Every provider uses it, so callers can branch on
// it whichever portal is configured.
const CodeQuantityMin = "quantity_min"

// CheckApply makes the checks every provider's Apply makes before it
// reads anything: a quantity below 1 is a *RefusedError (CodeQuantityMin)
// the bot can explain, since reducing to 0 is a cancellation, not a bug;
// then the shape (Validate) and that an auto-renew operation sets the
// direction its kind names. Shape errors are prefixed with provider.
func (op Operation) CheckApply(provider string) error {
	switch op.Kind {
	case ChangeAddSeats, ChangeRemoveSeats, ChangeSetRenewalQuantity, ChangeUpgrade, ChangePurchase:
		// Checked before Validate, which would make it a plain error.
		if op.Quantity < 1 {
			return &RefusedError{Code: CodeQuantityMin, Detail: fmt.Sprintf(
				"quantity must be at least 1, got %d; to end a subscription, cancel it or turn auto-renew off", op.Quantity)}
		}
	}
	if err := op.Validate(); err != nil {
		return fmt.Errorf("%s: %w", provider, err)
	}
	if op.Kind == ChangeAutoRenewOn || op.Kind == ChangeAutoRenewOff {
		if want := op.Kind == ChangeAutoRenewOn; *op.AutoRenew != want {
			return fmt.Errorf("%s: operation %s: auto_renew must be %t", provider, op.Kind, want)
		}
	}
	return nil
}

// IsGUID reports whether s is written as a GUID
// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits in any case), as
// Microsoft writes tenant ids and request ids.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// ApplyError is what an Apply returns for err: a *RefusedError as it is,
// so that callers find its code; any other error wrapped with the
// provider, the change and the subscription; nil for nil.
func (op Operation) ApplyError(provider string, err error) error {
	var refused *RefusedError
	if err == nil || errors.As(err, &refused) {
		return err
	}
	return fmt.Errorf("%s: %s on %s: %w", provider, op.Kind, op.SubscriptionID, err)
}
