package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/workflows"
)

// The number a seat change takes with its open-request check goes back
// when the check refuses: the next request gets the next number, no gap.
func TestRefusedSeatChangeLeavesNoGapInTheNumbers(t *testing.T) {
	for _, b := range faultBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			w := newFaultWorld(t, b)
			svc := w.service(t, w.st, w.sb, &recorder{})
			ctx := context.Background()
			add := csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-4", Quantity: 3}
			r1, err := svc.Submit(ctx, alice, "contoso", add, "", "a")
			if err != nil || r1.ID != "R-1" || r1.State != workflows.StatePendingApproval {
				t.Fatalf("first: %s %s %v, want R-1 pending approval", r1.ID, r1.State, err)
			}
			var open *workflows.OpenRequestError
			if _, err := svc.Submit(ctx, alice, "contoso", add, "", "b"); !errors.As(err, &open) {
				t.Fatalf("second: %v, want OpenRequestError", err)
			}
			r2, err := svc.Submit(ctx, alice, "contoso", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 1}, "", "c")
			if err != nil || r2.ID != "R-2" {
				t.Fatalf("third: %s %v, want R-2", r2.ID, err)
			}
			reqs, err := svc.List(ctx, "contoso")
			if err != nil || len(reqs) != 2 {
				t.Fatalf("%d requests, %v; want the two accepted ones", len(reqs), err)
			}
		})
	}
}

// The write that ends a call's work on a request takes the outbox's
// claim with it, and the drain after gives it back: whatever the call,
// the request is told and its outbox claim is free for the next
// transition's drain.
func TestEveryCallLeavesTheOutboxToldAndFree(t *testing.T) {
	for _, b := range faultBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			w := newFaultWorld(t, b)
			rec := &recorder{}
			svc := w.service(t, w.st, w.sb, rec)
			ctx := context.Background()
			check := func(what string, req workflows.Request) {
				t.Helper()
				got, err := svc.Get(ctx, "contoso", req.ID)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(got.Pending()); n != 0 {
					t.Errorf("%s: %s has %d transitions untold", what, got.ID, n)
				}
				key := "outbox:contoso:" + req.ID
				won, err := w.st.Claim(ctx, key, time.Minute)
				if err != nil || !won {
					t.Errorf("%s: the outbox claim of %s is held (%v)", what, req.ID, err)
				}
				if err := w.st.Release(ctx, key); err != nil {
					t.Fatal(err)
				}
			}
			done, err := svc.Submit(ctx, alice, "contoso", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 2}, "", "d1")
			if err != nil || done.State != workflows.StateCompleted {
				t.Fatalf("submit: %s %v", done.State, err)
			}
			check("a confirm that executes", done)
			pending, err := svc.Submit(ctx, alice, "contoso", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-4", Quantity: 40}, "", "d2")
			if err != nil || pending.State != workflows.StatePendingApproval {
				t.Fatalf("submit: %s %v", pending.State, err)
			}
			check("a confirm that goes to approval", pending)
			if r, err := svc.Approve(ctx, marc, "contoso", pending.ID, ""); err != nil || r.State != workflows.StateCompleted {
				t.Fatalf("approve: %s %v", r.State, err)
			}
			check("an approval", pending)
			other, err := svc.Submit(ctx, alice, "contoso", csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-3", Quantity: 40}, "", "d3")
			if err != nil || other.State != workflows.StatePendingApproval {
				t.Fatalf("submit: %s %v", other.State, err)
			}
			if r, err := svc.Reject(ctx, marc, "contoso", other.ID, "no"); err != nil || r.State != workflows.StateRejected {
				t.Fatalf("reject: %s %v", r.State, err)
			}
			check("a rejection", other)
		})
	}
}
