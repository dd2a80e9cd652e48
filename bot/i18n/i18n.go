// Package i18n renders message ids, plurals, money and dates in the
// languages the bot speaks. It knows no sentences itself: the catalogs
// ("<lang>.yaml" or "<topic>.<lang>.yaml") come in as a file system, so
// the bot keeps its sentences beside the code that says them (bot/locales)
// while the engine, the card renderer and the adapters share one
// Translator.
package i18n

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
	"gopkg.in/yaml.v3"

	"github.com/licensebot/licensebot/csp"
)

// Languages the bot speaks, the first being the fallback.
var Languages = []string{"en", "fr"}

// Translator renders message ids, money and dates in a language. It is
// immutable after New and safe for concurrent use.
type Translator struct {
	bundle   *goi18n.Bundle
	locs     map[string]*goi18n.Localizer
	printers map[string]*message.Printer
}

// New loads the catalogs at the root of fsys, every file ending in
// ".yaml".
func New(fsys fs.FS) (*Translator, error) {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	// Files are "<lang>.yaml" or "<topic>.<lang>.yaml", so a feature can
	// keep its messages in a file of its own.
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read locales: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".yaml" {
			continue
		}
		name := e.Name()
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		parts := strings.Split(strings.TrimSuffix(e.Name(), ".yaml"), ".")
		if _, err := b.ParseMessageFileBytes(data, parts[len(parts)-1]+".yaml"); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
	}
	t := &Translator{bundle: b, locs: map[string]*goi18n.Localizer{}, printers: map[string]*message.Printer{}}
	for _, l := range Languages {
		t.locs[l] = goi18n.NewLocalizer(b, l, "en")
		t.printers[l] = message.NewPrinter(language.Make(l))
	}
	return t, nil
}

// Lang normalises a locale ("fr-FR", "fr_CA", "FR") to a supported
// language, or "" when it is none of them.
func Lang(locale string) string {
	l := strings.ToLower(strings.TrimSpace(locale))
	if len(l) >= 2 {
		l = l[:2]
	}
	for _, s := range Languages {
		if s == l {
			return s
		}
	}
	return ""
}

// T renders message id with data (a map or struct for the template).
func (t *Translator) T(lang, id string, data any) string {
	return t.render(lang, id, data, nil)
}

// N renders a message with plural forms chosen by count; data may use
// {{.Count}}.
func (t *Translator) N(lang, id string, count int, data map[string]any) string {
	if data == nil {
		data = map[string]any{}
	}
	data["Count"] = count
	return t.render(lang, id, data, count)
}

func (t *Translator) render(lang, id string, data any, count any) string {
	loc, ok := t.locs[lang]
	if !ok {
		loc = t.locs["en"]
	}
	if count == nil {
		// A message with plural forms counts its Quantity: "at 1 seat".
		if m, ok := data.(map[string]any); ok {
			if q, ok := m["Quantity"].(int); ok {
				if s, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: q}); err == nil && s != "" {
					return s
				}
			}
		}
	}
	s, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil || s == "" {
		// A missing message is a bug caught by the catalog test; show the
		// id rather than nothing.
		return id
	}
	return s
}

// Has reports whether id exists in lang's catalog (for tests).
func (t *Translator) Has(lang, id string) bool {
	loc := goi18n.NewLocalizer(t.bundle, lang)
	_, tag, err := loc.LocalizeWithTag(&goi18n.LocalizeConfig{MessageID: id, PluralCount: 2})
	return err == nil && tag == language.Make(lang)
}

// Money formats an amount per locale: "105,60 €" in French, "€105.60" in
// English. Digits and grouping come from x/text; the symbol's place is
// the locale's convention.
func (t *Translator) Money(lang string, m csp.Money) string {
	p, ok := t.printers[lang]
	if !ok {
		p = t.printers["en"]
	}
	neg := m.Minor < 0
	v := m
	if neg {
		v.Minor = -v.Minor
	}
	num := p.Sprint(number.Decimal(v.Float(), number.MinFractionDigits(2), number.MaxFractionDigits(2)))
	sym := currencySymbol(m.Currency)
	var s string
	if lang == "fr" {
		s = num + "\u00a0" + sym
	} else {
		s = sym + num
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Number formats an integer per locale (grouping).
func (t *Translator) Number(lang string, n int) string {
	p, ok := t.printers[lang]
	if !ok {
		p = t.printers["en"]
	}
	return p.Sprint(number.Decimal(n))
}

func currencySymbol(code string) string {
	switch code {
	case "EUR":
		return "€"
	case "USD":
		return "$"
	case "GBP":
		return "£"
	case "CHF":
		return "CHF\u00a0"
	}
	return code + "\u00a0"
}

var (
	monthsEN = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	monthsFR = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
	daysEN   = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	daysFR   = [...]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}
)

// Date formats a day in loc: "26 Nov 2026" / "26 nov. 2026".
func (t *Translator) Date(lang string, at time.Time, loc *time.Location) string {
	at = at.In(loc)
	if lang == "fr" {
		return fmt.Sprintf("%d %s %d", at.Day(), monthsFR[at.Month()-1], at.Year())
	}
	return fmt.Sprintf("%d %s %d", at.Day(), monthsEN[at.Month()-1], at.Year())
}

// DateTime formats an instant in loc: "Thu 28 Nov 2026, 00:00" /
// "jeu. 28 nov. 2026, 00:00".
func (t *Translator) DateTime(lang string, at time.Time, loc *time.Location) string {
	at = at.In(loc)
	day := daysEN[at.Weekday()]
	if lang == "fr" {
		day = daysFR[at.Weekday()]
	}
	return fmt.Sprintf("%s %s, %02d:%02d", day, t.Date(lang, at, loc), at.Hour(), at.Minute())
}
