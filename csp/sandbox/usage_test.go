package sandbox

import (
	"errors"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
)

func usageByID(t *testing.T, s *Sandbox, customerID string) map[string]csp.Usage {
	t.Helper()
	us, err := s.Usage(t.Context(), customerID)
	if err != nil {
		t.Fatalf("Usage: %v", err)
	}
	out := map[string]csp.Usage{}
	for _, u := range us {
		out[u.SubscriptionID] = u
	}
	return out
}

func TestUsageIsADeterministicFunctionOfTheDay(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	a := openAt(t, t.TempDir(), clk)
	b := openAt(t, t.TempDir(), clk)
	changed := false
	first := usageByID(t, a, cust)
	for day := range 40 {
		ua, ub := usageByID(t, a, cust), usageByID(t, b, cust)
		subs, err := a.Subscriptions(t.Context(), cust)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subs {
			u, ok := ua[s.ID]
			if s.Status != csp.StatusActive {
				if ok {
					t.Errorf("day %d: usage of %s subscription %s", day, s.Status, s.ID)
				}
				continue
			}
			if !ok {
				t.Fatalf("day %d: no usage of %s", day, s.ID)
			}
			if v := ub[s.ID]; u.Assigned != v.Assigned || u.Bought != v.Bought || !u.MeasuredAt.Equal(v.MeasuredAt) {
				t.Errorf("day %d: two sandboxes on the same day disagree on %s: %+v, %+v", day, s.ID, u, ub[s.ID])
			}
			if u.Assigned > u.Bought || u.Assigned < 0 || u.Bought != s.Quantity {
				t.Errorf("day %d: %s: %d assigned of %d bought (quantity %d)", day, s.ID, u.Assigned, u.Bought, s.Quantity)
			}
			if want := csp.StartOfDay(clk.Now(), paris(t)); !u.MeasuredAt.Equal(want) {
				t.Errorf("day %d: measured at %s, want the day's local midnight %s", day, u.MeasuredAt, want)
			}
			if f, ok := first[s.ID]; ok && f.Assigned != u.Assigned {
				changed = true
			}
		}
		clk.Advance(24 * time.Hour)
	}
	if !changed {
		t.Error("40 days went by and no count moved: usage does not change with the clock")
	}
}

func TestUsageSeedsLeaveSeatsToRightSize(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	s := openAt(t, t.TempDir(), clk)
	u := usageByID(t, s, cust)["sub-3"] // E1, 25 seats, 3 unused give or take one
	if u.Unused() < 2 || u.Unused() > 4 {
		t.Errorf("E1: %d unused of %d, want 3 ± 1", u.Unused(), u.Bought)
	}
}

func TestUsageCountsSeatsAddedAsAssigned(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	s := openAt(t, t.TempDir(), clk)
	before := usageByID(t, s, cust)["sub-4"]
	op := csp.Operation{Key: "k-add", Kind: csp.ChangeAddSeats, SubscriptionID: "sub-4", FromQuantity: 5, Quantity: 8}
	if _, err := s.Apply(t.Context(), cust, op); err != nil {
		t.Fatal(err)
	}
	after := usageByID(t, s, cust)["sub-4"]
	if after.Bought != 8 || after.Assigned != min(8, before.Assigned+3) {
		t.Errorf("after adding 3 seats: %+v (before %+v)", after, before)
	}
}

func TestUsageUnknownCustomer(t *testing.T) {
	s := openAt(t, t.TempDir(), clock.NewManual(seedTime(t)))
	if _, err := s.Usage(t.Context(), "nobody"); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("unknown customer: %v, want csp.ErrNotFound", err)
	}
	if _, err := s.DelegatedAccess(t.Context(), "nobody"); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("unknown customer: %v, want csp.ErrNotFound", err)
	}
}

func TestDelegatedAccessAgesWithTheClock(t *testing.T) {
	clk := clock.NewManual(seedTime(t))
	s := openAt(t, t.TempDir(), clk)
	rs, err := s.DelegatedAccess(t.Context(), SecondCustomerID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Status != csp.DelegatedActive || len(rs[0].Roles) == 0 {
		t.Fatalf("Fabrikam at seeding: %+v", rs)
	}
	end := rs[0].End
	clk.Set(end.Add(time.Hour))
	rs, err = s.DelegatedAccess(t.Context(), SecondCustomerID)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Status != csp.DelegatedExpired {
		t.Errorf("after its end: %s, want expired", rs[0].Status)
	}
	cs, err := s.DelegatedAccess(t.Context(), cust)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range cs {
		if r.AutoExtend && (r.Status != csp.DelegatedActive || !r.End.After(clk.Now())) {
			t.Errorf("an auto-extended relationship lapsed: %+v", r)
		}
	}
}
