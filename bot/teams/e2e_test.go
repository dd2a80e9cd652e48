package teams

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/internal/chantest"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/workflows"
)

// e2e is the Teams adapter with the real engine, workflow, sandbox portal
// and bbolt store behind it, and the fake Bot Framework in front.
type e2e struct {
	*env
	sb *sandbox.Sandbox
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	e := newEnv(t, func(o *Options) {
		st, err := bolt.Open(filepath.Join(t.TempDir(), "data.db"), bolt.Options{Clock: o.Clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		o.Store, o.People, o.Handler = st, workflows.NewDirectory(chantest.People()), nil
	})
	b := chantest.NewBackend(t, e.a.opt.Store, e.a.opt.People.(*workflows.Directory), e.clk, e.a)
	e.a.SetHandler(b.Engine)
	return &e2e{env: e, sb: b.Sandbox}
}

// lastCard is the newest card posted or updated in conv, with the id of
// the activity that shows it.
func (e *e2e) lastCard(t *testing.T, conv string) (map[string]any, string) {
	t.Helper()
	calls := e.bf.callsOf("send", "reply", "update")
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Conv == conv {
			id := calls[i].ActivityID
			if id == "" {
				id = calls[i].Activity.ID
			}
			return cardOf(t, calls[i].Activity), id
		}
	}
	t.Fatalf("nothing posted in %s", conv)
	return nil, ""
}

// action finds the Action.Execute with that verb on a card.
func action(t *testing.T, card map[string]any, verb string) map[string]string {
	t.Helper()
	var found map[string]string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "Action.Execute" && x["verb"] == verb && found == nil {
				found = map[string]string{}
				if d, ok := x["data"].(map[string]any); ok {
					for k, v := range d {
						if s, ok := v.(string); ok {
							found[k] = s
						}
					}
				}
			}
			for _, vv := range x {
				walk(vv)
			}
		case []any:
			for _, vv := range x {
				walk(vv)
			}
		}
	}
	walk(card)
	if found == nil {
		t.Fatalf("no %q action on %s", verb, cardText(t, card))
	}
	return found
}

// pressOn presses verb on the newest card in u's personal chat, past the
// confirmation step.
func (e *e2e) pressOn(t *testing.T, u user, id, verb string, extra map[string]string) invokeResult {
	t.Helper()
	card, actID := e.lastCard(t, personalConv(u))
	data := action(t, card, verb)
	if data["confirm"] != "" {
		data["confirmed"] = "1"
	}
	for k, v := range extra {
		data[k] = v
	}
	return e.invoke(e.press(u, id, actID, data))
}

func TestEndToEndCancellationApprovedInTeams(t *testing.T) {
	e := newE2E(t)
	e.installed(marc)
	if w := e.post(e.message(alice, "m-1", "cancel business standard"), ""); w.Code != 200 {
		t.Fatalf("message answered %d", w.Code)
	}
	// The same activity delivered again is handled once.
	before := len(e.bf.posts())
	e.post(e.message(alice, "m-1", "cancel business standard"), "")
	if len(e.bf.posts()) != before {
		t.Fatal("a duplicate activity was answered twice")
	}
	e.pressOn(t, alice, "inv-1", bot.ActConfirm, nil)
	card, _ := e.lastCard(t, personalConv(marc))
	if s := cardText(t, card); !strings.Contains(s, "Approval needed: R-1") {
		t.Fatalf("Marc's proactive card: %s", s)
	}
	res := e.pressOn(t, marc, "inv-2", bot.ActApprove, nil)
	if s := cardText(t, res.card(t)); !strings.Contains(s, "Approved by Marc") {
		t.Fatalf("invoke response card: %s", s)
	}
	aliceCard, _ := e.lastCard(t, personalConv(alice))
	if s := cardText(t, aliceCard); !strings.Contains(s, "done") {
		t.Fatalf("Alice was not told: %s", s)
	}
	sub, _ := e.sb.Subscription(context.Background(), "contoso", "sub-1")
	if sub.Status != "cancelled" {
		t.Fatalf("Business Standard is %s, want cancelled", sub.Status)
	}
}

func TestEndToEndRejectWithReasonInTeams(t *testing.T) {
	e := newE2E(t)
	e.installed(marc)
	e.post(e.message(alice, "m-1", "upgrade 5 E1 to E3 into the existing line"), "")
	e.pressOn(t, alice, "inv-1", bot.ActConfirm, nil)
	res := e.pressOn(t, marc, "inv-2", bot.ActReject, map[string]string{"reason": "no budget this quarter"})
	if s := cardText(t, res.card(t)); !strings.Contains(s, "Rejected by Marc") {
		t.Fatalf("invoke response card: %s", s)
	}
	aliceCard, _ := e.lastCard(t, personalConv(alice))
	if s := cardText(t, aliceCard); !strings.Contains(s, "Rejected by Marc") || !strings.Contains(s, "no budget this quarter") {
		t.Fatalf("Alice's card: %s", s)
	}
	e1, _ := e.sb.Subscription(context.Background(), "contoso", "sub-3")
	if e1.Quantity != 25 {
		t.Fatalf("E1 has %d seats after a rejection", e1.Quantity)
	}
}
