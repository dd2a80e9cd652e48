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
	"strconv"
	"strings"
	"text/template"
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
	// plain holds, per language, the "other" form of each message of
	// that language's own catalogs, parsed once: T renders from it
	// without go-i18n's per-call language matching and template parse
	// lookups (the same text/template, the same output).
	plain map[string]map[string]*compiled
	// nums are the language's digit separators, taken from x/text at
	// New, so that Money and Number do not build a formatter per call.
	nums map[string]separators
}

// compiled is one message form: its text when it has no template
// action, else the parsed template.
type compiled struct {
	text string
	tmpl *template.Template
}

// separators of a language's numbers ("1,234.50" / "1 234,50").
type separators struct{ group, decimal string }

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
	var files []*goi18n.MessageFile
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
		mf, err := b.ParseMessageFileBytes(data, parts[len(parts)-1]+".yaml")
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		files = append(files, mf)
	}
	t := &Translator{bundle: b, locs: map[string]*goi18n.Localizer{}, printers: map[string]*message.Printer{},
		plain: map[string]map[string]*compiled{}, nums: map[string]separators{}}
	for _, l := range Languages {
		t.locs[l] = goi18n.NewLocalizer(b, l, "en")
		t.printers[l] = message.NewPrinter(language.Make(l))
		t.plain[l] = map[string]*compiled{}
		t.nums[l] = separatorsOf(t.printers[l])
	}
	for _, mf := range files {
		base, _ := mf.Tag.Base()
		forms, ok := t.plain[base.String()]
		if !ok {
			continue
		}
		for _, m := range mf.Messages {
			c, err := compile(m)
			if err != nil {
				return nil, fmt.Errorf("parse message %s (%s): %w", m.ID, base, err)
			}
			if c != nil {
				forms[m.ID] = c
			}
		}
	}
	return t, nil
}

// compile parses a message's "other" form as go-i18n does (its
// delimiters, missingkey=default); nil when it has none, or when it has
// plural forms: those are chosen by a count, which only go-i18n does.
func compile(m *goi18n.Message) (*compiled, error) {
	if m.Other == "" || m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != "" {
		return nil, nil
	}
	left, right := m.LeftDelim, m.RightDelim
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	if !strings.Contains(m.Other, left) {
		return &compiled{text: m.Other}, nil
	}
	tm, err := template.New("").Delims(left, right).Option("missingkey=default").Parse(m.Other)
	if err != nil {
		return nil, err
	}
	return &compiled{tmpl: tm}, nil
}

// separatorsOf reads a language's group and decimal separators from how
// x/text writes 1234567.25.
func separatorsOf(p *message.Printer) separators {
	s := p.Sprint(number.Decimal(1234567.25, number.MinFractionDigits(2), number.MaxFractionDigits(2)))
	i, j := strings.Index(s, "234"), strings.Index(s, "567")
	k := strings.LastIndex(s, "25")
	if i < 1 || j < 0 || k < 0 {
		return separators{group: ",", decimal: "."}
	}
	return separators{group: s[1:i], decimal: s[j+3 : k]}
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
	forms, ok := t.plain[lang]
	if !ok {
		forms = t.plain["en"]
	}
	if c := forms[id]; c != nil {
		if c.tmpl == nil {
			return c.text
		}
		var b strings.Builder
		if err := c.tmpl.Execute(&b, data); err == nil && b.Len() > 0 {
			return b.String()
		}
	}
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
	sep, ok := t.nums[lang]
	if !ok {
		sep = t.nums["en"]
	}
	neg := m.Minor < 0
	minor := m.Minor
	if neg {
		minor = -minor
	}
	cents := minor % 100
	num := grouped(uint64(minor/100), sep.group) + sep.decimal + string(rune('0'+cents/10)) + string(rune('0'+cents%10))
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
	sep, ok := t.nums[lang]
	if !ok {
		sep = t.nums["en"]
	}
	if n < 0 {
		return "-" + grouped(uint64(-int64(n)), sep.group)
	}
	return grouped(uint64(n), sep.group)
}

// grouped writes n in decimal with sep between groups of three digits.
func grouped(n uint64, sep string) string {
	digits := strconv.FormatUint(n, 10)
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	b.Grow(len(digits) + len(sep)*(len(digits)/3))
	first := len(digits) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(digits[:first])
	for i := first; i < len(digits); i += 3 {
		b.WriteString(sep)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
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
