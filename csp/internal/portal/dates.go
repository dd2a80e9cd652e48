package portal

import (
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// zoneless are the layouts of dates written without a zone.
func zoneless() [3]string {
	return [3]string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", time.DateOnly}
}

// ParseInstant reads an instant, RFC 3339 or without a zone (then UTC).
func ParseInstant(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, l := range zoneless() {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// LocalDay reads a calendar date (the date part as written, whatever the
// zone) and returns local midnight of that day in loc: the portals write
// term dates as days, and the bot reads them in the customer's zone.
func LocalDay(s string, loc *time.Location) (time.Time, bool) {
	t, ok := ParseInstant(s)
	if !ok {
		return time.Time{}, false
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc), true
}

// LastDay is local midnight, in loc, of the inclusive last day of a term
// whose exclusive end is end: what the portals call the end date.
func LastDay(end time.Time, loc *time.Location) time.Time {
	return csp.StartOfDay(end, loc).AddDate(0, 0, -1)
}

// AnchorDay returns the start day when the term end was clamped to a
// shorter month (31 Jan → 28 Feb), so that later terms return to the
// 31st; 0 (the day of the end) otherwise.
func AnchorDay(start, end time.Time, loc *time.Location) int {
	if start.IsZero() || end.IsZero() {
		return 0
	}
	sd, e := start.In(loc).Day(), end.In(loc)
	lastOfMonth := time.Date(e.Year(), e.Month()+1, 0, 0, 0, 0, 0, loc).Day()
	if e.Day() < sd && e.Day() == lastOfMonth {
		return sd
	}
	return 0
}

// MapBilling maps a billing frequency as both portals spell it
// (monthly, annual, triennial, any case). An absent value is "" and ok;
// one with no csp.BillingCycle (OneTime, None) is "" and not ok.
func MapBilling(name string) (csp.BillingCycle, bool) {
	switch strings.ToLower(name) {
	case "":
		return "", true
	case "monthly":
		return csp.BillingMonthly, true
	case "annual":
		return csp.BillingAnnual, true
	case "triennial":
		return csp.BillingTriennial, true
	}
	return "", false
}
