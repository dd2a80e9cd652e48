package chantest

import (
	"context"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// People are the demo customer's member and licence admin and the
// reseller's account manager, as the adapters' end-to-end tests know them.
func People() []workflows.Person {
	return []workflows.Person{
		{Email: "alice@contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: "contoso"},
		{Email: "claire@contoso.example", Name: "Claire", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"},
		{Email: "marc@reseller.example", Name: "Marc", Role: rules.RoleAccountManager, Customers: []string{"contoso"}},
	}
}

// Backend is the real conversation engine, workflow and sandbox portal
// behind a channel adapter under test.
type Backend struct {
	Engine  *bot.Engine
	Service *workflows.Service
	Sandbox *sandbox.Sandbox
}

// NewBackend wires an engine on st that delivers through d, with a fresh
// sandbox portal seeded at clk's time.
func NewBackend(t testing.TB, st store.Store, dir *workflows.Directory, clk clock.Clock, d bot.Deliverer) *Backend {
	t.Helper()
	sb, err := sandbox.Open(t.TempDir(), sandbox.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := workflows.New(workflows.Options{Store: st, Provider: sb, Directory: dir, Clock: clk,
		Policy: func(string) rules.Policy { return rules.DefaultPolicy(loc) }})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := bot.NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := bot.New(context.Background(), bot.Options{Service: svc, Provider: sb, Store: st, Clock: clk,
		Translator: tr, Deliverer: d, Customers: []bot.Customer{{ID: "contoso", Name: "Contoso SAS", Lang: "en", Location: loc}}})
	if err != nil {
		t.Fatal(err)
	}
	return &Backend{Engine: eng, Service: svc, Sandbox: sb}
}
