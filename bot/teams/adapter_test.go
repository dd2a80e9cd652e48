package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

func TestNewRequiresOptions(t *testing.T) {
	_, err := New(Options{})
	if err == nil || !strings.Contains(err.Error(), "AppID, AppPassword, People, Store, Clock") {
		t.Fatalf("err = %v", err)
	}
}

func TestTokenURLDefaults(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.TokenURL = "" })
	if want := "https://login.microsoftonline.com/" + testTenant + "/oauth2/v2.0/token"; e.a.conn.tokenURL != want {
		t.Fatalf("single-tenant token URL %q", e.a.conn.tokenURL)
	}
	m := newEnv(t, func(o *Options) { o.TokenURL, o.TenantID = "", "" })
	if m.a.conn.tokenURL != MultiTenantTokenURL {
		t.Fatalf("multi-tenant token URL %q", m.a.conn.tokenURL)
	}
}

func TestPersonalMessageAnswered(t *testing.T) {
	e := newEnv(t)
	w := e.post(e.message(alice, "m1", "  my   subscriptions "), "")
	if w.Code != http.StatusOK {
		t.Fatalf("answered %d", w.Code)
	}
	turns := e.h.got()
	if len(turns) != 1 {
		t.Fatalf("%d turns", len(turns))
	}
	tn := turns[0]
	if tn.Person.Email != "alice@contoso.example" || tn.Text != "my subscriptions" || tn.EventID != "m1" ||
		tn.Platform != "teams" || tn.Locale != "en-US" || tn.Conversation != "teams:"+personalConv(alice) || tn.Press != nil {
		t.Fatalf("turn %+v", tn)
	}
	posts := e.bf.posts()
	if len(posts) != 1 {
		t.Fatalf("%d posts", len(posts))
	}
	p := posts[0]
	if p.Op != "send" || p.Conv != personalConv(alice) || p.Auth != "Bearer tok-1" {
		t.Fatalf("post %+v", p)
	}
	c := cardOf(t, p.Activity)
	if c["version"] != "1.5" || !strings.Contains(cardText(t, c), "echo: my subscriptions") {
		t.Fatalf("card %v", c)
	}
	if p.Activity.Summary != "echo: my subscriptions" {
		t.Fatalf("summary %q", p.Activity.Summary)
	}
	// The sender's e-mail came from the roster once, then the cache.
	e.post(e.message(alice, "m2", "help"), "")
	if n := len(e.bf.callsOf("member")); n != 1 {
		t.Fatalf("roster read %d times", n)
	}
	// The conversation reference is kept, under the tenant and the e-mail.
	doc, err := e.store.Get(context.Background(), store.Ref{Collection: "teams-refs", ID: strings.ToLower(testTenant) + "|alice@contoso.example"})
	if err != nil {
		t.Fatal(err)
	}
	var ref storedRef
	if err := json.Unmarshal(doc.Data, &ref); err != nil || !ref.Personal || ref.Ref.Conversation.ID != personalConv(alice) ||
		ref.Ref.ServiceURL != e.bf.URL() || ref.Ref.User.ID != alice.id || ref.Ref.Bot.ID != botMRI {
		t.Fatalf("reference %s (%v)", doc.Data, err)
	}
	if doc.Version != 1 {
		t.Fatalf("reference rewritten without change: version %d", doc.Version)
	}
}

func TestUnknownPersonRefusedPolitely(t *testing.T) {
	e := newEnv(t)
	e.post(e.message(stranger, "m1", "add 2 seats"), "")
	fr := e.message(etranger, "m2", "ajoute 2 licences")
	fr.Locale = "fr-FR"
	e.post(fr, "")
	if len(e.h.got()) != 0 {
		t.Fatal("engine ran for someone not configured")
	}
	posts := e.bf.posts()
	if len(posts) != 2 {
		t.Fatalf("%d posts", len(posts))
	}
	if s := cardText(t, cardOf(t, posts[0].Activity)); !strings.Contains(s, "You're not set up for licence requests") {
		t.Fatalf("english refusal: %s", s)
	}
	if s := cardText(t, cardOf(t, posts[1].Activity)); !strings.Contains(s, "Vous n'êtes pas configuré") {
		t.Fatalf("french refusal: %s", s)
	}
	if strings.Contains(e.logs.String(), "stranger@elsewhere.example") {
		t.Fatal("an unknown person's e-mail was logged")
	}
	if _, err := e.store.Get(context.Background(), store.Ref{Collection: "teams-refs", ID: "stranger@elsewhere.example"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("reference kept for someone not configured")
	}
}

// The UPN matches when the roster has no e-mail.
func TestPersonByUserPrincipalName(t *testing.T) {
	e := newEnv(t)
	e.post(e.message(claire, "m1", "aide"), "")
	if got := e.h.got(); len(got) != 1 || got[0].Person.Email != "claire@contoso.example" {
		t.Fatalf("turns %+v", got)
	}
}

func TestChannelMentionAnsweredInThread(t *testing.T) {
	e := newEnv(t)
	act := e.message(alice, "1700000000001", "<at>licensebot</at> add 2 <b>E3</b> seats&nbsp;please")
	act.Conversation = &ConversationAccount{ID: "19:general@thread.tacv2;messageid=1700000000001", ConversationType: convChannel, TenantID: testTenant, IsGroup: true}
	act.ChannelData = json.RawMessage(`{"team":{"id":"19:team@thread.tacv2"},"tenant":{"id":"` + testTenant + `"}}`)
	act.Entities = []Entity{{Type: "mention", Text: "<at>licensebot</at>", Mentioned: &ChannelAccount{ID: botMRI, Name: "licensebot"}}}
	act.TextFormat = ""
	e.post(act, "")
	turns := e.h.got()
	if len(turns) != 1 || turns[0].Text != "add 2 E3 seats please" {
		t.Fatalf("turns %+v", turns)
	}
	posts := e.bf.posts()
	if len(posts) != 1 || posts[0].Op != "reply" || posts[0].Conv != "19:general@thread.tacv2" ||
		posts[0].ActivityID != "1700000000001" || posts[0].Activity.ReplyToID != "1700000000001" {
		t.Fatalf("posts %+v", posts)
	}
	// The roster was read from the team.
	if m := e.bf.callsOf("member"); len(m) != 1 || m[0].Conv != "19:team@thread.tacv2" {
		t.Fatalf("roster calls %+v", m)
	}
	// A channel reference does not count as a personal chat...
	ref, found, _ := e.a.loadRef(context.Background(), personRef(testTenant, "alice@contoso.example"))
	if !found || ref.Personal {
		t.Fatalf("ref %+v", ref)
	}
	// ...and never replaces one.
	e.post(e.message(alice, "m2", "hi"), "")
	e.post(act, "") // duplicate: ignored by the engine, reference untouched
	ref, _, _ = e.a.loadRef(context.Background(), personRef(testTenant, "alice@contoso.example"))
	if !ref.Personal || ref.Ref.Conversation.ID != personalConv(alice) {
		t.Fatalf("ref %+v", ref)
	}
}

func TestCleanText(t *testing.T) {
	act := &Activity{Recipient: &ChannelAccount{ID: botMRI}, Entities: []Entity{
		{Type: "mention", Text: "<at>Licence Bot</at>", Mentioned: &ChannelAccount{ID: botMRI}},
		{Type: "mention", Text: "<at>Bob</at>", Mentioned: &ChannelAccount{ID: "29:bob"}},
	}}
	for in, want := range map[string]string{
		"<at>Licence Bot</at> upgrade 5 E1 to E3":        "upgrade 5 E1 to E3",
		"ask <at>Bob</at> &amp; me":                      "ask Bob & me",
		"<p>line one</p><p>line   two</p>":               "line one\nline two",
		"3 &lt; 4 and a < b":                             "3 < 4 and a < b",
		"reason:\n  not in budget  ":                     "reason:\nnot in budget",
		"<div><at>Licence Bot</at>&nbsp;help</div><br/>": "help",
	} {
		act.Text = in
		if got := cleanText(act); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

// The engine de-duplicates on the activity id; a redelivered message is
// answered once.
func TestDuplicateMessageHandledOnce(t *testing.T) {
	e := newEnv(t)
	act := e.message(alice, "m1", "hello")
	e.post(act, "")
	e.post(act, "")
	if n := len(e.h.got()); n != 1 {
		t.Fatalf("%d turns", n)
	}
	if n := len(e.bf.posts()); n != 1 {
		t.Fatalf("%d posts", n)
	}
	if e.metrics.get("dropped:duplicate") != 1 {
		t.Fatal("duplicate not counted")
	}
}

func TestConversationUpdateKeepsReference(t *testing.T) {
	e := newEnv(t)
	act := e.message(marc, "cu1", "")
	act.Type = ActivityConversationUpdate
	act.MembersAdded = []ChannelAccount{{ID: botMRI}}
	if w := e.post(act, ""); w.Code != http.StatusOK {
		t.Fatalf("answered %d", w.Code)
	}
	ref, found, err := e.a.loadRef(context.Background(), personRef(testTenant, "marc@reseller.example"))
	if err != nil || !found || !ref.Personal || ref.Ref.Conversation.ID != personalConv(marc) {
		t.Fatalf("ref %+v found=%v err=%v", ref, found, err)
	}
	if len(e.h.got()) != 0 || len(e.bf.posts()) != 0 {
		t.Fatal("an install is not a turn")
	}
	// Added to a team: the team's reference is kept.
	team := e.message(marc, "cu2", "")
	team.Type = ActivityConversationUpdate
	team.MembersAdded = []ChannelAccount{{ID: botMRI}}
	team.Conversation = &ConversationAccount{ID: "19:approvals@thread.tacv2", ConversationType: convChannel, TenantID: testTenant}
	e.post(team, "")
	if _, found, _ := e.a.loadRef(context.Background(), conversationRef("19:approvals@thread.tacv2")); !found {
		t.Fatal("team reference not kept")
	}
}

// installed stores a personal reference for u, as an install does.
func (e *env) installed(u user) {
	e.t.Helper()
	act := e.message(u, "install-"+u.aad, "")
	act.Type = ActivityConversationUpdate
	act.MembersAdded = []ChannelAccount{{ID: botMRI}}
	if w := e.post(act, ""); w.Code != http.StatusOK {
		e.t.Fatalf("install answered %d", w.Code)
	}
}

func marcPerson() workflows.Person {
	p, _ := workflows.NewDirectory(testPeople).Lookup("marc@reseller.example")
	return p
}

func alicePerson() workflows.Person {
	p, _ := workflows.NewDirectory(testPeople).Lookup("alice@contoso.example")
	return p
}

func approvalMsg(state string, confirm bool) bot.Message {
	m := goldenMessages()["approval_"+state]
	if !confirm {
		for i := range m.Actions {
			m.Actions[i].Confirm = ""
		}
	}
	return m
}

func TestDeliverProactiveAndUpdateInPlace(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	ctx := context.Background()
	if err := e.a.Deliver(ctx, marcPerson(), approvalMsg("pending", true)); err != nil {
		t.Fatal(err)
	}
	posts := e.bf.posts()
	if len(posts) != 1 || posts[0].Conv != personalConv(marc) {
		t.Fatalf("posts %+v", posts)
	}
	c := cardOf(t, posts[0].Activity)
	refresh := c["refresh"].(map[string]any)
	if ids := refresh["userIds"].([]any); len(ids) != 1 || ids[0] != marc.id {
		t.Fatalf("refresh %v", refresh)
	}
	// The same card again: nothing to do.
	if err := e.a.Deliver(ctx, marcPerson(), approvalMsg("pending", true)); err != nil {
		t.Fatal(err)
	}
	// A new version: the same message is updated in place.
	if err := e.a.Deliver(ctx, marcPerson(), approvalMsg("approved", false)); err != nil {
		t.Fatal(err)
	}
	if n := len(e.bf.posts()); n != 1 {
		t.Fatalf("%d posts", n)
	}
	ups := e.bf.callsOf("update")
	if len(ups) != 1 || ups[0].Method != http.MethodPut || ups[0].Conv != personalConv(marc) || ups[0].ActivityID != "act-1" {
		t.Fatalf("updates %+v", ups)
	}
	if s := cardText(t, cardOf(t, ups[0].Activity)); !strings.Contains(s, "Approved by Marc") {
		t.Fatalf("updated card: %s", s)
	}
	if cardOf(t, ups[0].Activity)["actions"] != nil {
		t.Fatal("decided card still has buttons")
	}
}

// A card deleted in Teams is posted anew.
func TestCardGonePostsAnew(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	ctx := context.Background()
	_ = e.a.Deliver(ctx, marcPerson(), approvalMsg("pending", false))
	e.bf.then("update", scripted{status: 404, body: `{"error":{"code":"ActivityNotFoundInConversation"}}`})
	if err := e.a.Deliver(ctx, marcPerson(), approvalMsg("rejected", false)); err != nil {
		t.Fatal(err)
	}
	if n := len(e.bf.posts()); n != 2 {
		t.Fatalf("%d posts", n)
	}
	// Later versions update the new message.
	_ = e.a.Deliver(ctx, marcPerson(), approvalMsg("expired", false))
	ups := e.bf.callsOf("update")
	if len(ups) != 2 || ups[1].ActivityID != "act-2" {
		t.Fatalf("updates %+v", ups)
	}
}

func TestDeliverWithoutReference(t *testing.T) {
	e := newEnv(t)
	err := e.a.Deliver(context.Background(), marcPerson(), approvalMsg("pending", false))
	if !errors.Is(err, ErrNoConversation) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "R-3") {
		t.Fatalf("error does not name the request: %v", err)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"request":"R-3"`) || !strings.Contains(logs, "no conversation with this person yet") {
		t.Fatalf("not logged clearly: %s", logs)
	}
	if len(e.bf.posts()) != 0 {
		t.Fatal("posted somewhere")
	}
}

func TestApprovalFallsBackToApprovalsConversation(t *testing.T) {
	var e *env
	e = newEnv(t, func(o *Options) { o.ApprovalsConversation = "19:approvals@thread.tacv2" })
	e.a.opt.ApprovalsServiceURL = e.bf.URL()
	ctx := context.Background()
	if err := e.a.Deliver(ctx, marcPerson(), approvalMsg("pending", false)); err != nil {
		t.Fatal(err)
	}
	posts := e.bf.posts()
	if len(posts) != 1 || posts[0].Conv != "19:approvals@thread.tacv2" {
		t.Fatalf("posts %+v", posts)
	}
	// A second approver's copy of the same card is the same message.
	other := marcPerson()
	other.Email = "backup@reseller.example"
	if err := e.a.Deliver(ctx, other, approvalMsg("pending", false)); err != nil {
		t.Fatal(err)
	}
	if err := e.a.Deliver(ctx, other, approvalMsg("approved", false)); err != nil {
		t.Fatal(err)
	}
	if len(e.bf.posts()) != 1 || len(e.bf.callsOf("update")) != 1 {
		t.Fatalf("posts %d, updates %d", len(e.bf.posts()), len(e.bf.callsOf("update")))
	}
	// Other messages are not sent there.
	if err := e.a.Deliver(ctx, marcPerson(), bot.Message{Kind: bot.KindReminder, Text: "x", RequestID: "R-4"}); !errors.Is(err, ErrNoConversation) {
		t.Fatalf("err = %v", err)
	}
}

// Someone known only from a channel gets a personal chat opened.
func TestDeliverOpensPersonalChat(t *testing.T) {
	e := newEnv(t)
	act := e.message(marc, "c1", "<at>licensebot</at> help")
	act.Conversation = &ConversationAccount{ID: "19:general@thread.tacv2;messageid=c1", ConversationType: convChannel, TenantID: testTenant}
	e.post(act, "")
	before := len(e.bf.posts())
	if err := e.a.Deliver(context.Background(), marcPerson(), bot.Message{Kind: bot.KindReminder, Lang: "en", Text: "Renewal soon"}); err != nil {
		t.Fatal(err)
	}
	cr := e.bf.callsOf("create")
	if len(cr) != 1 || cr[0].Create.Members[0].ID != marc.id || cr[0].Create.Bot.ID != botMRI || cr[0].Create.TenantID != testTenant {
		t.Fatalf("create %+v", cr)
	}
	posts := e.bf.posts()
	if len(posts) != before+1 || posts[len(posts)-1].Conv != "a:personal-"+marc.id {
		t.Fatalf("posts %+v", posts)
	}
	ref, _, _ := e.a.loadRef(context.Background(), personRef(testTenant, "marc@reseller.example"))
	if !ref.Personal || ref.Ref.Conversation.ID != "a:personal-"+marc.id {
		t.Fatalf("ref %+v", ref)
	}
}

// Replies meant for someone else go to them, not into this chat.
func TestReplyForAnotherPersonDelivered(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	e.h.setReply(func(tn bot.Turn) []bot.Message {
		m := approvalMsg("pending", false)
		return []bot.Message{{To: tn.Person.Email, Text: "Sent for approval."}, m}
	})
	e.post(e.message(alice, "m1", "upgrade"), "")
	posts := e.bf.posts()
	if len(posts) != 2 || posts[0].Conv != personalConv(alice) || posts[1].Conv != personalConv(marc) {
		t.Fatalf("posts %+v", posts)
	}
}

func TestInvokeApproveAnswersWithUpdatedCard(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	_ = e.a.Deliver(context.Background(), marcPerson(), approvalMsg("pending", false))
	e.h.setReply(func(tn bot.Turn) []bot.Message {
		return []bot.Message{approvalMsg("approved", false)}
	})
	res := e.invoke(e.press(marc, "inv-1", "act-1", map[string]string{"action": "approve", "value": "C1:R-3", "key": "approval:R-3"}))
	c := res.card(t)
	if s := cardText(t, c); !strings.Contains(s, "Approved by Marc") || c["actions"] != nil {
		t.Fatalf("invoke card %v", c)
	}
	turns := e.h.got()
	if len(turns) != 1 || turns[0].Press == nil || *turns[0].Press != (bot.Press{ID: "approve", Value: "C1:R-3"}) || turns[0].EventID != "inv-1" {
		t.Fatalf("turns %+v", turns)
	}
	// The message itself is updated too, for Marc's other devices.
	ups := e.bf.callsOf("update")
	if len(ups) != 1 || ups[0].ActivityID != "act-1" {
		t.Fatalf("updates %+v", ups)
	}
	// And a refresh now shows the approved card.
	ref := e.invoke(e.press(marc, "inv-2", "act-1", map[string]string{"action": "refresh", "key": "approval:R-3"}))
	if s := cardText(t, ref.card(t)); !strings.Contains(s, "Approved by Marc") {
		t.Fatalf("refresh card %s", s)
	}
	if len(e.h.got()) != 1 {
		t.Fatal("a refresh ran a turn")
	}
}

func TestInvokeConfirmStep(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	_ = e.a.Deliver(context.Background(), marcPerson(), approvalMsg("pending", true))
	data := map[string]string{"action": "approve", "value": "C1:R-3", "key": "approval:R-3", "confirm": "1"}
	res := e.invoke(e.press(marc, "inv-1", "act-1", data))
	c := res.card(t)
	s := cardText(t, c)
	if !strings.Contains(s, "Approving R-3 makes an irreversible change") || !strings.Contains(s, "Yes, approve") || !strings.Contains(s, "Are you sure?") {
		t.Fatalf("confirmation card: %s", s)
	}
	if len(e.h.got()) != 0 {
		t.Fatal("the turn ran before confirmation")
	}
	// No: the card as it was.
	no := e.invoke(e.press(marc, "inv-2", "act-1", map[string]string{"action": "refresh", "key": "approval:R-3"}))
	if s := cardText(t, no.card(t)); strings.Contains(s, "Are you sure?") || !strings.Contains(s, "Approve") {
		t.Fatalf("after No: %s", s)
	}
	// Yes: the press runs.
	data["confirmed"] = "1"
	e.invoke(e.press(marc, "inv-3", "act-1", data))
	if got := e.h.got(); len(got) != 1 || got[0].Press.ID != "approve" {
		t.Fatalf("turns %+v", got)
	}
	// A client that drops the confirm flag is still asked: the stored
	// card says the action wants confirmation.
	delete(data, "confirm")
	delete(data, "confirmed")
	e.invoke(e.press(marc, "inv-4", "act-1", data))
	if len(e.h.got()) != 1 {
		t.Fatal("confirmation skipped")
	}
}

func TestInvokeRejectWithReason(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	_ = e.a.Deliver(context.Background(), marcPerson(), approvalMsg("pending", false))
	e.h.setReply(func(bot.Turn) []bot.Message { return []bot.Message{approvalMsg("rejected", false)} })
	res := e.invoke(e.press(marc, "inv-1", "act-1", map[string]string{"action": "reject", "value": "C1:R-3", "key": "approval:R-3",
		"reason": "  Not in this quarter's budget  "}))
	if s := cardText(t, res.card(t)); !strings.Contains(s, "Rejected by Marc") {
		t.Fatalf("card %s", s)
	}
	got := e.h.got()
	if len(got) != 1 || got[0].Press.ID != "reject" || got[0].Press.Text != "Not in this quarter's budget" {
		t.Fatalf("turns %+v", got)
	}
	// The reason box is sent with every button; only Reject uses it.
	e.h.setReply(nil)
	e.invoke(e.press(marc, "inv-2", "act-1", map[string]string{"action": "approve", "value": "C1:R-3", "key": "approval:R-3", "reason": "hm"}))
	if got := e.h.got(); got[1].Press.Text != "" {
		t.Fatalf("approve carried a reason: %+v", got[1].Press)
	}
}

// Reject without a reason: the engine asks in the chat; the card stays.
func TestInvokeRejectWithoutReasonAsksInChat(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	_ = e.a.Deliver(context.Background(), marcPerson(), approvalMsg("pending", false))
	e.h.setReply(func(tn bot.Turn) []bot.Message {
		return []bot.Message{{To: tn.Person.Email, Kind: bot.KindQuestion, Lang: "en", Text: "Why are you rejecting R-3?"}}
	})
	res := e.invoke(e.press(marc, "inv-1", "act-1", map[string]string{"action": "reject", "value": "C1:R-3", "key": "approval:R-3"}))
	if s := cardText(t, res.card(t)); !strings.Contains(s, "Approval needed: R-3") {
		t.Fatalf("card %s", s)
	}
	if got := e.h.got(); got[0].Press.Text != "" {
		t.Fatalf("press %+v", got[0].Press)
	}
	posts := e.bf.posts()
	if s := cardText(t, cardOf(t, posts[len(posts)-1].Activity)); !strings.Contains(s, "Why are you rejecting R-3?") {
		t.Fatalf("question not posted: %s", s)
	}
	if len(e.bf.callsOf("update")) != 0 {
		t.Fatal("card updated")
	}
}

// A repeated press is handled once and still gets a valid response.
func TestDuplicateInvoke(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	_ = e.a.Deliver(context.Background(), marcPerson(), approvalMsg("pending", false))
	e.h.setReply(func(bot.Turn) []bot.Message { return []bot.Message{approvalMsg("approved", false)} })
	act := e.press(marc, "inv-1", "act-1", map[string]string{"action": "approve", "value": "C1:R-3", "key": "approval:R-3"})
	first := e.invoke(act)
	second := e.invoke(act)
	if len(e.h.got()) != 1 {
		t.Fatalf("%d turns", len(e.h.got()))
	}
	if s := cardText(t, second.card(t)); !strings.Contains(s, "Approved by Marc") {
		t.Fatalf("duplicate answered with %s", s)
	}
	if string(first.Value) != string(second.Value) {
		t.Fatalf("answers differ:\n%s\n%s", first.Value, second.Value)
	}
}

// On a card without a Key (a preview), the first reply takes its place.
func TestInvokeOnPreviewReplacesIt(t *testing.T) {
	e := newEnv(t)
	preview := goldenMessages()["preview"]
	e.h.setReply(func(tn bot.Turn) []bot.Message {
		if tn.Press == nil {
			return []bot.Message{preview}
		}
		return []bot.Message{goldenMessages()["request_pending"], {Text: "I'll tell you when it's decided."}}
	})
	e.post(e.message(alice, "m1", "add 2 seats"), "")
	res := e.invoke(e.press(alice, "inv-1", "act-1", map[string]string{"action": "confirm", "value": "a1b2c3"}))
	if s := cardText(t, res.card(t)); !strings.Contains(s, "Request R-3") {
		t.Fatalf("card %s", s)
	}
	ups := e.bf.callsOf("update")
	if len(ups) != 1 || ups[0].ActivityID != "act-1" {
		t.Fatalf("updates %+v", ups)
	}
	// The request card now lives in that message: its next version
	// updates it.
	done := goldenMessages()["request_completed"]
	done.Key = "request:R-3"
	if err := e.a.Deliver(context.Background(), alicePerson(), done); err != nil {
		t.Fatal(err)
	}
	if ups := e.bf.callsOf("update"); len(ups) != 2 || ups[1].ActivityID != "act-1" {
		t.Fatalf("updates %+v", ups)
	}
	if n := len(e.bf.posts()); n != 2 { // the preview, then the text reply
		t.Fatalf("%d posts", n)
	}
}

func TestInvokeFromUnknownPerson(t *testing.T) {
	e := newEnv(t)
	res := e.invoke(e.press(stranger, "inv-1", "act-9", map[string]string{"action": "approve", "value": "C1:R-3"}))
	if s := res.message(t); !strings.Contains(s, "not set up") {
		t.Fatalf("message %q", s)
	}
	if len(e.h.got()) != 0 {
		t.Fatal("turn ran")
	}
}

func TestOtherInvokesNotImplemented(t *testing.T) {
	e := newEnv(t)
	act := e.press(alice, "inv-1", "", map[string]string{"action": "x"})
	act.Name = "task/fetch"
	if w := e.post(act, ""); w.Code != http.StatusNotImplemented {
		t.Fatalf("answered %d", w.Code)
	}
}

func TestRetryAfter429(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	e.bf.then("send", scripted{status: 429, header: map[string]string{"Retry-After": "2"}, body: `{"error":{"code":"TooManyRequests"}}`})
	if err := e.a.Deliver(context.Background(), marcPerson(), bot.Message{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.bf.posts()); n != 2 {
		t.Fatalf("%d attempts", n)
	}
	sl := e.slept()
	if len(sl) != 1 || sl[0] < 2*time.Second || sl[0] > 3*time.Second {
		t.Fatalf("slept %v", sl)
	}
	if e.metrics.get("rate_limited") != 1 || e.metrics.get("api_error:send") != 1 {
		t.Fatalf("metrics %v", e.metrics.counts)
	}
}

func TestServerErrorsRetriedClientErrorsNot(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	e.bf.then("send", scripted{status: 503})
	e.bf.then("send", scripted{status: 502})
	if err := e.a.Deliver(context.Background(), marcPerson(), bot.Message{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.bf.posts()); n != 3 {
		t.Fatalf("%d attempts", n)
	}
	e.bf.then("send", scripted{status: 400, body: `{"error":{"code":"BadArgument"}}`})
	err := e.a.Deliver(context.Background(), marcPerson(), bot.Message{Text: "hi"})
	if err == nil || statusOf(err) != 400 || !strings.Contains(err.Error(), "BadArgument") {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.bf.posts()); n != 4 {
		t.Fatalf("a 400 was retried: %d attempts", n)
	}
	// Retries are bounded.
	for range 5 {
		e.bf.then("send", scripted{status: 500})
	}
	if err := e.a.Deliver(context.Background(), marcPerson(), bot.Message{Text: "hi"}); statusOf(err) != 500 {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.bf.posts()); n != 9 {
		t.Fatalf("%d attempts", n)
	}
}

func TestTokenCachedRefreshedAndRenewedOn401(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	for range 3 {
		_ = e.a.Deliver(context.Background(), marcPerson(), bot.Message{Text: "hi"})
	}
	if _, _, tokens := e.bf.counts(); tokens != 1 {
		t.Fatalf("%d token requests", tokens)
	}
	e.clk.Advance(58 * time.Minute) // within 5 minutes of expiry
	_ = e.a.Deliver(context.Background(), marcPerson(), bot.Message{Text: "hi"})
	if _, _, tokens := e.bf.counts(); tokens != 2 {
		t.Fatalf("%d token requests", tokens)
	}
	// The Connector refuses the token: one new token, one retry.
	e.bf.mu.Lock()
	delete(e.bf.issued, "tok-2")
	e.bf.mu.Unlock()
	if err := e.a.Deliver(context.Background(), marcPerson(), bot.Message{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if _, _, tokens := e.bf.counts(); tokens != 3 {
		t.Fatalf("%d token requests", tokens)
	}
	for _, c := range e.bf.posts() {
		if c.Auth == "" {
			t.Fatal("unauthenticated post")
		}
	}
}

func TestBadCredentialsSaidClearly(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AppPassword = "wrong" })
	e.installed(marc) // the roster read fails: no reference
	act := e.message(marc, "x", "")
	e.a.saveReference(context.Background(), "t", "marc@reseller.example", &act)
	err := e.a.Deliver(context.Background(), marcPerson(), bot.Message{Text: "hi"})
	if err == nil || !strings.Contains(err.Error(), "TEAMS_APP_PASSWORD") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(e.logs.String(), "wrong") {
		t.Fatal("the secret was logged")
	}
}

// Many senders at once: one token, every message posted, no race.
func TestConcurrentSends(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	e.installed(alice)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			p := marcPerson()
			if i%2 == 0 {
				p = alicePerson()
			}
			m := bot.Message{Text: fmt.Sprintf("n%d", i)}
			if i%4 == 0 {
				m.Key = fmt.Sprintf("request:R-%d", i%8)
			}
			errs <- e.a.Deliver(context.Background(), p, m)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, _, tokens := e.bf.counts(); tokens != 1 {
		t.Fatalf("%d token requests", tokens)
	}
	if n := len(e.bf.posts()) + len(e.bf.callsOf("update")); n != 40 {
		t.Fatalf("%d sends", n)
	}
	// 20 messages to one conversation in an instant: paced.
	var paced int
	for _, d := range e.slept() {
		if d >= time.Second {
			paced++
		}
	}
	if paced == 0 {
		t.Fatal("no pacing")
	}
}

func TestPacer(t *testing.T) {
	p := newPacer(teamsLimits())
	now := testNow
	var waits []time.Duration
	for range 20 {
		waits = append(waits, p.reserve("c1", now))
	}
	for i, w := range waits {
		if want := time.Duration(i/7) * time.Second; w != want {
			t.Fatalf("send %d waits %v, want %v (%v)", i, w, want, waits)
		}
	}
	if w := p.reserve("c2", now); w != 0 {
		t.Fatalf("another conversation waits %v", w)
	}
	// 60 in 30 s: spread sends, one every 200 ms, hit the 30 s window.
	q := newPacer(teamsLimits())
	var last time.Duration
	for i := range 61 {
		at := now.Add(time.Duration(i) * 200 * time.Millisecond)
		last = q.reserve("c", at)
		if i < 60 && last != 0 {
			t.Fatalf("send %d waits %v", i, last)
		}
	}
	if want := 30*time.Second - 60*200*time.Millisecond; last != want {
		t.Fatalf("61st send waits %v, want %v", last, want)
	}
}

func TestQueueFullAnswers503(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Workers, o.QueueSize = 1, 1 })
	gate := make(chan struct{})
	e.h.setReply(func(bot.Turn) []bot.Message { <-gate; return nil })
	send := func(id string) int {
		body, _ := json.Marshal(e.message(alice, id, "hi"))
		r := httptest.NewRequest(http.MethodPost, "/api/messages", bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+e.signed(nil))
		w := httptest.NewRecorder()
		e.mux.ServeHTTP(w, r)
		return w.Code
	}
	codes := []int{send("q1"), send("q2"), send("q3")}
	close(gate)
	e.a.run.Idle()
	if codes[0] != 200 || codes[2] != http.StatusServiceUnavailable {
		t.Fatalf("codes %v", codes)
	}
	if e.metrics.get("dropped:queue_full") == 0 {
		t.Fatal("not counted")
	}
}

func TestCloseStopsTakingWork(t *testing.T) {
	e := newEnv(t)
	if err := e.a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := e.post(e.message(alice, "m1", "hi"), ""); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("answered %d", w.Code)
	}
}

func TestUninstallForgetsReference(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	act := e.message(marc, "cu-rm", "")
	act.Type = ActivityConversationUpdate
	act.MembersRemoved = []ChannelAccount{{ID: botMRI}}
	e.post(act, "")
	if err := e.a.Deliver(context.Background(), marcPerson(), bot.Message{Text: "hi"}); !errors.Is(err, ErrNoConversation) {
		t.Fatalf("err = %v", err)
	}
	e.installed(marc) // and back
	if err := e.a.Deliver(context.Background(), marcPerson(), bot.Message{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
}

// A conversation that refuses the bot (blocked, removed) is reported as
// no conversation, so a router can fall back.
func TestRefusedConversationIsNoConversation(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	e.bf.then("send", scripted{status: 403, body: `{"error":{"code":"BotDisabledByAdmin"}}`})
	err := e.a.Deliver(context.Background(), marcPerson(), bot.Message{Text: "hi", RequestID: "R-7"})
	if !errors.Is(err, ErrNoConversation) || statusOf(err) != 403 {
		t.Fatalf("err = %v", err)
	}
}

// A turn says which tenant it comes from.
func TestTurnCarriesTenant(t *testing.T) {
	e := newEnv(t)
	if w := e.post(e.message(alice, "m1", "hello"), ""); w.Code != http.StatusOK {
		t.Fatalf("answered %d", w.Code)
	}
	turns := e.h.got()
	if len(turns) != 1 || turns[0].Org != (workflows.Org{Platform: "teams", ID: testTenant}) {
		t.Fatalf("turns %+v", turns)
	}
}
