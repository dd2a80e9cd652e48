package csp

import "time"

// Status is a subscription's state, the union of the portals' states.
type Status string

// Statuses. Partner Center's "deleted" maps to StatusCancelled, its
// "disabled" to StatusExpired.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusExpired   Status = "expired"
	StatusCancelled Status = "cancelled"
	StatusPending   Status = "pending"
)

// Customer is a reseller's customer tenant.
type Customer struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Domain   string `json:"domain,omitempty"`
	Currency string `json:"currency"`
	// TimeZone is an IANA zone name; dates are computed and shown in it.
	TimeZone string `json:"time_zone"`
}

// SeatLot is one purchase of seats: the seats of a term start (renewal or
// first purchase) or seats added mid-term. Each lot can be removed for a
// refund only until its own RemovableUntil (Partner Center's
// refundableQuantity.details[].allowedUntilDateTime).
type SeatLot struct {
	Quantity       int       `json:"quantity"`
	PurchasedAt    time.Time `json:"purchased_at"`
	RemovableUntil time.Time `json:"removable_until"`
}

// RenewalInstructions are changes scheduled for the next term (Partner
// Center scheduledNextTermInstructions, CloudCockpit autoRenewSettings).
// Zero fields mean "unchanged".
type RenewalInstructions struct {
	Quantity int          `json:"quantity,omitempty"`
	Term     Term         `json:"term,omitempty"`
	Billing  BillingCycle `json:"billing,omitempty"`
	OfferID  string       `json:"offer_id,omitempty"`
	// CustomTermEnd aligns the next term's end with another
	// subscription's (end-date alignment).
	CustomTermEnd *time.Time `json:"custom_term_end,omitempty"`
}

// Subscription is one licence subscription of a customer.
type Subscription struct {
	ID         string       `json:"id"`
	CustomerID string       `json:"customer_id"`
	OfferID    string       `json:"offer_id"`
	Name       string       `json:"name"`
	Quantity   int          `json:"quantity"`
	Term       Term         `json:"term"`
	Billing    BillingCycle `json:"billing"`
	// TermStart is the instant the current term began.
	TermStart time.Time `json:"term_start"`
	// TermEnd is the instant the current term ends (exclusive): the next
	// term, if any, starts then. The commitment end date people see is
	// the day before, in the customer's time zone.
	TermEnd time.Time `json:"term_end"`
	// AnchorDay is the day of the month terms end on (the first term's
	// start day); 0 means the day of TermEnd. It stops chained terms from
	// drifting after a short month.
	AnchorDay int                  `json:"anchor_day,omitempty"`
	AutoRenew bool                 `json:"auto_renew"`
	Renewal   *RenewalInstructions `json:"renewal,omitempty"`
	Status    Status               `json:"status"`
	Trial     bool                 `json:"trial"`
	// UnitPrice is per seat per billing period.
	UnitPrice Money `json:"unit_price"`
	// Lots are the purchases that make up Quantity, oldest first.
	Lots []SeatLot `json:"lots,omitempty"`
	// CancellationAllowedUntil is the end of the window in which the whole
	// subscription can be cancelled (Partner Center's
	// cancellationAllowedUntilDate). nil means the portal did not say:
	// the rules then use the window after the term start, capped by the
	// customer's policy.
	CancellationAllowedUntil *time.Time `json:"cancellation_allowed_until,omitempty"`
	// ETag changes on every write; providers that support it use it for
	// optimistic concurrency.
	ETag string `json:"etag,omitempty"`
}

// EndAfter returns when the term k terms after the current one ends
// (k = 1: the next term), on the subscription's anchor day, for term
// lengths of months each. It is how renewals fall in the sandbox and
// Partner Center: a term started on the 31st keeps ending on the 31st
// where the month has one.
func (s Subscription) EndAfter(k, months int, loc *time.Location) time.Time {
	end := s.TermEnd.In(loc)
	anchor := s.AnchorDay
	if anchor == 0 {
		anchor = end.Day()
	}
	return AddMonthsOnDay(end, k*months, anchor)
}

// Price returns the subscription's price for its current term and billing.
func (s Subscription) Price() Price {
	return Price{Term: s.Term, Billing: s.Billing, Unit: s.UnitPrice}
}

// RenewalQuantity returns the quantity scheduled for the next term, or
// Quantity when nothing is scheduled.
func (s Subscription) RenewalQuantity() int {
	if s.Renewal != nil && s.Renewal.Quantity > 0 {
		return s.Renewal.Quantity
	}
	return s.Quantity
}

// HasScheduledRenewal reports whether any renewal change is scheduled.
func (s Subscription) HasScheduledRenewal() bool {
	r := s.Renewal
	return r != nil && (r.Quantity > 0 || r.Term != "" || r.Billing != "" || r.OfferID != "" || r.CustomTermEnd != nil)
}

// RemovableAt returns how many seats can be removed for a refund at now:
// the sum of lots whose window is still open.
func (s Subscription) RemovableAt(now time.Time) int {
	n := 0
	for _, l := range s.Lots {
		if !now.Before(l.PurchasedAt) && now.Before(l.RemovableUntil) {
			n += l.Quantity
		}
	}
	return n
}

// NextWindowCloses returns the earliest RemovableUntil still ahead of now
// among lots open at now.
func (s Subscription) NextWindowCloses(now time.Time) (time.Time, bool) {
	var best time.Time
	for _, l := range s.Lots {
		if !now.Before(l.PurchasedAt) && now.Before(l.RemovableUntil) {
			if best.IsZero() || l.RemovableUntil.Before(best) {
				best = l.RemovableUntil
			}
		}
	}
	return best, !best.IsZero()
}

// Clone returns a deep copy, so callers can change it freely.
func (s Subscription) Clone() Subscription {
	c := s
	if s.Renewal != nil {
		r := *s.Renewal
		if r.CustomTermEnd != nil {
			t := *r.CustomTermEnd
			r.CustomTermEnd = &t
		}
		c.Renewal = &r
	}
	c.Lots = append([]SeatLot(nil), s.Lots...)
	if s.CancellationAllowedUntil != nil {
		t := *s.CancellationAllowedUntil
		c.CancellationAllowedUntil = &t
	}
	return c
}
