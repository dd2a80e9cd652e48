package csp

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Provider is a reseller licence portal. Every method does I/O except
// Name and Capabilities. Each write is absolute or send-once, as
// Capabilities declares per change kind (see Delivery).
type Provider interface {
	Observer
	// Name is a short identifier for logs and metrics ("sandbox").
	Name() string
	// Capabilities says which changes the portal can make and how each
	// write may be repeated. It is part of the interface so that a
	// decorator (metrics, logging) forwards it and cannot hide it.
	Capabilities() Capabilities
	// Catalog returns the offers the customer can buy, in its market and
	// currency.
	Catalog(ctx context.Context, customerID string) (*Catalog, error)
	// Customers returns the reseller's customers known to this bot.
	Customers(ctx context.Context) ([]Customer, error)
	// Subscriptions returns a customer's subscriptions, all statuses.
	Subscriptions(ctx context.Context, customerID string) ([]Subscription, error)
	// Subscription returns one subscription, fresh from the portal.
	Subscription(ctx context.Context, customerID, subscriptionID string) (Subscription, error)
	// EligibleUpgrades lists the upgrades the portal would accept.
	EligibleUpgrades(ctx context.Context, customerID, subscriptionID string) ([]UpgradeOption, error)
	// Apply performs op. If the subscription already has the target
	// state it returns the current state with AlreadyApplied set.
	Apply(ctx context.Context, customerID string, op Operation) (Result, error)
	// Usage says, per subscription, how many licences are assigned to
	// users against the seats bought (the guide's Licences tab). A portal
	// that cannot tell returns an error wrapping ErrUsageUnsupported.
	Usage(ctx context.Context, customerID string) ([]Usage, error)
	// DelegatedAccess lists the reseller's delegated admin (GDAP)
	// relationships with the customer's tenant (the guide's GDAP tab). A
	// portal that cannot tell returns an error wrapping
	// ErrAccessUnsupported.
	DelegatedAccess(ctx context.Context, customerID string) ([]DelegatedRelationship, error)
}

// Errors that callers branch on. Providers wrap them with context.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict: the subscription changed since the decision was made.
	ErrConflict = errors.New("subscription changed since the request was made")
	// ErrUnavailable: the portal could not be reached or its answer was
	// lost. A read may be retried. For a write, whether it was made is
	// unknown: an absolute write may be sent again after a read shows it
	// absent; a send-once write is only observed (Observe).
	ErrUnavailable = errors.New("licence portal unavailable")
)

// RefusedError is returned when the portal itself refuses an operation on
// its own rules (for example a removal outside the window), even if the
// caller skipped the rules package.
type RefusedError struct {
	Code   string
	Detail string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused by the portal (%s): %s", e.Code, e.Detail)
}

// CustomerSettings is what a provider needs to know of one customer that
// its portal does not say: the time zone its term dates are local
// midnights in, and its seat-removal window (72 hours in the reseller's
// guide, 168 hours on Microsoft's New Commerce). Each customer has its
// own; none is taken from another.
type CustomerSettings struct {
	Location      *time.Location
	RemovalWindow time.Duration
}
