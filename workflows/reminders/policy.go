package reminders

import (
	"slices"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
)

// Kind is what a reminder is about.
type Kind string

// Reminder kinds.
const (
	// KindRenewal: the commitment end date is coming (RenewalLeadDays
	// before it, at the policy's time of day).
	KindRenewal Kind = "renewal"
	// KindWindowOpen: a term started; seats can be removed until the
	// window closes.
	KindWindowOpen Kind = "window_open"
	// KindWindowClosing: the window closes in WindowClosingLead and no
	// seat was removed.
	KindWindowClosing Kind = "window_closing"
	// KindTrial: a trial with auto-renew on becomes paid soon.
	KindTrial Kind = "trial"
	// KindApprovalWaiting: a request has waited ApprovalWaiting for a
	// decision.
	KindApprovalWaiting Kind = "approval_waiting"
	// KindApprovalEscalated: a request's deadline is ApprovalLead away;
	// the backup approvers are brought in and the requester is told.
	KindApprovalEscalated Kind = "approval_escalated"
	// KindPersonal: "remind me when the window opens".
	KindPersonal Kind = "personal"
)

// Policy is a customer's reminder settings. DefaultPolicy and PolicyFor
// give the defaults; a customer may override any field.
type Policy struct {
	// Location is the customer's zone: dates are days there, and dated
	// reminders go out at Hour:Minute there (time.Date, so DST days
	// neither skip nor repeat a reminder).
	Location *time.Location
	Hour     int
	Minute   int
	// RenewalLeadDays: days before the commitment end date (default 30,
	// 7, 1). A lead that falls before the term started is skipped.
	RenewalLeadDays []int
	// TrialLeadDays: days before a trial's end date (default 7, 1).
	TrialLeadDays []int
	// WindowClosingLead: how long before the removal window closes the
	// closing reminder goes out (default 12h).
	WindowClosingLead time.Duration
	// RemovalWindow caps the portal's removal windows as the rules do
	// (default 72h, the guide's).
	RemovalWindow time.Duration
	// MonthlyTerms: renewal and window reminders for month-to-month
	// subscriptions too (default false: they would come every month).
	MonthlyTerms bool
	// ApprovalWaiting: a pending request nudges its approvers after this
	// long without a decision (default 24h).
	ApprovalWaiting time.Duration
	// ApprovalLead: this long before an approval deadline the backup
	// approvers are brought in (default 12h, the rules' ApprovalLead).
	ApprovalLead time.Duration
	// Off lists kinds not sent to this customer.
	Off []Kind
}

// Defaults.
const (
	DefaultHour              = 9
	DefaultWindowClosingLead = 12 * time.Hour
	DefaultApprovalWaiting   = 24 * time.Hour
	DefaultApprovalLead      = 12 * time.Hour
)

// DefaultPolicy returns the defaults for a customer in loc (UTC if nil).
func DefaultPolicy(loc *time.Location) Policy {
	if loc == nil {
		loc = time.UTC
	}
	return Policy{
		Location:          loc,
		Hour:              DefaultHour,
		RenewalLeadDays:   []int{30, 7, 1},
		TrialLeadDays:     []int{7, 1},
		WindowClosingLead: DefaultWindowClosingLead,
		RemovalWindow:     rules.DefaultRemovalWindow,
		ApprovalWaiting:   DefaultApprovalWaiting,
		ApprovalLead:      DefaultApprovalLead,
	}
}

// PolicyFor returns the defaults with the zone, removal window and
// approval lead of a customer's rules policy, so both agree.
func PolicyFor(rp rules.Policy) Policy {
	p := DefaultPolicy(rp.Location)
	if rp.RemovalWindow > 0 {
		p.RemovalWindow = rp.RemovalWindow
	}
	if rp.ApprovalLead > 0 {
		p.ApprovalLead = rp.ApprovalLead
	}
	return p
}

func (p Policy) enabled(k Kind) bool { return !slices.Contains(p.Off, k) }

func (p Policy) loc() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// CommitmentEnd is the commitment end date people see (the day before
// the term's end instant), as local midnight.
func (p Policy) CommitmentEnd(s csp.Subscription) time.Time {
	return csp.StartOfDay(s.TermEnd.In(p.loc()).AddDate(0, 0, -1), p.loc())
}

// dayAt is Hour:Minute local time, days before the given local day. It
// uses time.Date, which counts calendar days, so the instant is right on
// 23- and 25-hour days; a wall time that does not exist (spring forward)
// is normalised by time.Date to one that does, and one that happens twice
// (fall back) is a single instant: either way, one reminder.
func (p Policy) dayAt(day time.Time, daysBefore int) time.Time {
	y, m, d := day.In(p.loc()).Date()
	return time.Date(y, m, d-daysBefore, p.Hour, p.Minute, 0, 0, p.loc())
}

// lotCloses is when a lot's removal window closes: the portal's limit,
// capped by the policy's window (as the rules compute it).
func (p Policy) lotCloses(l csp.SeatLot) time.Time {
	c := l.RemovableUntil
	if p.RemovalWindow > 0 {
		if pc := l.PurchasedAt.Add(p.RemovalWindow); c.IsZero() || pc.Before(c) {
			c = pc
		}
	}
	return c
}

// termLot is the lot bought at the term start (the renewal or first
// purchase), whose window the window reminders are about.
func termLot(s csp.Subscription) (csp.SeatLot, bool) {
	for _, l := range s.Lots {
		if l.PurchasedAt.Equal(s.TermStart) && l.Quantity > 0 {
			return l, true
		}
	}
	return csp.SeatLot{}, false
}

// NextTerm is the term, billing cycle and cost of a subscription's next
// term as scheduled: the renewal instructions (quantity, term, billing,
// offer) applied, priced from the catalog when they change the price; a
// trial's next term is a paid month.
func NextTerm(s csp.Subscription, cat *csp.Catalog) (csp.Term, csp.BillingCycle, csp.Money) {
	term, billing, offer := s.Term, s.Billing, s.OfferID
	if s.Trial {
		term, billing = csp.TermMonthly, csp.BillingMonthly
	}
	if r := s.Renewal; r != nil {
		if r.Term != "" {
			term = r.Term
		}
		if r.Billing != "" {
			billing = r.Billing
		}
		if r.OfferID != "" {
			offer = r.OfferID
		}
	}
	unit := s.UnitPrice
	if changed := term != s.Term || billing != s.Billing || offer != s.OfferID; changed && cat != nil {
		if o, ok := cat.Offer(offer); ok {
			if p, ok := o.Price(term, billing); ok {
				unit = p.Unit
			}
		}
	}
	periods := 1
	if b := billing.Months(); b > 0 && term.Months() > b {
		periods = term.Months() / b
	}
	return term, billing, unit.Mul(s.RenewalQuantity() * periods)
}

// NextTermCost is NextTerm's cost.
func NextTermCost(s csp.Subscription, cat *csp.Catalog) csp.Money {
	_, _, m := NextTerm(s, cat)
	return m
}
