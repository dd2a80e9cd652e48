package i18n

import (
	"math"
	"testing"
	"testing/fstest"

	"golang.org/x/text/number"

	"github.com/licensebot/licensebot/csp"
)

// Money and Number write what x/text writes, without building an x/text
// formatter per call.
func TestMoneyAndNumberAgreeWithXText(t *testing.T) {
	tr, err := New(fstest.MapFS{"en.yaml": {Data: []byte("a: b\n")}})
	if err != nil {
		t.Fatal(err)
	}
	minors := []int64{0, 1, 5, 10, 99, 100, 105, 10560, 99999, 100000, 123456789, 999999999999, -1, -10560, -123456789}
	for _, l := range append(Languages, "de") {
		p := tr.printers[l]
		if p == nil {
			p = tr.printers["en"]
		}
		for _, m := range minors {
			abs := int64(math.Abs(float64(m)))
			num := p.Sprint(number.Decimal(float64(abs)/100, number.MinFractionDigits(2), number.MaxFractionDigits(2)))
			want := "€" + num
			if l == "fr" {
				want = num + "\u00a0€"
			}
			if m < 0 {
				want = "-" + want
			}
			if got := tr.Money(l, csp.Money{Minor: m, Currency: "EUR"}); got != want {
				t.Errorf("Money(%s, %d) = %q, x/text writes %q", l, m, got, want)
			}
			n := int(m)
			if got, want := tr.Number(l, n), p.Sprint(number.Decimal(n)); got != want {
				t.Errorf("Number(%s, %d) = %q, x/text writes %q", l, n, got, want)
			}
		}
	}
}

// T's parsed-once messages say what go-i18n says, for every message of
// the catalogs, with data and without.
func TestTAgreesWithGoI18n(t *testing.T) {
	tr, err := New(fstest.MapFS{
		"en.yaml":       {Data: []byte("plain: \"Just words\"\nhello: \"Hello {{.Name}}\"\nonly_en: \"English only {{.N}}\"\nseats:\n  one: \"{{.Count}} seat\"\n  other: \"{{.Count}} seats\"\n")},
		"topic.fr.yaml": {Data: []byte("plain: \"Des mots\"\nhello: \"Bonjour {{.Name}}\"\nseats:\n  one: \"{{.Count}} licence\"\n  other: \"{{.Count}} licences\"\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"en", "fr", "de"} {
		for _, id := range []string{"plain", "hello", "only_en", "seats", "missing"} {
			for _, data := range []any{nil, map[string]any{"Name": "Zoé", "N": 3, "Count": 2}, struct{ Name string }{"Ana"}} {
				if got, want := tr.T(l, id, data), tr.render(l, id, data, nil); got != want {
					t.Errorf("T(%s, %s, %v) = %q, go-i18n says %q", l, id, data, got, want)
				}
			}
		}
	}
}
