package intent

import "testing"

// Usage and delegated-access questions, in both languages, with the
// near misses that must keep their reading.
func TestParseUsageQuestions(t *testing.T) {
	p := NewParser(testCatalog(t))
	for _, c := range []tcase{
		{text: "how many E3 licences are used?", kind: KindUsage, lang: "en", offers: []string{"o365-e3"}},
		{text: "how many unused licences do we have?", kind: KindUsage, lang: "en"},
		{text: "how many spare seats do we have?", kind: KindUsage, lang: "en"},
		{text: "licence usage", kind: KindUsage},
		{text: "combien de licences E1 sont attribuées ?", kind: KindUsage, lang: "fr", offers: []string{"o365-e1"}},
		{text: "combien de licences inutilisées ?", kind: KindUsage, lang: "fr"},
		{text: "combien de licences libres avons-nous ?", kind: KindUsage, lang: "fr"},
		{text: "which admin access does ERP Cloud have?", kind: KindDelegatedAccess, lang: "en"},
		{text: "what GDAP roles does the reseller have?", kind: KindDelegatedAccess, lang: "en"},
		{text: "which roles does ERP Cloud have on our tenant?", kind: KindDelegatedAccess, lang: "en"},
		{text: "quels accès délégués a ERP Cloud ?", kind: KindDelegatedAccess, lang: "fr"},
		{text: "quels droits a ERP Cloud ?", kind: KindDelegatedAccess, lang: "fr"},
		// Near misses: a change verb or a count keeps the change.
		{text: "remove the unused E1 seats", kind: KindRemoveSeats, lang: "en", offers: []string{"o365-e1"}},
		{text: "remove 3 unused E1 seats", kind: KindRemoveSeats, lang: "en", q: "3", offers: []string{"o365-e1"}},
		{text: "enlève 2 licences E1 inutilisées", kind: KindRemoveSeats, lang: "fr", q: "2", offers: []string{"o365-e1"}},
		{text: "my subscriptions", kind: KindList},
		{text: "show E3", kind: KindShow, offers: []string{"o365-e3"}},
		{text: "make Alice a licence admin", kind: KindMakeAdmin, lang: "en"},
	} {
		check(t, p, c)
	}
}
