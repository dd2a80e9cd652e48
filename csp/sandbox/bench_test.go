package sandbox

import (
	"context"
	"testing"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
)

// A read takes the file lock and checks the file's stat; the file is
// read again only when another process changed it.
func BenchmarkSubscriptionRead(b *testing.B) {
	clk := clock.NewManual(seedTime(&testing.T{}))
	s, err := Open(b.TempDir(), Options{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Subscription(ctx, cust, "sub-1"); err != nil {
			b.Fatal(err)
		}
	}
}

// A write: lock, compare-and-swap, atomic rename, fsync.
func BenchmarkApply(b *testing.B) {
	clk := clock.NewManual(seedTime(&testing.T{}))
	s, err := Open(b.TempDir(), Options{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	add := csp.Operation{Key: "a", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", FromQuantity: 10, Quantity: 11}
	remove := csp.Operation{Key: "r", Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", FromQuantity: 11, Quantity: 10}
	for i := 0; b.Loop(); i++ {
		op := add
		if i%2 == 1 {
			op = remove
		}
		if _, err := s.Apply(ctx, cust, op); err != nil {
			b.Fatal(err)
		}
	}
}
