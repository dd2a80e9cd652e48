package workflows_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// batchCounter counts the writes a store is asked for: single writes and
// batches. before runs ahead of each batch (another writer getting there
// first).
type batchCounter struct {
	store.Store
	singles, batches atomic.Int64
	before           func(ctx context.Context)
}

func (s *batchCounter) Create(ctx context.Context, ref store.Ref, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	s.singles.Add(1)
	return s.Store.Create(ctx, ref, data, audit...)
}

func (s *batchCounter) Update(ctx context.Context, ref store.Ref, version int64, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	s.singles.Add(1)
	return s.Store.Update(ctx, ref, version, data, audit...)
}

func (s *batchCounter) GetMany(ctx context.Context, refs []store.Ref) ([]store.Document, error) {
	return store.GetAll(ctx, s.Store, refs)
}

func (s *batchCounter) WriteMany(ctx context.Context, writes []store.Write) ([]store.WriteResult, error) {
	s.batches.Add(1)
	if s.before != nil {
		s.before(ctx)
		s.before = nil
	}
	return store.WriteAll(ctx, s.Store, writes)
}

func (s *batchCounter) ClaimMany(ctx context.Context, keys []string, ttl time.Duration) ([]bool, error) {
	return store.ClaimAll(ctx, s.Store, keys, ttl)
}

func (s *batchCounter) ReleaseMany(ctx context.Context, keys []string) error {
	return store.ReleaseAll(ctx, s.Store, keys)
}

func (s *batchCounter) ScheduleMany(ctx context.Context, scope, queue string, items []store.ScheduledItem) error {
	return store.ScheduleAll(ctx, s.Store, scope, queue, items)
}

func (s *batchCounter) UnscheduleMany(ctx context.Context, scope, queue string, ids []string) error {
	return store.UnscheduleAll(ctx, s.Store, scope, queue, ids)
}

var demoSeed = workflows.PeopleSeed{
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
		{Email: "Alice@Contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: "contoso"},
		{Email: "claire@contoso.example", Name: "Claire", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"},
		{Email: "hugo@fabrikam.example", Name: "Hugo", Role: rules.RoleLicenceAdmin, CustomerID: "fabrikam", Locale: "fr"},
		{Email: "marc@erp-cloud.example", Name: "Marc", Role: rules.RoleAccountManager, CustomerID: "contoso"},
		{Email: "marc@erp-cloud.example", Name: "Marc", Role: rules.RoleAccountManager, CustomerID: "fabrikam"},
		{Email: "nina@erp-cloud.example", Name: "Nina", Role: rules.RoleAccountManager, CustomerID: "contoso", Backup: true},
	},
}

// checkDemo asserts what demoSeed says, through the directory's lookups.
func checkDemo(t *testing.T, d *workflows.StoreDirectory, st store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, c := range []struct {
		org   workflows.Org
		email string
		role  rules.Role
		name  string
	}{
		{orgContoso, "alice@contoso.example", rules.RoleMember, "Alice"},
		{orgContoso, "claire@contoso.example", rules.RoleLicenceAdmin, "Claire"},
		{orgFabrikam, "hugo@fabrikam.example", rules.RoleLicenceAdmin, "Hugo"},
		{orgReseller, "marc@erp-cloud.example", rules.RoleAccountManager, "Marc"},
	} {
		p, err := d.Person(ctx, c.org, c.email)
		if err != nil || p.Role != c.role || p.Name != c.name {
			t.Errorf("%s: %+v %v, want %s %s", c.email, p, err, c.role, c.name)
		}
	}
	marc, _ := d.ByEmail(ctx, "marc@erp-cloud.example")
	if !marc.Serves("contoso") || !marc.Serves("fabrikam") || marc.Backup {
		t.Errorf("Marc: %+v", marc)
	}
	nina, _ := d.ByEmail(ctx, "nina@erp-cloud.example")
	if !nina.Serves("contoso") || nina.Serves("fabrikam") || !nina.Backup {
		t.Errorf("Nina: %+v", nina)
	}
	// One audit line per item, in the scope it concerns.
	if got := auditCount(t, st, ""); got != 5 {
		t.Errorf("%d audit lines for 2 customers and 3 links", got)
	}
	if got := auditCount(t, st, "contoso"); got != 4 {
		t.Errorf("%d audit lines for Contoso's 4 grants", got)
	}
	if n, err := d.Repair(ctx); err != nil || n != 0 {
		t.Errorf("the seeded index disagrees with the rosters: repair changed %d, %v", n, err)
	}
}

// A first start seeds the whole directory in two batches of writes (on
// bolt, two transactions), not one or two writes per item, and the result
// is what applying each item would give.
func TestSeedWritesInTwoBatches(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		cnt := &batchCounter{Store: st}
		d := workflows.NewStoreDirectory(cnt, clk)
		if err := d.Seed(context.Background(), demoSeed); err != nil {
			t.Fatal(err)
		}
		if s, b := cnt.singles.Load(), cnt.batches.Load(); s != 0 || b != 2 {
			t.Errorf("seeding: %d single writes and %d batches, want 0 and 2", s, b)
		}
		checkDemo(t, d, st)
		cnt.singles.Store(0)
		cnt.batches.Store(0)
		if err := d.Seed(context.Background(), demoSeed); err != nil {
			t.Fatal(err)
		}
		if s, b := cnt.singles.Load(), cnt.batches.Load(); s != 0 || b != 0 {
			t.Errorf("seeding again: %d single writes and %d batches, want none", s, b)
		}
	})
}

// Another replica seeding at the same moment gets a customer in first:
// the batch loses that write and the items are applied one by one, with
// the same result and no duplicate audit line.
func TestSeedRacingAnotherReplica(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		ctx := context.Background()
		cnt := &batchCounter{Store: st}
		cnt.before = func(ctx context.Context) {
			other := workflows.NewStoreDirectory(st, clk)
			if _, err := other.AddCustomer(ctx, "config", demoSeed.Customers[1]); err != nil {
				t.Error(err)
			}
		}
		d := workflows.NewStoreDirectory(cnt, clk)
		if err := d.Seed(ctx, demoSeed); err != nil {
			t.Fatal(err)
		}
		checkDemo(t, d, st)
	})
}

// Bad items are reported, each with its reason; the good ones are
// applied, and nothing is written for the bad ones.
func TestSeedReportsBadItems(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, clk *clock.Manual) {
		ctx := context.Background()
		d := workflows.NewStoreDirectory(st, clk)
		seed := demoSeed
		seed.Customers = append(seed.Customers[:2:2], workflows.Customer{ID: "bad id"})
		seed.Links = append(seed.Links[:3:3], workflows.OrgLink{Org: workflows.Org{Platform: "slack", ID: "T0NOBODY"}, CustomerID: "globex"})
		seed.Grants = append(seed.Grants[:6:6],
			workflows.Grant{Email: "not-an-email", Role: rules.RoleMember, CustomerID: "contoso"},
			workflows.Grant{Email: "zoe@globex.example", Role: rules.RoleMember, CustomerID: "globex"},
		)
		err := d.Seed(ctx, seed)
		for _, want := range []error{workflows.ErrInvalid, workflows.ErrUnknownCustomer} {
			if !errors.Is(err, want) {
				t.Errorf("seed error %v does not wrap %v", err, want)
			}
		}
		checkDemo(t, d, st)
		if _, err := d.Customer(ctx, "bad id"); !errors.Is(err, workflows.ErrUnknownCustomer) {
			t.Errorf("the bad customer was recorded: %v", err)
		}
		if linked, _ := d.OrgLinked(ctx, workflows.Org{Platform: "slack", ID: "T0NOBODY"}); linked {
			t.Error("a workspace was linked to an unknown customer")
		}
		if _, err := d.ByEmail(ctx, "zoe@globex.example"); !errors.Is(err, workflows.ErrUnknownPerson) {
			t.Errorf("Zoe was granted a role at an unknown customer: %v", err)
		}
		// The file fixed, the bad items are tried again at the next start.
		seed.Customers = append(seed.Customers, workflows.Customer{ID: "globex", Name: "Globex"})
		if err := d.Seed(ctx, seed); !errors.Is(err, workflows.ErrInvalid) || errors.Is(err, workflows.ErrUnknownCustomer) {
			t.Errorf("second seed: %v", err)
		}
		if p, err := d.Person(ctx, workflows.Org{Platform: "slack", ID: "T0NOBODY"}, "zoe@globex.example"); err != nil || p.CustomerID != "globex" {
			t.Errorf("Zoe after the fix: %+v %v", p, err)
		}
	})
}
