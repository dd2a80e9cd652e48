package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/store/redis"
	"github.com/licensebot/licensebot/store/redis/redistest"
	"github.com/licensebot/licensebot/workflows"
)

var (
	alice = workflows.Person{Email: "alice@contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: "contoso"}
	marc  = workflows.Person{Email: "marc@erp-cloud.example", Name: "Marc", Role: rules.RoleAccountManager, Customers: []string{"contoso"}}
	nina  = workflows.Person{Email: "nina@erp-cloud.example", Name: "Nina", Role: rules.RoleAccountManager, Customers: []string{"contoso"}, Backup: true}
)

type inbox struct {
	mu   sync.Mutex
	msgs []bot.Message
}

func (in *inbox) Deliver(_ context.Context, _ workflows.Person, m bot.Message) error {
	in.mu.Lock()
	in.msgs = append(in.msgs, m)
	in.mu.Unlock()
	return nil
}

type env struct {
	engine *bot.Engine
	svc    *workflows.Service
	sb     *sandbox.Sandbox
	st     store.Store
	clock  *clock.Manual
	inbox  *inbox
}

func paris() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}

// newEnv wires an engine like `licensebot chat` does, on st. A shared
// sandbox (and clock) lets two engines act as two replicas.
func newEnv(t testing.TB, st store.Store, sb *sandbox.Sandbox, clk *clock.Manual) *env {
	t.Helper()
	loc := paris()
	if clk == nil {
		clk = clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, loc))
	}
	if sb == nil {
		var err error
		sb, err = sandbox.Open(t.TempDir(), sandbox.Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sb.Close() })
	}
	svc, err := workflows.New(workflows.Options{
		Store: st, Provider: sb, Clock: clk,
		Directory: workflows.NewDirectory([]workflows.Person{alice, marc, nina}),
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(loc) },
	})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := bot.NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{}
	e, err := bot.New(context.Background(), bot.Options{Service: svc, Provider: sb, Store: st, Clock: clk, Translator: tr,
		Deliverer: in, Customers: []bot.Customer{{ID: "contoso", Name: "Contoso SAS", Lang: "en", Location: loc}}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{engine: e, svc: svc, sb: sb, st: st, clock: clk, inbox: in}
}

func boltStore(t testing.TB, clk clock.Clock) store.Store {
	t.Helper()
	if clk == nil {
		clk = clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, paris()))
	}
	s, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func say(t testing.TB, e *env, p workflows.Person, text string) []bot.Message {
	t.Helper()
	msgs, err := e.engine.Handle(context.Background(), bot.Turn{Person: p, Platform: "test", Text: text})
	if err != nil {
		t.Fatalf("%s: %q: %v", p.Email, text, err)
	}
	return msgs
}

func press(t testing.TB, e *env, p workflows.Person, msgs []bot.Message, label string) []bot.Message {
	t.Helper()
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, a := range msgs[i].Actions {
			if strings.EqualFold(a.Label, label) {
				out, err := e.engine.Handle(context.Background(), bot.Turn{Person: p, Platform: "test", Press: &bot.Press{ID: a.ID, Value: a.Value}})
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
		}
	}
	t.Fatalf("no button %q in %+v", label, msgs)
	return nil
}

func TestDuplicateEventIsHandledOnce(t *testing.T) {
	for name, st := range map[string]func(t *testing.T) store.Store{
		"bolt":  func(t *testing.T) store.Store { return boltStore(t, nil) },
		"redis": func(t *testing.T) store.Store { s, _ := redistest.Store(t); return s },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, st(t), nil, nil)
			turn := bot.Turn{Person: alice, Platform: "slack", EventID: "Ev123", Text: "my subscriptions"}
			first, err := e.engine.Handle(context.Background(), turn)
			if err != nil || len(first) == 0 {
				t.Fatalf("first delivery: %v %v", first, err)
			}
			again, err := e.engine.Handle(context.Background(), turn)
			if !errors.Is(err, bot.ErrDuplicateEvent) || len(again) != 0 {
				t.Fatalf("retry: %v %v, want ErrDuplicateEvent and no reply", again, err)
			}
		})
	}
}

func TestHugeAndHostileInputIsAnsweredCalmly(t *testing.T) {
	e := newEnv(t, boltStore(t, nil), nil, nil)
	huge := strings.Repeat("add 2 seats of something ", 4200) // ~100 KB
	for _, text := range []string{huge, "\x00\x01\x02", "<!channel> <@U123> *bold* `code`", "add 1e9 E3 seats", "   "} {
		msgs := say(t, e, alice, text)
		if len(msgs) == 0 || msgs[0].Text == "" {
			t.Fatalf("%.40q: no answer", text)
		}
		for _, m := range msgs {
			if strings.Contains(m.Text, "error") && strings.Contains(m.Text, ":") && strings.Contains(m.Text, "%") {
				t.Fatalf("%.40q: a Go error leaked: %s", text, m.Text)
			}
		}
	}
	subs, _ := e.sb.Subscriptions(context.Background(), "contoso")
	for _, s := range subs {
		if s.ID == "sub-4" && s.Quantity != 5 {
			t.Fatalf("E3 changed to %d", s.Quantity)
		}
	}
}

// A Redis outage mid-conversation: the person is told in their language,
// nothing is half-written, and the same engine works again once Redis is
// back.
func TestRedisOutageIsExplainedAndRecovered(t *testing.T) {
	srv := redistest.StartServer(t)
	opts, err := redis.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	opts.Prefix = redistest.Prefix()
	st, err := redis.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := newEnv(t, st, nil, nil)
	preview := say(t, e, alice, "ajoute 2 licences business standard")
	srv.Stop(t)
	msgs, err := e.engine.Handle(context.Background(), bot.Turn{Person: alice, Platform: "test", Text: "ajoute 1 licence E3"})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "stockage") || !strings.Contains(msgs[0].Text, "rien n'a été modifié") {
		t.Fatalf("outage message = %+v", msgs)
	}
	if err := st.Ping(context.Background()); err == nil {
		t.Fatal("ping succeeds with the server down")
	}
	srv.Restart(t)
	// The test server keeps nothing across a restart (no persistence), so
	// the dialogue starts again; in production AOF keeps it.
	_ = preview
	preview = say(t, e, alice, "ajoute 2 licences business standard")
	done := press(t, e, alice, preview, "Confirmer")
	if len(done) == 0 || !strings.Contains(done[0].Text, "C'est fait") {
		t.Fatalf("after recovery: %+v", done)
	}
	s, _ := e.sb.Subscription(context.Background(), "contoso", "sub-1")
	if s.Quantity != 12 {
		t.Fatalf("quantity %d, want 12", s.Quantity)
	}
}

// Two replicas (separate Redis clients) on one Redis: a hundred Approve
// presses at once execute the upgrade exactly once.
func TestTwoReplicasApproveOnce(t *testing.T) {
	tg := redistest.Start(t)
	in := tg.Instance(t)
	newStore := func() *redis.Store {
		opts, err := redis.ParseURL(in.URL)
		if err != nil {
			t.Fatal(err)
		}
		opts.Prefix = in.Prefix
		s, err := redis.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a := newEnv(t, newStore(), nil, nil)
	b := newEnv(t, newStore(), a.sb, a.clock)
	preview := say(t, a, alice, "upgrade 5 E1 to E3 into the existing line")
	press(t, a, alice, preview, "Send for approval")
	card := a.inbox.msgs[len(a.inbox.msgs)-1]
	var approve bot.Action
	for _, act := range card.Actions {
		if act.ID == bot.ActApprove {
			approve = act
		}
	}
	if approve.ID == "" {
		t.Fatalf("no Approve on %+v", card)
	}
	var wg sync.WaitGroup
	var answered atomic.Int32
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e := []*env{a, b}[i%2]
			p := []workflows.Person{marc, nina}[i%3%2]
			msgs, err := e.engine.Handle(context.Background(), bot.Turn{Person: p, Platform: "test", Press: &bot.Press{ID: approve.ID, Value: approve.Value}})
			if err != nil {
				t.Error(err)
			}
			if len(msgs) > 0 {
				answered.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if answered.Load() != 100 {
		t.Errorf("%d presses answered, want 100", answered.Load())
	}
	e1, _ := a.sb.Subscription(context.Background(), "contoso", "sub-3")
	e3, _ := a.sb.Subscription(context.Background(), "contoso", "sub-4")
	if e1.Quantity != 20 || e3.Quantity != 10 {
		t.Fatalf("E1 %d E3 %d, want 20 and 10", e1.Quantity, e3.Quantity)
	}
	audit, err := a.st.ReadAudit(context.Background(), "contoso", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	completed := 0
	for _, en := range audit {
		if en.Action == "request.completed" {
			completed++
		}
	}
	if completed != 1 {
		t.Fatalf("%d completions in the audit log, want 1", completed)
	}
	// The same platform event delivered to both replicas runs once.
	turn := bot.Turn{Person: alice, Platform: "slack", EventID: "Ev-both", Text: "add 1 business standard seat"}
	_, errA := a.engine.Handle(context.Background(), turn)
	_, errB := b.engine.Handle(context.Background(), turn)
	if (errA == nil) == (errB == nil) {
		t.Fatalf("errors %v and %v: want exactly one ErrDuplicateEvent", errA, errB)
	}
}

func BenchmarkTurn(b *testing.B) {
	for _, backend := range []string{"bolt", "redis"} {
		for _, text := range []string{"my subscriptions", "add 2 business standard seats"} {
			b.Run(backend+"/"+strings.ReplaceAll(text, " ", "_"), func(b *testing.B) {
				var st store.Store
				var rs *redis.Store
				if backend == "bolt" {
					st = boltStore(b, nil)
				} else {
					rs, _ = redistest.Store(b)
					st = rs
				}
				e := newEnv(b, st, nil, nil)
				ctx := context.Background()
				var before redis.Stats
				if rs != nil {
					before = rs.Stats()
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					// Every platform event has an id: the turn de-duplicates it.
					turn := bot.Turn{Person: alice, Platform: "bench", EventID: "ev-" + strconv.Itoa(i), Text: text}
					if _, err := e.engine.Handle(ctx, turn); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if rs != nil {
					after := rs.Stats()
					b.ReportMetric(float64(after.RoundTrips-before.RoundTrips)/float64(b.N), "roundtrips/turn")
					b.ReportMetric(float64(after.Commands-before.Commands)/float64(b.N), "commands/turn")
				}
			})
		}
	}
}

// An approver who pressed Reject and then asks for something else is not
// taken to have given that as the reason; a real reason, even with
// change words in it, is.
func TestRejectReasonIsNotHijacked(t *testing.T) {
	e := newEnv(t, boltStore(t, nil), nil, nil)
	preview := say(t, e, alice, "upgrade 5 E1 to E3 into the existing line")
	press(t, e, alice, preview, "Send for approval")
	card := e.inbox.msgs[len(e.inbox.msgs)-1]
	asked := press(t, e, marc, []bot.Message{card}, "Reject")
	if len(asked) == 0 || !strings.Contains(asked[0].Text, "Why are you rejecting") {
		t.Fatalf("no question: %+v", asked)
	}
	say(t, e, marc, "pending approvals")
	if r, _ := e.svc.Get(context.Background(), "contoso", "R-1"); r.State != workflows.StatePendingApproval {
		t.Fatalf("R-1 is %s after a navigation command, want still pending", r.State)
	}
	press(t, e, marc, []bot.Message{card}, "Reject")
	say(t, e, marc, "we don't need more seats this year")
	r, _ := e.svc.Get(context.Background(), "contoso", "R-1")
	if r.State != workflows.StateRejected || r.Comment != "we don't need more seats this year" {
		t.Fatalf("R-1 %s with comment %q", r.State, r.Comment)
	}
}

// The window in sentences is the customer's, not a fixed 72 hours.
func TestRefusalSaysTheCustomersWindow(t *testing.T) {
	loc := paris()
	clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, loc))
	st := boltStore(t, clk)
	sb, err := sandbox.Open(t.TempDir(), sandbox.Options{Clock: clk, RemovalWindow: 168 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	pol := rules.DefaultPolicy(loc)
	pol.RemovalWindow = 168 * time.Hour
	svc, _ := workflows.New(workflows.Options{Store: st, Provider: sb, Clock: clk,
		Directory: workflows.NewDirectory([]workflows.Person{alice, marc}), Policy: func(string) rules.Policy { return pol }})
	tr, _ := bot.NewTranslator()
	eng, err := bot.New(context.Background(), bot.Options{Service: svc, Provider: sb, Store: st, Clock: clk, Translator: tr,
		Customers: []bot.Customer{{ID: "contoso", Name: "Contoso SAS", Lang: "en", Location: loc}}})
	if err != nil {
		t.Fatal(err)
	}
	for lang, text := range map[string]string{"en": "remove 2 E1 seats", "fr": "enlève 2 licences E1"} {
		msgs, err := eng.Handle(context.Background(), bot.Turn{Person: alice, Platform: "test-" + lang, Text: text})
		if err != nil || len(msgs) == 0 {
			t.Fatalf("%s: %v %v", lang, msgs, err)
		}
		if !strings.Contains(msgs[0].Text, map[string]string{"en": "7 days", "fr": "7 jours"}[lang]) || strings.Contains(msgs[0].Text, "72") {
			t.Errorf("%s: %s", lang, msgs[0].Text)
		}
	}
}

// The backup approver, who is not sent the card, still sees the outcome
// of their own decision on it.
func TestBackupApproverSeesTheOutcome(t *testing.T) {
	e := newEnv(t, boltStore(t, nil), nil, nil)
	preview := say(t, e, alice, "upgrade 5 E1 to E3 into the existing line")
	press(t, e, alice, preview, "Send for approval")
	card := e.inbox.msgs[len(e.inbox.msgs)-1]
	if card.To != marc.Email {
		t.Fatalf("card went to %s, want marc", card.To)
	}
	out := press(t, e, nina, []bot.Message{card}, "Approve")
	if len(out) == 0 || out[0].Status == nil || !strings.Contains(out[0].Status.Text, "Approved by Nina") || !strings.Contains(out[0].Status.Text, "carried out") {
		t.Fatalf("Nina's reply: %+v", out)
	}
}
