package main

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/providertest"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/store/redis/redistest"
)

// Two sandboxes over one store (two replicas on one Redis) are one
// portal: each sees what the other changed, and concurrent changes are
// all kept.
func TestSandboxStateInStore(t *testing.T) {
	for name, open := range map[string]func(t *testing.T, clk clock.Clock) store.Store{
		"bolt": func(t *testing.T, clk clock.Clock) store.Store {
			s, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"redis": func(t *testing.T, _ clock.Clock) store.Store { s, _ := redistest.Store(t); return s },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
			st := open(t, clk)
			var ps [2]*sandbox.Sandbox
			for i := range ps {
				p, err := sandbox.Open("", sandbox.Options{Clock: clk, State: storeSandboxState{docs: st}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.Close() })
				ps[i] = p
			}
			qty := func(p *sandbox.Sandbox, id string) int {
				s, err := p.Subscription(ctx, "contoso", id)
				if err != nil {
					t.Fatal(err)
				}
				return s.Quantity
			}
			if _, err := ps[0].Apply(ctx, "contoso", csp.Operation{Key: providertest.NewKey(), Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 12}); err != nil {
				t.Fatal(err)
			}
			if q := qty(ps[1], "sub-1"); q != 12 {
				t.Errorf("the second replica sees %d seats, want 12", q)
			}
			if _, err := ps[1].Apply(ctx, "contoso", csp.Operation{Key: providertest.NewKey(), Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 12, Quantity: 13}); err != nil {
				t.Fatal(err)
			}
			if q := qty(ps[0], "sub-1"); q != 13 {
				t.Errorf("the first replica sees %d seats, want 13", q)
			}
			// Concurrent upgrades from both: none is lost.
			const n = 6
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					op := csp.Operation{Key: providertest.NewKey(), Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3",
						TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4", Quantity: 1}
					if _, err := ps[i%2].Apply(ctx, "contoso", op); err != nil {
						t.Errorf("upgrade: %v", err)
					}
				})
			}
			wg.Wait()
			for _, p := range ps {
				if q := qty(p, "sub-3"); q != 25-n {
					t.Errorf("sub-3 has %d seats, want %d", q, 25-n)
				}
			}
		})
	}
}
