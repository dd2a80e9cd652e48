package workflows_test

import (
	"context"
	"errors"
	"testing"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// diesWriting is a store where writes to one collection fail while on is
// set: the process died just before writing there.
type diesWriting struct {
	store.Store
	coll string
	on   bool
}

var errCrash = errors.New("process killed")

func (s *diesWriting) Update(ctx context.Context, ref store.Ref, version int64, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	if s.on && ref.Collection == s.coll {
		return store.Document{}, errCrash
	}
	return s.Store.Update(ctx, ref, version, data, audit...)
}

func (s *diesWriting) Create(ctx context.Context, ref store.Ref, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	if s.on && ref.Collection == s.coll {
		return store.Document{}, errCrash
	}
	return s.Store.Create(ctx, ref, data, audit...)
}

func roleAt(t *testing.T, d *workflows.StoreDirectory, org workflows.Org, email string) rules.Role {
	t.Helper()
	p, err := d.Person(context.Background(), org, email)
	if err != nil {
		t.Fatalf("%s from %s: %v", email, org.Key(), err)
	}
	return p.Role
}

// A withdrawal that died after taking the role out of the person index,
// before the roster: the withdrawal did not happen (no audit line), but
// Claire is not a licence admin on her next turn either — the index never
// grants more than the roster. Repair, which the server runs at start,
// brings the index back to the roster, and so does her own next turn.
func TestStoreDirectoryWithdrawalThatDiedGrantsNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		ctx := context.Background()
		twoCustomers(t, st, clk)
		if n, err := workflows.NewStoreDirectory(st, clk).Repair(ctx); err != nil || n != 0 {
			t.Fatalf("repair of a consistent directory: %d changed, %v", n, err)
		}
		crash := &diesWriting{Store: st, coll: "roster", on: true}
		d := workflows.NewStoreDirectory(crash, clk)
		audits := auditCount(t, st, "contoso")
		if err := d.Withdraw(ctx, "cli", "claire@contoso.example", rules.RoleLicenceAdmin, "contoso"); !errors.Is(err, errCrash) {
			t.Fatalf("withdraw during the crash: %v", err)
		}
		crash.on = false
		if got := auditCount(t, st, "contoso"); got != audits {
			t.Fatalf("%d audit lines for a withdrawal that did not happen", got-audits)
		}
		if r := roleAt(t, d, orgContoso, "claire@contoso.example"); r != rules.RoleMember {
			t.Fatalf("after the crash Claire is %s, want member (contoso admits its domain)", r)
		}

		// That turn recorded her as a member seen, which rewrote her entry
		// from the roster: the withdrawal did not happen, so she is a
		// licence admin again from the next turn on.
		if r := roleAt(t, d, orgContoso, "claire@contoso.example"); r != rules.RoleLicenceAdmin {
			t.Fatalf("on the next turn Claire is %s; the roster still makes her licence admin", r)
		}

		// Hugo's withdrawal dies the same way; nobody talks before the
		// repair.
		crash.on = true
		if err := d.Withdraw(ctx, "cli", "hugo@fabrikam.example", rules.RoleLicenceAdmin, "fabrikam"); !errors.Is(err, errCrash) {
			t.Fatalf("withdraw during the crash: %v", err)
		}
		crash.on = false
		if p, err := d.ByEmail(ctx, "hugo@fabrikam.example"); !errors.Is(err, workflows.ErrUnknownPerson) {
			t.Fatalf("after the crash Hugo is %+v, %v", p, err)
		}
		n, err := d.Repair(ctx)
		if err != nil || n != 1 {
			t.Fatalf("repair: %d changed, %v; want Hugo's entry", n, err)
		}
		if r := roleAt(t, d, orgFabrikam, "hugo@fabrikam.example"); r != rules.RoleLicenceAdmin {
			t.Fatalf("after repair Hugo is %s", r)
		}
		if err := d.Withdraw(ctx, "cli", "claire@contoso.example", rules.RoleLicenceAdmin, "contoso"); err != nil {
			t.Fatal(err)
		}
		if r := roleAt(t, d, orgContoso, "claire@contoso.example"); r != rules.RoleMember {
			t.Fatalf("after the withdrawal Claire is %s", r)
		}
		if n, err := d.Repair(ctx); err != nil || n != 0 {
			t.Fatalf("second repair: %d changed, %v", n, err)
		}
	})
}

// A grant that died between the roster and the index is not in force
// yet (less than the roster, never more); granting again completes it,
// and so does Repair.
func TestStoreDirectoryGrantThatDiedIsCompletedAgain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		ctx := context.Background()
		twoCustomers(t, st, clk)
		crash := &diesWriting{Store: st, coll: "people", on: true}
		d := workflows.NewStoreDirectory(crash, clk)
		for _, who := range []string{"bob@contoso.example", "dora@contoso.example"} {
			if _, err := d.Grant(ctx, "cli", workflows.Grant{Email: who, Role: rules.RoleLicenceAdmin, CustomerID: "contoso"}); !errors.Is(err, errCrash) {
				t.Fatalf("grant during the crash: %v", err)
			}
		}
		crash.on = false
		if r := roleAt(t, d, orgContoso, "bob@contoso.example"); r != rules.RoleMember {
			t.Fatalf("after the crash Bob is %s, want member until the grant is complete", r)
		}
		if _, err := d.Grant(ctx, "cli", workflows.Grant{Email: "bob@contoso.example", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"}); err != nil {
			t.Fatal(err)
		}
		if r := roleAt(t, d, orgContoso, "bob@contoso.example"); r != rules.RoleLicenceAdmin {
			t.Fatalf("granted again, Bob is %s", r)
		}
		if n, err := d.Repair(ctx); err != nil || n != 1 {
			t.Fatalf("repair: %d changed, %v; want Dora's entry", n, err)
		}
		if r := roleAt(t, d, orgContoso, "dora@contoso.example"); r != rules.RoleLicenceAdmin {
			t.Fatalf("after repair Dora is %s", r)
		}
	})
}

// A role withdrawn through another replica (another directory on the
// same store) is gone at this one's next turn: nothing is cached between
// turns.
func TestStoreDirectoryWithdrawalElsewhereTakesEffectNextTurn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		ctx := context.Background()
		here := twoCustomers(t, st, clk)
		there := workflows.NewStoreDirectory(st, clk)
		if r := roleAt(t, here, orgFabrikam, "hugo@fabrikam.example"); r != rules.RoleLicenceAdmin {
			t.Fatalf("Hugo is %s", r)
		}
		if err := there.Withdraw(ctx, "cli", "hugo@fabrikam.example", rules.RoleLicenceAdmin, "fabrikam"); err != nil {
			t.Fatal(err)
		}
		if r := roleAt(t, here, orgFabrikam, "hugo@fabrikam.example"); r != rules.RoleMember {
			t.Fatalf("withdrawn elsewhere, Hugo is still %s here", r)
		}
		if err := there.Withdraw(ctx, "cli", "hugo@fabrikam.example", rules.RoleLicenceAdmin, "fabrikam"); !errors.Is(err, workflows.ErrNoSuchGrant) {
			t.Fatalf("withdrawing again: %v", err)
		}
	})
}
