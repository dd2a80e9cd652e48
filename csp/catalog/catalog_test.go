package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licensebot/licensebot/csp"
)

func TestDefault(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	aliasOwner := map[string]string{}
	for _, o := range c.Offers {
		if ids[o.ID] {
			t.Errorf("duplicate id %q", o.ID)
		}
		ids[o.ID] = true
		if len(o.Prices) == 0 {
			t.Errorf("%s: no price", o.ID)
		}
		for _, p := range o.Prices {
			if p.Unit.Currency != "EUR" || p.Unit.Minor <= 0 {
				t.Errorf("%s: bad price %+v", o.ID, p)
			}
		}
		if len(o.Aliases) == 0 || len(o.AliasesFR) == 0 {
			t.Errorf("%s: wants English and French aliases", o.ID)
		}
		for _, a := range append(append([]string(nil), o.Aliases...), o.AliasesFR...) {
			if prev, ok := aliasOwner[a]; ok && prev != o.ID {
				t.Errorf("alias %q shared by %s and %s", a, prev, o.ID)
			}
			aliasOwner[a] = o.ID
		}
	}
	if len(c.Offers) != 15 {
		t.Errorf("got %d offers, want 15", len(c.Offers))
	}

	apps, ok := c.Offer("m365-apps-business")
	if !ok {
		t.Fatal("m365-apps-business missing")
	}
	if p, ok := apps.Price(csp.TermAnnual, csp.BillingAnnual); !ok || p.Unit != csp.NewMoney(105.60, "EUR") {
		t.Errorf("apps for business P1Y/annual = %v, want 105.60 EUR", p.Unit)
	}
	if p, ok := apps.Price(csp.TermAnnual, csp.BillingMonthly); !ok || p.Unit != csp.NewMoney(8.80, "EUR") {
		t.Errorf("apps for business P1Y/monthly = %v, want 8.80 EUR", p.Unit)
	}
}

func TestDefaultPricesAndCaps(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range c.Offers {
		m, ok1 := o.Price(csp.TermAnnual, csp.BillingMonthly)
		a, ok2 := o.Price(csp.TermAnnual, csp.BillingAnnual)
		mm, ok3 := o.Price(csp.TermMonthly, csp.BillingMonthly)
		if !ok1 || !ok2 || !ok3 {
			t.Errorf("%s: wants P1Y/monthly, P1Y/annual and P1M/monthly prices", o.ID)
			continue
		}
		if a.Unit != m.Unit.Mul(12) {
			t.Errorf("%s: annual %v != 12 × monthly %v", o.ID, a.Unit, m.Unit)
		}
		if want := m.Unit.Prorate(120, 100); mm.Unit != want {
			t.Errorf("%s: month-to-month %v, want %v (+20%%)", o.ID, mm.Unit, want)
		}
		business := o.Segment == "Microsoft 365 Business" || o.ID == "m365-apps-business"
		if business && o.MaxSeats != 300 {
			t.Errorf("%s: max seats %d, want 300", o.ID, o.MaxSeats)
		}
	}
	bp, _ := c.Offer("m365-business-premium")
	if !bp.TrialAvailable {
		t.Error("business premium should offer a trial")
	}
	teams, _ := c.Offer("teams-essentials")
	if teams.Upgradable == nil || *teams.Upgradable {
		t.Error("teams essentials must not be upgradable")
	}
}

func TestAliases(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	got := Aliases(c)
	want := map[string]string{
		"e3":                                "o365-e3",
		"o365 e3":                           "o365-e3",
		"office e3":                         "o365-e3",
		"m365 e3":                           "m365-e3",
		"business std":                      "m365-business-standard",
		"bus std":                           "m365-business-standard",
		"standard":                          "m365-business-standard",
		"m365 bs":                           "m365-business-standard",
		"affaires standard":                 "m365-business-standard",
		"microsoft 365 entreprise standard": "m365-business-standard",
		"apps for business":                 "m365-apps-business",
		"apps business":                     "m365-apps-business",
		"applications pour les entreprises": "m365-apps-business",
		"m365 bp":                           "m365-business-premium",
		"premium":                           "m365-business-premium",
		"business premium":                  "m365-business-premium",
		"teams":                             "teams-essentials",
		"exchange plan 1":                   "exchange-online-p1",
		"exo p1":                            "exchange-online-p1",
	}
	for alias, id := range want {
		if got[alias] != id {
			t.Errorf("alias %q -> %q, want %q", alias, got[alias], id)
		}
	}
}

func TestUpgradePaths(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	yes := [][2]string{
		{"m365-business-basic", "m365-business-standard"},
		{"m365-business-standard", "m365-business-premium"},
		{"m365-apps-business", "m365-apps-enterprise"},
		{"o365-e1", "o365-e3"}, {"o365-e3", "o365-e5"},
		{"m365-e3", "m365-e5"}, {"m365-f1", "m365-f3"},
		{"exchange-online-p1", "exchange-online-p2"},
	}
	for _, p := range yes {
		if !c.CanUpgrade(p[0], p[1]) {
			t.Errorf("%s -> %s should be an upgrade", p[0], p[1])
		}
	}
	no := [][2]string{
		{"m365-business-standard", "o365-e3"}, // guide: not Standard → E3
		{"o365-e3", "o365-e1"},
		{"o365-e3", "m365-e3"},
		{"m365-business-premium", "m365-business-standard"},
	}
	for _, p := range no {
		if c.CanUpgrade(p[0], p[1]) {
			t.Errorf("%s -> %s should not be an upgrade", p[0], p[1])
		}
	}
	if n := len(c.UpgradeTargets("teams-essentials")); n != 0 {
		t.Errorf("teams essentials has %d upgrade targets", n)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"empty":        "",
		"no offers":    "offers: []\n",
		"unknown key":  "offers:\n  - id: a\n    name: A\n    segment: S\n    max_seat: 3\n",
		"no price":     "offers:\n  - id: a\n    name: A\n    segment: S\n",
		"shared alias": "offers:\n" + offer("a", "x") + offer("b", "x"),
		"upper alias":  "offers:\n" + offer("a", "Bad"),
		"duplicate id": "offers:\n" + offer("a", "x") + offer("a", "y"),
		"not yaml":     "offers: [",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(p); err == nil {
				t.Fatal("want an error")
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("missing file: want an error")
	}
}

func TestLoadCustom(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte("offers:\n"+offer("a", "x")+offer("b", "y")), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Offer("b"); !ok || len(c.Offers) != 2 {
		t.Fatalf("offers = %+v", c.Offers)
	}
}

func offer(id, alias string) string {
	return "  - id: " + id + "\n    name: " + id + "\n    segment: S\n    aliases: [" + alias + "]\n" +
		"    prices:\n      - {term: P1Y, billing: monthly, unit: {minor: 100, currency: EUR}}\n"
}
