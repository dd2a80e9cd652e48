package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot/slack/slacktest"
	"github.com/licensebot/licensebot/store/redis/redistest"
)

// rollSlack is a fake Slack Web API that knows who is who and records
// every message posted, by channel.
type rollSlack struct {
	mu    sync.Mutex
	posts map[string][]string // channel → texts, in order
	ids   map[string]string   // e-mail → user id
	// slow delays every post, so that a send is still in flight when the
	// other replica ticks.
	slow time.Duration
}

func (f *rollSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form := slacktest.Args(r, body)
	w.Header().Set("Content-Type", "application/json")
	emails := map[string]string{}
	for e, id := range f.ids {
		emails[id] = e
	}
	switch strings.TrimPrefix(r.URL.Path, "/api/") {
	case "users.info":
		id := form.Get("user")
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"locale":"en-US","profile":{"email":%q}}}`, id, emails[id])
	case "users.lookupByEmail":
		id, ok := f.ids[form.Get("email")]
		if !ok {
			fmt.Fprint(w, `{"ok":false,"error":"users_not_found"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"profile":{"email":%q}}}`, id, form.Get("email"))
	case "conversations.open":
		fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, form.Get("users"))
	case "chat.postMessage":
		time.Sleep(f.slow)
		ch := form.Get("channel")
		f.mu.Lock()
		f.posts[ch] = append(f.posts[ch], form.Get("text"))
		n := len(f.posts[ch])
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1.%d"}`, ch, n)
	default:
		fmt.Fprint(w, `{"ok":true}`)
	}
}

func (f *rollSlack) count(ch string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posts[ch])
}

func (f *rollSlack) waitFor(t *testing.T, ch string, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if f.count(ch) >= n {
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t.Fatalf("%s got %d messages, want %d: %q", ch, len(f.posts[ch]), n, f.posts[ch])
}

// A rolling update: replicas A and B of two deployments run on one Redis.
// Alice starts an upgrade on A; A is stopped (SIGTERM) while her turn is
// in flight, and finishes it before it exits;
// Slack redelivers her first event to B, as it does when an answer was
// lost, then she confirms on B. The conversation goes on where A left it,
// the redelivered event is not answered twice, and exactly one request
// reaches the approver, once.
func TestRollingUpdateTwoServesOnOneRedis(t *testing.T) {
	srv := redistest.StartServer(t)
	slackAPI := &rollSlack{posts: map[string][]string{}, ids: map[string]string{
		"alice@contoso.example": "UALICE", "marc@erp-cloud.example": "UMARC", "nina@erp-cloud.example": "UNINA",
		"claire@contoso.example": "UCLAIRE",
	}}
	fake := httptest.NewServer(slackAPI)
	defer fake.Close()
	t.Setenv("REDIS_URL", srv.URL+"/0")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-roll")
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_SIGNING_SECRET", loadSecret)
	t.Setenv("SLACK_API_URL", fake.URL+"/api/")
	t.Setenv("TEAMS_APP_ID", "")

	type replica struct {
		public string
		stop   func()
	}
	start := func() replica {
		opt := defaultServeOptions()
		opt.addr, opt.adminAddr, opt.tick = "127.0.0.1:0", "127.0.0.1:0", time.Hour
		ready := make(chan string, 1)
		opt.listening = func(p, _ string) { ready <- p }
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- serveWith(ctx, testGlobals(t), opt) }()
		var public string
		select {
		case public = <-ready:
		case err := <-done:
			t.Fatalf("serve: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not start")
		}
		var once sync.Once
		stop := func() {
			once.Do(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("serve: %v", err)
				}
			})
		}
		t.Cleanup(stop)
		return replica{public, stop}
	}
	send := func(r replica, eventID, text string) {
		t.Helper()
		body := fmt.Appendf(nil, `{"type":"event_callback","event_id":%q,"event":{"type":"message","channel_type":"im","channel":"DUALICE","user":"UALICE","text":%q,"ts":"%d.1"}}`,
			eventID, text, time.Now().UnixNano())
		req, _ := http.NewRequest(http.MethodPost, "http://"+r.public+"/slack/events", bytes.NewReader(body))
		req.Header = signSlack(time.Now().Unix(), body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("event %s: %d", eventID, resp.StatusCode)
		}
	}

	a := start()
	b := start()
	run := time.Now().UnixNano()
	ev1 := fmt.Sprintf("EvRoll%d-1", run)
	send(a, ev1, "upgrade 5 E1 to E3 into the existing line")
	// SIGTERM right after Slack got its acknowledgement: the turn in
	// flight finishes before A exits, so Alice has her preview.
	a.stop()
	afterA := slackAPI.count("DUALICE")
	if afterA != 1 {
		t.Fatalf("Alice got %d messages from A, want its preview: a turn in flight was lost at shutdown", afterA)
	}

	send(b, ev1, "upgrade 5 E1 to E3 into the existing line") // Slack's redelivery
	send(b, fmt.Sprintf("EvRoll%d-2", run), "confirm")
	slackAPI.waitFor(t, "DUMARC", 1) // the approval card
	slackAPI.waitFor(t, "DUALICE", afterA+1)
	// B handles one person's events in order, so a second answer to the
	// redelivered event would have been posted before the confirmation.

	slackAPI.mu.Lock()
	alice := append([]string(nil), slackAPI.posts["DUALICE"]...)
	marc := len(slackAPI.posts["DUMARC"])
	slackAPI.mu.Unlock()
	if len(alice) != afterA+1 {
		t.Errorf("Alice got %d messages after the stop, want 1 (the confirmation): %q", len(alice)-afterA, alice[afterA:])
	}
	for _, later := range alice[afterA:] {
		for _, earlier := range alice[:afterA] {
			if later == earlier {
				t.Errorf("B answered the redelivered event again: %.200q", later)
			}
		}
	}
	if marc != 1 {
		t.Errorf("the approver got %d messages, want one approval card", marc)
	}
	b.stop()

	out, stderr, err := run2(t, "requests", "--json")
	if err != nil {
		t.Fatalf("requests: %v\n%s", err, stderr)
	}
	var reqs []struct {
		ID    string `json:"id"`
		State string `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].State != "pending_approval" {
		t.Fatalf("requests after the rolling update: %+v, want exactly one pending_approval", reqs)
	}
}

func run2(t *testing.T, args ...string) (string, string, error) {
	return run(t, "", append(args, "--data", t.TempDir())...)
}

// Two replicas on one Redis, both ticking reminders every second for
// several seconds over the same due reminders (one deployment's replica
// next to the other's during a rolling update): each reminder reaches
// its person once.
func TestTwoServesSendEachReminderOnce(t *testing.T) {
	srv := redistest.StartServer(t)
	slackAPI := &rollSlack{posts: map[string][]string{}, ids: map[string]string{
		"alice@contoso.example": "UALICE", "marc@erp-cloud.example": "UMARC", "nina@erp-cloud.example": "UNINA",
		"claire@contoso.example": "UCLAIRE",
	}, slow: 2500 * time.Millisecond}
	fake := httptest.NewServer(slackAPI)
	defer fake.Close()
	t.Setenv("REDIS_URL", srv.URL+"/0")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-roll")
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_SIGNING_SECRET", loadSecret)
	t.Setenv("SLACK_API_URL", fake.URL+"/api/")
	t.Setenv("TEAMS_APP_ID", "")

	demo, _, err := run(t, "", "config", "demo")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "licensebot.yaml")
	if err := os.WriteFile(cfg, []byte(demo+"\nreminders:\n  tick: 1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The portal is seeded on 26 Nov; Business Standard's seats bought
	// the day before may be removed until 28 Nov 00:00, and the reminder
	// that the window closes fell due on 27 Nov at 12:00.
	if _, stderr, err := run(t, "", "subscriptions", "--config", cfg, "--now", "2026-11-26T10:00:00+01:00", "--data", t.TempDir()); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	now := "2026-11-27T18:00:00+01:00"
	for range 2 {
		g := testGlobals(t)
		g.config, g.now = cfg, now
		opt := defaultServeOptions()
		opt.addr, opt.adminAddr, opt.tick = "127.0.0.1:0", "127.0.0.1:0", time.Hour
		ready := make(chan string, 1)
		opt.listening = func(p, _ string) { ready <- p }
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- serveWith(ctx, g, opt) }()
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("serve: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not start")
		}
		t.Cleanup(func() { cancel(); <-done })
	}
	slackAPI.waitFor(t, "DUCLAIRE", 1)
	// Each post takes 2.5 s, so every reminder is still being sent when
	// the other replica ticks (every second); then both tick again.
	time.Sleep(6 * time.Second)
	slackAPI.mu.Lock()
	posts := append([]string(nil), slackAPI.posts["DUCLAIRE"]...)
	slackAPI.mu.Unlock()
	seen := map[string]int{}
	for _, p := range posts {
		seen[p]++
	}
	window := false
	for text, n := range seen {
		if n > 1 {
			t.Errorf("sent %d times: %.160q", n, text)
		}
		window = window || strings.Contains(text, "Business Standard")
	}
	if !window {
		t.Errorf("no reminder about Business Standard's closing window among %q", posts)
	}
}
