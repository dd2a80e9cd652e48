package bot

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
)

func mustTranslator(t *testing.T) *Translator {
	t.Helper()
	tr, err := NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Every message exists in every language: a sentence missing in French
// would show its id to a French speaker.
func TestCatalogsHaveTheSameMessages(t *testing.T) {
	keys := map[string]map[string]bool{}
	for _, l := range Languages {
		keys[l] = map[string]bool{}
		files, _ := filepath.Glob("locales/*" + l + ".yaml")
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := yaml.Unmarshal(data, &m); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for k := range m {
				keys[l][k] = true
			}
		}
	}
	for _, a := range Languages {
		for _, b := range Languages {
			for k := range keys[a] {
				if !keys[b][k] {
					t.Errorf("%q is in %s.yaml but not in %s.yaml", k, a, b)
				}
			}
		}
	}
}

// Every code the rules can produce has a sentence in every language.
func TestEveryRulesCodeIsTranslated(t *testing.T) {
	tr := mustTranslator(t)
	for _, l := range Languages {
		for _, c := range rules.AllCodes() {
			ok := false
			for _, prefix := range []string{"reason.", "warning.", "alt."} {
				if tr.Has(l, prefix+string(c)) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s: no reason./warning./alt. message for rules code %q", l, c)
			}
		}
	}
}

func TestMoneyPerLocale(t *testing.T) {
	tr := mustTranslator(t)
	cases := []struct {
		lang string
		m    csp.Money
		want string
	}{
		{"fr", csp.NewMoney(105.60, "EUR"), "105,60\u00a0€"},
		{"en", csp.NewMoney(105.60, "EUR"), "€105.60"},
		{"en", csp.NewMoney(1234.5, "EUR"), "€1,234.50"},
		{"en", csp.NewMoney(-3.2, "EUR"), "-€3.20"},
	}
	for _, c := range cases {
		if got := tr.Money(c.lang, c.m); got != c.want {
			t.Errorf("Money(%s, %v) = %q, want %q", c.lang, c.m, got, c.want)
		}
	}
	// French groups thousands with a space of some kind, never a comma.
	if got := tr.Money("fr", csp.NewMoney(1234.5, "EUR")); !regexp.MustCompile(`^1\s?.?234,50`).MatchString(got) {
		t.Errorf("French thousands: %q", got)
	}
}

func TestDatesPerLocale(t *testing.T) {
	tr := mustTranslator(t)
	loc, _ := time.LoadLocation("Europe/Paris")
	at := time.Date(2026, 11, 28, 0, 0, 0, 0, loc)
	if got, want := tr.DateTime("en", at, loc), "Sat 28 Nov 2026, 00:00"; got != want {
		t.Errorf("en: %q, want %q", got, want)
	}
	if got, want := tr.DateTime("fr", at, loc), "sam. 28 nov. 2026, 00:00"; got != want {
		t.Errorf("fr: %q, want %q", got, want)
	}
	// An instant is shown in the customer's zone, not UTC.
	if got := tr.Date("en", at.UTC(), loc); got != "28 Nov 2026" {
		t.Errorf("zone: %q", got)
	}
}

func TestPluralsFollowTheLanguage(t *testing.T) {
	tr := mustTranslator(t)
	if got := tr.N("en", "seats", 1, nil); got != "1 seat" {
		t.Errorf("en 1: %q", got)
	}
	if got := tr.N("en", "seats", 0, nil); got != "0 seats" {
		t.Errorf("en 0: %q", got)
	}
	if got := tr.N("fr", "seats", 0, nil); got != "0 licence" {
		t.Errorf("fr 0: %q (French uses the singular for 0)", got)
	}
	if got := tr.N("fr", "seats", 2, nil); got != "2 licences" {
		t.Errorf("fr 2: %q", got)
	}
}

func TestLangNormalisesLocales(t *testing.T) {
	for in, want := range map[string]string{"fr-FR": "fr", "fr_CA": "fr", "EN-us": "en", "de-DE": "", "": ""} {
		if got := Lang(in); got != want {
			t.Errorf("Lang(%q) = %q, want %q", in, got, want)
		}
	}
}
