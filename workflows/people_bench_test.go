package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/store/redis/redistest"
)

// bigCustomer writes, in one batch, a customer linked to a Slack
// workspace with n people granted a role there (one licence admin, the
// rest members), as Grant would have left them: the roster and each
// person's index entry.
func bigCustomer(tb testing.TB, st store.Store, clk clock.Clock, n int) (Org, []string) {
	tb.Helper()
	ctx := context.Background()
	org := Org{Platform: "slack", ID: "T0BIG"}
	c := Customer{ID: "big", Name: "Big SA"}
	ro := roster{Grants: map[string]map[rules.Role]Grant{}}
	var writes []store.Write
	emails := make([]string, n)
	for i := range n {
		email := fmt.Sprintf("person%05d@big.example", i)
		emails[i] = email
		role := rules.RoleMember
		if i == 0 {
			role = rules.RoleLicenceAdmin
		}
		g := Grant{Email: email, Name: fmt.Sprintf("Person %d", i), CustomerID: c.ID, Role: role, GrantedAt: clk.Now(), GrantedBy: "bench"}
		ro.Grants[email] = map[rules.Role]Grant{role: g}
		idx := personIndex{Email: email, Name: g.Name, At: map[string]indexEntry{c.ID: {Roles: []rules.Role{role}, Name: g.Name}},
			Orgs: map[string]indexOrgRef{"last": {Org: org, At: clk.Now()}}}
		writes = append(writes, store.Write{Ref: indexRef(email), Data: mustJSON(tb, idx)})
	}
	writes = append(writes,
		store.Write{Ref: store.Ref{Collection: collCustomers, ID: c.ID}, Data: mustJSON(tb, c)},
		store.Write{Ref: store.Ref{Collection: collOrgLinks, ID: org.Key()}, Data: mustJSON(tb, OrgLink{Org: org, CustomerID: c.ID, LinkedAt: clk.Now(), LinkedBy: "bench"})},
		store.Write{Ref: rosterRef(c.ID), Data: mustJSON(tb, ro)},
	)
	res, err := store.WriteAll(ctx, st, writes)
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			tb.Fatal(r.Err)
		}
	}
	return org, emails
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkPerson is the lookup every chat turn starts with: who is
// writing from a customer's workspace, with 500 and 5,000 people listed
// at that customer. Its cost must not grow with the customer's size.
func BenchmarkPerson(b *testing.B) {
	backends := []struct {
		name string
		open func(b *testing.B, clk clock.Clock) store.Store
	}{
		{"bolt", func(b *testing.B, clk clock.Clock) store.Store {
			st, err := bolt.Open(filepath.Join(b.TempDir(), "db"), bolt.Options{Clock: clk})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		}},
		{"redis", func(b *testing.B, _ clock.Clock) store.Store {
			st, _ := redistest.Store(b)
			return st
		}},
	}
	for _, be := range backends {
		for _, n := range []int{500, 5000} {
			b.Run(fmt.Sprintf("%s/%d", be.name, n), func(b *testing.B) {
				clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
				st := be.open(b, clk)
				org, emails := bigCustomer(b, st, clk, n)
				d := NewStoreDirectory(st, clk)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					p, err := d.Person(ctx, org, emails[i%len(emails)])
					if err != nil || p.CustomerID != "big" {
						b.Fatalf("%+v %v", p, err)
					}
				}
			})
		}
	}
}
