package workflows_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

var (
	orgContoso  = workflows.Org{Platform: "slack", ID: "T0CONTOSO"}
	orgFabrikam = workflows.Org{Platform: "teams", ID: "8a6f7a3e-0d1c-4b8e-9f00-2b1f3c4d5e6f"}
	orgReseller = workflows.Org{Platform: "slack", ID: "T0ERPCLOUD"}
)

// twoCustomers is a directory with Contoso (Slack, contoso.example only)
// and Fabrikam (Teams, anyone in the tenant), served by Marc with Nina as
// backup, from the reseller's Slack.
func twoCustomers(t *testing.T, st store.Store, clk clock.Clock) *workflows.StoreDirectory {
	t.Helper()
	d := workflows.NewStoreDirectory(st, clk)
	seed := workflows.PeopleSeed{
		Customers: []workflows.Customer{
			{ID: "contoso", Name: "Contoso SAS", Members: workflows.MembersDomains, Domains: []string{"contoso.example"}},
			{ID: "fabrikam", Name: "Fabrikam SARL", Language: "fr"},
		},
		Links: []workflows.OrgLink{
			{Org: orgContoso, CustomerID: "contoso"},
			{Org: orgFabrikam, CustomerID: "fabrikam"},
			{Org: orgReseller, Reseller: true},
		},
		Grants: []workflows.Grant{
			{Email: "alice@contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: "contoso"},
			{Email: "claire@contoso.example", Name: "Claire", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"},
			{Email: "hugo@fabrikam.example", Name: "Hugo", Role: rules.RoleLicenceAdmin, CustomerID: "fabrikam"},
			{Email: "marc@erp-cloud.example", Name: "Marc", Role: rules.RoleAccountManager, CustomerID: "contoso"},
			{Email: "marc@erp-cloud.example", Name: "Marc", Role: rules.RoleAccountManager, CustomerID: "fabrikam"},
			{Email: "nina@erp-cloud.example", Name: "Nina", Role: rules.RoleAccountManager, CustomerID: "contoso", Backup: true},
			{Email: "nina@erp-cloud.example", Name: "Nina", Role: rules.RoleAccountManager, CustomerID: "fabrikam", Backup: true},
		},
	}
	ctx := context.Background()
	if err := d.Seed(ctx, seed); err != nil {
		t.Fatal(err)
	}
	// Seeding twice changes nothing.
	before := auditCount(t, st, "contoso") + auditCount(t, st, "")
	if err := d.Seed(ctx, seed); err != nil {
		t.Fatal(err)
	}
	if after := auditCount(t, st, "contoso") + auditCount(t, st, ""); after != before {
		t.Fatalf("second seed wrote %d audit lines", after-before)
	}
	return d
}

func auditCount(t *testing.T, st store.Store, scope string) int {
	t.Helper()
	es, err := st.ReadAudit(context.Background(), scope, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func forEachBackend(t *testing.T, f func(t *testing.T, st store.Store, clk *clock.Manual)) {
	for _, b := range faultBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
			st, _ := b.open(t, clk)
			f(t, st, clk)
		})
	}
}

func TestStoreDirectoryTheLinkDecides(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		ctx := context.Background()
		d := twoCustomers(t, st, clk)
		cases := []struct {
			org      workflows.Org
			email    string
			role     rules.Role
			customer string
			unknown  bool
		}{
			{orgContoso, "alice@contoso.example", rules.RoleMember, "contoso", false},
			{orgContoso, "Claire@Contoso.example", rules.RoleLicenceAdmin, "contoso", false},
			// Not listed, but of Contoso's domain: a member.
			{orgContoso, "bob@contoso.example", rules.RoleMember, "contoso", false},
			// Another domain in Contoso's workspace: refused.
			{orgContoso, "hugo@fabrikam.example", "", "", true},
			{orgContoso, "eve@evil.example", "", "", true},
			// Anyone in Fabrikam's tenant is a member of Fabrikam, even
			// with a Contoso address: the link decides, not the domain.
			{orgFabrikam, "claire@contoso.example", rules.RoleMember, "fabrikam", false},
			{orgFabrikam, "hugo@fabrikam.example", rules.RoleLicenceAdmin, "fabrikam", false},
			// The reseller's workspace knows only account managers.
			{orgReseller, "marc@erp-cloud.example", rules.RoleAccountManager, "", false},
			{orgReseller, "intern@erp-cloud.example", "", "", true},
			{orgReseller, "alice@contoso.example", "", "", true},
			// Unlinked and forged orgs.
			{workflows.Org{Platform: "slack", ID: "T0FORGED"}, "alice@contoso.example", "", "", true},
			{workflows.Org{Platform: "teams", ID: "T0CONTOSO"}, "alice@contoso.example", "", "", true},
		}
		for _, c := range cases {
			p, err := d.Person(ctx, c.org, c.email)
			if c.unknown {
				if !errors.Is(err, workflows.ErrUnknownPerson) {
					t.Errorf("%s from %s: got %+v, %v; want unknown", c.email, c.org.Key(), p, err)
				}
				continue
			}
			if err != nil || p.Role != c.role || p.CustomerID != c.customer {
				t.Errorf("%s from %s: got %s of %q, %v; want %s of %q", c.email, c.org.Key(), p.Role, p.CustomerID, err, c.role, c.customer)
			}
		}
		marc, err := d.Person(ctx, orgReseller, "marc@erp-cloud.example")
		if err != nil || !reflect.DeepEqual(marc.Customers, []string{"contoso", "fabrikam"}) || marc.Backup {
			t.Errorf("marc = %+v, %v", marc, err)
		}
		for _, org := range []workflows.Org{orgContoso, orgFabrikam, orgReseller} {
			if ok, err := d.OrgLinked(ctx, org); !ok || err != nil {
				t.Errorf("OrgLinked(%s) = %v, %v", org.Key(), ok, err)
			}
		}
		if ok, err := d.OrgLinked(ctx, workflows.Org{Platform: "teams", ID: "00000000-0000-0000-0000-000000000000"}); ok || err != nil {
			t.Errorf("OrgLinked(unlinked) = %v, %v", ok, err)
		}
		// A member seen once is known by e-mail afterwards (cards reach them).
		if p, err := d.ByEmail(ctx, "bob@contoso.example"); err != nil || p.CustomerID != "contoso" || len(p.Orgs) != 1 || p.Orgs[0] != orgContoso {
			t.Errorf("bob by e-mail = %+v, %v", p, err)
		}
	})
}

func TestStoreDirectoryApproversAndRoles(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		ctx := context.Background()
		d := twoCustomers(t, st, clk)
		ams, err := d.ApproversFor(ctx, rules.RoleAccountManager, "fabrikam")
		if err != nil || len(ams) != 2 || ams[0].Email != "marc@erp-cloud.example" || ams[1].Email != "nina@erp-cloud.example" || !ams[1].Backup {
			t.Fatalf("fabrikam's account managers = %+v, %v", ams, err)
		}
		las, err := d.ApproversFor(ctx, rules.RoleLicenceAdmin, "contoso")
		if err != nil || len(las) != 1 || las[0].Email != "claire@contoso.example" {
			t.Fatalf("contoso's licence admins = %+v, %v", las, err)
		}
		// Withdraw, then grant again; each writes one audit line.
		n := auditCount(t, st, "contoso")
		if err := d.Withdraw(ctx, "cli", "claire@contoso.example", rules.RoleLicenceAdmin, "contoso"); err != nil {
			t.Fatal(err)
		}
		if las, _ := d.ApproversFor(ctx, rules.RoleLicenceAdmin, "contoso"); len(las) != 0 {
			t.Fatalf("after withdrawal: %+v", las)
		}
		if p, err := d.Person(ctx, orgContoso, "claire@contoso.example"); err != nil || p.Role != rules.RoleMember {
			t.Fatalf("claire after withdrawal = %+v, %v", p, err)
		}
		if changed, err := d.Grant(ctx, "cli", workflows.Grant{Email: "claire@contoso.example", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"}); err != nil || !changed {
			t.Fatal(changed, err)
		}
		if changed, err := d.Grant(ctx, "cli", workflows.Grant{Email: "claire@contoso.example", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"}); err != nil || changed {
			t.Fatal("granting twice:", changed, err)
		}
		// Withdrawn, seen as a plain member, granted again.
		if got := auditCount(t, st, "contoso") - n; got != 3 {
			t.Errorf("%d audit lines, want 3", got)
		}
		// A withdrawn seed grant does not come back at the next start.
		if err := d.Withdraw(ctx, "cli", "alice@contoso.example", rules.RoleMember, "contoso"); err != nil {
			t.Fatal(err)
		}
		if err := d.Seed(ctx, workflows.PeopleSeed{Grants: []workflows.Grant{{Email: "alice@contoso.example", Role: rules.RoleMember, CustomerID: "contoso"}}}); err != nil {
			t.Fatal(err)
		}
		ro, err := d.CustomerRoster(ctx, "contoso")
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range ro.Grants {
			if g.Email == "alice@contoso.example" {
				t.Errorf("alice's withdrawn grant came back: %+v", g)
			}
		}
		everyone, err := d.Everyone(ctx)
		if err != nil || len(everyone) != 4 { // claire, hugo, marc, nina (alice has no role left)
			t.Errorf("everyone = %+v, %v", everyone, err)
		}
	})
}

// TestStoreDirectoryRefusesBadInput: each refusal changes nothing.
func TestStoreDirectoryRefusesBadInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		ctx := context.Background()
		d := twoCustomers(t, st, clk)
		claire, err := d.Person(ctx, orgContoso, "claire@contoso.example")
		if err != nil {
			t.Fatal(err)
		}
		nC, nF, nR := auditCount(t, st, "contoso"), auditCount(t, st, "fabrikam"), auditCount(t, st, "")
		checks := []struct {
			name string
			err  error
			want error
		}{}
		add := func(name string, err, want error) {
			checks = append(checks, struct {
				name string
				err  error
				want error
			}{name, err, want})
		}
		_, err = d.Grant(ctx, "cli", workflows.Grant{Email: "not-an-email", Role: rules.RoleMember, CustomerID: "contoso"})
		add("bad e-mail", err, workflows.ErrInvalid)
		_, err = d.Grant(ctx, "cli", workflows.Grant{Email: "x@contoso.example", Role: "boss", CustomerID: "contoso"})
		add("bad role", err, workflows.ErrInvalid)
		_, err = d.Grant(ctx, "cli", workflows.Grant{Email: "x@contoso.example", Role: rules.RoleMember, CustomerID: "contoso", Backup: true})
		add("backup member", err, workflows.ErrInvalid)
		_, err = d.Grant(ctx, "cli", workflows.Grant{Email: "x@contoso.example", Role: rules.RoleMember, CustomerID: "initech"})
		add("unknown customer", err, workflows.ErrUnknownCustomer)
		err = d.Withdraw(ctx, "cli", "alice@contoso.example", rules.RoleLicenceAdmin, "contoso")
		add("withdraw what is not granted", err, workflows.ErrNoSuchGrant)
		// Claire (licence admin of Contoso) cannot act on Fabrikam, nor make
		// account managers, nor bring in another domain.
		_, err = d.GrantAs(ctx, claire, workflows.Grant{Email: "hugo@fabrikam.example", Role: rules.RoleMember, CustomerID: "fabrikam"})
		add("licence admin of A grants in B", err, workflows.ErrForbidden)
		err = d.WithdrawAs(ctx, claire, "hugo@fabrikam.example", rules.RoleLicenceAdmin, "fabrikam")
		add("licence admin of A withdraws in B", err, workflows.ErrForbidden)
		_, err = d.GrantAs(ctx, claire, workflows.Grant{Email: "bob@contoso.example", Role: rules.RoleAccountManager, CustomerID: "contoso"})
		add("licence admin makes an account manager", err, workflows.ErrForbidden)
		_, err = d.GrantAs(ctx, claire, workflows.Grant{Email: "eve@evil.example", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"})
		add("licence admin from another domain", err, workflows.ErrForbidden)
		alice, _ := d.Person(ctx, orgContoso, "alice@contoso.example")
		_, err = d.GrantAs(ctx, alice, workflows.Grant{Email: "bob@contoso.example", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"})
		add("member grants", err, workflows.ErrForbidden)
		_, err = d.Link(ctx, "cli", orgContoso, "fabrikam")
		var taken *workflows.OrgTakenError
		if !errors.As(err, &taken) || taken.Link.CustomerID != "contoso" {
			t.Errorf("linking Contoso's workspace to Fabrikam: %v", err)
		}
		_, err = d.Link(ctx, "cli", workflows.Org{Platform: "slack", ID: "T0NEW"}, "initech")
		add("link to unknown customer", err, workflows.ErrUnknownCustomer)
		_, err = d.AddCustomer(ctx, "cli", workflows.Customer{ID: "contoso", Name: "again"})
		add("add existing customer", err, workflows.ErrCustomerExists)
		_, err = d.AddCustomer(ctx, "cli", workflows.Customer{ID: "x y", Members: "some"})
		add("bad customer", err, workflows.ErrInvalid)
		_, err = workflows.ParseOrg("slack", "not a team")
		add("bad slack id", err, workflows.ErrInvalid)
		_, err = workflows.ParseOrg("teams", "T0123")
		add("bad tenant id", err, workflows.ErrInvalid)
		for _, c := range checks {
			if !errors.Is(c.err, c.want) {
				t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
			}
		}
		if a, b, c := auditCount(t, st, "contoso"), auditCount(t, st, "fabrikam"), auditCount(t, st, ""); a != nC || b != nF || c != nR {
			t.Errorf("refusals wrote audit lines: contoso %d→%d, fabrikam %d→%d, reseller %d→%d", nC, a, nF, b, nR, c)
		}
		if cs, _ := d.Customers(ctx); len(cs) != 2 {
			t.Errorf("customers = %+v", cs)
		}
		if p, err := d.ByEmail(ctx, "hugo@fabrikam.example"); err != nil || p.Role != rules.RoleLicenceAdmin {
			t.Errorf("hugo changed: %+v, %v", p, err)
		}
	})
}

func TestStoreDirectoryUnlinkAndSingleOrganization(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		ctx := context.Background()
		d := workflows.NewStoreDirectory(st, clk)
		if err := d.Seed(ctx, workflows.PeopleSeed{
			Customers: []workflows.Customer{{ID: "contoso", Name: "Contoso SAS"}},
			Grants:    []workflows.Grant{{Email: "alice@contoso.example", Role: rules.RoleMember, CustomerID: "contoso"}},
		}); err != nil {
			t.Fatal(err)
		}
		// Nothing linked yet: one organization, people as listed.
		if p, err := d.Person(ctx, orgContoso, "alice@contoso.example"); err != nil || p.CustomerID != "contoso" {
			t.Fatalf("alice before any link = %+v, %v", p, err)
		}
		if _, err := d.Person(ctx, orgContoso, "bob@contoso.example"); !errors.Is(err, workflows.ErrUnknownPerson) {
			t.Fatalf("bob before any link: %v", err)
		}
		if _, err := d.Link(ctx, "cli", orgFabrikam, "contoso"); err != nil {
			t.Fatal(err)
		}
		// Once anything is linked, the link decides.
		if _, err := d.Person(ctx, orgContoso, "alice@contoso.example"); !errors.Is(err, workflows.ErrUnknownPerson) {
			t.Fatalf("alice from an unlinked workspace: %v", err)
		}
		if _, err := d.Unlink(ctx, "cli", orgFabrikam); err != nil {
			t.Fatal(err)
		}
		if ok, _ := d.OrgLinked(ctx, orgFabrikam); ok {
			t.Fatal("still linked after unlink")
		}
		if _, err := d.Unlink(ctx, "cli", orgFabrikam); !errors.Is(err, workflows.ErrNotLinked) {
			t.Fatalf("unlinking twice: %v", err)
		}
		// Re-linking after an uninstall works, to another customer too.
		if _, err := d.AddCustomer(ctx, "cli", workflows.Customer{ID: "fabrikam", Name: "Fabrikam"}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Link(ctx, "cli", orgFabrikam, "fabrikam"); err != nil {
			t.Fatal(err)
		}
	})
}
