package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
	"github.com/licensebot/licensebot/workflows/reminders"
)

// blindPortal is the sandbox as a portal that reports neither usage nor
// delegated access, under CloudCockpit's name.
type blindPortal struct{ csp.Provider }

func (blindPortal) Name() string { return "cloudcockpit" }
func (blindPortal) Usage(context.Context, string) ([]csp.Usage, error) {
	return nil, csp.ErrUsageUnsupported
}
func (blindPortal) DelegatedAccess(context.Context, string) ([]csp.DelegatedRelationship, error) {
	return nil, csp.ErrAccessUnsupported
}

// engineOn wires an engine like newEnv, on another portal.
func engineOn(t *testing.T, base *env, p csp.Provider) *bot.Engine {
	t.Helper()
	loc := paris()
	svc, err := workflows.New(workflows.Options{Store: base.st, Provider: p, Clock: base.clock,
		Directory: workflows.NewDirectory([]workflows.Person{alice, marc, nina}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(loc) }})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := bot.NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	e, err := bot.New(context.Background(), bot.Options{Service: svc, Provider: p, Store: base.st, Clock: base.clock, Translator: tr,
		Deliverer: base.inbox, Customers: []bot.Customer{{ID: "contoso", Name: "Contoso SAS", Lang: "en", Location: loc}}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func text(msgs []bot.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Title + "\n" + m.Text + "\n" + m.Context + "\n")
		for _, a := range m.Actions {
			b.WriteString("[" + a.Label + "]\n")
		}
	}
	return b.String()
}

// A portal that cannot report usage or GDAP gets a sentence naming it,
// in the person's language, never a Go error; the subscription list
// still shows, without the usage column.
func TestUsageUnsupportedIsSaidInASentence(t *testing.T) {
	base := newEnv(t, boltStore(t, nil), nil, nil)
	e := engineOn(t, base, blindPortal{base.sb})
	fr := alice
	fr.Locale = "fr"
	for _, c := range []struct {
		who  workflows.Person
		say  string
		want string
	}{
		{alice, "how many E3 licences are used?", "CloudCockpit does not tell me how many licences are assigned"},
		{alice, "which admin access does ERP Cloud have?", "CloudCockpit does not show the reseller's delegated admin (GDAP) relationships"},
		{fr, "combien de licences E1 sont attribuées ?", "CloudCockpit ne m'indique pas combien de licences sont attribuées"},
		{fr, "quels accès délégués a ERP Cloud ?", "CloudCockpit ne montre pas les relations d'administration déléguée"},
	} {
		msgs, err := e.Handle(context.Background(), bot.Turn{Person: c.who, Platform: "test", Text: c.say})
		if err != nil {
			t.Fatalf("%q: %v", c.say, err)
		}
		got := text(msgs)
		if !strings.Contains(got, c.want) {
			t.Errorf("%q: %q, want it to say %q", c.say, got, c.want)
		}
		if strings.Contains(got, "does not report") || strings.Contains(got, "portal does not") {
			t.Errorf("%q: a Go error reached the person: %q", c.say, got)
		}
	}
	msgs, err := e.Handle(context.Background(), bot.Turn{Person: alice, Platform: "test", Text: "my subscriptions"})
	if err != nil {
		t.Fatal(err)
	}
	if got := text(msgs); !strings.Contains(got, "Office 365 E1") || strings.Contains(got, "assigned") {
		t.Errorf("my subscriptions without usage: %q", got)
	}
}

// The right-sizing button of a renewal reminder starts a change like any
// other: the press shows a preview and changes nothing; only the
// confirmation schedules the renewal.
func TestRightSizeButtonGoesThroughThePreview(t *testing.T) {
	e := newEnv(t, boltStore(t, nil), nil, nil)
	ctx := context.Background()
	e.clock.Set(time.Date(2027, 5, 16, 9, 30, 0, 0, paris())) // E1 renews on 14 Jun 2027
	sub, err := e.sb.Subscription(ctx, "contoso", "sub-3")
	if err != nil {
		t.Fatal(err)
	}
	us, err := e.sb.Usage(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := csp.UsageOf(us, "sub-3")
	if u.Unused() == 0 {
		t.Fatalf("the test needs unused E1 seats: %+v", u)
	}
	claire := workflows.Person{Email: "claire@contoso.example", Name: "Claire", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"}
	it := reminders.Item{ID: "r", Key: "r@1", Kind: reminders.KindRenewal, CustomerID: "contoso", Due: e.clock.Now(), Now: e.clock.Now(),
		To: claire, Audience: reminders.AudienceAdmin, Location: paris(), LeadDays: 30, Subscription: sub,
		CommitmentEnd: sub.TermEnd.AddDate(0, 0, -1)}
	if err := e.engine.Remind(ctx, it); err != nil {
		t.Fatal(err)
	}
	e.inbox.mu.Lock()
	card := e.inbox.msgs[len(e.inbox.msgs)-1]
	e.inbox.mu.Unlock()
	label := "Renew at " + itoa(u.Assigned) + " seats"
	if !strings.Contains(card.Text, itoa(u.Unused())+" of the 25 seats it renews with are unused") || len(card.Actions) == 0 || card.Actions[0].Label != label {
		t.Fatalf("renewal reminder: %q %+v, want the unused seats said and %q first", card.Text, card.Actions, label)
	}
	// The press itself is made by claire, who the test directory does not
	// know; alice may start the same change (a member's request).
	preview := press(t, e, alice, []bot.Message{card}, label)
	if len(preview) == 0 || preview[len(preview)-1].Kind != bot.KindPreview {
		t.Fatalf("the press gave %+v, want a preview", preview)
	}
	if s, _ := e.sb.Subscription(ctx, "contoso", "sub-3"); s.RenewalQuantity() != 25 {
		t.Fatalf("the press changed the portal: renewal at %d", s.RenewalQuantity())
	}
	// A member's renewal change goes to a licence admin: the rules and
	// the approval path apply as to a typed request.
	press(t, e, alice, preview, "Send for approval")
	reqs, err := e.svc.List(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].Change.Kind != csp.ChangeSetRenewalQuantity || reqs[0].Change.Quantity != u.Assigned ||
		reqs[0].State != workflows.StatePendingApproval {
		t.Fatalf("requests after confirming: %+v, want one renewal at %d waiting for approval", reqs, u.Assigned)
	}
	if s, _ := e.sb.Subscription(ctx, "contoso", "sub-3"); s.RenewalQuantity() != 25 {
		t.Errorf("before the approval the portal already renews at %d", s.RenewalQuantity())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
