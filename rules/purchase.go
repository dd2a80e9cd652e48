package rules

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Buying a new subscription from the catalog (csp.ChangePurchase), the
// guide's Catalogue menu: the person chooses an offer, a number of
// seats, a term and a billing cycle from the offer's prices, and may
// align the new subscription's end date with one of the customer's
// existing subscriptions (co-terminosity, the guide's "End-date
// alignment"): the first term then ends on that subscription's end date
// and costs the days it lasts, prorated daily like a seat added mid-term.
//
// Routing: a member's purchase goes to a licence admin; any purchase
// whose commitment (the first term's cost) is above the customer's
// Policy.PurchaseApprovalAbove goes to the account manager, whoever asks.
// A licence admin's or an account manager's purchase under it runs at
// once. A purchase is reversible within its cancellation window, like
// any new line, so it is not marked irreversible.

// Purchase codes (see AllCodes).
const (
	// CodeNoSuchPlan: the offer is not sold with that term and billing
	// cycle. Params: term, billing.
	CodeNoSuchPlan Code = "no_such_plan"
	// CodeAlignNotSupported: the portal cannot give a new subscription
	// the end date of another.
	CodeAlignNotSupported Code = "align_not_supported"
	// CodePurchaseNeedsLicenceAdmin: a member's purchase.
	CodePurchaseNeedsLicenceAdmin Code = "purchase_needs_licence_admin"
	// CodePurchaseOverLimit: the commitment is above the amount the
	// customer set for the account manager to approve. Params: limit.
	CodePurchaseOverLimit Code = "purchase_over_limit"
	// CodeAlreadyHasOffer: warning, the customer already has a line of
	// this offer; adding seats to it is the usual way. Params:
	// subscription_id.
	CodeAlreadyHasOffer Code = "already_has_offer"
	// CodeAddSeatsInstead: alternative, add the seats to the existing
	// line (Change add_seats).
	CodeAddSeatsInstead Code = "add_seats_instead"
)

// Params of purchase decisions.
const (
	ParamTerm    = "term"
	ParamBilling = "billing"
	ParamLimit   = "limit"
	ParamEnd     = "end"
)

// purchaseCodes are AllCodes' purchase part.
func purchaseCodes() []Code {
	return []Code{CodeNoSuchPlan, CodeAlignNotSupported, CodePurchaseNeedsLicenceAdmin, CodePurchaseOverLimit,
		CodeAlreadyHasOffer, CodeAddSeatsInstead}
}

// PurchaseInput is everything a purchase decision depends on.
type PurchaseInput struct {
	// Change is the purchase: TargetOfferID, Quantity, Term, Billing,
	// and TargetSubscriptionID when aligned with that subscription.
	Change  csp.Change
	Role    Role
	Policy  Policy
	Catalog *csp.Catalog
	// Subscriptions are the customer's, all statuses.
	Subscriptions []csp.Subscription
	// AlignsPurchases: the portal can align a purchase's end date.
	AlignsPurchases bool
	Now             time.Time
}

// Plan is one way an offer is sold: a term and a billing cycle, with
// what it costs for the seats asked.
type Plan struct {
	Term    csp.Term         `json:"term"`
	Billing csp.BillingCycle `json:"billing"`
	// Unit is the per-seat price per billing period.
	Unit Money `json:"unit"`
	// Monthly and PerTerm are for all the seats.
	Monthly Money `json:"monthly"`
	PerTerm Money `json:"per_term"`
}

// Plans lists how offer is sold for seats (at least 1), shortest term
// first, then by billing cycle (monthly first).
func Plans(offer csp.Offer, seats int) []Plan {
	seats = max(seats, 1)
	var out []Plan
	for _, p := range offer.Prices {
		out = append(out, Plan{Term: p.Term, Billing: p.Billing, Unit: p.Unit,
			Monthly: monthlyCost(p, seats), PerTerm: termCost(p, seats)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := out[i].Term.Months(), out[j].Term.Months(); a != b {
			return a < b
		}
		return out[i].Billing.Months() < out[j].Billing.Months()
	})
	return out
}

// termCost is seats × unit × (term months / billing months), rounded once.
func termCost(p csp.Price, seats int) Money {
	return p.Unit.Mul(seats).Prorate(int64(p.Term.Months()), billingMonths(p))
}

// Alignment is one existing subscription a purchase can end with.
type Alignment struct {
	Subscription csp.Subscription `json:"subscription"`
	// End is the (exclusive) end the new subscription would take: the
	// first end of the other subscription inside the new term.
	End time.Time `json:"end"`
	// OK is false when the other subscription's end cannot be the new
	// one's (Reason says why: align_end_too_late, align_end_too_early).
	OK     bool `json:"ok"`
	Reason Code `json:"reason,omitempty"`
	// FirstTerm is what the first, shortened term costs.
	FirstTerm Money `json:"first_term"`
}

// Alignments lists the customer's active subscriptions with the end date
// a purchase of in.Change (offer, seats, term, billing) would take if
// aligned with each, and its first term's cost: the guide's "View
// subscription end-dates". The ones that cannot be used say why.
func Alignments(in PurchaseInput) []Alignment {
	price, ok := purchasePrice(in)
	if !ok {
		return nil
	}
	loc := locOf(in.Policy)
	start := csp.StartOfDay(in.Now, loc)
	natural := csp.TermEnd(start, in.Change.Term)
	var out []Alignment
	for _, s := range in.Subscriptions {
		if s.Status != csp.StatusActive || s.Trial {
			continue
		}
		a := Alignment{Subscription: s, OK: true}
		a.End, a.Reason = alignedEnd(s, start, natural, loc)
		if a.Reason != "" {
			a.OK = false
		} else {
			a.FirstTerm = firstTerm(price, in.Change.Quantity, start, natural, a.End, loc)
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].End.Before(out[j].End) })
	return out
}

// alignedEnd is the first end of s on or after the day after start (its
// renewals count when it renews), or why none fits in [start+1 day,
// natural].
func alignedEnd(s csp.Subscription, start, natural time.Time, loc *time.Location) (time.Time, Code) {
	end := s.TermEnd
	for k := 1; csp.DaysBetween(start, end, loc) < 1; k++ {
		if !s.AutoRenew || s.Term.Months() == 0 || k > maxAlignTerms {
			return end, CodeAlignEndTooEarly
		}
		end = s.EndAfter(k, s.Term.Months(), loc)
	}
	if csp.DaysBetween(end, natural, loc) < 0 {
		return end, CodeAlignEndTooLate
	}
	return csp.StartOfDay(end, loc), ""
}

// firstTerm is the cost of a first term that runs from start to end
// instead of to natural: the whole term's price × days / days of a
// natural term, rounded once.
func firstTerm(p csp.Price, seats int, start, natural, end time.Time, loc *time.Location) Money {
	total := int64(csp.DaysBetween(start, natural, loc))
	days := int64(csp.DaysBetween(start, end, loc))
	if total <= 0 || days >= total {
		return termCost(p, seats)
	}
	return p.Unit.Mul(seats).Prorate(int64(p.Term.Months())*days, billingMonths(p)*total)
}

func locOf(p Policy) *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

func purchasePrice(in PurchaseInput) (csp.Price, bool) {
	if in.Catalog == nil {
		return csp.Price{}, false
	}
	o, ok := in.Catalog.Offer(in.Change.TargetOfferID)
	if !ok {
		return csp.Price{}, false
	}
	return o.Price(in.Change.Term, in.Change.Billing)
}

// EvaluatePurchase decides whether in.Change may be bought now, by whom,
// and what it costs: Cost.MonthlyAfter and AnnualAfter for the new
// seats, Cost.FirstTerm for the first term (prorated when aligned),
// ToQuantity the seats, CustomTermEnd the aligned end. Like Evaluate it
// is pure.
func EvaluatePurchase(in PurchaseInput) Decision {
	ch := in.Change
	d := Decision{ToQuantity: ch.Quantity}
	refuse := func(c Code, format string, args ...any) Decision {
		d.Outcome, d.Reason, d.Detail = Refused, c, fmt.Sprintf(format, args...)
		d.Cost, d.Warnings, d.CustomTermEnd = Cost{}, nil, time.Time{}
		return d
	}
	param := func(k, v string) {
		if d.Params == nil {
			d.Params = map[string]string{}
		}
		d.Params[k] = v
	}
	if ch.Kind != csp.ChangePurchase {
		return refuse(CodeUnknownChange, "not a purchase: %q", ch.Kind)
	}
	if ch.Quantity < 1 {
		return refuse(CodeInvalidQuantity, "seats to buy must be at least 1, got %d", ch.Quantity)
	}
	if in.Catalog == nil {
		return refuse(CodeUnknownOffer, "no catalog")
	}
	offer, ok := in.Catalog.Offer(ch.TargetOfferID)
	if !ok {
		return refuse(CodeUnknownOffer, "offer %q is not in the catalog", ch.TargetOfferID)
	}
	price, ok := offer.Price(ch.Term, ch.Billing)
	if !ok {
		param(ParamTerm, string(ch.Term))
		param(ParamBilling, string(ch.Billing))
		return refuse(CodeNoSuchPlan, "%s is not sold with term %s billed %s", offer.Name, ch.Term, ch.Billing)
	}
	// The seat cap counts the customer's live lines of the offer.
	total := ch.Quantity
	for _, s := range in.Subscriptions {
		if s.OfferID == offer.ID && s.Status != csp.StatusExpired && s.Status != csp.StatusCancelled {
			total += s.Quantity
		}
	}
	if offer.MaxSeats > 0 && total > offer.MaxSeats {
		param(ParamMaxSeats, strconv.Itoa(offer.MaxSeats))
		param(ParamSeatsAfter, strconv.Itoa(total))
		return refuse(CodeOverSeatCap, "%s: %d seats for the customer, cap %d", offer.Name, total, offer.MaxSeats)
	}
	loc := locOf(in.Policy)
	start := csp.StartOfDay(in.Now, loc)
	natural := csp.TermEnd(start, ch.Term)
	end := natural
	if ch.TargetSubscriptionID != "" {
		if !in.AlignsPurchases {
			return refuse(CodeAlignNotSupported, "the portal cannot align a purchase's end date")
		}
		var ref *csp.Subscription
		for i := range in.Subscriptions {
			if in.Subscriptions[i].ID == ch.TargetSubscriptionID {
				ref = &in.Subscriptions[i]
			}
		}
		if ref == nil {
			param(ParamSubscriptionID, ch.TargetSubscriptionID)
			return refuse(CodeAlignTargetNotFound, "no subscription %q", ch.TargetSubscriptionID)
		}
		if ref.Status != csp.StatusActive {
			param(ParamSubscriptionID, ref.ID)
			param(ParamStatus, string(ref.Status))
			return refuse(CodeAlignTargetNotActive, "subscription %q is %s", ref.ID, ref.Status)
		}
		e, why := alignedEnd(*ref, start, natural, loc)
		if why != "" {
			return refuse(why, "%q ends %s, outside a %s term bought now (to %s)", ref.ID,
				e.In(loc).Format(time.RFC3339), ch.Term, natural.Format(time.RFC3339))
		}
		end = e
		d.CustomTermEnd = end
	}
	param(ParamEnd, end.In(loc).Format(time.RFC3339))
	first := firstTerm(price, ch.Quantity, start, natural, end, loc)
	zero := Money{Currency: price.Unit.Currency}
	d.Cost = Cost{MonthlyBefore: zero, AnnualBefore: zero, MonthlyAfter: monthlyCost(price, ch.Quantity),
		AnnualAfter: annualCost(price, ch.Quantity), ProratedCharge: zero, ProratedRefund: zero, FirstTerm: first}
	for _, s := range in.Subscriptions {
		if s.OfferID == offer.ID && s.Status == csp.StatusActive && !s.Trial {
			d.Warnings = append(d.Warnings, Warning{Code: CodeAlreadyHasOffer, Params: map[string]string{ParamSubscriptionID: s.ID}})
			d.Alternatives = append(d.Alternatives, Alternative{Code: CodeAddSeatsInstead,
				Change: &csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: s.ID, Quantity: ch.Quantity}})
			break
		}
	}
	limit := in.Policy.PurchaseApprovalAbove
	switch {
	case limit.Minor > 0 && !underOrEqual(first, limit):
		param(ParamLimit, limit.String())
		d.Outcome, d.Approver, d.Reason = NeedsApproval, RoleAccountManager, CodePurchaseOverLimit
		d.Detail = fmt.Sprintf("a commitment of %s is above %s", first, limit)
	case !isAdmin(in.Role):
		d.Outcome, d.Approver, d.Reason = NeedsApproval, RoleLicenceAdmin, CodePurchaseNeedsLicenceAdmin
		d.Detail = "members need a licence admin to buy"
	default:
		d.Outcome = Allowed
	}
	return d
}

// underOrEqual reports a ≤ limit; amounts of different currencies are
// never compared, so they count as above (approval is the safe side).
func underOrEqual(a, limit Money) bool {
	if a.Currency != limit.Currency {
		return false
	}
	return a.Minor <= limit.Minor
}

// NearestOffers returns up to n offers of cat whose names share the most
// with text, a product the catalog does not have ("Office 365 E7" →
// Office 365 E5, E3, E1): words of the product's own (not "plan",
// "licence" or a bare number) count most, brand words ("Office 365")
// little, and a short code that differs in its digits ("e7", "e5") a
// little. An offer that shares only generic or brand words is not
// near; none may be returned. Best first.
func NearestOffers(cat *csp.Catalog, text string, n int) []csp.Offer {
	if cat == nil || n <= 0 {
		return nil
	}
	words := nameWords(text)
	type scored struct {
		o      csp.Offer
		score  int
		strong bool
	}
	var out []scored
	for _, o := range cat.Offers {
		sc := scored{o: o}
		names := append([]string{o.Name}, o.Aliases...)
		var known []string
		for _, nm := range names {
			known = append(known, nameWords(nm)...)
		}
		for _, w := range words {
			best, strong := 0, false
			for _, k := range known {
				switch {
				case w == k && brandWord(w):
					best = max(best, 1)
				case w == k:
					best, strong = 3, true
				case codeNeighbour(w, k):
					best = max(best, 1)
				}
			}
			sc.score += best
			sc.strong = sc.strong || strong || best == 1 && !brandWord(w)
		}
		if sc.score >= 2 && sc.strong {
			out = append(out, sc)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].o.Tier > out[j].o.Tier
	})
	var offers []csp.Offer
	for i := 0; i < len(out) && i < n; i++ {
		offers = append(offers, out[i].o)
	}
	return offers
}

// nameWords lower-cases text and keeps the words that can name a
// product: not generic nouns, not bare numbers, not function words.
func nameWords(text string) []string {
	f := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	})
	var out []string
	for _, w := range f {
		switch w {
		case "plan", "plans", "forfait", "licence", "licences", "license", "licenses", "seat", "seats",
			"subscription", "abonnement", "for", "pour", "the", "de", "les", "la", "le", "of", "and", "et":
			continue
		}
		if _, err := strconv.Atoi(w); err == nil {
			continue
		}
		out = append(out, w)
	}
	return out
}

func brandWord(w string) bool {
	switch w {
	case "microsoft", "office", "365", "m365", "o365", "online", "ms":
		return true
	}
	return false
}

// codeNeighbour: two short codes of a letter and digits that differ only
// in their digits ("e7" and "e5", "f2" and "f3").
func codeNeighbour(a, b string) bool {
	if a == b || len(a) < 2 || len(a) > 3 || len(b) < 2 || len(b) > 3 || a[0] != b[0] {
		return false
	}
	digits := func(s string) bool {
		for i := 1; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	return a[0] >= 'a' && a[0] <= 'z' && digits(a) && digits(b)
}
