package portal

import (
	"strings"

	"github.com/licensebot/licensebot/csp"
)

// SameProviderOffer compares provider offer ids case-insensitively; ids
// with at least product:sku on both sides match on those two parts, so
// an availability suffix on one side does not matter.
func SameProviderOffer(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if strings.EqualFold(a, b) {
		return true
	}
	pa, pb := strings.Split(a, ":"), strings.Split(b, ":")
	return len(pa) >= 2 && len(pb) >= 2 && strings.EqualFold(pa[0], pb[0]) && strings.EqualFold(pa[1], pb[1])
}

// MatchOffer finds the catalog offer a portal's offer stands for: the
// first whose ProviderOfferID is the same as one of ids, else the first
// whose name or alias (English or French) is name, ignoring case. What
// to show when nothing matches is each portal's own choice.
func MatchOffer(cat *csp.Catalog, name string, ids ...string) (csp.Offer, bool) {
	for _, o := range cat.Offers {
		for _, id := range ids {
			if SameProviderOffer(o.ProviderOfferID, id) {
				return o, true
			}
		}
	}
	if n := strings.ToLower(strings.TrimSpace(name)); n != "" {
		for _, o := range cat.Offers {
			if strings.ToLower(o.Name) == n || containsFold(o.Aliases, n) || containsFold(o.AliasesFR, n) {
				return o, true
			}
		}
	}
	return csp.Offer{}, false
}

// containsFold: lower is already lower-case.
func containsFold(list []string, lower string) bool {
	for _, v := range list {
		if strings.ToLower(v) == lower {
			return true
		}
	}
	return false
}
