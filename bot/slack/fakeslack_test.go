package slack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/licensebot/licensebot/bot/slack/slacktest"
)

// fakeSlack is a small Slack Web API: the methods the adapter calls,
// recording every call. slacktest lacks chat.update and views.*, so this
// is a plain httptest server instead.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu    sync.Mutex
	calls []apiCall
	users map[string]fakeUser // Slack id → user
	ts    int
	// script: per method, answers to give before the normal one
	// (status code, headers, body).
	script map[string][]scripted
	// Workspaces of a distributed app: token → team, and the codes
	// oauth.v2.access exchanges. A token not listed sees every user (the
	// single-workspace tests); a listed one only its team's, and a
	// revoked one gets invalid_auth.
	tokens  map[string]string
	revoked map[string]bool
	codes   map[string]map[string]any
}

type fakeUser struct {
	Email, Locale string
	Bot           bool
	// Team: "" is every workspace's.
	Team string
}

type scripted struct {
	status int
	header map[string]string
	body   string
}

// apiCall is one recorded call: form values or a JSON body.
type apiCall struct {
	Method string
	// Token is the token the call was made with.
	Token string
	Form  url.Values
	JSON  map[string]any
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{t: t, users: map[string]fakeUser{}, script: map[string][]scripted{},
		tokens: map[string]string{}, revoked: map[string]bool{}, codes: map[string]map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the API base URL, with the trailing slash slack-go wants.
func (f *fakeSlack) URL() string { return f.srv.URL + "/api/" }

func (f *fakeSlack) addUser(id, email, locale string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = fakeUser{Email: email, Locale: locale}
}

// addTeamUser adds a user of one workspace.
func (f *fakeSlack) addTeamUser(team, id, email, locale string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = fakeUser{Email: email, Locale: locale, Team: team}
}

// install makes code exchange for token in team (oauth.v2.access).
func (f *fakeSlack) install(code, team, teamName, token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = team
	f.codes[code] = map[string]any{"ok": true, "access_token": token, "token_type": "bot", "scope": "chat:write",
		"bot_user_id": "UBOT" + team, "app_id": "A1", "team": map[string]any{"id": team, "name": teamName},
		"enterprise": nil, "is_enterprise_install": false, "authed_user": map[string]any{"id": "UADMIN" + team}}
}

// revoke makes token refused from now on.
func (f *fakeSlack) revoke(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked[token] = true
}

// then makes the next call of method answer this way first.
func (f *fakeSlack) then(method string, s scripted) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[method] = append(f.script[method], s)
}

// callsOf returns the recorded calls of method.
func (f *fakeSlack) callsOf(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeSlack) allCalls() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, _ := io.ReadAll(r.Body)
	c := apiCall{Method: method}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &c.JSON)
		c.Form = slacktest.JSONArgs(body)
	} else {
		c.Form, _ = url.ParseQuery(string(body))
	}
	c.Token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if c.Token == "" && c.Form != nil {
		c.Token = c.Form.Get("token")
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	if s := f.script[method]; len(s) > 0 {
		f.script[method] = s[1:]
		f.mu.Unlock()
		for k, v := range s[0].header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s[0].status)
		_, _ = io.WriteString(w, s[0].body)
		return
	}
	team, listed := f.tokens[c.Token]
	revoked := f.revoked[c.Token]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if revoked {
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	var resp any
	switch method {
	case "oauth.v2.access":
		f.mu.Lock()
		resp = f.codes[c.Form.Get("code")]
		delete(f.codes, c.Form.Get("code"))
		f.mu.Unlock()
		if resp == nil || c.Form.Get("client_secret") != "csecret" {
			resp = map[string]any{"ok": false, "error": "invalid_code"}
		}
	case "auth.test":
		resp = map[string]any{"ok": true, "team_id": team, "user_id": "UBOT"}
	case "users.info":
		resp = f.userInfo(c.Form.Get("user"), team, listed)
	case "users.lookupByEmail":
		resp = f.lookup(c.Form.Get("email"), team, listed)
	case "conversations.open":
		resp = map[string]any{"ok": true, "channel": map[string]any{"id": "D" + c.Form.Get("users")}}
	case "chat.postMessage":
		resp = map[string]any{"ok": true, "channel": c.Form.Get("channel"), "ts": f.nextTS()}
	case "chat.update":
		resp = map[string]any{"ok": true, "channel": c.Form.Get("channel"), "ts": c.Form.Get("ts")}
	case "chat.postEphemeral":
		resp = map[string]any{"ok": true, "message_ts": f.nextTS()}
	case "views.open", "views.publish":
		resp = map[string]any{"ok": true, "view": map[string]any{"id": "V1"}}
	default:
		resp = map[string]any{"ok": false, "error": "unknown_method"}
	}
	_ = json.NewEncoder(w).Encode(resp)
}

func (f *fakeSlack) nextTS() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ts++
	return fmt.Sprintf("1772445600.%06d", f.ts)
}

func (f *fakeSlack) userInfo(id, team string, listed bool) any {
	f.mu.Lock()
	u, ok := f.users[id]
	f.mu.Unlock()
	if !ok || listed && u.Team != "" && u.Team != team {
		return map[string]any{"ok": false, "error": "user_not_found"}
	}
	return map[string]any{"ok": true, "user": map[string]any{
		"id": id, "is_bot": u.Bot, "locale": u.Locale, "profile": map[string]any{"email": u.Email},
	}}
}

func (f *fakeSlack) lookup(email, team string, listed bool) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, u := range f.users {
		if listed && u.Team != "" && u.Team != team {
			continue
		}
		if strings.EqualFold(u.Email, email) {
			return map[string]any{"ok": true, "user": map[string]any{"id": id, "profile": map[string]any{"email": u.Email}}}
		}
	}
	return map[string]any{"ok": false, "error": "users_not_found"}
}

// blocksOf decodes the blocks of a recorded chat call.
func blocksOf(t *testing.T, c apiCall) []map[string]any {
	t.Helper()
	var b []map[string]any
	if s := c.Form.Get("blocks"); s != "" {
		if err := json.Unmarshal([]byte(s), &b); err != nil {
			t.Fatalf("blocks of %s: %v", c.Method, err)
		}
	}
	return b
}
