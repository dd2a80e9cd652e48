package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

const (
	testAppID    = "11111111-2222-3333-4444-555555555555"
	testPassword = "s3cret-value"
	testTenant   = "99999999-8888-7777-6666-555555555555"
	botMRI       = "28:" + testAppID
)

var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

var testPeople = []workflows.Person{
	{Email: "alice@contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: "C1"},
	{Email: "claire@contoso.example", Name: "Claire", Role: rules.RoleLicenceAdmin, CustomerID: "C1", Locale: "fr"},
	{Email: "marc@reseller.example", Name: "Marc", Role: rules.RoleAccountManager},
}

// fakeHandler stands in for the engine: it records turns, refuses a
// repeated EventID as the engine does, and answers with reply(turn).
type fakeHandler struct {
	mu    sync.Mutex
	turns []bot.Turn
	seen  map[string]bool
	reply func(bot.Turn) []bot.Message
}

func (h *fakeHandler) Handle(_ context.Context, t bot.Turn) ([]bot.Message, error) {
	h.mu.Lock()
	if h.seen == nil {
		h.seen = map[string]bool{}
	}
	if t.EventID != "" && h.seen[t.EventID] {
		h.mu.Unlock()
		return nil, bot.ErrDuplicateEvent
	}
	h.seen[t.EventID] = true
	h.turns = append(h.turns, t)
	reply := h.reply
	h.mu.Unlock()
	if reply != nil {
		return reply(t), nil
	}
	return []bot.Message{{To: t.Person.Email, Kind: bot.KindText, Text: "echo: " + t.Text}}, nil
}

func (h *fakeHandler) setReply(f func(bot.Turn) []bot.Message) {
	h.mu.Lock()
	h.reply = f
	h.mu.Unlock()
}

// got returns the turns handled (duplicates excluded).
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
func (m *countMetrics) Event(kind string)          { m.inc("activity:" + kind) }
func (m *countMetrics) TurnDuration(time.Duration) {}
func (m *countMetrics) APIError(op string)         { m.inc("api_error:" + op) }
func (m *countMetrics) RateLimited()               { m.inc("rate_limited") }
func (m *countMetrics) Dropped(reason string)      { m.inc("dropped:" + reason) }
func (m *countMetrics) get(k string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[k]
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

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

type env struct {
	t       testing.TB
	a       *Adapter
	bf      *fakeBF
	h       *fakeHandler
	clk     *clock.Manual
	mux     *http.ServeMux
	metrics *countMetrics
	store   *memStore
	logs    *lockedWriter

	mu     sync.Mutex
	sleeps []time.Duration
}

func newEnv(t testing.TB, mod ...func(*Options)) *env {
	t.Helper()
	clk := clock.NewManual(testNow)
	bf := newFakeBF(t)
	bf.addMember("29:alice", "aad-alice", "Alice@Contoso.example", "alice@contoso.example")
	bf.addMember("29:claire", "aad-claire", "", "claire@contoso.example")
	bf.addMember("29:marc", "aad-marc", "marc@reseller.example", "marc@reseller.example")
	bf.addMember("29:stranger", "aad-stranger", "stranger@elsewhere.example", "stranger@elsewhere.example")
	bf.addMember("29:etranger", "aad-etranger", "etranger@ailleurs.example", "etranger@ailleurs.example")
	e := &env{t: t, bf: bf, h: &fakeHandler{}, clk: clk, metrics: &countMetrics{}, store: newMemStore(clk),
		logs: &lockedWriter{w: &bytes.Buffer{}}}
	opt := Options{
		AppID:             testAppID,
		AppPassword:       testPassword,
		TenantID:          testTenant,
		OpenIDMetadataURL: bf.srv.URL + "/openid",
		TokenURL:          bf.srv.URL + "/token",
		ConnectorOrigins:  []string{bf.srv.URL},
		HTTPClient:        &http.Client{Timeout: 5 * time.Second},
		Config: channel.Config{
			Handler: e.h,
			People:  workflows.NewDirectory(testPeople),
			Store:   e.store,
			Clock:   clk,
			Logger:  slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Metrics: e.metrics,
			Workers: 4,
			Sleep: func(ctx context.Context, d time.Duration) error {
				e.mu.Lock()
				e.sleeps = append(e.sleeps, d)
				e.mu.Unlock()
				return ctx.Err()
			},
		},
	}
	for _, f := range mod {
		f(&opt)
	}
	a, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	e.a = a
	e.mux = http.NewServeMux()
	a.Routes(e.mux)
	return e
}

func (e *env) slept() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Duration(nil), e.sleeps...)
}

// signed is a valid inbound token at the current time.
func (e *env) signed(mod func(jwt.MapClaims)) string {
	return e.bf.token("k1", testKeys()[0], e.clk.Now(), mod)
}

// post sends an activity with the given Authorization header ("" → a
// valid token) and waits for the work it queued.
func (e *env) post(act Activity, auth string) *httptest.ResponseRecorder {
	e.t.Helper()
	if auth == "" {
		auth = "Bearer " + e.signed(nil)
	}
	body, err := json.Marshal(act)
	if err != nil {
		e.t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/api/messages", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if auth != "-" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r)
	e.a.run.Idle()
	return w
}

// user is a test Teams user.
type user struct {
	id, aad, name string
}

var (
	alice    = user{"29:alice", "aad-alice", "Alice"}
	claire   = user{"29:claire", "aad-claire", "Claire"}
	marc     = user{"29:marc", "aad-marc", "Marc"}
	stranger = user{"29:stranger", "aad-stranger", "Stranger"}
	etranger = user{"29:etranger", "aad-etranger", "Étranger"}
)

func personalConv(u user) string { return "a:chat-" + u.aad }

// message is a personal message from u.
func (e *env) message(u user, id, text string) Activity {
	return Activity{
		Type: ActivityMessage, ID: id, ServiceURL: e.bf.URL(), ChannelID: "msteams", Locale: "en-US",
		From:         &ChannelAccount{ID: u.id, AADObjectID: u.aad, Name: u.name},
		Recipient:    &ChannelAccount{ID: botMRI, Name: "licensebot"},
		Conversation: &ConversationAccount{ID: personalConv(u), ConversationType: convPersonal, TenantID: testTenant},
		Text:         text, TextFormat: "plain",
	}
}

// press is an Action.Execute invoke from u on the card activity cardID.
func (e *env) press(u user, id, cardID string, data map[string]string) Activity {
	act := e.message(u, id, "")
	act.Type, act.Name, act.ReplyToID, act.Text = ActivityInvoke, InvokeAdaptiveCardAction, cardID, ""
	v := map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": data["action"], "data": data}, "trigger": "manual"}
	raw, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	act.Value = raw
	return act
}

// invoke posts a press and decodes the invoke response.
func (e *env) invoke(act Activity) invokeResult {
	e.t.Helper()
	w := e.post(act, "")
	if w.Code != http.StatusOK {
		e.t.Fatalf("invoke answered %d: %s", w.Code, w.Body)
	}
	var res invokeResult
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		e.t.Fatalf("invoke response: %v: %s", err, w.Body)
	}
	return res
}

type invokeResult struct {
	StatusCode int             `json:"statusCode"`
	Type       string          `json:"type"`
	Value      json.RawMessage `json:"value"`
}

func (r invokeResult) card(t testing.TB) map[string]any {
	t.Helper()
	if r.StatusCode != 200 || r.Type != contentTypeAdaptiveCard {
		t.Fatalf("not a card response: %d %s %s", r.StatusCode, r.Type, r.Value)
	}
	var c map[string]any
	if err := json.Unmarshal(r.Value, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (r invokeResult) message(t testing.TB) string {
	t.Helper()
	var s string
	if r.Type != contentTypeMessage || json.Unmarshal(r.Value, &s) != nil {
		t.Fatalf("not a message response: %s %s", r.Type, r.Value)
	}
	return s
}
