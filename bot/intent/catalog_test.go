package intent

import (
	"testing"

	"github.com/licensebot/licensebot/csp"
)

// testOffers is every offer of the segments table in
// shared/reference/licence-rules.md, with the aliases people type.
func testOffers() []csp.Offer {
	price := []csp.Price{{Term: csp.TermAnnual, Billing: csp.BillingMonthly, Unit: csp.NewMoney(10, "EUR")}}
	no := false
	o := func(id, name, segment string, tier int, en, fr []string) csp.Offer {
		return csp.Offer{ID: id, Name: name, Segment: segment, Tier: tier, Aliases: en, AliasesFR: fr, Prices: price}
	}
	offers := []csp.Offer{
		o("m365-business-basic", "Microsoft 365 Business Basic", "Microsoft 365 Business", 1,
			[]string{"business basic", "basic", "m365 bb"}, []string{"affaires de base"}),
		o("m365-business-standard", "Microsoft 365 Business Standard", "Microsoft 365 Business", 2,
			[]string{"business standard", "business std", "bus std", "standard", "m365 bs"}, []string{"affaires standard"}),
		o("m365-business-premium", "Microsoft 365 Business Premium", "Microsoft 365 Business", 3,
			[]string{"business premium", "m365 bp", "premium"}, []string{"affaires premium"}),
		o("m365-apps-business", "Microsoft 365 Apps for business", "Microsoft 365 Apps", 1,
			[]string{"apps for business", "apps business"}, []string{"applications pour les entreprises", "apps pour les entreprises"}),
		o("m365-apps-enterprise", "Microsoft 365 Apps for enterprise", "Microsoft 365 Apps", 2,
			[]string{"apps for enterprise", "proplus"}, []string{"applications pour les grandes entreprises"}),
		o("o365-e1", "Office 365 E1", "Office 365 Enterprise", 1, []string{"e1", "o365 e1"}, []string{"entreprise e1"}),
		o("o365-e3", "Office 365 E3", "Office 365 Enterprise", 2, []string{"e3", "o365 e3"}, []string{"entreprise e3"}),
		o("o365-e5", "Office 365 E5", "Office 365 Enterprise", 3, []string{"e5", "o365 e5"}, []string{"entreprise e5"}),
		o("m365-e3", "Microsoft 365 E3", "Microsoft 365 Enterprise", 1, []string{"m365 e3"}, nil),
		o("m365-e5", "Microsoft 365 E5", "Microsoft 365 Enterprise", 2, []string{"m365 e5"}, nil),
		o("m365-f1", "Microsoft 365 F1", "Microsoft 365 Frontline", 1, []string{"f1"}, []string{"première ligne f1"}),
		o("m365-f3", "Microsoft 365 F3", "Microsoft 365 Frontline", 2, []string{"f3"}, []string{"première ligne f3"}),
		o("exchange-p1", "Exchange Online (Plan 1)", "Exchange Online", 1,
			[]string{"exchange plan 1", "exchange online plan 1", "exo p1"}, []string{"exchange forfait 1"}),
		o("exchange-p2", "Exchange Online (Plan 2)", "Exchange Online", 2,
			[]string{"exchange plan 2", "exchange online plan 2", "exo p2"}, []string{"exchange forfait 2"}),
		o("teams-essentials", "Microsoft Teams Essentials", "Teams", 1,
			[]string{"teams", "teams essentials"}, []string{"teams essentiels"}),
	}
	offers[len(offers)-1].Upgradable = &no
	return offers
}

func testCatalog(tb testing.TB) *csp.Catalog {
	tb.Helper()
	c, err := csp.NewCatalog(testOffers())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
