package channel

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

type turnHandler struct {
	turns []bot.Turn
	reply func(bot.Turn) ([]bot.Message, error)
}

func (h *turnHandler) Handle(_ context.Context, t bot.Turn) ([]bot.Message, error) {
	h.turns = append(h.turns, t)
	return h.reply(t)
}

type counts struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counts) add(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[k]++
}
func (c *counts) Event(k string)             { c.add("event:" + k) }
func (c *counts) APIError(k string)          { c.add("api:" + k) }
func (c *counts) RateLimited()               { c.add("limited") }
func (c *counts) Dropped(k string)           { c.add("dropped:" + k) }
func (c *counts) TurnDuration(time.Duration) { c.add("turn") }

// runnerEnv is a runner over a directory where Alice writes only from
// Slack workspace T1, and Marc (account manager) from anywhere.
type runnerEnv struct {
	r         *Runner
	h         *turnHandler
	metrics   *counts
	replies   []bot.Message
	delivered map[string][]bot.Message
}

func newRunner(t *testing.T) *runnerEnv {
	t.Helper()
	tr, err := bot.NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	dir := workflows.NewDirectory([]workflows.Person{
		{Email: "alice@contoso.example", Role: rules.RoleMember, CustomerID: "contoso", Orgs: []workflows.Org{{Platform: "slack", ID: "T1"}}},
		{Email: "marc@reseller.example", Role: rules.RoleAccountManager},
	})
	e := &runnerEnv{h: &turnHandler{}, metrics: &counts{}, delivered: map[string][]bot.Message{}}
	e.r = NewRunner(Options{Platform: "slack", People: dir, Words: NewWords(tr), Clock: clock.NewManual(testNow),
		Metrics: e.metrics, Workers: 1, QueueSize: 1,
		Deliver: func(_ context.Context, _ string, to workflows.Person, m bot.Message) error {
			e.delivered[to.Email] = append(e.delivered[to.Email], m)
			return nil
		}})
	t.Cleanup(func() { _ = e.r.Close(context.Background()) })
	e.r.SetHandler(e.h)
	return e
}

func (e *runnerEnv) inbound(email, team, locale string) *Inbound {
	return &Inbound{ReqID: "r1", Kind: "message.im", Conversation: "slack:dm:U1", EventID: "Ev1", Text: "hello",
		Log: slog.New(slog.DiscardHandler),
		Identify: func(context.Context) (Sender, error) {
			return Sender{Emails: []string{email}, Locale: locale, Org: workflows.Org{Platform: "slack", ID: team}}, nil
		},
		Reply: func(_ context.Context, _ workflows.Person, m bot.Message) error {
			e.replies = append(e.replies, m)
			return nil
		}}
}

func TestRunnerTurnCarriesOrgAndRoutesReplies(t *testing.T) {
	e := newRunner(t)
	e.h.reply = func(t bot.Turn) ([]bot.Message, error) {
		return []bot.Message{
			{To: t.Person.Email, Text: "sent for approval"},
			{To: "marc@reseller.example", Kind: bot.KindApproval, Text: "approve?"},
			{To: "nobody@elsewhere.example", Text: "lost"},
		}, nil
	}
	if _, err := e.r.Handle(context.Background(), e.inbound("alice@contoso.example", "T1", "en-US"), nil); err != nil {
		t.Fatal(err)
	}
	if len(e.h.turns) != 1 {
		t.Fatalf("%d turns", len(e.h.turns))
	}
	got := e.h.turns[0]
	if got.Org != (workflows.Org{Platform: "slack", ID: "T1"}) || got.Platform != "slack" || got.EventID != "Ev1" || got.Person.CustomerID != "contoso" {
		t.Fatalf("turn %+v", got)
	}
	if len(e.replies) != 1 || e.replies[0].Text != "sent for approval" {
		t.Fatalf("replies %+v", e.replies)
	}
	if len(e.delivered["marc@reseller.example"]) != 1 || len(e.delivered) != 1 {
		t.Fatalf("delivered %+v", e.delivered)
	}
	if e.metrics.m["turn"] != 1 {
		t.Fatalf("turn not timed: %v", e.metrics.m)
	}
}

// Someone the directory does not know, or knows only in another
// workspace, gets one sentence in their language and no turn.
func TestRunnerNotSetUp(t *testing.T) {
	for _, c := range []struct{ email, team string }{
		{"stranger@elsewhere.example", "T1"},
		{"alice@contoso.example", "T2"},
	} {
		e := newRunner(t)
		if _, err := e.r.Handle(context.Background(), e.inbound(c.email, c.team, "fr-FR"), nil); err != nil {
			t.Fatal(err)
		}
		if len(e.h.turns) != 0 || len(e.replies) != 1 || !strings.Contains(e.replies[0].Text, "pas configuré") {
			t.Fatalf("%s in %s: turns %d, replies %+v", c.email, c.team, len(e.h.turns), e.replies)
		}
	}
}

// A platform retry of a handled event is dropped by the engine's claim;
// the runner counts it and shows nothing.
func TestRunnerDuplicateEvent(t *testing.T) {
	e := newRunner(t)
	e.h.reply = func(bot.Turn) ([]bot.Message, error) { return nil, bot.ErrDuplicateEvent }
	if _, err := e.r.Handle(context.Background(), e.inbound("alice@contoso.example", "T1", ""), nil); err != nil {
		t.Fatal(err)
	}
	if len(e.replies) != 0 || e.metrics.m["dropped:duplicate"] != 1 {
		t.Fatalf("replies %+v, metrics %v", e.replies, e.metrics.m)
	}
}

func TestRunnerSubmitRefusesWhenFull(t *testing.T) {
	e := newRunner(t)
	block, started := make(chan struct{}), make(chan struct{})
	job := func(context.Context, *slog.Logger) error { return nil }
	if err := e.r.Submit("U1", "r1", "message.im", func(context.Context, *slog.Logger) error {
		close(started)
		<-block
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	<-started
	_ = e.r.Submit("U1", "r2", "message.im", job) // fills the queue
	err := e.r.Submit("U1", "r3", "message.im", job)
	close(block)
	e.r.Idle()
	if err != ErrBusy || e.metrics.m["dropped:queue_full"] != 1 {
		t.Fatalf("err %v, metrics %v", err, e.metrics.m)
	}
}
