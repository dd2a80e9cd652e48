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
	"text/template/parse"
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
	// msgs holds, per language, the forms of each message of that
	// language's own catalogs, parsed once: T and N render from them
	// without go-i18n's per-call language matching, plural operands and
	// template lookups (the same templates, the same output; a test
	// compares every message of the bot's catalogs with go-i18n).
	msgs map[string]map[string]*entry
	// nums are the language's digit separators, taken from x/text at
	// New, so that Money and Number do not build a formatter per call.
	nums map[string]separators
}

// entry is one message of one language: its "other" form, and the
// forms a count chooses when it has plural forms.
type entry struct {
	other, zero, one, two, few, many *compiled
	plural                           bool
}

// compiled is one message form: its text when it has no template
// action, else the parsed template and, when the template only prints
// fields ("{{.Count}} seats until {{.Until}}"), its pieces, which are
// filled in from a map without text/template's reflection.
type compiled struct {
	text   string
	tmpl   *template.Template
	pieces []piece
}

// piece is literal text, or the name of a field to print.
type piece struct {
	text  string
	field string
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
		msgs: map[string]map[string]*entry{}, nums: map[string]separators{}}
	for _, l := range Languages {
		t.locs[l] = goi18n.NewLocalizer(b, l, "en")
		t.printers[l] = message.NewPrinter(language.Make(l))
		t.msgs[l] = map[string]*entry{}
		t.nums[l] = separatorsOf(t.printers[l])
	}
	for _, mf := range files {
		base, _ := mf.Tag.Base()
		msgs, ok := t.msgs[base.String()]
		if !ok {
			continue
		}
		for _, m := range mf.Messages {
			e, err := compileMessage(m)
			if err != nil {
				return nil, fmt.Errorf("parse message %s (%s): %w", m.ID, base, err)
			}
			msgs[m.ID] = e
		}
	}
	return t, nil
}

// compileMessage parses each form of a message as go-i18n does (its
// delimiters, missingkey=default).
func compileMessage(m *goi18n.Message) (*entry, error) {
	e := &entry{plural: m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != ""}
	for _, f := range []struct {
		src string
		dst **compiled
	}{{m.Other, &e.other}, {m.Zero, &e.zero}, {m.One, &e.one}, {m.Two, &e.two}, {m.Few, &e.few}, {m.Many, &e.many}} {
		c, err := compile(f.src, m.LeftDelim, m.RightDelim)
		if err != nil {
			return nil, err
		}
		*f.dst = c
	}
	return e, nil
}

// compile parses one form; nil when the form is empty.
func compile(src, left, right string) (*compiled, error) {
	if src == "" {
		return nil, nil
	}
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	if !strings.Contains(src, left) {
		return &compiled{text: src}, nil
	}
	tm, err := template.New("").Delims(left, right).Option("missingkey=default").Parse(src)
	if err != nil {
		return nil, err
	}
	return &compiled{tmpl: tm, pieces: piecesOf(tm)}, nil
}

// piecesOf splits a template made only of text and "{{.Field}}" actions;
// nil for anything else (conditions, functions, pipelines), which
// text/template renders.
func piecesOf(tm *template.Template) []piece {
	if tm.Tree == nil || tm.Tree.Root == nil {
		return nil
	}
	var out []piece
	for _, n := range tm.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			out = append(out, piece{text: string(n.Text)})
		case *parse.ActionNode:
			if n.Pipe == nil || len(n.Pipe.Decl) > 0 || n.Pipe.IsAssign || len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 {
				return nil
			}
			f, ok := n.Pipe.Cmds[0].Args[0].(*parse.FieldNode)
			if !ok || len(f.Ident) != 1 {
				return nil
			}
			out = append(out, piece{field: f.Ident[0]})
		default:
			return nil
		}
	}
	return out
}

// execute renders c with data; ok is false when it fails or says
// nothing (the caller then asks go-i18n, which shows the id).
func (c *compiled) execute(data any) (string, bool) {
	if c.tmpl == nil {
		return c.text, true
	}
	if s, ok := c.fill(data); ok {
		return s, s != ""
	}
	var b strings.Builder
	if err := c.tmpl.Execute(&b, data); err != nil || b.Len() == 0 {
		return "", false
	}
	return b.String(), true
}

// fill renders the pieces from a map of strings and ints, printed as
// text/template prints them; false when anything else is asked for
// (a missing key, another type), which text/template then renders.
func (c *compiled) fill(data any) (string, bool) {
	m, ok := data.(map[string]any)
	if c.pieces == nil || !ok {
		return "", false
	}
	var b strings.Builder
	for _, p := range c.pieces {
		if p.field == "" {
			b.WriteString(p.text)
			continue
		}
		switch v := m[p.field].(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		default:
			return "", false
		}
	}
	return b.String(), true
}

// form is the form count chooses in lang, by the CLDR rules go-i18n
// applies to integers: English "one" for 1; French "one" for 0 and 1,
// "many" for non-zero millions; else "other". nil when the message has
// no such form: go-i18n then answers (with the message id).
func (e *entry) form(lang string, count int) *compiled {
	n := count
	if n < 0 {
		n = -n
	}
	switch {
	case lang == "fr" && n <= 1, lang != "fr" && n == 1:
		return e.one
	case lang == "fr" && n%1000000 == 0:
		return e.many
	}
	return e.other
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
// A message with plural forms counts data's Quantity: "at 1 seat".
func (t *Translator) T(lang, id string, data any) string {
	msgs, ok := t.msgs[lang]
	if !ok {
		lang, msgs = "en", t.msgs["en"]
	}
	if e := msgs[id]; e != nil {
		c := e.other
		if e.plural {
			if m, ok := data.(map[string]any); ok {
				if q, ok := m["Quantity"].(int); ok {
					c = e.form(lang, q)
				}
			}
		}
		if c != nil {
			if s, ok := c.execute(data); ok {
				return s
			}
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
	msgs, ok := t.msgs[lang]
	if !ok {
		lang, msgs = "en", t.msgs["en"]
	}
	if e := msgs[id]; e != nil {
		if c := e.form(lang, count); c != nil {
			if s, ok := c.execute(data); ok {
				return s
			}
		}
	}
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
