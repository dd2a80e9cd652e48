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
}

type fakeUser struct {
	Email, Locale string
	Bot           bool
}

type scripted struct {
	status int
	header map[string]string
	body   string
}

// apiCall is one recorded call: form values or a JSON body.
type apiCall struct {
	Method string
	Form   url.Values
	JSON   map[string]any
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{t: t, users: map[string]fakeUser{}, script: map[string][]scripted{}}
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
	} else {
		c.Form, _ = url.ParseQuery(string(body))
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
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	var resp any
	switch method {
	case "users.info":
		resp = f.userInfo(c.Form.Get("user"))
	case "users.lookupByEmail":
		resp = f.lookup(c.Form.Get("email"))
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

func (f *fakeSlack) userInfo(id string) any {
	f.mu.Lock()
	u, ok := f.users[id]
	f.mu.Unlock()
	if !ok {
		return map[string]any{"ok": false, "error": "user_not_found"}
	}
	return map[string]any{"ok": true, "user": map[string]any{
		"id": id, "is_bot": u.Bot, "locale": u.Locale, "profile": map[string]any{"email": u.Email},
	}}
}

func (f *fakeSlack) lookup(email string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, u := range f.users {
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
