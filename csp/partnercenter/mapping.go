package partnercenter

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

func decodeSubscription(raw map[string]any) (subscription, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return subscription{}, fmt.Errorf("decode subscription: %w", err)
	}
	var w subscription
	if err := json.Unmarshal(b, &w); err != nil {
		return subscription{}, fmt.Errorf("decode subscription: %w", err)
	}
	return w, nil
}

// toSubscription maps a Partner Center subscription onto csp.Subscription.
//
// Dates: Partner Center's new-commerce dates are calendar days (the
// commitment end date is inclusive: the term ends at the end of that day).
// Like the other providers, the bot reads them as days in the customer's
// zone: TermEnd is local midnight after the commitment end date.
// Removal deadlines (allowedUntilDateTime, cancellationAllowedUntilDate)
// are instants and kept as such.
func (c *Client) toSubscription(ctx context.Context, customerID string, w subscription) csp.Subscription {
	log := c.log.With("customer_id", customerID, "subscription_id", w.ID)
	id, name := c.offerFor(w.OfferID, w.OfferName)
	s := csp.Subscription{
		ID: w.ID, CustomerID: customerID, OfferID: id, Name: portal.FirstNonEmpty(w.FriendlyName, name, w.OfferName),
		Quantity: w.Quantity, AutoRenew: w.AutoRenewEnabled, Trial: w.IsTrial, ETag: w.Attributes.Etag,
	}
	st, ok := mapStatus(w.Status)
	if !ok {
		log.WarnContext(ctx, "unknown subscription status, shown as pending", "status", w.Status)
	}
	s.Status = st
	if s.Term, ok = mapTerm(w.TermDuration); !ok {
		log.WarnContext(ctx, "term not representable", "term", w.TermDuration)
	}
	if s.Billing, ok = portal.MapBilling(w.BillingCycle); !ok {
		log.WarnContext(ctx, "billing cycle not representable", "billing", w.BillingCycle)
	}
	loc := c.locOf(customerID)
	if d, ok := portal.LocalDay(w.EffectiveStartDate, loc); ok {
		s.TermStart = d
	}
	if d, ok := portal.LocalDay(w.CommitmentEndDate, loc); ok {
		s.TermEnd = d.AddDate(0, 0, 1)
	}
	s.AnchorDay = portal.AnchorDay(s.TermStart, s.TermEnd, loc)
	if t, ok := portal.ParseInstant(w.CancellationAllowedUntilDate); ok {
		t = t.In(loc)
		s.CancellationAllowedUntil = &t
	}
	if o, ok := c.cat.Offer(s.OfferID); ok {
		if p, ok := o.Price(s.Term, s.Billing); ok {
			s.UnitPrice = p.Unit
		}
	}
	if s.Trial {
		s.UnitPrice = csp.Money{Currency: c.currency}
	}
	s.Lots = c.lots(ctx, log, w, s)
	s.Renewal = c.renewal(ctx, log, w, s)
	return s
}

// lots maps refundableQuantity.details: one lot per purchase still inside
// its removal window, each with its own deadline. The seats outside every
// detail are one lot whose window has closed. Partner Center gives the
// deadline, not the purchase time: the purchase is dated one window
// before its deadline, never before the term start nor after now.
func (c *Client) lots(ctx context.Context, log interface {
	WarnContext(context.Context, string, ...any)
}, w subscription, s csp.Subscription) []csp.SeatLot {
	if s.Quantity <= 0 {
		return nil
	}
	now := c.clock.Now()
	var open []csp.SeatLot
	n := 0
	if rq := w.RefundableQuantity; rq != nil {
		for _, d := range rq.Details {
			until, ok := portal.ParseInstant(d.AllowedUntilDateTime)
			if !ok || d.Quantity <= 0 {
				log.WarnContext(ctx, "unreadable refundable lot", "allowed_until", d.AllowedUntilDateTime, "quantity", d.Quantity)
				continue
			}
			bought := until.Add(-c.windowOf(s.CustomerID))
			if !s.TermStart.IsZero() && bought.Before(s.TermStart) {
				bought = s.TermStart
			}
			if bought.After(now) {
				bought = now
			}
			loc := c.locOf(s.CustomerID)
			open = append(open, csp.SeatLot{Quantity: d.Quantity, PurchasedAt: bought.In(loc), RemovableUntil: until.In(loc)})
			n += d.Quantity
		}
	}
	sort.SliceStable(open, func(i, j int) bool { return open[i].RemovableUntil.Before(open[j].RemovableUntil) })
	if n > s.Quantity {
		log.WarnContext(ctx, "more refundable seats than seats; capped", "refundable", n, "quantity", s.Quantity)
	}
	var out []csp.SeatLot
	if rest := s.Quantity - n; rest > 0 {
		out = append(out, csp.SeatLot{Quantity: rest, PurchasedAt: s.TermStart, RemovableUntil: s.TermStart})
	}
	return append(out, open...)
}

// renewal maps scheduledNextTermInstructions. Values equal to the
// current term's are not changes, except the quantity, which is what was
// scheduled.
func (c *Client) renewal(ctx context.Context, log interface {
	WarnContext(context.Context, string, ...any)
}, w subscription, s csp.Subscription) *csp.RenewalInstructions {
	in := w.ScheduledNextTermInstructions
	if in == nil {
		return nil
	}
	var r csp.RenewalInstructions
	r.Quantity = in.Quantity
	if t, ok := mapTerm(in.Product.TermDuration); ok && t != s.Term {
		r.Term = t
	}
	if b, ok := portal.MapBilling(in.Product.BillingCycle); ok && b != s.Billing {
		r.Billing = b
	}
	if in.Product.ProductID != "" {
		pid := in.Product.ProductID + ":" + in.Product.SkuID
		if !portal.SameProviderOffer(pid, w.OfferID) {
			r.OfferID, _ = c.offerFor(pid+":"+in.Product.AvailabilityID, "")
		}
	}
	if in.CustomTermEndDate != "" {
		if d, ok := portal.LocalDay(in.CustomTermEndDate, c.locOf(s.CustomerID)); ok {
			end := d.AddDate(0, 0, 1)
			r.CustomTermEnd = &end
		} else {
			log.WarnContext(ctx, "unreadable customTermEndDate", "value", in.CustomTermEndDate)
		}
	}
	if r == (csp.RenewalInstructions{}) {
		return nil
	}
	return &r
}

// mapStatus maps the subscription status. CloudCockpit's mapping looks
// alike but is its own: it also knows "cancelled" and "canceled".
func mapStatus(s string) (csp.Status, bool) {
	switch strings.ToLower(s) {
	case "active":
		return csp.StatusActive, true
	case "suspended":
		return csp.StatusSuspended, true
	case "deleted":
		return csp.StatusCancelled, true
	case "expired", "disabled":
		return csp.StatusExpired, true
	case "pending":
		return csp.StatusPending, true
	}
	return csp.StatusPending, false
}

// mapTerm maps termDuration, an ISO 8601 duration (P1M, P1Y, P3Y);
// CloudCockpit names its terms instead (OneMonth…), so the two are not
// shared. An absent value is "" and ok.
func mapTerm(s string) (csp.Term, bool) {
	switch strings.ToUpper(s) {
	case "":
		return "", true
	case "P1M":
		return csp.TermMonthly, true
	case "P1Y":
		return csp.TermAnnual, true
	case "P3Y":
		return csp.TermTriennial, true
	}
	return "", false
}

// offerFor finds the catalog offer of a Partner Center offer id
// (productId:skuId[:availabilityId]), then by name or alias; otherwise it
// returns "pc:<offerId>" and the portal's name.
func (c *Client) offerFor(offerID, name string) (string, string) {
	if o, ok := portal.MatchOffer(c.cat, name, offerID); ok {
		return o.ID, o.Name
	}
	return unmatchedPrefix + offerID, name
}

// providerOffer returns the Partner Center offer id of a catalog id or a
// "pc:" id.
func (c *Client) providerOffer(offerID string) string {
	if rest, ok := strings.CutPrefix(offerID, unmatchedPrefix); ok {
		return rest
	}
	if o, ok := c.cat.Offer(offerID); ok {
		return o.ProviderOfferID
	}
	return ""
}

// wireLastDay formats the inclusive last day of a term whose exclusive
// end is end (local midnight in loc), as Partner Center writes dates.
func wireLastDay(end time.Time, loc *time.Location) string {
	d := portal.LastDay(end, loc)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
}
