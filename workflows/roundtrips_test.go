package workflows_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/redis/redistest"
	"github.com/licensebot/licensebot/workflows"
)

// The budgets of Redis round trips of a confirmed request, from the
// draft's claim to the outbox delivered (the notifier here makes no
// store call): draft claim with the index of the open-request check,
// that check's documents with the request's number, create, the
// transitions (approved, executing and the attempt are one write when
// nothing stands in the way), the completion with the outbox's claim,
// and the outbox's mark with the claim's release. Going to approval,
// the move to pending approval takes the outbox's claim. The issue's
// target is 6.
const (
	maxExecuteRoundTrips  = 6
	maxApprovalRoundTrips = 5
)

// A confirmed request costs a bounded number of Redis round trips: every
// compare-and-swap and its audit line stay, but no write rereads what
// the previous one just wrote.
func TestConfirmRoundTrips(t *testing.T) {
	st, _ := redistest.Store(t)
	loc := paris(t)
	clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, loc))
	sb, err := sandbox.Open(filepath.Join(t.TempDir(), "sb"), sandbox.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	rec := &recorder{}
	svc, err := workflows.New(workflows.Options{
		Store: st, Provider: sb, Clock: clk, Notifier: rec,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc, nina}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(loc) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Warm-up: loads the scripts and opens the connections.
	if _, err := svc.Submit(ctx, alice, "contoso", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 1}, "", "warm"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		change csp.Change
		want   workflows.State
		budget int64
	}{
		{"executes", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 2}, workflows.StateCompleted, maxExecuteRoundTrips},
		{"goes to approval", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 40}, workflows.StatePendingApproval, maxApprovalRoundTrips},
	} {
		before := st.Stats()
		req, err := svc.Submit(ctx, alice, "contoso", c.change, "", "draft-"+c.name)
		after := st.Stats()
		if err != nil || req.State != c.want {
			t.Fatalf("%s: %s %v, want %s", c.name, req.State, err, c.want)
		}
		rt, cmds := after.RoundTrips-before.RoundTrips, after.Commands-before.Commands
		t.Logf("a confirm that %s: %d round trips, %d commands", c.name, rt, cmds)
		if rt > c.budget {
			t.Errorf("a confirm that %s: %d round trips, budget %d", c.name, rt, c.budget)
		}
	}
}

// A confirm made inside a chat turn whose start read the customer's
// requests ahead (the Redis prefetch) is seen by that turn's next read of
// them: the draft's own read-ahead does not hide the request's writes
// from the turn's.
func TestConfirmInsideAPrefetchedTurnSeesItsRequest(t *testing.T) {
	st, _ := redistest.Store(t)
	loc := paris(t)
	clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, loc))
	sb, err := sandbox.Open(filepath.Join(t.TempDir(), "sb"), sandbox.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	svc, err := workflows.New(workflows.Options{
		Store: st, Provider: sb, Clock: clk, Notifier: &recorder{},
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc, nina}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(loc) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, change := range []csp.Change{
		{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 2},
		{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 40},
	} {
		turn, _, err := st.Prefetch(ctx, "", 0, store.ReadSet{Lists: []store.ListRef{{Scope: "contoso", Collection: "requests"}}})
		if err != nil {
			t.Fatal(err)
		}
		req, err := svc.Submit(turn, alice, "contoso", change, "", fmt.Sprintf("draft-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		reqs, err := svc.List(turn, "contoso")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range reqs {
			found = found || r.ID == req.ID
		}
		if !found {
			t.Fatalf("the turn that submitted %s does not list it: %d requests", req.ID, len(reqs))
		}
	}
}
