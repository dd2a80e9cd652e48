package teams

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/licensebot/licensebot/bot"
)

// submit is the Action.Submit fallback of a press: a message activity
// from u, replying to the card activity cardID, whose value is the
// button's data and no text.
func (e *env) submit(u user, id, cardID string, data map[string]string) Activity {
	act := e.message(u, id, "")
	act.ReplyToID = cardID
	raw, err := json.Marshal(data)
	if err != nil {
		e.t.Fatal(err)
	}
	act.Value = raw
	return act
}

// submitOf finds the Action.Submit (a fallback) whose data names action
// on a card.
func submitOf(t *testing.T, card map[string]any, action string) map[string]string {
	t.Helper()
	var found map[string]string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if d, ok := x["data"].(map[string]any); ok && x["type"] == "Action.Submit" && d["action"] == action && found == nil {
				found = map[string]string{}
				for k, v := range d {
					if s, ok := v.(string); ok {
						found[k] = s
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
		t.Fatalf("no Action.Submit for %q on %s", action, cardText(t, card))
	}
	return found
}

// A press from a client without Universal Actions runs the same turn as
// the Execute and replaces the pressed card with the answer.
func TestSubmitFallbackIsAPress(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	_ = e.a.Deliver(context.Background(), marcPerson(), approvalMsg("pending", false))
	e.h.setReply(func(bot.Turn) []bot.Message { return []bot.Message{approvalMsg("approved", false)} })
	card := cardOf(t, e.bf.posts()[0].Activity)
	data := submitOf(t, card, bot.ActApprove)
	if w := e.post(e.submit(marc, "msg-1", "act-1", data), ""); w.Code != http.StatusOK {
		t.Fatalf("answered %d", w.Code)
	}
	turns := e.h.got()
	if len(turns) != 1 || turns[0].Press == nil || *turns[0].Press != (bot.Press{ID: "approve", Value: "C1:R-3"}) || turns[0].EventID != "msg-1" || turns[0].Text != "" {
		t.Fatalf("turns %+v", turns)
	}
	ups := e.bf.callsOf("update")
	if len(ups) != 1 || ups[0].ActivityID != "act-1" || ups[0].Conv != personalConv(marc) {
		t.Fatalf("updates %+v", ups)
	}
	if s := cardText(t, cardOf(t, ups[0].Activity)); !strings.Contains(s, "Approved by Marc") {
		t.Fatalf("updated card: %s", s)
	}
	// Redelivered by the Bot Framework: handled once, nothing shown again.
	e.post(e.submit(marc, "msg-1", "act-1", data), "")
	if len(e.h.got()) != 1 || len(e.bf.callsOf("update")) != 1 || len(e.bf.posts()) != 1 {
		t.Fatalf("a redelivered Submit was handled again: %d turns, %d updates, %d posts",
			len(e.h.got()), len(e.bf.callsOf("update")), len(e.bf.posts()))
	}
}

// An action that asks "Are you sure?" never runs from its first Submit:
// the card turns into the confirmation step, whose [Yes] fallback
// carries the confirmed flag; [No] shows the card again.
func TestSubmitFallbackAsksForConfirmation(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	_ = e.a.Deliver(context.Background(), marcPerson(), approvalMsg("pending", true))
	data := submitOf(t, cardOf(t, e.bf.posts()[0].Activity), bot.ActApprove)
	if data["confirm"] != "1" || data["confirmed"] != "" {
		t.Fatalf("fallback data %v", data)
	}
	e.post(e.submit(marc, "msg-1", "act-1", data), "")
	if len(e.h.got()) != 0 {
		t.Fatal("an irreversible approval ran without confirmation")
	}
	ups := e.bf.callsOf("update")
	if len(ups) != 1 || ups[0].ActivityID != "act-1" {
		t.Fatalf("updates %+v", ups)
	}
	step := cardOf(t, ups[0].Activity)
	if s := cardText(t, step); !strings.Contains(s, "Are you sure?") || !strings.Contains(s, "Approving R-3 makes an irreversible change") {
		t.Fatalf("confirmation card: %s", s)
	}
	yes := submitOf(t, step, bot.ActApprove)
	if yes["confirmed"] != "1" {
		t.Fatalf("[Yes] fallback does not carry the confirmed flag: %v", yes)
	}
	// A client that drops the flag is asked again: the stored card says
	// the action wants confirmation.
	bare := map[string]string{"action": "approve", "value": "C1:R-3", "key": "approval:R-3"}
	e.post(e.submit(marc, "msg-2", "act-1", bare), "")
	if len(e.h.got()) != 0 {
		t.Fatal("confirmation skipped when the flag was dropped")
	}
	// [No]: the card as it was, buttons and all.
	e.post(e.submit(marc, "msg-3", "act-1", submitOf(t, step, verbRefresh)), "")
	ups = e.bf.callsOf("update")
	if s := cardText(t, cardOf(t, ups[len(ups)-1].Activity)); strings.Contains(s, "Are you sure?") || !strings.Contains(s, "Approve") {
		t.Fatalf("after No: %s", s)
	}
	if len(e.h.got()) != 0 {
		t.Fatal("[No] ran a turn")
	}
	// [Yes]: the approval runs, once.
	e.post(e.submit(marc, "msg-4", "act-1", yes), "")
	if got := e.h.got(); len(got) != 1 || got[0].Press.ID != "approve" || got[0].Press.Value != "C1:R-3" {
		t.Fatalf("turns %+v", got)
	}
}

// The reason box's text comes with the Submit, as with the Execute.
func TestSubmitFallbackRejectWithReason(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	_ = e.a.Deliver(context.Background(), marcPerson(), approvalMsg("pending", false))
	e.h.setReply(func(bot.Turn) []bot.Message { return []bot.Message{approvalMsg("rejected", false)} })
	data := submitOf(t, cardOf(t, e.bf.posts()[0].Activity), bot.ActReject)
	data["reason"] = "  no budget  "
	e.post(e.submit(marc, "msg-1", "act-1", data), "")
	if got := e.h.got(); len(got) != 1 || got[0].Press.ID != "reject" || got[0].Press.Text != "no budget" {
		t.Fatalf("turns %+v", got)
	}
}

// The fallback passes the same gates as the Execute: someone not set up
// is told so and nothing runs; a tenant nobody linked is refused before
// anything is read; a value that is not ours is ignored.
func TestSubmitFallbackChecks(t *testing.T) {
	e := newEnv(t)
	data := map[string]string{"action": "approve", "value": "C1:R-3", "key": "approval:R-3", "confirmed": "1"}
	e.post(e.submit(stranger, "msg-1", "act-9", data), "")
	if len(e.h.got()) != 0 {
		t.Fatal("a turn ran for someone not set up")
	}
	posts := e.bf.posts()
	if len(posts) != 1 || !strings.Contains(cardText(t, cardOf(t, posts[0].Activity)), "not set up") {
		t.Fatalf("posts %+v", posts)
	}

	te, _ := newTenantsEnv(t)
	if w := te.post(inTenant(te.submit(alice, "msg-2", "act-1", data), tenantUnlinked), ""); w.Code != http.StatusForbidden {
		t.Fatalf("a Submit from an unlinked tenant answered %d", w.Code)
	}
	if len(te.h.got()) != 0 {
		t.Fatal("a Submit from an unlinked tenant ran a turn")
	}

	other := e.message(alice, "msg-3", "")
	other.Value = json.RawMessage(`{"msteams":{"type":"messageBack"},"foo":1}`)
	e.post(other, "")
	if len(e.h.got()) != 0 || len(e.bf.posts()) != 1 {
		t.Fatal("a value that is not one of our actions was acted on")
	}
}

// With the real engine: Marc approves a cancellation through the
// fallback buttons alone (the confirmation step included), and Alice,
// pressing the same button data, cannot approve her own request.
func TestEndToEndApprovedThroughSubmitFallback(t *testing.T) {
	e := newE2E(t)
	e.installed(marc)
	e.post(e.message(alice, "m-1", "cancel business standard"), "")
	preview, previewID := e.shown(t, personalConv(alice))
	e.post(e.submit(alice, "s-1", previewID, submitOf(t, preview, bot.ActConfirm)), "")
	step, _ := e.lastCard(t, personalConv(alice))
	e.post(e.submit(alice, "s-1b", previewID, submitOf(t, step, bot.ActConfirm)), "")
	card, cardID := e.shown(t, personalConv(marc))
	if s := cardText(t, card); !strings.Contains(s, "R-1") {
		t.Fatalf("Marc's card: %s", s)
	}
	approve := submitOf(t, card, bot.ActApprove)

	// Alice replays the approval button's data from her own chat.
	forged := maps.Clone(approve)
	forged["confirmed"] = "1"
	e.post(e.submit(alice, "s-2", previewID, forged), "")
	if sub, _ := e.sb.Subscription(context.Background(), "contoso", "sub-1"); sub.Status == "cancelled" {
		t.Fatal("the requester approved her own request through the fallback")
	}

	e.post(e.submit(marc, "s-3", cardID, approve), "")
	step, _ = e.lastCard(t, personalConv(marc))
	if s := cardText(t, step); !strings.Contains(s, "Are you sure?") {
		t.Fatalf("no confirmation step for an irreversible approval: %s", s)
	}
	if sub, _ := e.sb.Subscription(context.Background(), "contoso", "sub-1"); sub.Status == "cancelled" {
		t.Fatal("cancelled before confirmation")
	}
	e.post(e.submit(marc, "s-4", cardID, submitOf(t, step, bot.ActApprove)), "")
	done, _ := e.lastCard(t, personalConv(marc))
	if s := cardText(t, done); !strings.Contains(s, "Approved by Marc") {
		t.Fatalf("Marc's card after approving: %s", s)
	}
	if sub, _ := e.sb.Subscription(context.Background(), "contoso", "sub-1"); sub.Status != "cancelled" {
		t.Fatalf("Business Standard is %s, want cancelled", sub.Status)
	}
}

// shown is the newest card posted in conv and the activity id the fake
// connector gave it (act-N, N counting every post).
func (e *e2e) shown(t *testing.T, conv string) (map[string]any, string) {
	t.Helper()
	posts := e.bf.posts()
	for i := len(posts) - 1; i >= 0; i-- {
		if posts[i].Conv == conv {
			return cardOf(t, posts[i].Activity), fmt.Sprintf("act-%d", i+1)
		}
	}
	t.Fatalf("nothing posted in %s", conv)
	return nil, ""
}
