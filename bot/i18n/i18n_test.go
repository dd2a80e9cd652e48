package i18n_test

import (
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/licensebot/licensebot/bot/i18n"
	"github.com/licensebot/licensebot/csp"
)

// catalogs are a small stand-in for the bot's: a main file per language
// and a topic file, as the bot keeps them.
var catalogs = fstest.MapFS{
	"en.yaml":        {Data: []byte("seats:\n  one: \"{{.Count}} seat\"\n  other: \"{{.Count}} seats\"\n")},
	"fr.yaml":        {Data: []byte("seats:\n  one: \"{{.Count}} licence\"\n  other: \"{{.Count}} licences\"\n")},
	"topic.en.yaml":  {Data: []byte("hello: \"Hello {{.Name}}\"\n")},
	"topic.fr.yaml":  {Data: []byte("hello: \"Bonjour {{.Name}}\"\n")},
	"README.md":      {Data: []byte("not a catalog")},
	"nested/de.yaml": {Data: []byte("seats: x\n")},
}

func mustTranslator(t *testing.T) *i18n.Translator {
	t.Helper()
	tr, err := i18n.New(catalogs)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Topic files are read with the language their name ends in, and a
// message missing everywhere shows its id rather than nothing.
func TestTopicFilesAndMissingMessages(t *testing.T) {
	tr := mustTranslator(t)
	if got := tr.T("fr", "hello", map[string]any{"Name": "Camille"}); got != "Bonjour Camille" {
		t.Errorf("fr topic: %q", got)
	}
	if got := tr.T("de", "hello", map[string]any{"Name": "Jan"}); got != "Hello Jan" {
		t.Errorf("unknown language falls back to English: %q", got)
	}
	if got := tr.T("en", "nowhere", nil); got != "nowhere" {
		t.Errorf("missing: %q", got)
	}
	if !tr.Has("fr", "hello") || tr.Has("fr", "nowhere") {
		t.Error("Has")
	}
}

// A catalog that does not parse is refused with its name.
func TestBrokenCatalogIsRefused(t *testing.T) {
	_, err := i18n.New(fstest.MapFS{"en.yaml": {Data: []byte("seats: [unclosed\n")}})
	if err == nil || !strings.Contains(err.Error(), "en.yaml") {
		t.Fatalf("err = %v", err)
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
		if got := i18n.Lang(in); got != want {
			t.Errorf("Lang(%q) = %q, want %q", in, got, want)
		}
	}
}
