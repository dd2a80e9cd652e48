package workflows_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/workflows"
)

// purchaseFixture is the demo portal with Contoso's purchases above
// limit EUR going to the account manager; accept > 0 makes orders take
// that long to complete.
func purchaseFixture(t *testing.T, limit float64, accept time.Duration) *fixture {
	t.Helper()
	loc := paris(t)
	clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, loc))
	dir := t.TempDir()
	sb, err := sandbox.Open(dir, sandbox.Options{Clock: clk, AcceptDelay: accept})
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(filepath.Join(dir, "db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); sb.Close() })
	rec := &recorder{}
	svc, err := workflows.New(workflows.Options{
		Store: st, Provider: sb, Clock: clk, Notifier: rec,
		Directory: workflows.NewDirectory([]workflows.Person{alice, claire, marc, nina}),
		Policy: func(string) rules.Policy {
			p := rules.DefaultPolicy(loc)
			p.PurchaseApprovalAbove = csp.NewMoney(limit, "EUR")
			return p
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, sb: sb, st: st, clock: clk, rec: rec}
}

func e5(n int, alignWith string) csp.Change {
	return csp.Change{Kind: csp.ChangePurchase, TargetOfferID: "o365-e5", Quantity: n, Term: csp.TermAnnual,
		Billing: csp.BillingMonthly, TargetSubscriptionID: alignWith}
}

func linesOf(t *testing.T, f *fixture, offer string) []csp.Subscription {
	t.Helper()
	subs, err := f.sb.Subscriptions(context.Background(), "contoso")
	if err != nil {
		t.Fatal(err)
	}
	var out []csp.Subscription
	for _, s := range subs {
		if s.OfferID == offer {
			out = append(out, s)
		}
	}
	return out
}

func emails(ps []workflows.Person) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Email)
	}
	return out
}

// A member's purchase goes to the licence admin; approved, it is ordered
// once and the request names the new line.
func TestMemberPurchaseGoesToTheLicenceAdmin(t *testing.T) {
	f := purchaseFixture(t, 5000, 0)
	ctx := context.Background()
	// 5 × 36.80 € a month: 2,208 € for the year, under 5,000 €.
	req, err := f.svc.Submit(ctx, alice, "contoso", e5(5, ""), "", "d1")
	if err != nil {
		t.Fatal(err)
	}
	if req.State != workflows.StatePendingApproval || req.ApproverRole != rules.RoleLicenceAdmin ||
		req.Decision.Reason != rules.CodePurchaseNeedsLicenceAdmin || req.SubscriptionName != "Office 365 E5" {
		t.Fatalf("request %+v", req)
	}
	if got := req.Decision.Cost.FirstTerm; got != csp.NewMoney(2208, "EUR") {
		t.Errorf("first term %s, want 2208.00 EUR", got)
	}
	approvers, err := f.svc.Approvers(ctx, req)
	if err != nil || len(approvers) != 1 || approvers[0].Email != claire.Email {
		t.Fatalf("approvers %v %v, want Claire", emails(approvers), err)
	}
	if len(linesOf(t, f, "o365-e5")) != 0 {
		t.Fatal("bought before the approval")
	}
	req, err = f.svc.Approve(ctx, claire, "contoso", req.ID, "")
	if err != nil || req.State != workflows.StateCompleted {
		t.Fatalf("approve: %+v %v", req, err)
	}
	lines := linesOf(t, f, "o365-e5")
	if len(lines) != 1 || lines[0].Quantity != 5 || req.NewSubscriptionID != lines[0].ID {
		t.Fatalf("lines %+v, request names %q", lines, req.NewSubscriptionID)
	}
	att, _ := req.LastAttempt()
	if req.Operation.Key != att.Key || att.Receipt == nil || att.Receipt.OrderID != att.Key {
		t.Errorf("the order id is not the attempt's key: %+v / %+v", req.Operation, att)
	}
}

// Above the customer's amount the account manager decides, even for a
// licence admin, who cannot approve it.
func TestPurchaseAboveTheLimitGoesToTheAccountManager(t *testing.T) {
	f := purchaseFixture(t, 2000, 0)
	ctx := context.Background()
	req, err := f.svc.Submit(ctx, claire, "contoso", e5(5, ""), "", "d1")
	if err != nil {
		t.Fatal(err)
	}
	if req.State != workflows.StatePendingApproval || req.ApproverRole != rules.RoleAccountManager ||
		req.Decision.Reason != rules.CodePurchaseOverLimit {
		t.Fatalf("request %+v", req)
	}
	approvers, _ := f.svc.Approvers(ctx, req)
	if got := emails(approvers); len(got) != 1 || got[0] != marc.Email {
		t.Errorf("approvers %v, want Marc", got)
	}
	otherAdmin := claire
	otherAdmin.Email = "bob@contoso.example"
	if _, err := f.svc.Approve(ctx, otherAdmin, "contoso", req.ID, ""); !errors.Is(err, workflows.ErrNotApprover) {
		t.Errorf("a licence admin approved a purchase above the limit: %v", err)
	}
	if req, err = f.svc.Approve(ctx, marc, "contoso", req.ID, ""); err != nil || req.State != workflows.StateCompleted {
		t.Fatalf("approve: %+v %v", req, err)
	}
}

// Aligned with the E3 line, the first term is shorter, under the limit,
// and the new line ends with it.
func TestAlignedPurchaseEndsWithTheOtherLine(t *testing.T) {
	f := purchaseFixture(t, 2000, 0)
	ctx := context.Background()
	e3 := f.sub(t, "sub-4")
	req, err := f.svc.Submit(ctx, claire, "contoso", e5(5, "sub-4"), "", "d1")
	if err != nil {
		t.Fatal(err)
	}
	if req.State != workflows.StateCompleted || req.TargetLineName != "Office 365 E3" {
		t.Fatalf("request %+v", req)
	}
	if req.Operation.CustomTermEnd == nil || !req.Operation.CustomTermEnd.Equal(e3.TermEnd) {
		t.Errorf("operation end %v, want %s", req.Operation.CustomTermEnd, e3.TermEnd)
	}
	if c := req.Decision.Cost.FirstTerm; c.Minor >= 220800 || c.Minor <= 0 {
		t.Errorf("aligned first term %s, want less than a year's 2208.00 EUR", c)
	}
	lines := linesOf(t, f, "o365-e5")
	if len(lines) != 1 || !lines[0].TermEnd.Equal(e3.TermEnd) {
		t.Fatalf("new line %+v, want it to end %s", lines, e3.TermEnd)
	}
}

// On a slow portal the order is accepted and completes later:
// reconciliation observes it, never places it again.
func TestSlowOrderIsObservedNotResent(t *testing.T) {
	f := purchaseFixture(t, 0, 10*time.Minute)
	ctx := context.Background()
	req, err := f.svc.Submit(ctx, claire, "contoso", e5(2, ""), "", "d1")
	if err != nil {
		t.Fatal(err)
	}
	if req.State != workflows.StateExecuting {
		t.Fatalf("state %s, want executing while the order is provisioned", req.State)
	}
	for range 3 {
		f.clock.Advance(5 * time.Minute)
		if _, err := f.svc.Reconcile(ctx, "contoso"); err != nil {
			t.Fatal(err)
		}
	}
	req, _ = f.svc.Get(ctx, "contoso", req.ID)
	orders, _ := f.sb.Orders(ctx, "contoso")
	if req.State != workflows.StateCompleted || len(orders) != 1 || len(req.Attempts) != 1 {
		t.Fatalf("state %s, %d orders, %d attempts; want completed, 1, 1", req.State, len(orders), len(req.Attempts))
	}
	if len(linesOf(t, f, "o365-e5")) != 1 {
		t.Error("not exactly one line bought")
	}
}

// A product the catalog does not have is refused with a code the bot
// can say, and nothing is stored or bought.
func TestPurchaseOfAnUnknownOfferIsRefused(t *testing.T) {
	f := purchaseFixture(t, 0, 0)
	ctx := context.Background()
	_, err := f.svc.Submit(ctx, claire, "contoso", csp.Change{Kind: csp.ChangePurchase, TargetOfferID: "visio-plan-2",
		Quantity: 3, Term: csp.TermAnnual, Billing: csp.BillingMonthly}, "", "d1")
	var refused *workflows.RefusedError
	if !errors.As(err, &refused) || refused.Evaluation.Decision.Reason != rules.CodeUnknownOffer {
		t.Fatalf("%v, want a refusal (unknown_offer)", err)
	}
	if reqs, _ := f.svc.List(ctx, "contoso"); len(reqs) != 0 {
		t.Errorf("%d requests stored", len(reqs))
	}
	if orders, _ := f.sb.Orders(ctx, "contoso"); len(orders) != 0 {
		t.Errorf("%d orders placed", len(orders))
	}
}

func TestPurchaseOptionsListPlansAndEndDates(t *testing.T) {
	f := purchaseFixture(t, 0, 0)
	opts, err := f.svc.PurchaseOptions(context.Background(), "contoso", e5(5, ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Plans) != 3 || !opts.AlignsPurchases || len(opts.Held) != 0 {
		t.Errorf("options %+v", opts)
	}
	found := false
	for _, a := range opts.Alignments {
		found = found || (a.Subscription.ID == "sub-4" && a.OK)
	}
	if !found {
		t.Errorf("alignments %+v: the E3 line is missing", opts.Alignments)
	}
	if _, err := f.svc.PurchaseOptions(context.Background(), "contoso", csp.Change{TargetOfferID: "nope"}); !errors.Is(err, csp.ErrNotFound) {
		t.Errorf("unknown offer: %v", err)
	}
}
