package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// peopleJSON runs `people list --json` on dir.
func peopleJSON(t *testing.T, dir string) []map[string]any {
	t.Helper()
	out, _, err := run(t, "", "people", "list", "--json", "--now", "2026-11-26T10:00:00+01:00", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return rows
}

func customersJSON(t *testing.T, dir string) string {
	t.Helper()
	out, _, err := run(t, "", "customers", "list", "--json", "--now", "2026-11-26T10:00:00+01:00", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Onboarding a customer in three commands, then granting and withdrawing.
func TestCustomersAndPeopleCommands(t *testing.T) {
	dir := t.TempDir()
	at := []string{"--now", "2026-11-26T10:00:00+01:00", "--data", dir}
	steps := [][]string{
		{"customers", "add", "initech", "--name", "Initech", "--domains", "initech.example"},
		{"customers", "link", "initech", "--teams-tenant", "8A6F7A3E-0D1C-4B8E-9F00-2B1F3C4D5E6F"},
		{"people", "grant", "peter@initech.example", "licence_admin", "--customer", "initech"},
		{"people", "grant", "marc@erp-cloud.example", "account_manager", "--customer", "initech"},
		{"customers", "link", "--reseller", "--slack-team", "T0ERPCLOUD"},
	}
	for _, s := range steps {
		if out, _, err := run(t, "", append(s, at...)...); err != nil {
			t.Fatalf("%v: %v\n%s", s, err, out)
		}
	}
	var list struct {
		Customers []struct {
			ID      string `json:"id"`
			Members string `json:"members"`
			Links   []struct{ Platform, ID string }
		} `json:"customers"`
		Reseller []struct{ Platform, ID string } `json:"reseller_links"`
	}
	if err := json.Unmarshal([]byte(customersJSON(t, dir)), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Customers) != 3 || list.Customers[2].ID != "initech" || list.Customers[2].Members != "domains" ||
		len(list.Customers[2].Links) != 1 || list.Customers[2].Links[0].ID != "8a6f7a3e-0d1c-4b8e-9f00-2b1f3c4d5e6f" ||
		len(list.Reseller) != 1 {
		t.Fatalf("customers: %+v", list)
	}
	var peter, marc bool
	for _, r := range peopleJSON(t, dir) {
		peter = peter || r["customer_id"] == "initech" && r["email"] == "peter@initech.example" && r["role"] == "licence_admin"
		marc = marc || r["customer_id"] == "initech" && r["email"] == "marc@erp-cloud.example" && r["role"] == "account_manager"
	}
	if !peter || !marc {
		t.Fatal("grants not listed")
	}
	if _, _, err := run(t, "", append([]string{"people", "withdraw", "peter@initech.example", "licence_admin", "--customer", "initech"}, at...)...); err != nil {
		t.Fatal(err)
	}
	for _, r := range peopleJSON(t, dir) {
		if r["email"] == "peter@initech.example" {
			t.Errorf("peter still listed: %v", r)
		}
	}
	out, _, err := run(t, "", append([]string{"audit", "--json"}, at...)...)
	if err != nil || !strings.Contains(out, `"action":"role.withdrawn"`) || !strings.Contains(out, `"action":"org.linked"`) {
		t.Errorf("audit: %v\n%s", err, out)
	}
}

// Bad input: one clear line, exit status 2, and nothing changed.
func TestCustomersAndPeopleRefuseBadInput(t *testing.T) {
	dir := t.TempDir()
	at := []string{"--now", "2026-11-26T10:00:00+01:00", "--data", dir}
	if _, _, err := run(t, "", append([]string{"customers", "link", "contoso", "--slack-team", "T0CONTOSO"}, at...)...); err != nil {
		t.Fatal(err)
	}
	beforePeople, beforeCustomers := peopleJSON(t, dir), customersJSON(t, dir)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"customers", "link", "fabrikam", "--slack-team", "T0CONTOSO"}, "already linked to customer contoso"},
		{[]string{"customers", "link", "fabrikam", "--slack-team", "T0A", "--teams-tenant", "x"}, "exactly one of --slack-team or --teams-tenant"},
		{[]string{"customers", "link", "fabrikam", "--teams-tenant", "not-a-guid"}, "is not a Teams tenant id"},
		{[]string{"customers", "link", "initech", "--slack-team", "T0NEW"}, "unknown customer"},
		{[]string{"customers", "link", "contoso", "--reseller", "--slack-team", "T0NEW"}, "not both"},
		{[]string{"customers", "unlink", "--slack-team", "T0NEVER"}, "not linked"},
		{[]string{"customers", "add", "contoso", "--name", "Again"}, "already exists"},
		{[]string{"customers", "add", "acme"}, "--name is required"},
		{[]string{"customers", "add", "acme", "--name", "Acme", "--members", "some"}, `members "some" is not anyone, domains or off`},
		{[]string{"people", "grant", "bob", "member", "--customer", "contoso"}, `"bob" is not an e-mail address`},
		{[]string{"people", "grant", "bob@contoso.example", "boss", "--customer", "contoso"}, `role "boss" is not`},
		{[]string{"people", "grant", "bob@contoso.example", "member", "--customer", "initech"}, "unknown customer"},
		{[]string{"people", "grant", "bob@contoso.example", "member", "--customer", "contoso", "--backup"}, "only an account manager can be a backup"},
		{[]string{"people", "grant", "bob@contoso.example", "member"}, "--customer is required"},
		{[]string{"people", "withdraw", "alice@contoso.example", "licence_admin", "--customer", "contoso"}, "is not licence_admin at contoso"},
		{[]string{"people", "list", "--customer", "initech"}, "unknown customer"},
	}
	for _, c := range cases {
		_, _, err := run(t, "", append(c.args, at...)...)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want a usage error containing %q", c.args, err, c.want)
		}
	}
	afterPeople, afterCustomers := peopleJSON(t, dir), customersJSON(t, dir)
	if len(afterPeople) != len(beforePeople) || afterCustomers != beforeCustomers {
		t.Errorf("bad input changed something:\n%v\n%v\n%s\n%s", beforePeople, afterPeople, beforeCustomers, afterCustomers)
	}
}

func TestCustomersImportFromThePortal(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, "", "customers", "import", "--json", "--now", "2026-11-26T10:00:00+01:00", "--data", dir,
		"--config", writeConfig(t, "customers:\n  - id: contoso\n    name: Contoso SAS\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"id": "fabrikam"`) || !strings.Contains(out, `"action": "added"`) || !strings.Contains(out, `"action": "already recorded"`) {
		t.Errorf("import:\n%s", out)
	}
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue 11: each person's messages go where they last talked to the bot,
// or where they chose. The choice is kept in the store and puts that
// platform first; a platform or person the bot does not know is refused
// and changes nothing.
func TestPeoplePreferChoosesWhereTheBotWritesFirst(t *testing.T) {
	dir := t.TempDir()
	at := []string{"--now", "2026-11-26T10:00:00+01:00", "--data", dir}
	if out, _, err := run(t, "", append([]string{"people", "prefer", "marc@erp-cloud.example", "slack", "--json"}, at...)...); err != nil ||
		!strings.Contains(out, `"changed": true`) {
		t.Fatalf("prefer slack: %v\n%s", err, out)
	}
	for _, bad := range [][]string{
		{"people", "prefer", "marc@erp-cloud.example", "telegram"},
		{"people", "prefer", "nobody@nowhere.example", "teams"},
	} {
		_, stderr, err := run(t, "", append(bad, at...)...)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: want a usage error, got %v (%s)", bad, err, stderr)
		}
	}
	a, err := openApp(t.Context(), &globals{data: dir, now: "2026-11-26T10:00:00+01:00", logLevel: "error", errOut: os.Stderr, out: os.Stdout}, appOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	marc, err := a.people.ByEmail(t.Context(), "marc@erp-cloud.example")
	if err != nil {
		t.Fatal(err)
	}
	if marc.Prefers != "slack" {
		t.Fatalf("Marc prefers %q after the refused commands, want slack", marc.Prefers)
	}
	if _, err := a.people.SetPlatform(t.Context(), "marc@erp-cloud.example", ""); err != nil {
		t.Fatal(err)
	}
	if marc, _ = a.people.ByEmail(t.Context(), "marc@erp-cloud.example"); marc.Prefers != "" {
		t.Errorf("auto left Prefers %q", marc.Prefers)
	}
}
