package csp

import (
	"fmt"
	"time"
)

// Term is the commitment length, as an ISO 8601 duration like Partner
// Center's termDuration.
type Term string

// Terms offered by Microsoft's new commerce.
const (
	TermMonthly   Term = "P1M"
	TermAnnual    Term = "P1Y"
	TermTriennial Term = "P3Y"
)

// Months returns the term length in months, or 0 for an unknown term.
func (t Term) Months() int {
	switch t {
	case TermMonthly:
		return 1
	case TermAnnual:
		return 12
	case TermTriennial:
		return 36
	}
	return 0
}

// Valid reports whether t is a known term.
func (t Term) Valid() bool { return t.Months() > 0 }

// ParseTerm accepts the ISO form and the CloudCockpit names.
func ParseTerm(s string) (Term, error) {
	switch s {
	case "P1M", "OneMonth", "monthly", "month":
		return TermMonthly, nil
	case "P1Y", "OneYear", "annual", "year":
		return TermAnnual, nil
	case "P3Y", "ThreeYears", "triennial":
		return TermTriennial, nil
	}
	return "", fmt.Errorf("unknown term %q", s)
}

// BillingCycle is how often a term is invoiced.
type BillingCycle string

// Billing cycles.
const (
	BillingMonthly   BillingCycle = "monthly"
	BillingAnnual    BillingCycle = "annual"
	BillingTriennial BillingCycle = "triennial"
)

// Months returns the billing period in months.
func (b BillingCycle) Months() int {
	switch b {
	case BillingMonthly:
		return 1
	case BillingAnnual:
		return 12
	case BillingTriennial:
		return 36
	}
	return 0
}

// AddMonths adds n calendar months to t in t's location, clamping to the
// last day of the target month: 31 January + 1 month is 28 (or 29)
// February, never 3 March as time.AddDate would give.
func AddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	hh, mm, ss := t.Clock()
	return time.Date(first.Year(), first.Month(), d, hh, mm, ss, t.Nanosecond(), t.Location())
}

// AddMonthsOnDay adds n calendar months to t and puts the result on the
// given day of the month, clamped to the month's length. Chained terms use
// it with the subscription's anchor day so that a term started on the
// 31st ends on the 31st of the months that have one: 31 Jan → 28 Feb →
// 31 Mar, not 28 Mar as chaining AddMonths would drift to.
func AddMonthsOnDay(t time.Time, n, day int) time.Time {
	y, m, _ := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	last := first.AddDate(0, 1, -1).Day()
	if day > last {
		day = last
	}
	if day < 1 {
		day = 1
	}
	hh, mm, ss := t.Clock()
	return time.Date(first.Year(), first.Month(), day, hh, mm, ss, t.Nanosecond(), t.Location())
}

// TermEnd returns the instant a term that starts at start ends: the same
// day-of-month n months later (clamped), at the same local wall time. The
// commitment end date shown to people is the day before that instant.
func TermEnd(start time.Time, term Term) time.Time {
	return AddMonths(start, term.Months())
}

// StartOfDay returns local midnight of t's day in loc. Days are computed
// with time.Date, so DST days (23 or 25 hours) are handled.
func StartOfDay(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// DaysBetween counts calendar days from a to b in loc (b after a gives a
// positive count). It is immune to DST because it counts dates, not hours.
func DaysBetween(a, b time.Time, loc *time.Location) int {
	a, b = StartOfDay(a, loc), StartOfDay(b, loc)
	ua := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	ub := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(ub.Sub(ua).Hours() / 24)
}
