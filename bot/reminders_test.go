package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/workflows"
	"github.com/licensebot/licensebot/workflows/reminders"
)

// Names here start with "rem" so they cannot clash with the package's
// other tests.

var (
	remClaire   = workflows.Person{Email: "claire@contoso.example", Name: "Claire", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"}
	remClaireFR = workflows.Person{Email: "camille@contoso.example", Name: "Camille", Role: rules.RoleLicenceAdmin, CustomerID: "contoso", Locale: "fr"}
	remAlice    = workflows.Person{Email: "alice@contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: "contoso"}
	remMarc     = workflows.Person{Email: "marc@erp-cloud.example", Name: "Marc", Role: rules.RoleAccountManager, Customers: []string{"contoso"}}
)

type remInbox struct {
	mu   sync.Mutex
	msgs []bot.Message
	err  error
}

func (in *remInbox) Deliver(_ context.Context, _ workflows.Person, m bot.Message) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.err != nil {
		return in.err
	}
	in.msgs = append(in.msgs, m)
	return nil
}

func (in *remInbox) take() []bot.Message {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := in.msgs
	in.msgs = nil
	return out
}

type remEnv struct {
	engine *bot.Engine
	svc    *workflows.Service
	sb     *sandbox.Sandbox
	st     store.Store
	clock  *clock.Manual
	inbox  *remInbox
	loc    *time.Location
}

func newRemEnv(t *testing.T, withInbox bool) *remEnv {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, loc))
	dir := t.TempDir()
	sb, err := sandbox.Open(dir, sandbox.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(filepath.Join(dir, "db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); sb.Close() })
	svc, err := workflows.New(workflows.Options{
		Store: st, Provider: sb, Clock: clk,
		Directory: workflows.NewDirectory([]workflows.Person{remClaire, remClaireFR, remAlice, remMarc}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(loc) },
	})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := bot.NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	env := &remEnv{svc: svc, sb: sb, st: st, clock: clk, loc: loc}
	opt := bot.Options{Service: svc, Provider: sb, Store: st, Clock: clk, Translator: tr,
		Customers: []bot.Customer{{ID: "contoso", Name: "Contoso SAS", Lang: "en", Location: loc}}}
	if withInbox {
		env.inbox = &remInbox{}
		opt.Deliverer = env.inbox
	}
	env.engine, err = bot.New(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func (e *remEnv) sub(t *testing.T, id string) csp.Subscription {
	t.Helper()
	s, err := e.sb.Subscription(context.Background(), "contoso", id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// item builds what the reminders engine would hand over for sub.
func (e *remEnv) item(kind reminders.Kind, to workflows.Person, s csp.Subscription) reminders.Item {
	pol := reminders.PolicyFor(rules.DefaultPolicy(e.loc))
	it := reminders.Item{
		ID: string(kind) + ":" + s.ID + ":" + to.Email, Key: string(kind) + ":" + s.ID + "@1", Kind: kind,
		CustomerID: "contoso", Due: e.clock.Now(), Now: e.clock.Now(), To: to, Audience: reminders.AudienceAdmin,
		Location: e.loc, RemovalWindow: pol.RemovalWindow, Subscription: s, CommitmentEnd: pol.CommitmentEnd(s),
		NextTermCost: reminders.NextTermCost(s, nil),
	}
	if l, ok := s.NextWindowCloses(e.clock.Now()); ok {
		it.WindowCloses, it.RemovableSeats = l, s.RemovableAt(e.clock.Now())
	}
	return it
}

func remAll(m bot.Message) string {
	var b strings.Builder
	b.WriteString(m.Title + "\n" + m.TopLine() + "\n" + m.Text + "\n" + m.Context + "\n")
	for _, f := range m.Fields {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	for _, a := range m.Actions {
		b.WriteString("[" + a.Label + "]\n")
	}
	return b.String()
}

func remLabels(m bot.Message) []string {
	var out []string
	for _, a := range m.Actions {
		out = append(out, a.Label)
	}
	return out
}

// Each kind renders in the reader's language, with its buttons, and no
// message id shows through.
func TestReminderMessagesInEnglishAndFrench(t *testing.T) {
	env := newRemEnv(t, true)
	ctx := context.Background()
	apps := env.sub(t, "sub-2")     // Apps for business, 1 seat, commitment end 26 Dec 2026
	standard := env.sub(t, "sub-1") // Business Standard, window open until 28 Nov
	premium := env.sub(t, "sub-5")  // the trial
	exchange := env.sub(t, "sub-7") // renews with 6 of 8 seats
	req, err := env.svc.Submit(ctx, remAlice, "contoso", csp.Change{Kind: csp.ChangeAutoRenewOff, SubscriptionID: "sub-5"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	env.inbox.take()

	type check struct {
		it      reminders.Item
		want    []string
		buttons []string
	}
	renewalEN := env.item(reminders.KindRenewal, remClaire, exchange)
	renewalEN.LeadDays = 30
	renewalFR := env.item(reminders.KindRenewal, remClaireFR, apps)
	windowEN := env.item(reminders.KindWindowOpen, remClaire, standard)
	closingFR := env.item(reminders.KindWindowClosing, remClaireFR, standard)
	closingFR.Now = time.Date(2026, 11, 27, 12, 0, 0, 0, env.loc)
	trialEN := env.item(reminders.KindTrial, remClaire, premium)
	waiting := env.item(reminders.KindApprovalWaiting, remMarc, premium)
	waiting.Request, waiting.Audience = req, reminders.AudienceApprover
	told := env.item(reminders.KindApprovalEscalated, remAlice, premium)
	told.Request, told.Audience = req, reminders.AudienceRequester
	personal := env.item(reminders.KindPersonal, remClaireFR, standard)
	personal.Audience = reminders.AudienceSelf
	personal.Personal = &reminders.Personal{To: remClaireFR.Email, SubscriptionID: "sub-1", Kind: csp.ChangeRemoveSeats, Quantity: 2}
	late := env.item(reminders.KindRenewal, remClaire, apps)
	late.Due, late.Late = time.Date(2026, 11, 26, 9, 0, 0, 0, env.loc), true

	checks := []check{
		{renewalEN, []string{"Renewal coming: Exchange Online (Plan 1)", "renews automatically on *25 Jan 2027* (in 60 days)", "72 hours",
			"Seats: 8", "Seats at renewal: 6", "Cost of the next term: €266.40 (Annual, billed monthly)"},
			[]string{"Reduce renewal", "Stop auto-renew", "Keep as is", "Stop reminders"}},
		{renewalFR, []string{"Renouvellement à venir : Microsoft 365 Apps for business", "le *26 déc. 2026* (dans 30 jours)", "105,60\u00a0€", "72 heures"},
			[]string{"Ne pas renouveler", "Ne rien changer", "Plus de rappels"}},
		// The sandbox counts 9 of Business Standard's 10 seats assigned
		// that day: the right-sizing button comes first (usage.go).
		{windowEN, []string{"Removal window open", "until *Fri 27 Nov 2026, 23:59* (10 seats removable)", "1 of its 10 seats is unused"},
			[]string{"Remove 1 unused", "Remove seats", "Stop reminders"}},
		{closingFR, []string{"Fenêtre de retrait bientôt fermée", "se ferme le *ven. 27 nov. 2026, 23:59*, dans 12 heures", "1 de ses 10 licences est inutilisée"},
			[]string{"Retirer 1 inutile", "Moins de licences", "Plus de rappels"}},
		{trialEN, []string{"Trial ending: Microsoft 365 Business Premium", "ends on *1 Dec 2026* (in 5 days)", "25 seats for €618.00 a month"},
			[]string{"Stop auto-renew", "Keep it", "Stop reminders"}},
		{waiting, []string{"Waiting for your decision: R-1", "asked by Alice", "Decision by Tue 1 Dec 2026, 23:59"},
			[]string{"Approve", "Reject"}},
		{told, []string{"Your request R-1 is still waiting", "before *Tue 1 Dec 2026, 23:59*"}, []string{"Withdraw"}},
		{personal, []string{"Vous m'avez demandé de vous le rappeler", "Vous vouliez retirer 2 licences."}, []string{"Moins de licences"}},
		{late, []string{"Sent late: this reminder was due on Thu 26 Nov 2026, 09:00."}, nil},
	}
	for _, c := range checks {
		if err := env.engine.Remind(ctx, c.it); err != nil {
			t.Fatalf("%s: %v", c.it.Kind, err)
		}
		msgs := env.inbox.take()
		if len(msgs) != 1 {
			t.Fatalf("%s: %d messages", c.it.Kind, len(msgs))
		}
		m := msgs[0]
		all := remAll(m)
		if m.Kind != bot.KindReminder || m.To != c.it.To.Email || m.Key != "reminder:"+c.it.Key || m.CustomerID != "contoso" {
			t.Errorf("%s: kind %q to %q key %q customer %q", c.it.Kind, m.Kind, m.To, m.Key, m.CustomerID)
		}
		if strings.Contains(all, "reminder.") || strings.Contains(all, "<no value>") {
			t.Errorf("%s: a message id or a missing value shows through:\n%s", c.it.Kind, all)
		}
		for _, w := range c.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s (%s): no %q in\n%s", c.it.Kind, m.Lang, w, all)
			}
		}
		if c.buttons != nil && strings.Join(remLabels(m), "|") != strings.Join(c.buttons, "|") {
			t.Errorf("%s: buttons %v, want %v", c.it.Kind, remLabels(m), c.buttons)
		}
	}
}

func TestRemindReportsDeliveryFailures(t *testing.T) {
	env := newRemEnv(t, false)
	it := env.item(reminders.KindRenewal, remClaire, env.sub(t, "sub-2"))
	if err := env.engine.Remind(context.Background(), it); !errors.Is(err, bot.ErrNoDeliverer) {
		t.Errorf("without a deliverer: %v", err)
	}
	env = newRemEnv(t, true)
	env.inbox.err = errors.New("slack is down")
	if err := env.engine.Remind(context.Background(), it); err == nil || !strings.Contains(err.Error(), "slack is down") {
		t.Errorf("a failed delivery is not reported: %v", err)
	}
}

func remPress(t *testing.T, env *remEnv, p workflows.Person, msg bot.Message, label string) []bot.Message {
	t.Helper()
	for _, a := range msg.Actions {
		if a.Label == label {
			out, err := env.engine.Handle(context.Background(), bot.Turn{Person: p, Platform: "console",
				Press: &bot.Press{ID: a.ID, Value: a.Value}})
			if err != nil {
				t.Fatalf("press %s: %v", label, err)
			}
			return out
		}
	}
	t.Fatalf("no button %q in %v", label, remLabels(msg))
	return nil
}

// [Keep as is], [Stop these reminders] and [Undo] store the person's
// choice, which the reminders engine honours at send time.
func TestReminderButtonsStoreTheChoice(t *testing.T) {
	env := newRemEnv(t, true)
	ctx := context.Background()
	apps := env.sub(t, "sub-2")
	if err := env.engine.Remind(ctx, env.item(reminders.KindRenewal, remClaire, apps)); err != nil {
		t.Fatal(err)
	}
	card := env.inbox.take()[0]

	out := remPress(t, env, remClaire, card, "Keep as is")
	if len(out) != 1 || !strings.Contains(out[0].Text, "Microsoft 365 Apps for business stays as it is") || !strings.Contains(out[0].Text, "26 Dec 2026") {
		t.Fatalf("keep: %+v", out)
	}
	p, err := reminders.GetPrefs(ctx, env.st, "contoso", remClaire.Email, "sub-2")
	if err != nil || !p.KeptTermEnd.Equal(apps.TermEnd) || p.Muted {
		t.Fatalf("after keep: %+v %v", p, err)
	}

	out = remPress(t, env, remClaire, card, "Stop reminders")
	if len(out) != 1 || !strings.Contains(out[0].Text, "no more reminders about Microsoft 365 Apps for business") {
		t.Fatalf("stop: %+v", out)
	}
	if p, _ := reminders.GetPrefs(ctx, env.st, "contoso", remClaire.Email, "sub-2"); !p.Muted {
		t.Fatal("not muted")
	}
	out = remPress(t, env, remClaire, out[0], "Undo")
	if len(out) != 1 || !strings.Contains(out[0].Text, "remind you about Microsoft 365 Apps for business again") {
		t.Fatalf("undo: %+v", out)
	}
	if p, _ := reminders.GetPrefs(ctx, env.st, "contoso", remClaire.Email, "sub-2"); p.Muted {
		t.Fatal("still muted after undo")
	}
	// Someone of another customer cannot use the value.
	other := workflows.Person{Email: "eve@fabrikam.example", Role: rules.RoleLicenceAdmin, CustomerID: "fabrikam"}
	out, err = env.engine.Handle(ctx, bot.Turn{Person: other, Platform: "console", Press: &bot.Press{ID: bot.ActMute, Value: "contoso:sub-2"}})
	if err != nil || len(out) != 1 || !strings.Contains(out[0].Text, "earlier conversation") {
		t.Fatalf("foreign press: %+v %v", out, err)
	}
	if p, _ := reminders.GetPrefs(ctx, env.st, "contoso", other.Email, "sub-2"); p.Muted {
		t.Fatal("a stranger muted reminders")
	}
	// The choices are in the audit log.
	audit, err := env.st.ReadAudit(ctx, "contoso", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		if strings.HasPrefix(a.Action, "reminders.") {
			actions = append(actions, a.Action)
		}
	}
	if strings.Join(actions, ",") != "reminders.kept,reminders.muted,reminders.unmuted" {
		t.Errorf("audit: %v", actions)
	}
}
