package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// neverShows is a portal that accepts an upgrade and never shows it, and
// knows the operation (it is "in progress") when asked.
type neverShows struct {
	csp.Provider
	mu   sync.Mutex
	keys map[string]bool
}

func (p *neverShows) Apply(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	if op.Kind != csp.ChangeUpgrade {
		return p.Provider.Apply(ctx, customerID, op)
	}
	p.mu.Lock()
	p.keys[op.Key] = true
	p.mu.Unlock()
	return csp.Result{Pending: true, Receipt: csp.Receipt{Status: 202, CorrelationID: "corr-" + op.Key[:8]}}, nil
}

func (p *neverShows) Observe(ctx context.Context, customerID string, op csp.Operation, rc csp.Receipt) (csp.Observation, error) {
	obs, err := p.Provider.Observe(ctx, customerID, op, rc)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil && p.keys[op.Key] && obs.Outcome != csp.ObservedDone {
		obs.Outcome = csp.ObservedPending
	}
	return obs, err
}

// An upgrade the portal accepted but never shows goes, after the settle
// time, to the account manager — in their language — with what is known
// and three ways out; never to an automatic resend. "Mark as done" ends
// it and the requester hears the outcome.
func TestChangeThatNeverShowsGoesToTheAccountManager(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) {
			st := boltStore(t, nil)
			base := newEnv(t, st, nil, nil)
			portal := &neverShows{Provider: base.sb, keys: map[string]bool{}}
			loc := paris()
			am := marc
			am.Locale = lang
			svc, err := workflows.New(workflows.Options{Store: st, Provider: portal, Clock: base.clock,
				Directory: workflows.NewDirectory([]workflows.Person{alice, am, nina}),
				Policy:    func(string) rules.Policy { return rules.DefaultPolicy(loc) }})
			if err != nil {
				t.Fatal(err)
			}
			tr, _ := bot.NewTranslator()
			in := &inbox{}
			eng, err := bot.New(context.Background(), bot.Options{Service: svc, Provider: portal, Store: st, Clock: base.clock,
				Translator: tr, Deliverer: in, Customers: []bot.Customer{{ID: "contoso", Name: "Contoso SAS", Lang: "en", Location: loc}}})
			if err != nil {
				t.Fatal(err)
			}
			e := &env{engine: eng, svc: svc, sb: base.sb, st: st, clock: base.clock, inbox: in}

			press(t, e, alice, say(t, e, alice, "upgrade 5 E1 to E3 into the existing line"), "Send for approval")
			approval := lastFor(t, in, am.Email, bot.KindApproval)
			approveLabel := map[string]string{"en": "Approve", "fr": "Approuver"}[lang]
			press(t, e, am, []bot.Message{approval}, approveLabel)

			e.clock.Advance(time.Hour) // well past the portal's settle time
			if _, err := svc.Reconcile(context.Background(), "contoso"); err != nil {
				t.Fatal(err)
			}
			reqs, _ := svc.List(context.Background(), "contoso")
			if len(reqs) != 1 || reqs[0].State != workflows.StateNeedsAttention {
				t.Fatalf("requests %+v, want one needing attention", reqs)
			}
			if n := len(reqs[0].Attempts); n != 1 {
				t.Fatalf("%d attempts, want 1: never sent again on its own", n)
			}
			card := lastFor(t, in, am.Email, bot.KindApproval)
			want := map[string][]string{
				"en": {"Needs your attention", "Check again", "Mark as done", "Send again"},
				"fr": {"À vérifier", "Revérifier", "Marquer effectuée", "Renvoyer"},
			}[lang]
			shown := card.Title + " " + card.Text
			for _, a := range card.Actions {
				shown += " " + a.Label
				if a.ID == bot.ActSendAgain && a.Confirm == "" {
					t.Error("Send again has no confirmation that it may double the change")
				}
			}
			for _, w := range want {
				if !strings.Contains(shown, w) {
					t.Errorf("attention card lacks %q: %s", w, shown)
				}
			}
			if e1, _ := e.sb.Subscription(context.Background(), "contoso", "sub-3"); e1.Quantity != 25 {
				t.Fatalf("E1 has %d seats; the portal never applied the upgrade", e1.Quantity)
			}

			// Alice cannot resolve it; Marc marks it done.
			refused := pressAs(t, e, alice, card, bot.ActMarkDone)
			if len(refused) == 0 || refused[0].Kind != bot.KindRefusal {
				t.Fatalf("the requester resolved it: %+v", refused)
			}
			pressAs(t, e, am, card, bot.ActMarkDone)
			got, _ := svc.Get(context.Background(), "contoso", reqs[0].ID)
			if got.State != workflows.StateCompleted {
				t.Fatalf("state %s, want completed", got.State)
			}
			if m := lastFor(t, in, alice.Email, bot.KindRequest); m.Status == nil || !strings.Contains(m.Status.Text, "✅") {
				t.Fatalf("the requester was not told it is done: %+v", m.Status)
			}
		})
	}
}

// failCompletion fails the write that records a request as completed, as
// a store failing right after the portal made the change.
type failCompletion struct {
	store.Store
	on bool
}

func (f *failCompletion) Update(ctx context.Context, ref store.Ref, v int64, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	var r struct {
		State workflows.State `json:"state"`
	}
	if f.on && ref.Collection == "requests" && json.Unmarshal(data, &r) == nil && r.State == workflows.StateCompleted {
		return store.Document{}, store.ErrUnavailable
	}
	return f.Store.Update(ctx, ref, v, data, audit...)
}

// When the store fails after the portal made a change, the person is told
// the truth in their language — the change was made and will be recorded
// — never that nothing was changed; once the store answers the request
// shows as done.
func TestStoreFailingAfterThePortalChangeTellsTheTruth(t *testing.T) {
	for lang, text := range map[string]string{"en": "upgrade 5 E1 to E3 into the existing line", "fr": "passer 5 E1 en E3 dans la ligne existante"} {
		t.Run(lang, func(t *testing.T) {
			fs := &failCompletion{Store: boltStore(t, nil)}
			e := newEnv(t, fs, nil, nil)
			am := marc
			am.Locale = lang
			press(t, e, alice, say(t, e, alice, text), map[string]string{"en": "Send for approval", "fr": "Demander l'accord"}[lang])
			approval := lastFor(t, e.inbox, am.Email, bot.KindApproval)
			fs.on = true
			var approve bot.Action
			for _, a := range approval.Actions {
				if a.ID == bot.ActApprove {
					approve = a
				}
			}
			msgs, err := e.engine.Handle(context.Background(), bot.Turn{Person: am, Platform: "test", Press: &bot.Press{ID: approve.ID, Value: approve.Value}})
			var nr *workflows.NotRecordedError
			if !errors.As(err, &nr) {
				t.Fatalf("err = %v, want a NotRecordedError", err)
			}
			said := ""
			for _, m := range msgs {
				said += m.Text
			}
			wantSaid := map[string]string{"en": "was made in the licence portal", "fr": "a été faite dans le portail"}[lang]
			never := map[string]string{"en": "nothing was changed", "fr": "rien n'a été modifié"}[lang]
			if !strings.Contains(said, wantSaid) || strings.Contains(strings.ToLower(said), never) {
				t.Fatalf("told %q", said)
			}
			if e3, _ := e.sb.Subscription(context.Background(), "contoso", "sub-4"); e3.Quantity != 10 {
				t.Fatalf("E3 has %d seats, want 10: the portal made the change", e3.Quantity)
			}
			fs.on = false
			e.clock.Advance(time.Hour)
			if _, err := e.svc.Reconcile(context.Background(), "contoso"); err != nil {
				t.Fatal(err)
			}
			reqs, _ := e.svc.List(context.Background(), "contoso")
			if reqs[0].State != workflows.StateCompleted {
				t.Fatalf("state %s once the store is back, want completed", reqs[0].State)
			}
			if e3, _ := e.sb.Subscription(context.Background(), "contoso", "sub-4"); e3.Quantity != 10 {
				t.Fatalf("E3 has %d seats after reconciling, want 10 (not sent twice)", e3.Quantity)
			}
		})
	}
}

// lastFor is the newest message of kind delivered to email.
func lastFor(t *testing.T, in *inbox, email string, kind bot.Kind) bot.Message {
	t.Helper()
	in.mu.Lock()
	defer in.mu.Unlock()
	for i := len(in.msgs) - 1; i >= 0; i-- {
		if strings.EqualFold(in.msgs[i].To, email) && in.msgs[i].Kind == kind {
			return in.msgs[i]
		}
	}
	t.Fatalf("no %s message for %s in %+v", kind, email, in.msgs)
	return bot.Message{}
}

// pressAs presses the button with action id on m as p.
func pressAs(t *testing.T, e *env, p workflows.Person, m bot.Message, id string) []bot.Message {
	t.Helper()
	for _, a := range m.Actions {
		if a.ID == id {
			out, err := e.engine.Handle(context.Background(), bot.Turn{Person: p, Platform: "test", Press: &bot.Press{ID: a.ID, Value: a.Value}})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	t.Fatalf("no %s button on %+v", id, m)
	return nil
}

// "What's pending?" from a member, who approves nothing, is about their
// own requests: not "nothing is waiting for your approval".
func TestMemberAskingWhatIsPendingSeesTheirRequests(t *testing.T) {
	e := newEnv(t, boltStore(t, nil), nil, nil)
	press(t, e, alice, say(t, e, alice, "upgrade 5 E1 to E3 into the existing line"), "Send for approval")
	for _, q := range []string{"what's pending?", "qu'est-ce qui est en attente ?"} {
		msgs := say(t, e, alice, q)
		shown := ""
		for _, m := range msgs {
			shown += m.Title + " " + m.Text + " "
			for _, f := range m.Fields {
				shown += f.Label + " " + f.Value + " "
			}
		}
		if !strings.Contains(shown, "R-1") || strings.Contains(shown, "Nothing is waiting") || strings.Contains(shown, "Rien n'attend") {
			t.Errorf("%q answered %q, want her request R-1", q, shown)
		}
	}
}
