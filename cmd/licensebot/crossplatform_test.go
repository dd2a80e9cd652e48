package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licensebot/licensebot/bot/slack/slacktest"
	"github.com/licensebot/licensebot/store/redis/redistest"
)

// Issue 11: one bot serves the reseller and its customers, each on its
// own platform. These tests run a real `serve` with Slack and Teams both
// configured, against one fake that is Slack's Web API and the Bot
// Framework (key set, token endpoint, Connector), and follow an approval
// from a customer's platform to the account manager's and back.

const (
	xpAppID          = "0a0a0a0a-1111-2222-3333-444444444444"
	xpAppPassword    = "xp-app-password"
	xpResellerTenant = "aaaaaaaa-0000-0000-0000-000000000001"
	xpContosoTenant  = "cccccccc-0000-0000-0000-000000000002"
)

// xpCall is one message the bot sent: on Slack (chat.postMessage,
// chat.update) or on Teams (send, reply, update).
type xpCall struct {
	platform string
	op       string
	conv     string // Slack channel or Teams conversation
	text     string // every text of the message, for "contains" checks
	raw      string // Slack blocks, or the Teams activity
}

type xpFake struct {
	srv *httptest.Server
	key *rsa.PrivateKey

	mu      sync.Mutex
	calls   []xpCall
	slackID map[string]string // e-mail → Slack user id
	members map[string]string // Teams user id → e-mail
	nextID  int
}

func newXPFake(t *testing.T) *xpFake {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &xpFake{key: key, slackID: map[string]string{}, members: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", f.serveSlack)
	mux.HandleFunc("GET /bf/openid", func(w http.ResponseWriter, _ *http.Request) {
		xpJSON(w, 200, map[string]any{"issuer": "https://api.botframework.com", "jwks_uri": f.srv.URL + "/bf/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /bf/keys", func(w http.ResponseWriter, _ *http.Request) {
		xpJSON(w, 200, map[string]any{"keys": []map[string]any{{
			"kty": "RSA", "use": "sig", "kid": "xp", "endorsements": []string{"msteams"},
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("POST /bf/token", func(w http.ResponseWriter, _ *http.Request) {
		xpJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": "bf-token"})
	})
	mux.HandleFunc("POST /bf/v3/conversations/{conv}/activities", f.serveActivity("send"))
	mux.HandleFunc("POST /bf/v3/conversations/{conv}/activities/{id}", f.serveActivity("reply"))
	mux.HandleFunc("PUT /bf/v3/conversations/{conv}/activities/{id}", f.serveActivity("update"))
	mux.HandleFunc("GET /bf/v3/conversations/{conv}/members/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		email, ok := f.members[r.PathValue("id")]
		f.mu.Unlock()
		if !ok {
			xpJSON(w, 404, map[string]any{"error": map[string]string{"code": "MemberNotFoundInConversation"}})
			return
		}
		xpJSON(w, 200, map[string]string{"id": r.PathValue("id"), "email": email, "userPrincipalName": email})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func xpJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *xpFake) serviceURL() string { return f.srv.URL + "/bf/" }

func (f *xpFake) serveSlack(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form := slacktest.Args(r, body)
	f.mu.Lock()
	defer f.mu.Unlock()
	emailOf := map[string]string{}
	for e, id := range f.slackID {
		emailOf[id] = e
	}
	w.Header().Set("Content-Type", "application/json")
	switch method := strings.TrimPrefix(r.URL.Path, "/api/"); method {
	case "users.info":
		id := form.Get("user")
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"locale":"en-US","profile":{"email":%q}}}`, id, emailOf[id])
	case "users.lookupByEmail":
		id, ok := f.slackID[form.Get("email")]
		if !ok {
			fmt.Fprint(w, `{"ok":false,"error":"users_not_found"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"profile":{"email":%q}}}`, id, form.Get("email"))
	case "conversations.open":
		fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, form.Get("users"))
	case "chat.postMessage", "chat.update":
		ch := form.Get("channel")
		f.calls = append(f.calls, xpCall{platform: "slack", op: method, conv: ch,
			text: form.Get("text") + "\n" + form.Get("blocks"), raw: form.Get("blocks")})
		f.nextID++
		ts := form.Get("ts")
		if ts == "" {
			ts = fmt.Sprintf("1.%d", f.nextID)
		}
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, ch, ts)
	default:
		fmt.Fprint(w, `{"ok":true}`)
	}
}

func (f *xpFake) serveActivity(op string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer bf-token" {
			xpJSON(w, 401, map[string]any{"error": map[string]string{"code": "Unauthorized"}})
			return
		}
		f.mu.Lock()
		f.calls = append(f.calls, xpCall{platform: "teams", op: op, conv: r.PathValue("conv"), text: string(body), raw: string(body)})
		f.nextID++
		id := fmt.Sprintf("act-%d", f.nextID)
		if op == "update" {
			id = r.PathValue("id")
		}
		f.mu.Unlock()
		xpJSON(w, 201, map[string]string{"id": id})
	}
}

// since returns the calls after the first n, and how many there are.
func (f *xpFake) since(n int) ([]xpCall, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]xpCall(nil), f.calls[n:]...), len(f.calls)
}

// waitFor waits until a call after the first n matches, and returns it.
func (f *xpFake) waitFor(t *testing.T, n int, what string, match func(xpCall) bool) xpCall {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		calls, _ := f.since(n)
		for _, c := range calls {
			if match(c) {
				return c
			}
		}
		if time.Now().After(deadline) {
			var seen []string
			for _, c := range calls {
				seen = append(seen, fmt.Sprintf("%s %s %s: %.3000s", c.platform, c.op, c.conv, c.text))
			}
			t.Fatalf("timed out waiting for %s; the bot sent:\n%s", what, strings.Join(seen, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *xpFake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// xpServe runs serve with Slack (one workspace, over HTTP) and a
// single-tenant Teams bot, on the configuration yaml and the store the
// environment names, and returns its public address.
func xpServe(t *testing.T, f *xpFake, team, yaml string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "licensebot.yaml")
	yaml += fmt.Sprintf("\nteams:\n  openid_metadata_url: %s/bf/openid\n  token_url: %s/bf/token\n  connector_origins: [%q]\n", f.srv.URL, f.srv.URL, f.srv.URL)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-"+team)
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_CLIENT_ID", "")
	t.Setenv("SLACK_SIGNING_SECRET", loadSecret)
	t.Setenv("SLACK_API_URL", f.srv.URL+"/api/")
	t.Setenv("TEAMS_APP_ID", xpAppID)
	t.Setenv("TEAMS_APP_PASSWORD", xpAppPassword)
	t.Setenv("TEAMS_TENANT_ID", xpResellerTenant)
	g := testGlobals(t)
	g.config = cfg
	opt := defaultServeOptions()
	opt.addr, opt.adminAddr, opt.tick = "127.0.0.1:0", "127.0.0.1:0", time.Hour
	ready := make(chan string, 1)
	opt.listening = func(p, _ string) { ready <- p }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveWith(ctx, g, opt) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case p := <-ready:
		return p
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

// xpPeople is the demo's directory with the workspaces and tenants of
// the test linked: which platform is whose is what each test varies.
func xpConfig(links string) string {
	return `provider: sandbox
customers:
  - id: contoso
    name: Contoso SAS
    time_zone: Europe/Paris
    language: en
    email_domains: [contoso.example]
` + links + `
people:
  - {email: alice@contoso.example, name: Alice, role: member, customer: contoso}
  - {email: claire@contoso.example, name: Claire, role: licence_admin, customer: contoso}
  - {email: marc@erp-cloud.example, name: Marc, role: account_manager, customers: [contoso]}
`
}

func xpSlackPost(t *testing.T, public, path, contentType string, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+public+path, bytes.NewReader(body))
	req.Header = signSlack(time.Now().Unix(), body)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("slack %s: %d %s", path, resp.StatusCode, b)
	}
}

func xpSlackSay(t *testing.T, public, team, user, eventID, text string) {
	t.Helper()
	body := fmt.Appendf(nil, `{"type":"event_callback","team_id":%q,"event_id":%q,"event":{"type":"message","channel_type":"im","channel":"D%s","user":%q,"team":%q,"text":%q,"ts":"%d.1"}}`,
		team, eventID, user, user, team, text, time.Now().UnixNano())
	xpSlackPost(t, public, "/slack/events", "application/json", body)
}

// xpSlackPress presses the button whose action id starts with id on the
// Slack message c.
func xpSlackPress(t *testing.T, public, team, user string, c xpCall, id string) {
	t.Helper()
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(c.raw), &blocks); err != nil {
		t.Fatalf("slack message has no blocks: %v: %.300s", err, c.raw)
	}
	aid, value := "", ""
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if a, _ := x["action_id"].(string); aid == "" && strings.HasPrefix(a, id+"/") {
				aid, _ = x["value"].(string)
				aid, value = a, aid
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, b := range blocks {
		walk(b)
	}
	if aid == "" {
		t.Fatalf("no %q button on the Slack card: %.500s", id, c.raw)
	}
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "trigger_id": "TRIG", "user": map[string]any{"id": user, "team_id": team}, "team": map[string]any{"id": team},
		"container": map[string]any{"type": "message", "channel_id": c.conv, "message_ts": "1.1"},
		"channel":   map[string]any{"id": c.conv},
		"actions":   []map[string]any{{"block_id": "b", "action_id": aid, "value": value}},
	})
	xpSlackPost(t, public, "/slack/interactions", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(payload)}}.Encode()))
}

// xpTeamsActivity posts a Bot Framework activity signed by the fake's key.
func xpTeamsActivity(t *testing.T, f *xpFake, public string, act map[string]any) *http.Response {
	t.Helper()
	now := time.Now()
	tk := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": "https://api.botframework.com", "aud": xpAppID, "serviceurl": f.serviceURL(),
		"nbf": now.Add(-time.Minute).Unix(), "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	tk.Header["kid"] = "xp"
	signed, err := tk.SignedString(f.key)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(act)
	req, _ := http.NewRequest(http.MethodPost, "http://"+public+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+signed)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func xpTeamsMessage(f *xpFake, tenant, userID, id, text string) map[string]any {
	return map[string]any{
		"type": "message", "id": id, "serviceUrl": f.serviceURL(), "channelId": "msteams", "locale": "en-US",
		"from":         map[string]any{"id": userID, "aadObjectId": "aad-" + userID},
		"recipient":    map[string]any{"id": "28:" + xpAppID, "name": "licensebot"},
		"conversation": map[string]any{"id": "a:chat-" + userID, "conversationType": "personal", "tenantId": tenant},
		"channelData":  map[string]any{"tenant": map[string]any{"id": tenant}},
		"text":         text, "textFormat": "plain",
	}
}

func xpTeamsSay(t *testing.T, f *xpFake, public, tenant, userID, id, text string) {
	t.Helper()
	resp := xpTeamsActivity(t, f, public, xpTeamsMessage(f, tenant, userID, id, text))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("teams message %q: %d", text, resp.StatusCode)
	}
}

// xpTeamsPress presses, as userID, the Action.Execute whose verb starts
// with verb on the Teams card c. An irreversible change answers with
// "Are you sure?" in place: that is pressed too.
func xpTeamsPress(t *testing.T, f *xpFake, public, tenant, userID string, c xpCall, verb string) {
	t.Helper()
	var act struct {
		Attachments []struct {
			Content any `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal([]byte(c.raw), &act); err != nil || len(act.Attachments) == 0 {
		t.Fatalf("teams message has no card: %v: %.300s", err, c.raw)
	}
	card := act.Attachments[0].Content
	for range 2 {
		data := xpExecute(card, verb)
		if data == nil {
			t.Fatalf("no %q action on the Teams card: %.800v", verb, card)
		}
		press := xpTeamsMessage(f, tenant, userID, fmt.Sprintf("press-%d", time.Now().UnixNano()), "")
		press["type"], press["name"], press["replyToId"] = "invoke", "adaptiveCard/action", "act-1"
		press["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": data["action"], "data": data}, "trigger": "manual"}
		resp := xpTeamsActivity(t, f, public, press)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("teams press %q: %d %s", verb, resp.StatusCode, b)
		}
		var answer struct {
			Value any `json:"value"`
		}
		_ = json.Unmarshal(b, &answer)
		again := xpExecute(answer.Value, verb)
		if again == nil || again["confirmed"] == nil {
			return
		}
		card = answer.Value
	}
	t.Fatalf("pressing %q kept asking for confirmation", verb)
}

// xpExecute finds the data of the Action.Execute whose verb starts with
// verb in a card (the verb is put in data["action"]).
func xpExecute(card any, verb string) map[string]any {
	var data map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if v, _ := x["verb"].(string); data == nil && x["type"] == "Action.Execute" && strings.HasPrefix(v, verb) {
				data, _ = x["data"].(map[string]any)
				if data == nil {
					data = map[string]any{}
				}
				data["action"] = v
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(card)
	return data
}

// xpStores runs fn on the embedded store and on Redis.
func xpStores(t *testing.T, fn func(t *testing.T)) {
	t.Run("bolt", func(t *testing.T) {
		t.Setenv("REDIS_URL", "")
		fn(t)
	})
	t.Run("redis", func(t *testing.T) {
		srv := redistest.StartServer(t)
		t.Setenv("REDIS_URL", srv.URL+"/0")
		fn(t)
	})
}

// Alice works in Contoso's Teams tenant; Marc, Contoso's account
// manager, in ERP Cloud's Slack. Her upgrade reaches him on Slack, he
// approves there, and her card in Teams changes to say who approved.
func TestApprovalFromCustomerTeamsToResellerSlack(t *testing.T) {
	xpStores(t, func(t *testing.T) {
		f := newXPFake(t)
		f.slackID["marc@erp-cloud.example"] = "UMARC"
		f.members["29:alice"] = "alice@contoso.example"
		public := xpServe(t, f, "T0ERP", xpConfig("    teams_tenants: ["+xpContosoTenant+"]\nreseller:\n  slack_teams: [T0ERP]\n"))

		// Marc has talked to the bot from the reseller's Slack before.
		xpSlackSay(t, public, "T0ERP", "UMARC", fmt.Sprintf("EvM%d", time.Now().UnixNano()), "hello")
		f.waitFor(t, 0, "Marc's greeting on Slack", func(c xpCall) bool { return c.platform == "slack" && c.conv == "DUMARC" })

		n := f.count()
		xpTeamsSay(t, f, public, xpContosoTenant, "29:alice", "a1", "upgrade 5 E1 to E3 into the existing line")
		preview := f.waitFor(t, n, "Alice's preview in Teams", func(c xpCall) bool { return c.platform == "teams" && strings.Contains(c.text, "Action.Execute") })
		n = f.count()
		xpTeamsPress(t, f, public, xpContosoTenant, "29:alice", preview, "confirm")
		card := f.waitFor(t, n, "Marc's approval card on Slack", func(c xpCall) bool {
			return c.platform == "slack" && c.conv == "DUMARC" && strings.Contains(c.raw, "approve/")
		})
		if got, _ := f.since(n); xpAny(got, func(c xpCall) bool {
			return c.platform == "teams" && c.conv != "a:chat-29:alice"
		}) {
			t.Error("the approval card also went to a Teams conversation")
		}

		n = f.count()
		xpSlackPress(t, public, "T0ERP", "UMARC", card, "approve")
		f.waitFor(t, n, "Alice's Teams card updated with Marc's approval", func(c xpCall) bool {
			return c.platform == "teams" && c.conv == "a:chat-29:alice" && strings.Contains(c.text, "Marc") && strings.Contains(strings.ToLower(c.text), "approved")
		})
	})
}

// Claire works in Contoso's Slack workspace; Marc in ERP Cloud's Teams
// tenant. The reverse path: her cancellation reaches him in Teams, and
// her Slack message says he approved.
func TestApprovalFromCustomerSlackToResellerTeams(t *testing.T) {
	xpStores(t, func(t *testing.T) {
		f := newXPFake(t)
		f.slackID["claire@contoso.example"] = "UCLAIRE"
		f.members["29:marc"] = "marc@erp-cloud.example"
		public := xpServe(t, f, "T0CONTOSO", xpConfig("    slack_teams: [T0CONTOSO]\nreseller:\n  teams_tenants: ["+xpResellerTenant+"]\n"))

		// Marc has talked to the bot from the reseller's tenant before:
		// Teams gives the bot a conversation only then.
		xpTeamsSay(t, f, public, xpResellerTenant, "29:marc", "m1", "hello")
		f.waitFor(t, 0, "Marc's greeting in Teams", func(c xpCall) bool { return c.platform == "teams" && c.conv == "a:chat-29:marc" })

		n := f.count()
		xpSlackSay(t, public, "T0CONTOSO", "UCLAIRE", fmt.Sprintf("EvC%d", time.Now().UnixNano()), "upgrade 5 E1 to E3 into the existing line")
		preview := f.waitFor(t, n, "Claire's preview on Slack", func(c xpCall) bool {
			return c.platform == "slack" && c.conv == "DUCLAIRE" && strings.Contains(c.raw, "confirm/")
		})
		n = f.count()
		xpSlackPress(t, public, "T0CONTOSO", "UCLAIRE", preview, "confirm")
		card := f.waitFor(t, n, "Marc's approval card in Teams", func(c xpCall) bool {
			return c.platform == "teams" && c.conv == "a:chat-29:marc" && strings.Contains(c.raw, "Action.Execute")
		})

		n = f.count()
		xpTeamsPress(t, f, public, xpResellerTenant, "29:marc", card, "approve")
		f.waitFor(t, n, "Claire's Slack message updated with Marc's approval", func(c xpCall) bool {
			return c.platform == "slack" && c.op == "chat.update" && c.conv == "DUCLAIRE" && strings.Contains(c.text, "Marc")
		})
	})
}

func xpAny(calls []xpCall, f func(xpCall) bool) bool {
	for _, c := range calls {
		if f(c) {
			return true
		}
	}
	return false
}
