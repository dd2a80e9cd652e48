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

// indexCrash is a store where writes to the person index fail while on
// is set: the process died after writing the roster, before the index.
type indexCrash struct {
	store.Store
	on bool
}

var errCrash = errors.New("process killed")

func (s *indexCrash) Update(ctx context.Context, ref store.Ref, version int64, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	if s.on && ref.Collection == "people" {
		return store.Document{}, errCrash
	}
	return s.Store.Update(ctx, ref, version, data, audit...)
}

// A withdrawal that died between the roster and the index left Nina
// indexed as Contoso's account manager: she would still get its approval
// cards. Withdrawing again repairs it, and so does Repair, which the
// server runs at start; a consistent directory is left alone.
func TestStoreDirectoryRepairsAnIndexACrashLeftBehind(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		ctx := context.Background()
		twoCustomers(t, st, clk)
		if n, err := workflows.NewStoreDirectory(st, clk).Repair(ctx); err != nil || n != 0 {
			t.Fatalf("repair of a consistent directory: %d changed, %v", n, err)
		}
		crash := &indexCrash{Store: st, on: true}
		d := workflows.NewStoreDirectory(crash, clk)
		if err := d.Withdraw(ctx, "cli", "nina@erp-cloud.example", rules.RoleAccountManager, "contoso"); !errors.Is(err, errCrash) {
			t.Fatalf("withdraw during the crash: %v", err)
		}
		crash.on = false
		nina, err := d.ByEmail(ctx, "nina@erp-cloud.example")
		if err != nil || !nina.Serves("contoso") {
			t.Fatalf("the crash was not reproduced: %+v %v", nina, err)
		}

		n, err := d.Repair(ctx)
		if err != nil || n != 1 {
			t.Fatalf("repair: %d changed, %v; want Nina's entry", n, err)
		}
		nina, _ = d.ByEmail(ctx, "nina@erp-cloud.example")
		if nina.Serves("contoso") || !nina.Serves("fabrikam") {
			t.Fatalf("after repair Nina serves %v, want fabrikam only", nina.Customers)
		}
		if n, err := d.Repair(ctx); err != nil || n != 0 {
			t.Fatalf("second repair: %d changed, %v", n, err)
		}
	})
}

// Withdrawing what the roster no longer has still brings the index in
// line before saying so.
func TestWithdrawAgainRepairsTheIndex(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		ctx := context.Background()
		twoCustomers(t, st, clk)
		crash := &indexCrash{Store: st, on: true}
		d := workflows.NewStoreDirectory(crash, clk)
		_ = d.Withdraw(ctx, "cli", "marc@erp-cloud.example", rules.RoleAccountManager, "fabrikam")
		crash.on = false
		err := d.Withdraw(ctx, "cli", "marc@erp-cloud.example", rules.RoleAccountManager, "fabrikam")
		if !errors.Is(err, workflows.ErrNoSuchGrant) {
			t.Fatalf("second withdraw: %v", err)
		}
		marc, _ := d.ByEmail(ctx, "marc@erp-cloud.example")
		if marc.Serves("fabrikam") {
			t.Fatal("Marc is still indexed as Fabrikam's account manager")
		}
	})
}
