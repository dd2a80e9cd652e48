package intent

import "testing"

// "I need a new Visio Plan 2 subscription" used to be read as Exchange
// Online (Plan 2): "plan 2" is a derived name of Exchange, and the walk
// skipped the unknown "Visio" and matched it. A generic word after a word
// nobody knows belongs to that unknown product.
func TestUnknownProductIsNeverAnotherProduct(t *testing.T) {
	p := NewParser(testCatalog(t))
	for _, text := range []string{
		"I need a new Visio Plan 2 subscription",
		"je voudrais 3 licences Visio Plan 2",
		"buy Project Plan 3",
		"Visio Plan 2",
	} {
		in := p.Parse(text)
		if len(in.Offers) != 0 {
			t.Errorf("%q names %+v, want no product of the catalog", text, in.Offers)
		}
		if ref := p.MatchOffer(text); len(ref.Candidates) != 0 {
			t.Errorf("MatchOffer(%q) = %v", text, ref.Candidates)
		}
	}
	// The catalog's own names keep working.
	for text, want := range map[string]string{
		"plan 2":                   "exchange-p2",
		"the plan 2":               "exchange-p2",
		"exchange plan 2":          "exchange-p2",
		"Exchange Online (Plan 2)": "exchange-p2",
		"buy 3 exchange plan 2":    "exchange-p2",
		"exchnage plan 1":          "exchange-p1",
	} {
		if ref := p.MatchOffer(text); len(ref.Candidates) != 1 || ref.Candidates[0] != want {
			t.Errorf("MatchOffer(%q) = %v, want %s", text, ref.Candidates, want)
		}
	}
}

func TestUnknownProductText(t *testing.T) {
	p := NewParser(testCatalog(t))
	for text, want := range map[string]string{
		"I need a new Visio Plan 2 subscription": "Visio Plan 2",
		"je voudrais 3 licences Visio Plan 2":    "Visio Plan 2",
		"order 10 Power BI Pro":                  "Power BI Pro",
		"I need 4 Visio licences":                "Visio",
		"buy 5 Office 365 E5":                    "",
		"what can we buy":                        "",
		"hello there":                            "",
	} {
		if got := p.Parse(text).UnknownProduct; got != want {
			t.Errorf("%q: unknown product %q, want %q", text, got, want)
		}
	}
}

// What the seats are for is not a product: "3 licences for marketing"
// asks for seats, it names nothing to buy.
func TestPurposeIsNotAProduct(t *testing.T) {
	p := NewParser(testCatalog(t))
	for _, text := range []string{"I need 3 licences for marketing", "je voudrais 3 licences pour le marketing"} {
		in := p.Parse(text)
		if in.Kind == KindPurchase || in.UnknownProduct != "" {
			t.Errorf("%q: %s, unknown product %q", text, in.Kind, in.UnknownProduct)
		}
	}
}
