package cloudcockpit

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// toSubscription maps a CloudCockpit subscription onto csp.Subscription.
// Values it cannot read are left zero and logged; see docs/CLOUDCOCKPIT.md
// for the table.
func (c *Client) toSubscription(ctx context.Context, customerID string, w subscription) csp.Subscription {
	log := c.log.With("customer_id", customerID, "subscription_id", w.ID)
	offerID, providerOfferID, offerName := w.OfferID, w.ProviderOfferID, w.OfferName
	trial := w.IsTrialOffer
	if o := w.Offer; o != nil {
		offerID = portal.FirstNonEmpty(offerID, o.ID)
		providerOfferID = portal.FirstNonEmpty(providerOfferID, o.ProviderOfferID)
		offerName = portal.FirstNonEmpty(offerName, o.Name)
		trial = trial || o.IsTrial
	}
	id, name := c.offerFor(offerID, providerOfferID, portal.FirstNonEmpty(offerName, w.Name, w.SubscriptionName))

	s := csp.Subscription{
		ID:         w.ID,
		CustomerID: portal.FirstNonEmpty(w.CustomerID, customerID),
		OfferID:    id,
		Name:       name,
		Quantity:   w.Quantity,
		Trial:      trial,
	}
	statusName := portal.FirstNonEmpty(w.Status.Name, w.SubscriptionStatus.Name)
	st, ok := mapStatus(statusName)
	if !ok {
		log.WarnContext(ctx, "unknown subscription status, shown as pending", "status", statusName)
	}
	s.Status = st
	if s.Term, ok = mapTerm(w.TermDuration.Name); !ok {
		log.WarnContext(ctx, "term not representable", "term", w.TermDuration.Name)
	}
	if s.Billing, ok = mapBilling(w.BillingFrequency.Name); !ok {
		log.WarnContext(ctx, "billing frequency not representable", "billing", w.BillingFrequency.Name)
	}
	if w.AutoRenewEnabled != nil {
		s.AutoRenew = *w.AutoRenewEnabled
	}

	// Dates are calendar dates as the portal writes them: the term starts
	// at local midnight of startDate's day and ends (exclusive) at local
	// midnight after endDate's day, like the sandbox.
	loc := c.locOf(customerID)
	if d, ok := localDay(w.StartDate, loc); ok {
		s.TermStart = d
	} else if w.StartDate != "" {
		log.WarnContext(ctx, "unreadable startDate", "start_date", w.StartDate)
	}
	if d, ok := localDay(w.EndDate, loc); ok {
		s.TermEnd = d.AddDate(0, 0, 1)
	} else if w.EndDate != "" {
		log.WarnContext(ctx, "unreadable endDate", "end_date", w.EndDate)
	}
	s.AnchorDay = anchorDay(s.TermStart, s.TermEnd, loc)

	if t, ok := parseInstant(w.CancellationAllowed); ok {
		t = t.In(loc)
		s.CancellationAllowedUntil = &t
	} else if w.CancellationAllowed != "" {
		log.WarnContext(ctx, "unreadable cancellationAllowedUntil", "value", w.CancellationAllowed)
	}

	// Price: offerPrice of the detail, else listPrice of the list item,
	// both taken as per seat per billing period. A zero offerPrice is
	// taken as "not given".
	price := w.OfferPrice
	if !price.OK || price.Value <= 0 {
		price = w.ListPrice
	}
	if price.OK {
		s.UnitPrice = csp.NewMoney(price.Value, portal.FirstNonEmpty(price.Currency, c.currency))
	}
	if s.UnitPrice.IsZero() && !s.Trial {
		// The detail may carry no price: the catalog's for the same term
		// and billing is the best estimate.
		if o, ok := c.cat.Offer(s.OfferID); ok {
			if p, ok := o.Price(s.Term, s.Billing); ok {
				s.UnitPrice = p.Unit
			}
		}
	}

	// CloudCockpit exposes no per-purchase lots: one lot holds every seat,
	// removable until the cancellation window ends (or the configured
	// window after the start date when the portal does not say).
	if !s.TermStart.IsZero() && s.Quantity > 0 {
		until := s.TermStart.Add(c.windowOf(customerID))
		if s.CancellationAllowedUntil != nil {
			until = *s.CancellationAllowedUntil
		}
		s.Lots = []csp.SeatLot{{Quantity: s.Quantity, PurchasedAt: s.TermStart, RemovableUntil: until}}
	}

	s.Renewal = c.renewal(ctx, log, w, s)
	return s
}

// renewal maps autoRenewSettings. The portal echoes the current term and
// billing there, so only values that differ from the current ones count
// as scheduled changes. It has no renewal quantity.
func (c *Client) renewal(ctx context.Context, log *slog.Logger, w subscription, s csp.Subscription) *csp.RenewalInstructions {
	rs := w.AutoRenewSettings
	if rs == nil {
		return nil
	}
	var r csp.RenewalInstructions
	if t, ok := mapTerm(rs.Term.Name); ok && t != "" && t != s.Term {
		r.Term = t
	}
	if b, ok := mapBilling(rs.BillingFrequency.Name); ok && b != "" && b != s.Billing {
		r.Billing = b
	}
	if rs.CustomTermEndDate != "" {
		if d, ok := localDay(rs.CustomTermEndDate, c.locOf(s.CustomerID)); ok {
			end := d.AddDate(0, 0, 1)
			r.CustomTermEnd = &end
		} else {
			log.WarnContext(ctx, "unreadable customTermEndDate", "value", rs.CustomTermEndDate)
		}
	}
	if r.Term == "" && r.Billing == "" && r.CustomTermEnd == nil {
		return nil
	}
	return &r
}

// mapStatus maps the portal's status names; an unknown one is pending.
func mapStatus(name string) (csp.Status, bool) {
	switch strings.ToLower(name) {
	case "active":
		return csp.StatusActive, true
	case "suspended":
		return csp.StatusSuspended, true
	case "deleted", "cancelled", "canceled":
		return csp.StatusCancelled, true
	case "expired", "disabled":
		return csp.StatusExpired, true
	case "pending":
		return csp.StatusPending, true
	}
	return csp.StatusPending, false
}

// mapTerm maps termDuration. NoTerm and FiveYears have no csp.Term and
// map to "" (not ok); an absent value is "" and ok.
func mapTerm(name string) (csp.Term, bool) {
	switch strings.ToLower(name) {
	case "":
		return "", true
	case "onemonth":
		return csp.TermMonthly, true
	case "oneyear":
		return csp.TermAnnual, true
	case "threeyears":
		return csp.TermTriennial, true
	}
	return "", false
}

// mapBilling maps billingFrequency, spelt as Partner Center spells its
// billing cycle. OneTime and None have no csp.BillingCycle and map to ""
// (not ok).
func mapBilling(name string) (csp.BillingCycle, bool) { return portal.MapBilling(name) }

// offerFor finds the catalog offer of a portal offer: by ProviderOfferID
// (equal, or the same product:sku when one side carries an availability
// suffix), then by name or alias. It returns the catalog id and name, or
// "cc:<offerId>" and the portal's name.
func (c *Client) offerFor(offerID, providerOfferID, name string) (string, string) {
	if o, ok := portal.MatchOffer(c.cat, name, providerOfferID, offerID); ok {
		return o.ID, o.Name
	}
	return unmatchedPrefix + portal.FirstNonEmpty(offerID, providerOfferID), name
}

// providerIDs returns the portal offer ids a catalog offer id or a
// "cc:" id stands for.
func (c *Client) providerIDs(offerID string) []string {
	if rest, ok := strings.CutPrefix(offerID, unmatchedPrefix); ok {
		return []string{rest}
	}
	if o, ok := c.cat.Offer(offerID); ok && o.ProviderOfferID != "" {
		return []string{o.ProviderOfferID}
	}
	return nil
}

// matchesOffer reports whether a portal offer (offerId, providerOfferId,
// name) is the csp offer id.
func (c *Client) matchesOffer(offerID string, portalOfferID, portalProviderOfferID, portalName string) bool {
	for _, p := range c.providerIDs(offerID) {
		if portal.SameProviderOffer(p, portalOfferID) || portal.SameProviderOffer(p, portalProviderOfferID) {
			return true
		}
	}
	id, _ := c.offerFor(portalOfferID, portalProviderOfferID, portalName)
	return id == offerID
}

// The date helpers are portal's, shared with Partner Center; these names
// are the ones this package's code and tests use.

// localDay reads a calendar date (the date part as written, whatever the
// zone) and returns local midnight of that day in loc.
func localDay(s string, loc *time.Location) (time.Time, bool) { return portal.LocalDay(s, loc) }

// parseInstant reads an instant; a value without a zone is UTC.
func parseInstant(s string) (time.Time, bool) { return portal.ParseInstant(s) }

// anchorDay: see portal.AnchorDay.
func anchorDay(start, end time.Time, loc *time.Location) int {
	return portal.AnchorDay(start, end, loc)
}

// lastDay formats the last day of a term whose exclusive end is end, in
// loc: the customTermEndDate the portal expects.
func lastDay(end time.Time, loc *time.Location) string {
	return portal.LastDay(end, loc).Format(time.DateOnly)
}
