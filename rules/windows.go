package rules

import (
	"sort"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Windows are half-open intervals [opens, closes): open at opens, closed
// at closes. They are instants, so a window of 72 hours is 72 real hours
// even across a daylight-saving change.

// lotCloses is when a lot stops being removable. The portal's
// RemovableUntil is the legal limit; the policy's RemovalWindow may be
// stricter (the guide's 72 hours against Microsoft's 168), and it is the
// only source when the portal gave no limit. Zero means never removable.
func lotCloses(l csp.SeatLot, p Policy) time.Time {
	c := l.RemovableUntil
	if p.RemovalWindow > 0 {
		pc := l.PurchasedAt.Add(p.RemovalWindow)
		if c.IsZero() || pc.Before(c) {
			c = pc
		}
	}
	return c
}

func inWindow(now, opens, closes time.Time) bool {
	return !closes.IsZero() && !now.Before(opens) && now.Before(closes)
}

// openLot is a lot whose removal window is open now.
type openLot struct {
	qty    int
	closes time.Time
}

// openLots returns the lots removable at now, the latest-closing first.
// csp.Subscription.RemovableAt is not used because it ignores the policy.
func openLots(s csp.Subscription, p Policy, now time.Time) []openLot {
	var out []openLot
	for _, l := range s.Lots {
		if c := lotCloses(l, p); l.Quantity > 0 && inWindow(now, l.PurchasedAt, c) {
			out = append(out, openLot{qty: l.Quantity, closes: c})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].closes.After(out[j].closes) })
	return out
}

// removalDeadline returns how many seats are removable now and, if n of
// them are, the instant after which fewer than n will be: the seats are
// taken from the lots that stay open longest, so the deadline is as late
// as it can be.
func removalDeadline(lots []openLot, n int) (removable int, deadline time.Time) {
	for _, l := range lots {
		removable += l.qty
		if deadline.IsZero() && removable >= n {
			deadline = l.closes
		}
	}
	return removable, deadline
}

// cancelWindow returns when the subscription's cancellation window closes
// and whether it is open at now. The portal's CancellationAllowedUntil is
// used when present; without it, the window is the one of the lot bought
// at the term start (the renewal or first purchase). The policy's
// RemovalWindow after the term start caps both, as it caps seat removal.
func cancelWindow(s csp.Subscription, p Policy, now time.Time) (closes time.Time, open bool) {
	if s.CancellationAllowedUntil != nil {
		closes = *s.CancellationAllowedUntil
		if p.RemovalWindow > 0 {
			if pc := s.TermStart.Add(p.RemovalWindow); pc.Before(closes) {
				closes = pc
			}
		}
	} else {
		for _, l := range s.Lots {
			if l.PurchasedAt.Equal(s.TermStart) {
				closes = lotCloses(l, p)
				break
			}
		}
	}
	return closes, inWindow(now, s.TermStart, closes)
}
