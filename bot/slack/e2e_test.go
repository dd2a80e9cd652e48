package slack

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/internal/chantest"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/workflows"
)

// e2e is the Slack adapter with the real engine, workflow, sandbox portal
// and bbolt store behind it, and the fake Slack API in front.
type e2e struct {
	*env
	sb  *sandbox.Sandbox
	svc *workflows.Service
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
	return &e2e{env: e, sb: b.Sandbox, svc: b.Service}
}

// button finds the newest card posted or updated in channel with a button
// whose action id starts with id, and returns its action id and value.
func (e *e2e) button(t *testing.T, channel, id string) (string, string) {
	t.Helper()
	calls := e.api.allCalls()
	for i := len(calls) - 1; i >= 0; i-- {
		c := calls[i]
		if (c.Method != "chat.postMessage" && c.Method != "chat.update") || c.Form.Get("channel") != channel {
			continue
		}
		for _, b := range blocksOf(t, c) {
			els, _ := b["elements"].([]any)
			for _, el := range els {
				m, _ := el.(map[string]any)
				if aid, _ := m["action_id"].(string); strings.HasPrefix(aid, id+"/") {
					return aid, m["value"].(string)
				}
			}
		}
	}
	t.Fatalf("no %q button in %s", id, channel)
	return "", ""
}

func (e *e2e) press(t *testing.T, user, channel, id string) {
	t.Helper()
	aid, value := e.button(t, channel, id)
	wantStatus(t, e.interaction(map[string]any{
		"type": "block_actions", "trigger_id": "TRIG", "user": map[string]any{"id": user},
		"container": map[string]any{"type": "message", "channel_id": channel, "message_ts": "1.1"},
		"channel":   map[string]any{"id": channel},
		"actions":   []map[string]any{{"block_id": "b", "action_id": aid, "value": value}},
	}), http.StatusOK)
}

// lastText is the text of the newest post or update in channel.
func (e *e2e) lastText(channel string) string {
	calls := e.api.allCalls()
	for i := len(calls) - 1; i >= 0; i-- {
		c := calls[i]
		if (c.Method == "chat.postMessage" || c.Method == "chat.update") && c.Form.Get("channel") == channel {
			return c.Form.Get("blocks") + c.Form.Get("text")
		}
	}
	return ""
}

func TestEndToEndUpgradeApprovedInSlack(t *testing.T) {
	e := newE2E(t)
	wantStatus(t, e.event(dmEvent("Ev1", "UALICE", "upgrade 5 E1 to E3 into the existing line")), http.StatusOK)
	if txt := e.lastText("DUALICE"); !strings.Contains(txt, "25 → 20") {
		t.Fatalf("no preview in Alice's DM: %s", txt)
	}
	e.press(t, "UALICE", "DUALICE", bot.ActConfirm)
	// Marc's approval card arrives in his DM, opened by the bot.
	if txt := e.lastText("DUMARC"); !strings.Contains(txt, "Approval needed") && !strings.Contains(txt, "Approbation requise") {
		t.Fatalf("no approval card for Marc: %s", txt)
	}
	updatesBefore := len(e.api.callsOf("chat.update"))
	e.press(t, "UMARC", "DUMARC", bot.ActApprove)
	if len(e.api.callsOf("chat.update")) <= updatesBefore {
		t.Fatal("the approval card was not updated in place")
	}
	if txt := e.lastText("DUMARC"); strings.Contains(txt, `"approve/`) {
		t.Fatalf("the decided card still has buttons: %s", txt)
	}
	if txt := e.lastText("DUALICE"); !strings.Contains(txt, "done") {
		t.Fatalf("Alice was not told: %s", txt)
	}
	e1, _ := e.sb.Subscription(context.Background(), "contoso", "sub-3")
	e3, _ := e.sb.Subscription(context.Background(), "contoso", "sub-4")
	if e1.Quantity != 20 || e3.Quantity != 10 {
		t.Fatalf("E1 %d E3 %d, want 20 and 10", e1.Quantity, e3.Quantity)
	}
	// One record per card says where it is shown: Alice's request card
	// in her DM, Marc's approval card in his.
	where := map[string]string{}
	for _, key := range []string{"request:R-1", "approval:R-1"} {
		rec, err := e.a.cards.Load(context.Background(), bot.Message{Key: key, CustomerID: "contoso"})
		if err != nil {
			t.Fatal(err)
		}
		for slot, p := range rec.Places {
			if p.MessageID != "" {
				where[slot] = p.Conversation
			}
		}
	}
	if where["slack:alice@contoso.example"] != "DUALICE" || where["slack:marc@reseller.example"] != "DUMARC" {
		t.Fatalf("card records: %+v", where)
	}
	// A Slack retry of the first event changes nothing.
	e.clk.Advance(time.Minute)
	wantStatus(t, e.event(dmEvent("Ev1", "UALICE", "upgrade 5 E1 to E3 into the existing line")), http.StatusOK)
	reqs, _ := e.sb.Subscriptions(context.Background(), "contoso")
	if len(reqs) != 7 {
		t.Fatalf("%d subscriptions after the retry", len(reqs))
	}
}

func TestEndToEndRejectWithReasonInSlack(t *testing.T) {
	e := newE2E(t)
	wantStatus(t, e.event(dmEvent("Ev2", "UALICE", "cancel business standard")), http.StatusOK)
	e.press(t, "UALICE", "DUALICE", bot.ActConfirm)
	e.press(t, "UMARC", "DUMARC", bot.ActReject)
	opens := e.api.callsOf("views.open")
	if len(opens) != 1 {
		t.Fatalf("views.open calls %d, want 1", len(opens))
	}
	view := opens[0].JSON["view"].(map[string]any)
	wantStatus(t, e.interaction(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": "UMARC"},
		"view": map[string]any{"callback_id": rejectCallbackID, "private_metadata": view["private_metadata"],
			"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": "still needed <!channel>"}}}}},
	}), http.StatusOK)
	txt := e.lastText("DUALICE")
	if !strings.Contains(txt, "Rejected by Marc") || !strings.Contains(txt, "still needed") {
		t.Fatalf("Alice's card: %s", txt)
	}
	if strings.Contains(txt, "<!channel>") {
		t.Fatalf("user text reached Slack unescaped: %s", txt)
	}
	sub, _ := e.sb.Subscription(context.Background(), "contoso", "sub-1")
	if sub.Status != "active" {
		t.Fatalf("subscription %s after a rejection", sub.Status)
	}
}

// Once a preview's Confirm is answered, its buttons are retired in place
// (with a line saying what was pressed), so no stale Confirm stays live.
func TestPressedPreviewLosesItsButtons(t *testing.T) {
	e := newE2E(t)
	wantStatus(t, e.event(dmEvent("Ev3", "UALICE", "add 2 business standard seats")), http.StatusOK)
	var preview apiCall
	for _, c := range e.api.callsOf("chat.postMessage") {
		if c.Form.Get("channel") == "DUALICE" {
			preview = c
		}
	}
	blocks := blocksOf(t, preview)
	aid, value := e.button(t, "DUALICE", bot.ActConfirm)
	wantStatus(t, e.interaction(map[string]any{
		"type": "block_actions", "trigger_id": "TRIG", "user": map[string]any{"id": "UALICE"},
		"container": map[string]any{"type": "message", "channel_id": "DUALICE", "message_ts": "1772445600.999"},
		"channel":   map[string]any{"id": "DUALICE"},
		"message":   map[string]any{"ts": "1772445600.999", "text": "Please check", "blocks": blocks},
		"actions":   []map[string]any{{"block_id": "b", "action_id": aid, "value": value, "text": map[string]any{"type": "plain_text", "text": "Confirm"}}},
	}), http.StatusOK)
	var retired *apiCall
	for _, c := range e.api.callsOf("chat.update") {
		if c.Form.Get("ts") == "1772445600.999" {
			c := c
			retired = &c
		}
	}
	if retired == nil {
		t.Fatal("the pressed preview was not updated")
	}
	got := retired.Form.Get("blocks")
	if strings.Contains(got, `"type":"actions"`) || !strings.Contains(got, "Confirm") || !strings.Contains(got, "10 → 12") {
		t.Fatalf("retired preview: %s", got)
	}
	sub, _ := e.sb.Subscription(context.Background(), "contoso", "sub-1")
	if sub.Quantity != 12 {
		t.Fatalf("quantity %d, want 12", sub.Quantity)
	}
}
