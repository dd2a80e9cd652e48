package reminders

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/workflows"
)

// KindUnusedSummary: on the first of each month, each licence admin of a
// customer hears what the customer's unused seats cost per month. It is
// derived only for customers whose portal reports usage, and dropped at
// send time when no seat is unused.
const KindUnusedSummary Kind = "unused_summary"

// summaryUseful is how long after its due instant a month's summary is
// still sent (after downtime); later, that month is skipped.
const summaryUseful = 7 * 24 * time.Hour

// summaryOwner is the ledger document of a customer's summaries: one per
// customer, since a summary is about no single subscription.
const summaryOwner = "summary"

// UnusedLine is one subscription with unused seats in a summary.
type UnusedLine struct {
	Subscription csp.Subscription
	Usage        csp.Usage
	// Monthly is what its unused seats cost per month.
	Monthly csp.Money
}

// UnusedSummary is the content of a KindUnusedSummary reminder.
type UnusedSummary struct {
	// Month is the first day of the month it is sent for (local
	// midnight).
	Month time.Time
	// Lines are the subscriptions with unused seats, the costliest
	// first.
	Lines []UnusedLine
	// Total is what all unused seats cost per month.
	Total csp.Money
	// MeasuredAt is the oldest count the lines were made from.
	MeasuredAt time.Time
}

// deriveUnusedSummary returns this month's and next month's summaries
// for every recipient: due on the first at the policy's hour, in the
// customer's zone, useful for a week. The month is in the id, so each
// month's is sent once (the ledger remembers it, even when the clock is
// moved back).
func (e *Engine) deriveUnusedSummary(ctx context.Context, customerID string, now time.Time, pol Policy, to []workflows.Person) []want {
	if !pol.enabled(KindUnusedSummary) || len(to) == 0 {
		return nil
	}
	// A portal that cannot tell gets no summary; one that failed just
	// now is asked again when the summary is due.
	if _, err := e.opt.Provider.Usage(ctx, customerID); errors.Is(err, csp.ErrUsageUnsupported) {
		return nil
	}
	loc := pol.loc()
	y, m, _ := now.In(loc).Date()
	var out []want
	for k := range 2 {
		first := time.Date(y, m+time.Month(k), 1, 0, 0, 0, 0, loc)
		due := pol.dayAt(first, 0)
		next := pol.dayAt(time.Date(y, m+time.Month(k+1), 1, 0, 0, 0, 0, loc), 0)
		for _, p := range to {
			out = append(out, want{
				id:  fmt.Sprintf("unused-summary:%s:%s", first.Format("2006-01"), p.Email),
				due: due.UTC(),
				p: payload{Kind: KindUnusedSummary, To: p.Email, Aud: AudienceAdmin, Term: first.UTC(),
					Until: due.Add(summaryUseful).UTC(), Next: next.UTC()},
			})
		}
	}
	return out
}

// resolveSummary reads the usage and the subscriptions fresh and fills
// item.Unused; a summary with nothing unused, or from a portal that
// cannot tell, is not sent.
func (r *run) resolveSummary(ctx context.Context, item *Item, p payload) (verdict, string, error) {
	us, err := r.e.opt.Provider.Usage(ctx, r.customer)
	if errors.Is(err, csp.ErrUsageUnsupported) {
		return stale, "the portal does not report licence usage", nil
	}
	if err != nil {
		return send, "", fmt.Errorf("read usage: %w", err)
	}
	if _, _, err := r.subscription(ctx, ""); err != nil {
		return send, "", err
	}
	sum := &UnusedSummary{Month: p.Term.In(r.pol.loc())}
	for _, u := range us {
		s, ok := r.subs[u.SubscriptionID]
		if !ok || s.Status != csp.StatusActive || s.Trial || u.Unused() == 0 {
			continue // a trial's seats cost nothing yet
		}
		line := UnusedLine{Subscription: s, Usage: u, Monthly: csp.UnusedMonthly(s, u)}
		sum.Lines = append(sum.Lines, line)
		sum.Total = sum.Total.Add(line.Monthly)
		if sum.MeasuredAt.IsZero() || u.MeasuredAt.Before(sum.MeasuredAt) {
			sum.MeasuredAt = u.MeasuredAt
		}
	}
	if len(sum.Lines) == 0 {
		return stale, "no unused seats", nil
	}
	sort.SliceStable(sum.Lines, func(i, j int) bool {
		a, b := sum.Lines[i], sum.Lines[j]
		if a.Monthly.Minor != b.Monthly.Minor {
			return a.Monthly.Minor > b.Monthly.Minor
		}
		return a.Subscription.Name < b.Subscription.Name
	})
	item.Unused = sum
	return send, "", nil
}
