package csp

import (
	"context"
	"maps"
	"time"
)

// Delivery says whether a provider's write for a change kind may be sent
// again after a read shows it has not taken effect.
type Delivery string

// Deliveries.
const (
	// DeliveryAbsolute: the write sets a state ("quantity = 12", "auto-
	// renew off"). A read that shows the state absent proves it has not
	// taken effect, so sending it again is safe.
	DeliveryAbsolute Delivery = "absolute"
	// DeliverySendOnce: the write is an action (an upgrade POST, a
	// purchase order, a cancellation) that the portal may accept now and
	// show later. It is recorded before it is sent and never sent again
	// automatically: afterwards the caller only observes (Observe).
	DeliverySendOnce Delivery = "send_once"
)

// Capabilities is what a provider can do, part of every Provider so that
// no wrapper can hide it.
type Capabilities struct {
	// Operations maps each change kind this portal can make to how its
	// write may be repeated. A kind that is absent is refused at preview,
	// with a sentence, instead of failing after an approval.
	Operations map[ChangeKind]Delivery
	// SettleTime is how long an accepted send-once write may take to
	// show. Past it, an effect neither visible nor disproven goes to a
	// person; it is never sent again automatically.
	SettleTime time.Duration
	// AlignsPurchases: a purchase can be given the end date of another
	// subscription (co-terminosity) when it is bought. A portal whose
	// order has no end date leaves it false, and the bot offers no
	// alignment when buying there.
	AlignsPurchases bool
}

// GuideCapabilities is a portal that makes every change of the guide:
// quantity, renewal, auto-renew and end-date writes set a state and are
// absolute; a cancellation, an upgrade and a purchase are actions, sent
// once and then observed, and a purchase can be aligned with another
// subscription's end date. settle is its SettleTime.
func GuideCapabilities(settle time.Duration) Capabilities {
	return Capabilities{
		Operations: map[ChangeKind]Delivery{
			ChangeAddSeats:           DeliveryAbsolute,
			ChangeRemoveSeats:        DeliveryAbsolute,
			ChangeSetRenewalQuantity: DeliveryAbsolute,
			ChangeAutoRenewOff:       DeliveryAbsolute,
			ChangeAutoRenewOn:        DeliveryAbsolute,
			ChangeAlignEndDate:       DeliveryAbsolute,
			ChangeCancel:             DeliverySendOnce,
			ChangeUpgrade:            DeliverySendOnce,
			ChangePurchase:           DeliverySendOnce,
		},
		SettleTime:      settle,
		AlignsPurchases: true,
	}
}

// Without returns a copy of c that cannot make the kinds ks: a portal
// with no API for them.
func (c Capabilities) Without(ks ...ChangeKind) Capabilities {
	ops := maps.Clone(c.Operations)
	for _, k := range ks {
		delete(ops, k)
	}
	c.Operations = ops
	return c
}

// Supports reports whether the portal can make changes of kind k.
func (c Capabilities) Supports(k ChangeKind) bool {
	_, ok := c.Operations[k]
	return ok
}

// DeliveryOf says how the write for kind k may be repeated; a kind the
// portal cannot make is reported as send-once, the cautious answer.
func (c Capabilities) DeliveryOf(k ChangeKind) Delivery {
	if d, ok := c.Operations[k]; ok {
		return d
	}
	return DeliverySendOnce
}

// Receipt is what the portal answered to a write. It is recorded on the
// request after the call, so that later observation can follow it (an
// order id, an operation's Location) and a person can quote it.
type Receipt struct {
	// Status is the HTTP status (or the sandbox's equivalent); 0 when no
	// answer came (a timeout after sending).
	Status        int       `json:"status,omitempty"`
	CorrelationID string    `json:"correlation_id,omitempty"`
	OrderID       string    `json:"order_id,omitempty"`
	Location      string    `json:"location,omitempty"`
	At            time.Time `json:"at,omitzero"`
}

// Outcome is what an observation of an earlier write found.
type Outcome string

// Outcomes.
const (
	// ObservedDone: the effect is visible.
	ObservedDone Outcome = "done"
	// ObservedNotDone: the portal proves the write did not take effect
	// (the order failed, no order has that key, the call was refused).
	ObservedNotDone Outcome = "not_done"
	// ObservedPending: accepted and still in progress.
	ObservedPending Outcome = "pending"
	// ObservedUnknown: neither visible nor disproven.
	ObservedUnknown Outcome = "unknown"
)

// Observation is what Observe found, with the state it read.
type Observation struct {
	Outcome      Outcome       `json:"outcome"`
	Subscription *Subscription `json:"subscription,omitempty"`
	Target       *Subscription `json:"target,omitempty"`
	// Detail is a short note for the person who resolves it.
	Detail string `json:"detail,omitempty"`
}

// Observer is the part of a Provider that looks at an earlier write
// without making one.
type Observer interface {
	// Observe reports whether op, sent earlier with the receipt the
	// portal gave (possibly empty), has taken effect: from the receipt's
	// order or operation status, the portal's audit, or the
	// subscriptions. It never writes.
	Observe(ctx context.Context, customerID string, op Operation, receipt Receipt) (Observation, error)
}
