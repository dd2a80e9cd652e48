package csp

import (
	"fmt"
	"sort"
)

// Price is the per-seat price of an offer for one term and billing cycle,
// per billing period: an annual term billed monthly has a monthly unit
// price; billed annually, a yearly one.
type Price struct {
	Term    Term         `json:"term" yaml:"term"`
	Billing BillingCycle `json:"billing" yaml:"billing"`
	Unit    Money        `json:"unit" yaml:"unit"`
}

// Monthly returns the per-seat cost per month of this price.
func (p Price) Monthly() Money {
	n := p.Billing.Months()
	if n <= 1 {
		return p.Unit
	}
	return p.Unit.Prorate(1, int64(n))
}

// PerTerm returns the per-seat cost of a whole term.
func (p Price) PerTerm() Money {
	b := p.Billing.Months()
	if b == 0 {
		return p.Unit
	}
	return p.Unit.Mul(p.Term.Months() / b)
}

// Offer is one product that can be bought, such as "Office 365 E3".
// Offers of one Segment form an upgrade ladder ordered by Tier.
type Offer struct {
	ID        string   `json:"id" yaml:"id"`
	Name      string   `json:"name" yaml:"name"`
	Segment   string   `json:"segment" yaml:"segment"`
	Tier      int      `json:"tier" yaml:"tier"`
	Aliases   []string `json:"aliases,omitempty" yaml:"aliases"`
	AliasesFR []string `json:"aliases_fr,omitempty" yaml:"aliases_fr"`
	Prices    []Price  `json:"prices" yaml:"prices"`
	// MaxSeats is the cap per customer for this offer; 0 means no cap.
	MaxSeats int `json:"max_seats,omitempty" yaml:"max_seats"`
	// TrialAvailable says a one-month trial can be started.
	TrialAvailable bool `json:"trial_available,omitempty" yaml:"trial_available"`
	// Upgradable is false for offers with no upgrade path even inside a
	// segment of one (Teams Essentials).
	Upgradable *bool `json:"upgradable,omitempty" yaml:"upgradable"`
	// ProviderOfferID is the portal's identifier (Partner Center
	// productId:skuId:availabilityId, CloudCockpit providerOfferId).
	ProviderOfferID string `json:"provider_offer_id,omitempty" yaml:"provider_offer_id"`
}

// Price returns the price for a term and billing cycle.
func (o Offer) Price(term Term, billing BillingCycle) (Price, bool) {
	for _, p := range o.Prices {
		if p.Term == term && p.Billing == billing {
			return p, true
		}
	}
	return Price{}, false
}

// Catalog is the set of offers a reseller sells.
type Catalog struct {
	Offers []Offer `json:"offers" yaml:"offers"`
	byID   map[string]int
}

// NewCatalog indexes offers and checks that ids are unique and every offer
// has a name, a segment and at least one valid price.
func NewCatalog(offers []Offer) (*Catalog, error) {
	c := &Catalog{Offers: offers, byID: make(map[string]int, len(offers))}
	for i, o := range offers {
		if o.ID == "" || o.Name == "" || o.Segment == "" {
			return nil, fmt.Errorf("catalog: offer %d: id, name and segment are required", i)
		}
		if _, dup := c.byID[o.ID]; dup {
			return nil, fmt.Errorf("catalog: duplicate offer id %q", o.ID)
		}
		if len(o.Prices) == 0 {
			return nil, fmt.Errorf("catalog: offer %q has no price", o.ID)
		}
		for _, p := range o.Prices {
			if !p.Term.Valid() || p.Billing.Months() == 0 || p.Unit.Currency == "" {
				return nil, fmt.Errorf("catalog: offer %q: invalid price %+v", o.ID, p)
			}
		}
		c.byID[o.ID] = i
	}
	return c, nil
}

// Offer returns the offer with that id.
func (c *Catalog) Offer(id string) (Offer, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Offer{}, false
	}
	return c.Offers[i], true
}

// CanUpgrade reports whether from → to is an upgrade: same segment, higher
// tier, and the source is upgradable.
func (c *Catalog) CanUpgrade(fromID, toID string) bool {
	from, ok1 := c.Offer(fromID)
	to, ok2 := c.Offer(toID)
	if !ok1 || !ok2 {
		return false
	}
	if from.Upgradable != nil && !*from.Upgradable {
		return false
	}
	return from.Segment == to.Segment && to.Tier > from.Tier
}

// UpgradeTargets returns the offers that from may be upgraded to, lowest
// tier first.
func (c *Catalog) UpgradeTargets(fromID string) []Offer {
	var out []Offer
	for _, o := range c.Offers {
		if c.CanUpgrade(fromID, o.ID) {
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Tier < out[j].Tier })
	return out
}
