package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/workflows"
)

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// fakeHandler stands in for the engine: it records turns and answers
// with reply(turn).
type fakeHandler struct {
	// claims, when set, de-duplicates turns on their event id as the
	// engine does (bot.Engine claims "event:<platform>:<id>").
	claims store.Claims
	mu     sync.Mutex
	turns  []bot.Turn
	reply  func(bot.Turn) []bot.Message
	// gate, when set, blocks each turn until it is closed.
	gate chan struct{}
}

// StartTurn claims the event before the sender is looked up, as the
// engine does (channel.TurnStarter).
func (h *fakeHandler) StartTurn(ctx context.Context, platform, eventID, _ string) (context.Context, func(), error) {
	if h.claims == nil || eventID == "" {
		return ctx, func() {}, nil
	}
	won, err := h.claims.Claim(ctx, "event:"+platform+":"+eventID, time.Hour)
	switch {
	case err != nil:
		return ctx, func() {}, err
	case !won:
		return ctx, func() {}, bot.ErrDuplicateEvent
	}
	return context.WithValue(ctx, fakeClaimed{}, eventID), func() {}, nil
}

type fakeClaimed struct{}

func (h *fakeHandler) Handle(ctx context.Context, t bot.Turn) ([]bot.Message, error) {
	if h.claims != nil && t.EventID != "" && ctx.Value(fakeClaimed{}) != t.EventID {
		won, err := h.claims.Claim(ctx, "event:"+t.Platform+":"+t.EventID, time.Hour)
		if err != nil {
			// The engine answers that the store is down; nothing is done.
			return nil, err
		}
		if !won {
			return nil, bot.ErrDuplicateEvent
		}
	}
	h.mu.Lock()
	h.turns = append(h.turns, t)
	reply, gate := h.reply, h.gate
	h.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if reply != nil {
		return reply(t), nil
	}
	return []bot.Message{{To: t.Person.Email, Kind: bot.KindText, Text: "echo: " + t.Text}}, nil
}

func (h *fakeHandler) got() []bot.Turn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.Turn(nil), h.turns...)
}

// countMetrics records what the adapter counts.
type countMetrics struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *countMetrics) inc(k string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[k]++
}
func (m *countMetrics) Event(kind string)            { m.inc("event:" + kind) }
func (m *countMetrics) APIError(method string)       { m.inc("api_error:" + method) }
func (m *countMetrics) RateLimited()                 { m.inc("rate_limited") }
func (m *countMetrics) Dropped(reason string)        { m.inc("dropped:" + reason) }
func (m *countMetrics) TurnDuration(d time.Duration) { m.inc("turn") }
func (m *countMetrics) get(k string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[k]
}

type env struct {
	t       testing.TB
	a       *Adapter
	api     *fakeSlack
	h       *fakeHandler
	clk     *clock.Manual
	mux     *http.ServeMux
	metrics *countMetrics
	sleeps  *[]time.Duration
	logs    *bytes.Buffer
	store   *memStore
}

var testPeople = []workflows.Person{
	{Email: "alice@contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: "C1"},
	{Email: "claire@contoso.example", Name: "Claire", Role: rules.RoleLicenceAdmin, CustomerID: "C1"},
	{Email: "marc@reseller.example", Name: "Marc", Role: rules.RoleAccountManager},
}

func newEnv(t testing.TB, mod ...func(*Options)) *env {
	t.Helper()
	clk := clock.NewManual(testNow)
	st := newMemStore(clk)
	api := newFakeSlack(t)
	api.addUser("UALICE", "Alice@Contoso.example", "en-US")
	api.addUser("UCLAIRE", "claire@contoso.example", "fr-FR")
	api.addUser("UMARC", "marc@reseller.example", "fr-FR")
	api.addUser("USTRANGER", "stranger@elsewhere.example", "en-GB")
	api.addUser("UETRANGER", "etranger@ailleurs.example", "fr-FR")
	h := &fakeHandler{}
	m := &countMetrics{}
	var sleeps []time.Duration
	var mu sync.Mutex
	logs := &bytes.Buffer{}
	opt := Options{
		BotToken:      "xoxb-test",
		SigningSecret: testSecret,
		APIURL:        api.URL(),
		Config: channel.Config{
			Handler: h,
			People:  workflows.NewDirectory(testPeople),
			Store:   st,
			Clock:   clk,
			Logger:  slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Metrics: m,
			Workers: 4,
			Sleep: func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				sleeps = append(sleeps, d)
				mu.Unlock()
				return ctx.Err()
			},
		},
	}
	for _, f := range mod {
		f(&opt)
	}
	h.claims = opt.Store
	a, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	mux := http.NewServeMux()
	a.Routes(mux)
	return &env{t: t, a: a, api: api, h: h, clk: clk, mux: mux, metrics: m, sleeps: &sleeps, logs: logs, store: st}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// sign returns Slack's headers for body at ts with secret.
func sign(secret string, ts int64, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// do sends a request signed now and waits for the work it queued.
func (e *env) do(path, contentType string, body []byte, hdr http.Header) *httptest.ResponseRecorder {
	e.t.Helper()
	if hdr == nil {
		hdr = sign(testSecret, e.clk.Now().Unix(), body)
	}
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, v := range hdr {
		r.Header[k] = v
	}
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r)
	e.a.run.Idle()
	return w
}

func (e *env) event(body string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do("/slack/events", "application/json", []byte(body), nil)
}

func (e *env) interaction(payload any) *httptest.ResponseRecorder {
	e.t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do("/slack/interactions", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(raw)}}.Encode()), nil)
}

func dmEvent(eventID, user, text string) string {
	return fmt.Sprintf(`{"type":"event_callback","event_id":%q,"event":{"type":"message","channel_type":"im","channel":"D%s","user":%q,"text":%q,"ts":"1772445600.000100"}}`,
		eventID, user, user, text)
}

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, code int) {
	t.Helper()
	if w.Code != code {
		t.Fatalf("status %d (%q), want %d", w.Code, w.Body.String(), code)
	}
}

func TestSignatureFailuresAreRejectedUnprocessed(t *testing.T) {
	e := newEnv(t)
	body := []byte(dmEvent("Ev1", "UALICE", "hello"))
	now := e.clk.Now().Unix()
	tampered := sign(testSecret, now, body)
	cases := []struct {
		name string
		hdr  http.Header
		body []byte
	}{
		{"wrong secret", sign("not-the-secret", now, body), body},
		{"stale (6 min old)", sign(testSecret, now-6*60, body), body},
		{"from the future (6 min)", sign(testSecret, now+6*60, body), body},
		{"body changed after signing", tampered, append([]byte(nil), bytes.Replace(body, []byte("hello"), []byte("HELLO"), 1)...)},
		{"signature for another timestamp", func() http.Header {
			h := sign(testSecret, now-10, body)
			h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now, 10))
			return h
		}(), body},
		{"no headers", http.Header{}, body},
		{"garbage signature", http.Header{"X-Slack-Signature": {"v0=zz"}, "X-Slack-Request-Timestamp": {strconv.FormatInt(now, 10)}}, body},
		{"v1 scheme", func() http.Header {
			h := sign(testSecret, now, body)
			h.Set("X-Slack-Signature", strings.Replace(h.Get("X-Slack-Signature"), "v0=", "v1=", 1))
			return h
		}(), body},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range []string{"/slack/events", "/slack/interactions", "/slack/commands"} {
				w := e.do(path, "application/json", c.body, c.hdr)
				wantStatus(t, w, http.StatusUnauthorized)
			}
		})
	}
	if n := len(e.h.got()); n != 0 {
		t.Fatalf("handler called %d times for rejected requests", n)
	}
	if calls := e.api.allCalls(); len(calls) != 0 {
		t.Fatalf("Slack API called for rejected requests: %+v", calls)
	}
}

func TestReplayedSignatureRejected(t *testing.T) {
	e := newEnv(t)
	body := []byte(dmEvent("Ev1", "UALICE", "hello"))
	hdr := sign(testSecret, e.clk.Now().Unix(), body)
	wantStatus(t, e.do("/slack/events", "application/json", body, hdr), http.StatusOK)
	// The same signed request again, one minute later: inside the
	// timestamp window, but seen before. An event is refused by its
	// event id, which the turn claims (acknowledged, not handled); other
	// requests by their signature.
	e.clk.Advance(time.Minute)
	wantStatus(t, e.do("/slack/events", "application/json", body, hdr), http.StatusOK)
	e.a.run.Idle()
	// A replayed interaction too: nothing processed the second time.
	payload := url.Values{"payload": {`{"type":"block_actions","user":{"id":"UALICE"},"container":{"type":"message","channel_id":"DUALICE"},"actions":[{"block_id":"b1","action_id":"confirm/0","value":"d1"}]}`}}.Encode()
	ih := sign(testSecret, e.clk.Now().Unix(), []byte(payload))
	wantStatus(t, e.do("/slack/interactions", "application/x-www-form-urlencoded", []byte(payload), ih), http.StatusOK)
	wantStatus(t, e.do("/slack/interactions", "application/x-www-form-urlencoded", []byte(payload), ih), http.StatusUnauthorized)
	if n := len(e.h.got()); n != 2 {
		t.Fatalf("handler called %d times, want 2 (one event, one press)", n)
	}
}

func TestWindowUsesInjectedClock(t *testing.T) {
	e := newEnv(t)
	body := []byte(dmEvent("Ev1", "UALICE", "hello"))
	// Signed 4m59s before our clock: accepted, though the wall clock
	// is years away from testNow.
	hdr := sign(testSecret, e.clk.Now().Add(-299*time.Second).Unix(), body)
	wantStatus(t, e.do("/slack/events", "application/json", body, hdr), http.StatusOK)
}

// Our HMAC must be Slack's: a request signed the way Slack signs passes
// slack.NewSecretsVerifier (which reads the wall clock, hence time.Now
// here) and our verify alike.
func TestSignatureAgreesWithSlackVerifier(t *testing.T) {
	body := []byte(`{"type":"url_verification","challenge":"abc"}`)
	now := time.Now()
	hdr := sign(testSecret, now.Unix(), body)
	if err := verifyWithSlackGo(hdr, body); err != nil {
		t.Fatalf("slack-go rejects our test signature: %v", err)
	}
	e := newEnv(t, func(o *Options) { o.Clock = clock.Func(func() time.Time { return now }) })
	if _, err := e.a.verify(context.Background(), hdr, body, true); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestURLVerification(t *testing.T) {
	e := newEnv(t)
	w := e.event(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	wantStatus(t, w, http.StatusOK)
	if got := w.Body.String(); got != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("challenge answer %q", got)
	}
}

func TestDirectMessageTurn(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.event(dmEvent("Ev1", "UALICE", "add 2 *E3* seats &amp; more")), http.StatusOK)
	turns := e.h.got()
	if len(turns) != 1 {
		t.Fatalf("%d turns, want 1", len(turns))
	}
	tr := turns[0]
	if tr.Person.Email != "alice@contoso.example" || tr.Platform != "slack" || tr.Locale != "en-US" ||
		tr.Text != "add 2 *E3* seats & more" || tr.EventID != "Ev1" || tr.Conversation != "slack:dm:UALICE" {
		t.Fatalf("turn %+v", tr)
	}
	posts := e.api.callsOf("chat.postMessage")
	if len(posts) != 1 || posts[0].Form.Get("channel") != "DUALICE" || posts[0].Form.Get("thread_ts") != "" {
		t.Fatalf("posts %+v", posts)
	}
	// The echo contains "&": escaped for mrkdwn on the way out.
	if txt := blocksOf(t, posts[0])[0]["text"].(map[string]any)["text"]; txt != "echo: add 2 *E3* seats &amp; more" {
		t.Fatalf("reply text %q", txt)
	}
}

func TestRetriedEventHandledOnce(t *testing.T) {
	e := newEnv(t)
	body := []byte(dmEvent("Ev42", "UALICE", "my subscriptions"))
	wantStatus(t, e.do("/slack/events", "application/json", body, nil), http.StatusOK)
	// Slack's retry: same event, new delivery (new timestamp and
	// signature), with X-Slack-Retry-Num.
	e.clk.Advance(time.Minute)
	hdr := sign(testSecret, e.clk.Now().Unix(), body)
	hdr.Set("X-Slack-Retry-Num", "1")
	hdr.Set("X-Slack-Retry-Reason", "http_timeout")
	wantStatus(t, e.do("/slack/events", "application/json", body, hdr), http.StatusOK)
	if n := len(e.h.got()); n != 1 {
		t.Fatalf("event handled %d times, want 1", n)
	}
	if n := len(e.api.callsOf("chat.postMessage")); n != 1 {
		t.Fatalf("%d replies, want 1", n)
	}
	if e.metrics.get("dropped:duplicate") != 1 {
		t.Fatalf("duplicate not counted: %v", e.metrics.counts)
	}
}

func TestIgnoredMessages(t *testing.T) {
	e := newEnv(t)
	for i, ev := range []string{
		`{"type":"message","channel_type":"im","channel":"DUALICE","bot_id":"B1","text":"I am a bot"}`,
		`{"type":"message","subtype":"message_changed","channel_type":"im","channel":"DUALICE","message":{"user":"UALICE","text":"edited"}}`,
		`{"type":"message","subtype":"message_deleted","channel_type":"im","channel":"DUALICE"}`,
		`{"type":"message","channel_type":"channel","channel":"C1","user":"UALICE","text":"chatter in a channel"}`,
		`{"type":"app_mention","channel":"DUALICE","user":"UALICE","text":"<@UBOT> hi","ts":"1.2"}`,
		`{"type":"app_home_opened","user":"UALICE","tab":"messages"}`,
		`{"type":"reaction_added","user":"UALICE"}`,
	} {
		wantStatus(t, e.event(fmt.Sprintf(`{"type":"event_callback","event_id":"EvI%d","event":%s}`, i, ev)), http.StatusOK)
	}
	if n := len(e.h.got()); n != 0 {
		t.Fatalf("handler called %d times", n)
	}
	if calls := e.api.allCalls(); len(calls) != 0 {
		t.Fatalf("API calls: %+v", calls)
	}
}

func TestMentionAnsweredInThread(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.event(`{"type":"event_callback","event_id":"EvM","event":{"type":"app_mention","channel":"CGENERAL","user":"UALICE","text":"<@UBOT123> my  subscriptions","ts":"1772445600.000200"}}`), http.StatusOK)
	turns := e.h.got()
	if len(turns) != 1 || turns[0].Text != "my subscriptions" || turns[0].Conversation != "slack:CGENERAL:1772445600.000200" {
		t.Fatalf("turns %+v", turns)
	}
	posts := e.api.callsOf("chat.postMessage")
	if len(posts) != 1 || posts[0].Form.Get("channel") != "CGENERAL" || posts[0].Form.Get("thread_ts") != "1772445600.000200" {
		t.Fatalf("posts %+v", posts)
	}
	// A mention inside a thread answers in that thread.
	wantStatus(t, e.event(`{"type":"event_callback","event_id":"EvM2","event":{"type":"app_mention","channel":"CGENERAL","user":"UALICE","text":"<@UBOT123> yes","ts":"1772445600.000300","thread_ts":"1772445600.000200"}}`), http.StatusOK)
	posts = e.api.callsOf("chat.postMessage")
	if len(posts) != 2 || posts[1].Form.Get("thread_ts") != "1772445600.000200" {
		t.Fatalf("posts %+v", posts)
	}
}

func TestBlockActionsBecomePress(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.interaction(map[string]any{
		"type": "block_actions", "trigger_id": "T1", "user": map[string]any{"id": "UALICE"},
		"container": map[string]any{"type": "message", "channel_id": "DUALICE", "message_ts": "1.1"},
		"channel":   map[string]any{"id": "DUALICE"},
		"actions":   []map[string]any{{"block_id": "b1", "action_id": "alt/1", "value": "draft9:1", "action_ts": "1772445601.1"}},
	}), http.StatusOK)
	turns := e.h.got()
	if len(turns) != 1 || turns[0].Press == nil || *turns[0].Press != (bot.Press{ID: "alt", Value: "draft9:1"}) || turns[0].Text != "" {
		t.Fatalf("turns %+v", turns)
	}
	if posts := e.api.callsOf("chat.postMessage"); len(posts) != 1 || posts[0].Form.Get("channel") != "DUALICE" {
		t.Fatalf("posts %+v", posts)
	}
}

func rejectPress(channel string) map[string]any {
	return map[string]any{
		"type": "block_actions", "trigger_id": "TRIG1", "user": map[string]any{"id": "UMARC"},
		"container": map[string]any{"type": "message", "channel_id": channel, "message_ts": "1.1"},
		"actions":   []map[string]any{{"block_id": "b1", "action_id": "reject/1", "value": "C1:R-3"}},
	}
}

func TestRejectPressOpensModalThenSubmits(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.interaction(rejectPress("DUMARC")), http.StatusOK)
	if n := len(e.h.got()); n != 0 {
		t.Fatalf("engine called before the reason: %+v", e.h.got())
	}
	opens := e.api.callsOf("views.open")
	if len(opens) != 1 || opens[0].JSON["trigger_id"] != "TRIG1" {
		t.Fatalf("views.open %+v", opens)
	}
	view := opens[0].JSON["view"].(map[string]any)
	if view["callback_id"] != rejectCallbackID || view["title"].(map[string]any)["text"] != "Refuser la demande" {
		t.Fatalf("modal %+v (Marc's Slack locale is French)", view)
	}
	submit := func(reason string) {
		wantStatus(t, e.interaction(map[string]any{
			"type": "view_submission", "user": map[string]any{"id": "UMARC"},
			"view": map[string]any{"callback_id": rejectCallbackID, "private_metadata": view["private_metadata"],
				"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": reason}}}}},
		}), http.StatusOK)
	}
	submit("  Budget frozen until <!channel> Q3  ")
	turns := e.h.got()
	if len(turns) != 1 || *turns[0].Press != (bot.Press{ID: "reject", Value: "C1:R-3", Text: "Budget frozen until <!channel> Q3"}) {
		t.Fatalf("turns %+v", turns)
	}
	// An empty reason: the press goes to the engine without text, and
	// the engine asks for the reason in the chat.
	submit("")
	turns = e.h.got()
	if len(turns) != 2 || *turns[1].Press != (bot.Press{ID: "reject", Value: "C1:R-3"}) {
		t.Fatalf("turns %+v", turns)
	}
	// Answers go back to where the card was.
	for _, p := range e.api.callsOf("chat.postMessage") {
		if p.Form.Get("channel") != "DUMARC" {
			t.Fatalf("answer in %s", p.Form.Get("channel"))
		}
	}
}

func TestRejectModalFailureFallsBackToChat(t *testing.T) {
	e := newEnv(t)
	e.api.then("views.open", scripted{status: 200, body: `{"ok":false,"error":"expired_trigger_id"}`})
	wantStatus(t, e.interaction(rejectPress("DUMARC")), http.StatusOK)
	turns := e.h.got()
	if len(turns) != 1 || *turns[0].Press != (bot.Press{ID: "reject", Value: "C1:R-3"}) {
		t.Fatalf("turns %+v", turns)
	}
}

func TestUnknownPersonGetsPoliteReply(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.event(dmEvent("EvU1", "USTRANGER", "add 2 seats")), http.StatusOK)
	wantStatus(t, e.event(dmEvent("EvU2", "UETRANGER", "ajoute 2 licences")), http.StatusOK)
	if n := len(e.h.got()); n != 0 {
		t.Fatalf("engine called for unknown people")
	}
	posts := e.api.callsOf("chat.postMessage")
	if len(posts) != 2 {
		t.Fatalf("posts %+v", posts)
	}
	en := blocksOf(t, posts[0])[0]["text"].(map[string]any)["text"]
	fr := blocksOf(t, posts[1])[0]["text"].(map[string]any)["text"]
	if en != "You're not set up for licence requests — ask your licence admin." {
		t.Fatalf("english: %q", en)
	}
	if !strings.HasPrefix(fr.(string), "Vous n'êtes pas configuré") {
		t.Fatalf("french: %q", fr)
	}
	if strings.Contains(e.logs.String(), "stranger@elsewhere.example") {
		t.Fatal("an unknown person's e-mail was logged")
	}
}

func TestUserInfoCached(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		wantStatus(t, e.event(dmEvent(fmt.Sprintf("EvC%d", i), "UALICE", "hi")), http.StatusOK)
	}
	if n := len(e.api.callsOf("users.info")); n != 1 {
		t.Fatalf("users.info called %d times, want 1", n)
	}
	if c := e.api.callsOf("users.info"); c[0].Form.Get("include_locale") != "true" {
		t.Fatalf("users.info without locale: %v", c[0].Form)
	}
}

func TestSlashCommand(t *testing.T) {
	e := newEnv(t)
	form := url.Values{"command": {"/licences"}, "text": {"add 2 E3 seats"}, "user_id": {"UALICE"}, "channel_id": {"CGENERAL"},
		"trigger_id": {"T9"}, "response_url": {"https://hooks.slack.example/x"}}
	w := e.do("/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	wantStatus(t, w, http.StatusOK)
	turns := e.h.got()
	if len(turns) != 1 || turns[0].Text != "add 2 E3 seats" {
		t.Fatalf("turns %+v", turns)
	}
	// Answered in the direct message, not in #general.
	posts := e.api.callsOf("chat.postMessage")
	if len(posts) != 1 || posts[0].Form.Get("channel") != "DUALICE" {
		t.Fatalf("posts %+v", posts)
	}
	if n := len(e.api.callsOf("conversations.open")); n != 1 {
		t.Fatalf("conversations.open %d", n)
	}
}

func TestAppHomePublished(t *testing.T) {
	var gotLang string
	var gotPerson workflows.Person
	e := newEnv(t, func(o *Options) {
		o.Home = func(_ context.Context, p workflows.Person, lang string) []bot.Message {
			gotPerson, gotLang = p, lang
			return []bot.Message{
				{Kind: bot.KindList, Title: "Abonnements", Text: "• *Microsoft 365 E3* — 10 licences"},
				{Kind: bot.KindRequest, Title: "Demande R-3", Text: "En attente", Actions: []bot.Action{{ID: "withdraw", Label: "Retirer", Value: "C1:R-3"}}},
			}
		}
	})
	wantStatus(t, e.event(`{"type":"event_callback","event_id":"EvH","event":{"type":"app_home_opened","user":"UCLAIRE","tab":"home","channel":"DUCLAIRE"}}`), http.StatusOK)
	if gotPerson.Email != "claire@contoso.example" || gotLang != "fr" {
		t.Fatalf("home for %+v in %q", gotPerson, gotLang)
	}
	pubs := e.api.callsOf("views.publish")
	if len(pubs) != 1 || pubs[0].JSON["user_id"] != "UCLAIRE" {
		t.Fatalf("views.publish %+v", pubs)
	}
	blocks := pubs[0].JSON["view"].(map[string]any)["blocks"].([]any)
	var types []string
	for _, b := range blocks {
		types = append(types, b.(map[string]any)["type"].(string))
	}
	if got := strings.Join(types, ","); got != "header,header,section,divider,header,section,actions" {
		t.Fatalf("home blocks %s", got)
	}
	// Someone not configured sees the polite sentence at home too.
	wantStatus(t, e.event(`{"type":"event_callback","event_id":"EvH2","event":{"type":"app_home_opened","user":"USTRANGER","tab":"home"}}`), http.StatusOK)
	pubs = e.api.callsOf("views.publish")
	if len(pubs) != 2 || !strings.Contains(fmt.Sprint(pubs[1].JSON["view"]), "not set up") {
		t.Fatalf("views.publish %+v", pubs)
	}
}

func approvalCard(state string) bot.Message {
	m := bot.Message{To: "marc@reseller.example", Kind: bot.KindApproval, Lang: "en", Title: "Approval needed: R-3",
		Text: "Alice asks to upgrade 5 seats.", Key: "approval:R-3", RequestID: "R-3", CustomerID: "C1"}
	if state == "pending" {
		m.Actions = []bot.Action{
			{ID: "approve", Label: "Approve", Style: bot.StylePrimary, Value: "C1:R-3", Confirm: "This cannot be undone."},
			{ID: "reject", Label: "Reject", Style: bot.StyleDanger, Value: "C1:R-3"},
		}
	} else {
		m.Context = "Approved by Marc at 10:42"
	}
	return m
}

func TestDeliverPostsThenUpdates(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ApprovalsChannel = "CAPPROVALS" })
	marc, _ := lookup(e.a, "marc@reseller.example")
	claire, _ := lookup(e.a, "claire@contoso.example")
	ctx := context.Background()
	if err := e.a.Deliver(ctx, marc, approvalCard("pending")); err != nil {
		t.Fatal(err)
	}
	if err := e.a.Deliver(ctx, claire, approvalCard("pending")); err != nil {
		t.Fatal(err)
	}
	posts := e.api.callsOf("chat.postMessage")
	var chans []string
	for _, p := range posts {
		chans = append(chans, p.Form.Get("channel"))
	}
	// Marc's DM, the approvals channel once, Claire's DM.
	if got := strings.Join(chans, ","); got != "DUMARC,CAPPROVALS,DUCLAIRE" {
		t.Fatalf("posted to %s", got)
	}
	if err := e.a.Deliver(ctx, marc, approvalCard("approved")); err != nil {
		t.Fatal(err)
	}
	if n := len(e.api.callsOf("chat.postMessage")); n != 3 {
		t.Fatalf("decided card posted anew (%d posts)", n)
	}
	// Claire's copy of the pending card changed nothing in the
	// approvals channel: no update until the card changes.
	ups := e.api.callsOf("chat.update")
	if len(ups) != 2 {
		t.Fatalf("updates %+v", ups)
	}
	for i, want := range []apiCall{posts[0], posts[1]} {
		if ups[i].Form.Get("channel") != want.Form.Get("channel") || ups[i].Form.Get("ts") == "" {
			t.Fatalf("update %d: %v", i, ups[i].Form)
		}
	}
	if ups[0].Form.Get("ts") != "1772445600.000001" || ups[1].Form.Get("ts") != "1772445600.000002" {
		t.Fatalf("updated the wrong messages: %s %s", ups[0].Form.Get("ts"), ups[1].Form.Get("ts"))
	}
	// The decided card has no buttons any more.
	for _, b := range blocksOf(t, ups[0]) {
		if b["type"] == "actions" {
			t.Fatal("decided card still has buttons")
		}
	}
	// users.lookupByEmail and conversations.open are cached.
	if n := len(e.api.callsOf("users.lookupByEmail")); n != 2 {
		t.Fatalf("lookupByEmail %d", n)
	}
}

func TestDeliverRepostsWhenCardGone(t *testing.T) {
	e := newEnv(t)
	marc, _ := lookup(e.a, "marc@reseller.example")
	ctx := context.Background()
	if err := e.a.Deliver(ctx, marc, approvalCard("pending")); err != nil {
		t.Fatal(err)
	}
	e.api.then("chat.update", scripted{status: 200, body: `{"ok":false,"error":"message_not_found"}`})
	if err := e.a.Deliver(ctx, marc, approvalCard("approved")); err != nil {
		t.Fatal(err)
	}
	done := approvalCard("approved")
	done.Context = "Approved by Marc at 10:42 — carried out"
	if err := e.a.Deliver(ctx, marc, done); err != nil {
		t.Fatal(err)
	}
	// The same card again changes nothing: no call at all.
	if err := e.a.Deliver(ctx, marc, done); err != nil {
		t.Fatal(err)
	}
	posts, ups := e.api.callsOf("chat.postMessage"), e.api.callsOf("chat.update")
	// post, failed update, re-post, then an update of the new post.
	if len(posts) != 2 || len(ups) != 2 || ups[1].Form.Get("ts") != "1772445600.000002" {
		t.Fatalf("posts %d, updates %+v", len(posts), ups)
	}
}

func TestDeliverToSomeoneNotOnSlack(t *testing.T) {
	e := newEnv(t)
	err := e.a.Deliver(context.Background(), workflows.Person{Email: "ghost@contoso.example"}, bot.Message{Text: "hi"})
	if !errorsIs(err, ErrNotOnSlack) {
		t.Fatalf("err %v", err)
	}
}

func TestRateLimitedThenSuccess(t *testing.T) {
	e := newEnv(t)
	e.api.then("chat.postMessage", scripted{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "3"}, body: `{"ok":false,"error":"ratelimited"}`})
	wantStatus(t, e.event(dmEvent("EvR", "UALICE", "hi")), http.StatusOK)
	if n := len(e.api.callsOf("chat.postMessage")); n != 2 {
		t.Fatalf("%d posts, want 2 (429 then success)", n)
	}
	if len(*e.sleeps) != 1 || (*e.sleeps)[0] != 3*time.Second {
		t.Fatalf("slept %v, want [3s]", *e.sleeps)
	}
	if e.metrics.get("rate_limited") != 1 || e.metrics.get("api_error:chat.postMessage") != 1 {
		t.Fatalf("metrics %v", e.metrics.counts)
	}
}

func TestTransientErrorsRetriedThenLogged(t *testing.T) {
	e := newEnv(t)
	e.api.then("chat.postMessage", scripted{status: http.StatusBadGateway, body: "<html>"})
	e.api.then("chat.postMessage", scripted{status: 200, body: `{"ok":false,"error":"internal_error"}`})
	wantStatus(t, e.event(dmEvent("EvT", "UALICE", "hi")), http.StatusOK)
	if n := len(e.api.callsOf("chat.postMessage")); n != 3 {
		t.Fatalf("%d posts, want 3", n)
	}
	// A permanent error is not retried, and is logged with the request
	// id.
	e.api.then("chat.postMessage", scripted{status: 200, body: `{"ok":false,"error":"channel_not_found"}`})
	wantStatus(t, e.event(dmEvent("EvT2", "UALICE", "hi")), http.StatusOK)
	if n := len(e.api.callsOf("chat.postMessage")); n != 4 {
		t.Fatalf("%d posts, want 4", n)
	}
	if !strings.Contains(e.logs.String(), `"msg":"slack api call failed","component":"slack","request_id":"sl-`) ||
		!strings.Contains(e.logs.String(), "channel_not_found") {
		t.Fatalf("failure not logged with a request id:\n%s", e.logs.String())
	}
	if strings.Contains(e.logs.String(), "xoxb-test") {
		t.Fatal("token logged")
	}
}

func TestMalformedPayloadsAcknowledged(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ path, ct, body string }{
		{"/slack/events", "application/json", `{not json`},
		{"/slack/events", "application/json", ``},
		{"/slack/events", "application/json", `{"type":"event_callback","event_id":"EvX"}`},
		{"/slack/events", "application/json", `{"type":"event_callback","event_id":"EvY","event":{"type":"message","channel_type":"im","user":42}}`},
		{"/slack/events", "application/json", `{"type":"event_callback","event_id":"EvZ","event":{"type":"no_such_event"}}`},
		{"/slack/events", "application/json", `{"type":"something_new"}`},
		{"/slack/events", "application/json", `[1,2,3]`},
		{"/slack/interactions", "application/x-www-form-urlencoded", `payload=%7Bnot+json`},
		{"/slack/interactions", "application/x-www-form-urlencoded", `nopayload=1`},
		{"/slack/interactions", "application/x-www-form-urlencoded", `%zz`},
		{"/slack/interactions", "application/x-www-form-urlencoded", `payload=` + url.QueryEscape(`{"type":"block_actions","user":{"id":"UALICE"},"actions":[]}`)},
		{"/slack/interactions", "application/x-www-form-urlencoded", `payload=` + url.QueryEscape(`{"type":"view_submission","user":{"id":"UALICE"},"view":{"callback_id":"licensebot.reject","private_metadata":"{oops"}}`)},
		{"/slack/interactions", "application/x-www-form-urlencoded", `payload=` + url.QueryEscape(`{"type":"shortcut","user":{"id":"UALICE"}}`)},
		{"/slack/commands", "application/x-www-form-urlencoded", `command=%2Flicences`},
		{"/slack/commands", "application/x-www-form-urlencoded", `%%%`},
	} {
		w := e.do(c.path, c.ct, []byte(c.body), nil)
		if w.Code != http.StatusOK {
			t.Errorf("%s %q: status %d", c.path, c.body, w.Code)
		}
	}
	if n := len(e.h.got()); n != 0 {
		t.Fatalf("handler called %d times", n)
	}
}

func TestOversizedBody(t *testing.T) {
	e := newEnv(t)
	body := bytes.Repeat([]byte("a"), maxBody+1)
	w := e.do("/slack/events", "application/json", body, nil)
	wantStatus(t, w, http.StatusRequestEntityTooLarge)
}

func TestHandlerPanicDoesNotKillWorkers(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Workers = 1 })
	e.h.reply = func(t bot.Turn) []bot.Message {
		if t.Text == "boom" {
			panic("engine bug")
		}
		return []bot.Message{{Text: "fine"}}
	}
	wantStatus(t, e.event(dmEvent("EvP1", "UALICE", "boom")), http.StatusOK)
	wantStatus(t, e.event(dmEvent("EvP2", "UALICE", "still there?")), http.StatusOK)
	if n := len(e.api.callsOf("chat.postMessage")); n != 1 {
		t.Fatalf("%d posts after a panic, want 1", n)
	}
	if !strings.Contains(e.logs.String(), "slack turn panicked") {
		t.Fatal("panic not logged")
	}
}

func TestQueueFullEventRetriedLater(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Workers, o.QueueSize = 1, 1
	})
	gate := make(chan struct{})
	e.h.mu.Lock()
	e.h.gate = gate
	e.h.mu.Unlock()
	send := func(id string) *httptest.ResponseRecorder {
		body := []byte(dmEvent(id, "UALICE", id))
		r := httptest.NewRequest(http.MethodPost, "/slack/events", bytes.NewReader(body))
		r.Header = sign(testSecret, e.clk.Now().Unix(), body)
		w := httptest.NewRecorder()
		e.mux.ServeHTTP(w, r)
		return w
	}
	wantStatus(t, send("EvQ1"), http.StatusOK) // running (blocked)
	waitFor(t, func() bool { return len(e.h.got()) == 1 })
	wantStatus(t, send("EvQ2"), http.StatusOK)                 // queued
	wantStatus(t, send("EvQ3"), http.StatusServiceUnavailable) // refused
	close(gate)
	e.a.run.Idle()
	// Slack's retry of the refused event is handled: no claim was
	// taken for it.
	e.clk.Advance(time.Minute)
	wantStatus(t, send("EvQ3"), http.StatusOK)
	e.a.run.Idle()
	if n := len(e.h.got()); n != 3 {
		t.Fatalf("%d turns, want 3", n)
	}
	if e.metrics.get("dropped:queue_full") != 1 {
		t.Fatalf("metrics %v", e.metrics.counts)
	}
}

func TestRepliesForOthersAreDelivered(t *testing.T) {
	e := newEnv(t)
	e.h.reply = func(t bot.Turn) []bot.Message {
		return []bot.Message{
			{To: t.Person.Email, Text: "Sent for approval."},
			approvalCard("pending"),
		}
	}
	wantStatus(t, e.event(dmEvent("EvO", "UALICE", "upgrade")), http.StatusOK)
	var chans []string
	for _, p := range e.api.callsOf("chat.postMessage") {
		chans = append(chans, p.Form.Get("channel"))
	}
	if got := strings.Join(chans, ","); got != "DUALICE,DUMARC" {
		t.Fatalf("posted to %s", got)
	}
}

func TestPressOnApprovalsChannelCard(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ApprovalsChannel = "CAPPROVALS" })
	e.h.reply = func(t bot.Turn) []bot.Message {
		card := approvalCard("approved")
		card.To = t.Person.Email
		return []bot.Message{{To: t.Person.Email, Text: "Done."}, card}
	}
	wantStatus(t, e.interaction(map[string]any{
		"type": "block_actions", "trigger_id": "T1", "user": map[string]any{"id": "UMARC"},
		"container": map[string]any{"type": "message", "channel_id": "CAPPROVALS", "message_ts": "1.1"},
		"actions":   []map[string]any{{"block_id": "b1", "action_id": "approve/0", "value": "C1:R-3"}},
	}), http.StatusOK)
	// The plain answer is private to Marc, in the channel; the card
	// goes to his DM and to the approvals channel copy.
	eph := e.api.callsOf("chat.postEphemeral")
	if len(eph) != 1 || eph[0].Form.Get("channel") != "CAPPROVALS" || eph[0].Form.Get("user") != "UMARC" {
		t.Fatalf("ephemeral %+v", eph)
	}
	var chans []string
	for _, p := range e.api.callsOf("chat.postMessage") {
		chans = append(chans, p.Form.Get("channel"))
	}
	if got := strings.Join(chans, ","); got != "DUMARC,CAPPROVALS" {
		t.Fatalf("posted to %s", got)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "BotToken, People, Store, Clock") {
		t.Fatalf("err %v", err)
	}
	e := newEnv(t)
	o := e.a.opt
	o.APIURL = "http://localhost/api"
	if _, err := New(o); err == nil {
		t.Fatal("APIURL without a trailing slash accepted")
	}
}

func TestNoHandlerIsLogged(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Handler = nil })
	wantStatus(t, e.event(dmEvent("EvN", "UALICE", "hi")), http.StatusOK)
	if !strings.Contains(e.logs.String(), "no handler set") {
		t.Fatalf("logs:\n%s", e.logs.String())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("condition not met")
}

// The same flow on the real embedded store: claims, the user cache and
// card refs behave as with the in-memory one.
func TestWithBoltStore(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		st, err := bolt.Open(filepath.Join(t.TempDir(), "data.db"), bolt.Options{Clock: o.Clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		o.Store = st
	})
	body := []byte(dmEvent("EvB", "UALICE", "hi"))
	wantStatus(t, e.do("/slack/events", "application/json", body, nil), http.StatusOK)
	e.clk.Advance(time.Minute)
	hdr := sign(testSecret, e.clk.Now().Unix(), body)
	wantStatus(t, e.do("/slack/events", "application/json", body, hdr), http.StatusOK) // retry: de-duplicated
	wantStatus(t, e.do("/slack/events", "application/json", body, hdr), http.StatusOK) // replay: the same event id
	marc, _ := lookup(e.a, "marc@reseller.example")
	ctx := context.Background()
	if err := e.a.Deliver(ctx, marc, approvalCard("pending")); err != nil {
		t.Fatal(err)
	}
	if err := e.a.Deliver(ctx, marc, approvalCard("approved")); err != nil {
		t.Fatal(err)
	}
	if len(e.h.got()) != 1 || len(e.api.callsOf("chat.postMessage")) != 2 || len(e.api.callsOf("chat.update")) != 1 {
		t.Fatalf("turns %d, posts %d, updates %d", len(e.h.got()), len(e.api.callsOf("chat.postMessage")), len(e.api.callsOf("chat.update")))
	}
}

// With the store down the adapter still verifies signatures and answers
// (at least once rather than never); the engine itself reports the
// storage problem to the person.
func TestStoreDownStillAnswers(t *testing.T) {
	e := newEnv(t)
	e.store.SetFail(true)
	// The first event after the store went down is accepted (its
	// signature's replay is checked by the turn's claim of its event
	// id), and the turn, unable to claim it, handles nothing: the engine
	// tells the person the store is down. From then on, while turns
	// cannot reach the store, a request is checked before it is
	// accepted: a replay cannot be told from a first delivery, so 503,
	// and Slack delivers it again later; nothing is processed on faith.
	first := []byte(dmEvent("EvD0", "UALICE", "hi"))
	wantStatus(t, e.do("/slack/events", "application/json", first, sign(testSecret, e.clk.Now().Unix(), first)), http.StatusOK)
	e.a.run.Idle()
	body := []byte(dmEvent("EvD", "UALICE", "hi"))
	sig := sign(testSecret, e.clk.Now().Unix(), body)
	wantStatus(t, e.do("/slack/events", "application/json", body, sig), http.StatusServiceUnavailable)
	wantStatus(t, e.do("/slack/events", "application/json", body, sig), http.StatusServiceUnavailable)
	if len(e.h.got()) != 0 {
		t.Fatalf("turns %d with the store down, want 0", len(e.h.got()))
	}
	// Back up: the retry is handled once, and a replay of it refused.
	e.store.SetFail(false)
	wantStatus(t, e.do("/slack/events", "application/json", body, sig), http.StatusOK)
	e.a.run.Idle()
	wantStatus(t, e.do("/slack/events", "application/json", body, sig), http.StatusOK) // acknowledged, not handled
	e.a.run.Idle()
	if n := len(e.h.got()); n != 1 {
		t.Fatalf("turns %d, want 1", n)
	}
	e.store.SetFail(true)
	marc, _ := lookup(e.a, "marc@reseller.example")
	if err := e.a.Deliver(context.Background(), marc, approvalCard("pending")); err != nil {
		t.Fatalf("deliver with the store down: %v", err)
	}
	body = []byte(dmEvent("EvD2", "UALICE", "hi"))
	wantStatus(t, e.do("/slack/events", "application/json", body, sign("wrong", e.clk.Now().Unix(), body)), http.StatusUnauthorized)
}

// lookup finds a configured person through the adapter's People.
func lookup(a *Adapter, email string) (workflows.Person, error) {
	return a.opt.People.ByEmail(context.Background(), email)
}

// Every turn says which Slack organization it comes from: the workspace,
// or the Enterprise Grid org for an org-wide install.
func TestTurnsCarryTheirOrganization(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.event(`{"type":"event_callback","team_id":"T1","event_id":"EvO1","event":{"type":"message","channel_type":"im","channel":"DUALICE","user":"UALICE","text":"hi","ts":"1.1"}}`), http.StatusOK)
	wantStatus(t, e.event(`{"type":"event_callback","team_id":"T2","enterprise_id":"E1","event_id":"EvO2","authorizations":[{"enterprise_id":"E1","team_id":"T2","is_enterprise_install":true}],"event":{"type":"message","channel_type":"im","channel":"DUALICE","user":"UALICE","text":"hi","ts":"1.2"}}`), http.StatusOK)
	form := url.Values{"command": {"/licences"}, "text": {"hi"}, "user_id": {"UALICE"}, "team_id": {"T3"}}
	wantStatus(t, e.do("/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil), http.StatusOK)
	wantStatus(t, e.interaction(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "UALICE"}, "team": map[string]any{"id": "T4"},
		"container": map[string]any{"type": "message", "channel_id": "DUALICE", "message_ts": "1.1"},
		"actions":   []map[string]any{{"block_id": "b", "action_id": "confirm/0", "value": "d1", "action_ts": "2.2"}},
	}), http.StatusOK)
	var got []string
	for _, tr := range e.h.got() {
		got = append(got, tr.Org.Key())
	}
	if want := []string{"slack:t1", "slack:e1", "slack:t3", "slack:t4"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("orgs %v, want %v", got, want)
	}
}

// Busy workers each keep a connection to Slack: Go's default of two idle
// connections per host would make most calls of a large pool open a new
// TLS connection.
func TestDefaultClientKeepsAConnectionPerWorker(t *testing.T) {
	for _, workers := range []int{1, 8, 64} {
		tr := pooledTransport(workers)
		if tr.MaxIdleConnsPerHost < workers || tr.MaxIdleConns < tr.MaxIdleConnsPerHost {
			t.Fatalf("workers %d: %d idle per host, %d in all", workers, tr.MaxIdleConnsPerHost, tr.MaxIdleConns)
		}
	}
	e := newEnv(t, func(o *Options) { o.Workers = 0 })
	if e.a.opt.Workers != channel.DefaultWorkers() || e.a.opt.Workers < 4 {
		t.Fatalf("default workers %d", e.a.opt.Workers)
	}
}
