package sandbox

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Usage simulates the licences assigned in each customer's tenant. The
// sandbox has no users, so assignments are a pure function of the
// subscription and the day (in the sandbox's time zone), computed when
// read and never stored:
//
//   - a seeded subscription has the users its seed gives it (a few
//     seats fewer than it was bought with, per seededUnused), plus every
//     seat bought since (people buy seats for someone), moving by one
//     user up or down on some days;
//   - a line the sandbox created later (an upgrade into a new line) has
//     all its seats assigned;
//   - assignments never exceed the seats bought. A real tenant can be
//     over-assigned after its seats were reduced (Microsoft keeps the
//     assignments and warns); the sandbox does not simulate that, the bot
//     shows it when a real portal reports it.
//
// MeasuredAt is the local midnight of the day: the sandbox counts once a
// day. Cancelled and expired subscriptions have no usage.
func (s *Sandbox) Usage(ctx context.Context, customerID string) ([]csp.Usage, error) {
	subs, err := s.Subscriptions(ctx, customerID)
	if err != nil {
		return nil, err
	}
	day := csp.StartOfDay(s.clock.Now(), s.loc)
	seeds := seedQuantities()
	var out []csp.Usage
	for _, sub := range subs {
		if sub.Status != csp.StatusActive && sub.Status != csp.StatusSuspended {
			continue
		}
		out = append(out, csp.Usage{SubscriptionID: sub.ID, OfferID: sub.OfferID,
			Assigned: simulatedAssigned(sub, seeds, day), Bought: sub.Quantity, MeasuredAt: day})
	}
	return out, nil
}

// simulatedAssigned is the sandbox's count of assigned licences of sub on
// day; seeds are the seeded quantities by subscription id.
func simulatedAssigned(sub csp.Subscription, seeds map[string]int, day time.Time) int {
	seeded, ok := seeds[sub.ID]
	if !ok {
		return sub.Quantity
	}
	users := seeded - seededUnused(sub.ID) + max(0, sub.Quantity-seeded)
	if seeded >= 5 {
		// One user more or less is noise on a large line, and a story
		// of its own on a line of three.
		users += wobble(sub.ID, day)
	}
	return min(max(users, 0), sub.Quantity)
}

// seededUnused is how many of a seeded subscription's seats nobody uses:
// chosen so that the demo has something to right-size (Contoso's E1 and
// its Business Premium trial) next to lines that are fully used.
func seededUnused(id string) int {
	switch id {
	case "sub-1", "sub-7", "fab-1":
		return 2
	case "sub-3":
		return 3
	case "sub-5":
		return 7
	case "sub-6", "fab-2":
		return 1
	}
	return 0
}

// wobble moves a subscription's users by one on some days: -1 on a
// quarter of the days, +1 on another quarter, from a hash of the
// subscription and the date, so the same day always gives the same
// count.
func wobble(id string, day time.Time) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id + "@" + day.Format(time.DateOnly)))
	switch h.Sum32() % 4 {
	case 0:
		return -1
	case 3:
		return 1
	}
	return 0
}

// seedQuantities are the seats every seeded subscription started with.
func seedQuantities() map[string]int {
	out := map[string]int{}
	for _, d := range append(demoSubscriptions(), fabrikamSubscriptions()...) {
		out[d.id] = d.quantity
	}
	return out
}
