package intent

import (
	"strings"
	"testing"

	"github.com/licensebot/licensebot/csp/catalog"
)

func TestMatchOffer(t *testing.T) {
	p := NewParser(testCatalog(t))
	for _, c := range []struct {
		text  string
		cands string // "|" separated, "" for no match
		exact bool
		words string // OfferRef.Text
	}{
		{"the E3 one", "o365-e3", true, "E3"},
		{"E3", "o365-e3", true, "E3"},
		{"e5", "o365-e5", true, "e5"},
		{"m365 e3", "m365-e3", true, "m365 e3"},
		{"Microsoft 365 E3", "m365-e3", true, "Microsoft 365 E3"},
		{"ms 365 e3", "m365-e3", true, "ms 365 e3"},
		{"Office 365 E3", "o365-e3", true, "Office 365 E3"},
		{"365 e3", "o365-e3|m365-e3", true, "365 e3"},
		{"Business Standard", "m365-business-standard", true, "Business Standard"},
		{"business std", "m365-business-standard", true, "business std"},
		{"bus std", "m365-business-standard", true, "bus std"},
		{"standard", "m365-business-standard", true, "standard"},
		{"m365 bp", "m365-business-premium", true, "m365 bp"},
		{"premium", "m365-business-premium", true, "premium"},
		{"apps for business", "m365-apps-business", true, "apps for business"},
		{"applications pour les entreprises", "m365-apps-business", true, "applications pour les entreprises"},
		{"affaires standard", "m365-business-standard", true, "affaires standard"},
		{"teams", "teams-essentials", true, "teams"},
		{"exchange plan 1", "exchange-p1", true, "exchange plan 1"},
		{"Exchange Online (Plan 2)", "exchange-p2", true, "Exchange Online (Plan 2)"},
		{"plan 2", "exchange-p2", true, "plan 2"},
		{"première ligne f1", "m365-f1", true, "première ligne f1"},
		{"frontline", "m365-f1|m365-f3", true, "frontline"},
		// Ambiguous words name every offer that has them.
		{"business", "m365-business-basic|m365-business-standard|m365-business-premium", true, "business"},
		{"exchange", "exchange-p1|exchange-p2", true, "exchange"},
		{"apps", "m365-apps-business|m365-apps-enterprise", true, "apps"},
		{"E1 or E3", "o365-e1|o365-e3", true, "E1, E3"},
		// Typos.
		{"bussiness standrad", "m365-business-standard", false, "bussiness standrad"},
		{"exchnage plan 1", "exchange-p1", false, "exchnage plan 1"},
		{"busines premium", "m365-business-premium", false, "busines premium"},
		{"premum", "m365-business-premium", false, "premum"},
		{"team", "teams-essentials", false, "team"},
		{"teams essential", "teams-essentials", false, "teams essential"},
		{"business basik", "m365-business-basic", false, "business basik"},
		// Generic words, brands, near misses: nothing.
		{"seats", "", false, ""},
		{"licences", "", false, ""},
		{"licenses", "", false, ""},
		{"licence", "", false, ""},
		{"sièges", "", false, ""},
		{"postes", "", false, ""},
		{"abonnement", "", false, ""},
		{"subscription", "", false, ""},
		{"plan", "", false, ""},
		{"forfait", "", false, ""},
		{"microsoft 365", "", false, ""},
		{"office 365", "", false, ""},
		{"365", "", false, ""},
		{"microsoft", "", false, ""},
		{"e4", "", false, ""},
		{"e", "", false, ""},
		{"terms", "", false, ""},
		{"entreprise", "", false, ""},
		{"premier", "", false, ""},
		{"nothing to see here", "", false, ""},
		{"", "", false, ""},
	} {
		ref := p.MatchOffer(c.text)
		if got := strings.Join(ref.Candidates, "|"); got != c.cands {
			t.Errorf("%q: candidates %q, want %q", c.text, got, c.cands)
			continue
		}
		if c.cands == "" {
			continue
		}
		if ref.Exact != c.exact {
			t.Errorf("%q: exact %v, want %v", c.text, ref.Exact, c.exact)
		}
		if ref.Text != c.words {
			t.Errorf("%q: text %q, want %q", c.text, ref.Text, c.words)
		}
	}
}

// TestQuantityNotFromNames: digits inside product names are not seat
// counts.
func TestQuantityNotFromNames(t *testing.T) {
	p := NewParser(testCatalog(t))
	for _, c := range []struct {
		text string
		qty  int // -1: none
	}{
		{"add Exchange Plan 1", -1},
		{"add exchange online plan 2", -1},
		{"add Exchange Online (Plan 1)", -1},
		{"add 2 exchange plan 1", 2},
		{"exchange plan 1 x3", 3},
		{"ajoute des licences Microsoft 365 Business Standard", -1},
		{"add Office 365 E3", -1},
		{"add 3 Microsoft 365 E5", 3},
		{"add F1", -1},
		{"add E 3", -1},
		{"add plan 3", -1},
		{"upgrade office 365 to E5", -1},
		{"add 4 M365 E3", 4},
		{"add some office 365 licences", -1},
		{"renew E3 on 2026-03-01", -1},
	} {
		in := p.Parse(c.text)
		if c.qty < 0 {
			if in.HasQuantity {
				t.Errorf("%q: quantity %d, want none", c.text, in.Quantity)
			}
			continue
		}
		if !in.HasQuantity || in.Quantity != c.qty {
			t.Errorf("%q: quantity %d/%v, want %d", c.text, in.Quantity, in.HasQuantity, c.qty)
		}
	}
}

func TestNumbers(t *testing.T) {
	p := NewParser(testCatalog(t))
	for _, c := range []struct {
		text string
		qty  int
		err  string
	}{
		{"add 2 seats", 2, ""},
		{"add two seats", 2, ""},
		{"ajoute deux licences", 2, ""},
		{"add a seat", 1, ""},
		{"add one seat", 1, ""},
		{"ajoute un poste", 1, ""},
		{"ajoute une licence", 1, ""},
		{"add another E3", 1, ""},
		{"ajoute douze licences", 12, ""},
		{"add twelve seats", 12, ""},
		{"add a dozen seats", 12, ""},
		{"add a couple of seats", 2, ""},
		{"ajoute dix-sept licences", 17, ""},
		{"ajoute dix sept licences", 17, ""},
		{"ajoute vingt licences", 20, ""},
		{"ajoute vingt-deux licences", 22, ""},
		{"ajoute vingt et une licences", 21, ""},
		{"add twenty seats", 20, ""},
		{"add twenty-one seats", 21, ""},
		{"add 007 seats", 7, ""},
		{"add 1,000 seats", 1000, ""},
		{"add 1 000 seats", 1000, ""},
		{"add 1\u202f000 seats", 1000, ""},
		{"add 100000 seats", 100000, ""},
		{"add 3x E3", 3, ""},
		{"add x3 E3", 3, ""},
		{"add ２ seats", 2, ""},
		{"-3", 0, QuantityNegative},
		{"add -3 seats", 0, QuantityNegative},
		{"add −3 seats", 0, QuantityNegative},
		{"add minus 3 seats", 0, QuantityNegative},
		{"ajoute moins 3 licences", 0, QuantityNegative},
		{"add 100001 seats", 0, QuantityTooLarge},
		{"add 99999999999999999999 seats", 0, QuantityTooLarge},
		{"add 999999999999999999999999999999999999999999999999999999999999 seats", 0, QuantityTooLarge},
		{"add 1,000,000 seats", 0, QuantityTooLarge},
		{"add 0 seats", 0, QuantityZero},
		{"add zero seats", 0, QuantityZero},
		{"add 000 seats", 0, QuantityZero},
		{"add 2.5 seats", 0, QuantityNotANumber},
		{"ajoute 2,5 licences", 0, QuantityNotANumber},
		{"add 1/2 seat", 0, QuantityNotANumber},
	} {
		in := p.Parse(c.text)
		if !in.HasQuantity || in.Quantity != c.qty || in.QuantityError != c.err {
			t.Errorf("%q: quantity %d/%v err %q, want %d err %q", c.text, in.Quantity, in.HasQuantity, in.QuantityError, c.qty, c.err)
		}
	}
	// Articles are not quantities unless they count seats or products.
	for _, text := range []string{"cancel a subscription", "as a new line", "what can you do", "the E3 one", "which one", "dans une nouvelle ligne", "passer de E1 a E3"} {
		if in := p.Parse(text); in.HasQuantity {
			t.Errorf("%q: quantity %d, want none", text, in.Quantity)
		}
	}
}

func TestLanguageDetection(t *testing.T) {
	p := NewParser(testCatalog(t))
	for _, c := range []struct{ text, lang string }{
		{"add 2 Business Standard seats", "en"},
		{"ajoute 2 licences E3", "fr"},
		{"2 licences E3", "fr"},
		{"my licences", "en"},
		{"mes licences", "fr"},
		{"Je veux ajouter deux licences", "fr"},
		{"I want two more", "en"},
		{"détails", "fr"},
		{"E3", ""},
		{"ok", ""},
		{"+2", ""},
		{"applications pour les entreprises", "fr"},
		{"upgrade 5 E1 to E3", "en"},
		{"passer 5 E1 en E3", "fr"},
		{"can you renew teams", "en"},
		{"peux-tu renouveler teams", "fr"},
	} {
		if got := p.Parse(c.text).Lang; got != c.lang {
			t.Errorf("%q: lang %q, want %q", c.text, got, c.lang)
		}
	}
}

func TestFuzzyDist(t *testing.T) {
	for _, c := range []struct {
		typed, known string
		want         int
	}{
		{"bussiness", "business", 1},
		{"standrad", "standard", 1},
		{"exchnage", "exchange", 1},
		{"premum", "premium", 1},
		{"team", "teams", 1},
		{"premier", "premium", -1}, // two edits on a seven-letter word
		{"terms", "teams", 1},      // close, which is why vocabulary words are never fuzzy
		{"e4", "e3", -1},           // short and with digits: exact only
		{"apps", "apos", -1},
		{"xusiness", "business", -1}, // first letter differs
		{"businesssss", "business", -1},
		{"business", "business", 0},
	} {
		if got := fuzzyDist(c.typed, c.known); got != c.want {
			t.Errorf("fuzzyDist(%q, %q) = %d, want %d", c.typed, c.known, got, c.want)
		}
	}
	if d := osaDistance(strings.Repeat("a", 40), "a", 2); d != 3 {
		t.Errorf("osaDistance on long input = %d, want limit+1", d)
	}
}

// TestLexiconNamesNoProduct: no word or phrase of the vocabulary names a
// product on its own, in either catalog, so that sentences never match
// products through their ordinary words.
func TestLexiconNamesNoProduct(t *testing.T) {
	cats := map[string]*Parser{"test": NewParser(testCatalog(t))}
	if def, err := catalog.Default(); err == nil {
		cats["default"] = NewParser(def)
	} else {
		t.Fatalf("default catalog: %v", err)
	}
	for name, p := range cats {
		for _, e := range lexiconEntries() {
			for _, ph := range strings.Split(e.phrases, "|") {
				if len(phraseWords(ph)) == 0 {
					t.Errorf("lexicon phrase %q normalizes to nothing", ph)
				}
				if ref := p.MatchOffer(ph); len(ref.Candidates) > 0 {
					t.Errorf("%s catalog: lexicon phrase %q names %v", name, ph, ref.Candidates)
				}
			}
		}
		for w := range p.nums {
			if ref := p.MatchOffer(w); len(ref.Candidates) > 0 {
				t.Errorf("%s catalog: number word %q names %v", name, w, ref.Candidates)
			}
		}
	}
}

// TestDefaultCatalog runs the table over the embedded demo catalog, whose
// ids differ only for Exchange Online.
func TestDefaultCatalog(t *testing.T) {
	def, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	p := NewParser(def)
	ids := strings.NewReplacer("exchange-p1", "exchange-online-p1", "exchange-p2", "exchange-online-p2")
	for _, c := range table {
		c.offers = append([]string(nil), c.offers...) // the table is shared
		for i := range c.offers {
			c.offers[i] = ids.Replace(c.offers[i])
		}
		check(t, p, c)
	}
	for text, want := range map[string]string{
		"bp":                          "m365-business-premium",
		"office 365 business":         "m365-apps-business",
		"proplus":                     "m365-apps-enterprise",
		"exchange online p1":          "exchange-online-p1",
		"exchange forfait 2":          "exchange-online-p2",
		"microsoft 365 entreprise e3": "m365-e3",
		"entreprise e3":               "o365-e3",
		"bussiness standrad":          "m365-business-standard",
		"exchnage plan 1":             "exchange-online-p1",
	} {
		if got := strings.Join(p.MatchOffer(text).Candidates, "|"); got != want {
			t.Errorf("default catalog: %q → %q, want %q", text, got, want)
		}
	}
}

func TestNilCatalog(t *testing.T) {
	p := NewParser(nil)
	if in := p.Parse("add 2 E3"); in.Kind != KindAddSeats || in.Quantity != 2 || len(in.Offers) != 0 {
		t.Errorf("nil catalog: %+v", in)
	}
}
