package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licensebot/licensebot/bot/slack/slacktest"
)

// tracker pairs replies with the turns that caused them. A person's
// turns are answered in the order they arrived, so the k-th reply in a
// conversation answers the k-th turn sent to it.
type tracker struct {
	mu      sync.Mutex
	pending map[string][]*flight // conversation → turns waiting, oldest first
	extra   int                  // replies nobody was waiting for
	late    int                  // replies to turns already counted lost
}

// flight is one turn waiting for its reply.
type flight struct {
	done      chan struct{}
	at        time.Time // when the reply arrived
	abandoned bool      // counted lost; its reply still takes its place in line
}

func newTracker() *tracker { return &tracker{pending: map[string][]*flight{}} }

// expect registers a turn before it is sent (a fast reply may otherwise
// come first).
func (t *tracker) expect(conv string) *flight {
	f := &flight{done: make(chan struct{})}
	t.mu.Lock()
	t.pending[conv] = append(t.pending[conv], f)
	t.mu.Unlock()
	return f
}

// abandon marks a turn lost. It stays in line: its reply may still
// come, and must not be taken for the next turn's.
func (t *tracker) abandon(f *flight) {
	t.mu.Lock()
	f.abandoned = true
	t.mu.Unlock()
}

// forget drops a turn that was refused or failed: no reply will come.
func (t *tracker) forget(conv string, f *flight) {
	t.mu.Lock()
	defer t.mu.Unlock()
	q := t.pending[conv]
	for i, g := range q {
		if g == f {
			t.pending[conv] = append(q[:i:i], q[i+1:]...)
			return
		}
	}
}

// arrived records a reply in conv at time at.
func (t *tracker) arrived(conv string, at time.Time) {
	t.mu.Lock()
	q := t.pending[conv]
	if len(q) == 0 {
		t.extra++
		t.mu.Unlock()
		return
	}
	f := q[0]
	t.pending[conv] = q[1:]
	if f.abandoned {
		t.late++
	}
	t.mu.Unlock()
	f.at = at
	close(f.done)
}

// counts are the replies nobody waited for and those that came after
// their turn was counted lost.
func (t *tracker) counts() (extra, late int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.extra, t.late
}

// fakes is the fake Slack Web API and the fake Bot Framework (OpenID
// metadata, key set, token endpoint, Connector) on one loopback server.
type fakes struct {
	track *tracker
	key   *bfKey
	base  string // set once listening: http://127.0.0.1:port
	ids   atomic.Int64
	// sample is the text of one reply, shown so a run that only ever
	// answered "you are not set up" is seen for what it is.
	sample atomic.Pointer[string]
}

func (f *fakes) keepSample(text string) {
	if f.sample.Load() == nil {
		text = strings.Join(strings.Fields(text), " ")
		if r := []rune(text); len(r) > 160 {
			text = string(r[:160]) + "…"
		}
		f.sample.CompareAndSwap(nil, &text)
	}
}

func (f *fakes) sampleReply() string {
	if p := f.sample.Load(); p != nil {
		return *p
	}
	return "(none)"
}

func (f *fakes) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", f.slackAPI)
	mux.HandleFunc("GET /openid", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"issuer": bfIssuer, "jwks_uri": f.base + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, f.key.jwks()) })
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": "loadtest-connector-token"})
	})
	mux.HandleFunc("POST /v3/conversations/{conv}/activities", f.teamsReply)
	mux.HandleFunc("POST /v3/conversations/{conv}/activities/{id}", f.teamsReply)
	mux.HandleFunc("PUT /v3/conversations/{conv}/activities/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("POST /v3/conversations", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]string{"id": fmt.Sprintf("a:created-%d", f.ids.Add(1))})
	})
	mux.HandleFunc("GET /v3/conversations/{conv}/members/{id}", func(w http.ResponseWriter, r *http.Request) {
		n := strings.TrimPrefix(r.PathValue("id"), "29:")
		writeJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id"), "aadObjectId": "aad-" + n,
			"email": n + "@contoso.example", "userPrincipalName": n + "@contoso.example"})
	})
	return mux
}

// slackAPI answers the Web API methods a turn calls; chat.postMessage
// is a reply.
func (f *fakes) slackAPI(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	form := slacktest.Args(r, body)
	switch r.PathValue("method") {
	case "users.info":
		u := form.Get("user")
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "user": map[string]any{"id": u, "locale": "en-US",
			"profile": map[string]string{"email": strings.ToLower(strings.TrimPrefix(u, "U")) + "@contoso.example"}}})
	case "conversations.open":
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": map[string]string{"id": "D" + form.Get("users")}})
	case "chat.postMessage":
		ch := form.Get("channel")
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": ch, "ts": fmt.Sprintf("%d.%06d", at.Unix(), f.ids.Add(1)%1000000)})
		f.keepSample(form.Get("text") + " " + form.Get("blocks"))
		f.track.arrived(ch, at)
	case "chat.update":
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": form.Get("channel"), "ts": form.Get("ts")})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	}
}

// teamsReply is the Connector receiving the bot's answer.
func (f *fakes) teamsReply(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.keepSample(string(body))
	writeJSON(w, http.StatusCreated, map[string]string{"id": fmt.Sprintf("act-%d", f.ids.Add(1))})
	f.track.arrived(r.PathValue("conv"), at)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ceiling is the verify-and-200 endpoint: the signature or token is
// checked as serve checks it, and nothing else happens.
func ceiling(secret string, key *bfKey) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if slackVerify(secret, r.Header, body, time.Now()) != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("POST /api/messages", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		service, err := key.verify(raw, time.Now())
		var act struct {
			ServiceURL string `json:"serviceUrl"`
		}
		if err != nil || json.Unmarshal(body, &act) != nil || act.ServiceURL != service {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	return mux
}
