package i18n

import (
	"maps"
	"math"
	"os"
	"testing"
	"testing/fstest"
	"text/template/parse"

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

// Every message of the bot's own catalogs, in every language, says with
// T and N what go-i18n says: plural forms chosen by a count or by
// data's Quantity, templates filled from maps of strings and ints, and
// from a struct.
func TestCatalogsAgreeWithGoI18n(t *testing.T) {
	tr, err := New(os.DirFS("../locales"))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	fields := map[string]bool{}
	for _, msgs := range tr.msgs {
		for id, e := range msgs {
			ids[id] = true
			for _, c := range []*compiled{e.other, e.zero, e.one, e.two, e.few, e.many} {
				if c != nil && c.tmpl != nil {
					for _, f := range c.tmpl.Tree.Root.Nodes {
						if a, ok := f.(*parse.ActionNode); ok {
							for _, cmd := range a.Pipe.Cmds {
								for _, arg := range cmd.Args {
									if fn, ok := arg.(*parse.FieldNode); ok {
										fields[fn.Ident[0]] = true
									}
								}
							}
						}
					}
				}
			}
		}
	}
	if len(ids) < 100 {
		t.Fatalf("only %d messages read from ../locales", len(ids))
	}
	strs, ints := map[string]any{}, map[string]any{}
	for f := range fields {
		strs[f] = "«" + f + "»"
		ints[f] = 7
	}
	datas := []any{nil, strs, ints, map[string]any{"Quantity": 1}, struct{ Name string }{"Ana"}}
	for _, q := range []int{0, 1, 2, 1000000} {
		d := map[string]any{"Quantity": q}
		for f := range fields {
			if f != "Quantity" {
				d[f] = "x"
			}
		}
		datas = append(datas, d)
	}
	for _, l := range []string{"en", "fr", "de"} {
		for id := range ids {
			for di, data := range datas {
				if got, want := tr.T(l, id, data), tr.render(l, id, data, nil); got != want {
					t.Errorf("T(%s, %s, data %d) = %q, go-i18n says %q", l, id, di, got, want)
				}
			}
			for _, n := range []int{-1, 0, 1, 2, 5, 21, 1000, 1000000, 2000000} {
				for di, data := range []map[string]any{nil, strs} {
					var d1, d2 map[string]any
					if data != nil {
						d1, d2 = maps.Clone(data), maps.Clone(data)
					}
					got := tr.N(l, id, n, d1)
					if d2 == nil {
						d2 = map[string]any{}
					}
					d2["Count"] = n
					if want := tr.render(l, id, d2, n); got != want {
						t.Errorf("N(%s, %s, %d, data %d) = %q, go-i18n says %q", l, id, n, di, got, want)
					}
				}
			}
		}
	}
}

// Tf and Nf say what T and N say with the same strings in a map, for
// every message of the bot's catalogs: with every field, with one field
// only (a missing field goes through text/template), and with none.
func TestArgsAgreeWithMaps(t *testing.T) {
	tr, err := New(os.DirFS("../locales"))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, msgs := range tr.msgs {
		for id := range msgs {
			ids[id] = true
		}
	}
	all := []Arg{{"Amount", "€1.00"}, {"Assigned", "7"}, {"Bought", "10"}, {"Count", "99"}, {"Customer", "Contoso"},
		{"End", "1 Dec"}, {"Until", "2 Dec"}, {"At", "3 Dec"}, {"Name", "Zoé"}, {"Window", "72 hours"}}
	argSets := [][]Arg{nil, all, all[:1], all[4:5]}
	for _, l := range []string{"en", "fr", "de"} {
		for id := range ids {
			for ai, args := range argSets {
				var m map[string]any
				if args != nil {
					m = map[string]any{}
					for _, a := range args {
						m[a.Name] = a.Value
					}
				}
				var data any
				if m != nil {
					data = m
				}
				if got, want := tr.Tf(l, id, args...), tr.T(l, id, data); got != want {
					t.Errorf("Tf(%s, %s, args %d) = %q, T says %q", l, id, ai, got, want)
				}
				for _, n := range []int{0, 1, 2, 1000000} {
					if got, want := tr.Nf(l, id, n, args...), tr.N(l, id, n, maps.Clone(m)); got != want {
						t.Errorf("Nf(%s, %s, %d, args %d) = %q, N says %q", l, id, n, ai, got, want)
					}
				}
			}
		}
	}
}
