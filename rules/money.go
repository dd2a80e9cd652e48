package rules

import (
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Money is computed from the per-seat price per billing period
// (csp.Price.Unit) with one rounding at the end, half away from zero, so
// that 7 seats of a yearly price do not carry 7 rounding errors.
// csp.Price.Monthly and PerTerm round per seat and PerTerm truncates when
// the billing period is longer than the term, so they are not used here.

func billingMonths(p csp.Price) int64 {
	if b := p.Billing.Months(); b > 0 {
		return int64(b)
	}
	return 1
}

// monthlyCost is seats × unit / months per billing period.
func monthlyCost(p csp.Price, seats int) Money {
	return p.Unit.Mul(seats).Prorate(1, billingMonths(p))
}

// annualCost is seats × unit × 12 / months per billing period.
func annualCost(p csp.Price, seats int) Money {
	return p.Unit.Mul(seats).Prorate(12, billingMonths(p))
}

// termDays returns the calendar days of the term and the days left from
// now to its end, counted by date in loc so that a 23- or 25-hour day
// counts as one day. Left is clamped to [0, total].
func termDays(start, end, now time.Time, loc *time.Location) (left, total int64) {
	total = int64(csp.DaysBetween(start, end, loc))
	if total <= 0 {
		return 0, 0
	}
	left = int64(csp.DaysBetween(now, end, loc))
	return min(max(left, 0), total), total
}

// prorated is the daily-prorated price of seats for the rest of the term:
//
//	unit × (term months / billing months) × seats × days left / days in term
//
// where days are calendar dates in the customer's time zone from now (or
// the term start) to the term end. It is the charge for seats added now
// and the refund for seats removed now.
func prorated(p csp.Price, seats int, start, end, now time.Time, loc *time.Location) Money {
	left, total := termDays(start, end, now, loc)
	term := int64(p.Term.Months())
	if term == 0 || total == 0 {
		return Money{Currency: p.Unit.Currency}
	}
	return p.Unit.Mul(seats).Prorate(term*left, billingMonths(p)*total)
}

// seatCost fills the before/after amounts of a change of one subscription
// from `from` to `to` seats at one price.
func seatCost(p csp.Price, from, to int) Cost {
	return Cost{
		MonthlyBefore:  monthlyCost(p, from),
		MonthlyAfter:   monthlyCost(p, to),
		AnnualBefore:   annualCost(p, from),
		AnnualAfter:    annualCost(p, to),
		ProratedCharge: Money{Currency: p.Unit.Currency},
		ProratedRefund: Money{Currency: p.Unit.Currency},
	}
}
