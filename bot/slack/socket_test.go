package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/socketmode"
)

func TestSocketModeNeedsAppToken(t *testing.T) {
	e := newEnv(t)
	if err := e.a.RunSocketMode(context.Background()); err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
		t.Fatalf("err %v", err)
	}
}

func TestSocketModeStopsOnInvalidAuth(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AppToken = "xapp-revoked" })
	e.api.then("apps.connections.open", scripted{status: 200, body: `{"ok":false,"error":"invalid_auth"}`})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := e.a.RunSocketMode(ctx)
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(e.logs.String(), "SLACK_APP_TOKEN") || strings.Contains(e.logs.String(), "xapp-revoked") {
		t.Fatalf("log should name the variable, not the token:\n%s", e.logs.String())
	}
}

// fakeSocket is Slack's side of a Socket Mode WebSocket: it sends the
// envelopes it is given and collects the acks.
type fakeSocket struct {
	srv       *httptest.Server
	envelopes []string
	mu        sync.Mutex
	acks      map[string]json.RawMessage
	gotAll    chan struct{}
}

func newFakeSocket(t *testing.T, envelopes ...string) *fakeSocket {
	fs := &fakeSocket{envelopes: envelopes, acks: map[string]json.RawMessage{}, gotAll: make(chan struct{})}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	fs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","num_connections":1}`))
		for _, env := range fs.envelopes {
			_ = c.WriteMessage(websocket.TextMessage, []byte(env))
		}
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			var ack struct {
				EnvelopeID string          `json:"envelope_id"`
				Payload    json.RawMessage `json:"payload"`
			}
			_ = json.Unmarshal(data, &ack)
			fs.mu.Lock()
			fs.acks[ack.EnvelopeID] = ack.Payload
			if len(fs.acks) == len(fs.envelopes) {
				close(fs.gotAll)
			}
			fs.mu.Unlock()
		}
	}))
	t.Cleanup(fs.srv.Close)
	return fs
}

func envelope(t *testing.T, typ, id string, payload any) string {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"type": typ, "envelope_id": id, "payload": payload, "accepts_response_payload": typ != "events_api"})
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestSocketModeAcksAndDispatches(t *testing.T) {
	var ev, retry map[string]any
	_ = json.Unmarshal([]byte(dmEvent("EvS1", "UALICE", "my subscriptions")), &ev)
	_ = json.Unmarshal([]byte(dmEvent("EvS1", "UALICE", "my subscriptions")), &retry)
	fs := newFakeSocket(t,
		envelope(t, "events_api", "env-1", ev),
		// Slack redelivers the same event: acked, handled once.
		envelope(t, "events_api", "env-2", retry),
		envelope(t, "interactive", "env-3", map[string]any{
			"type": "block_actions", "trigger_id": "T1", "user": map[string]any{"id": "UALICE"},
			"container": map[string]any{"type": "message", "channel_id": "DUALICE"},
			"actions":   []map[string]any{{"block_id": "b", "action_id": "confirm/0", "value": "d1"}},
		}),
		envelope(t, "slash_commands", "env-4", map[string]any{"command": "/licences", "text": "help", "user_id": "UALICE", "channel_id": "CGENERAL"}),
		// Envelopes the library cannot parse are acknowledged all the
		// same, or Slack would resend them.
		envelope(t, "interactive", "env-5", "not an object"),
		envelope(t, "events_api", "env-6", map[string]any{"type": "event_callback", "event_id": "EvS9", "event": map[string]any{"type": "no_such_event"}}),
	)
	e := newEnv(t, func(o *Options) { o.AppToken = "xapp-test" })
	e.api.then("apps.connections.open", scripted{status: 200, body: `{"ok":true,"url":"ws` + strings.TrimPrefix(fs.srv.URL, "http") + `/ws"}`})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.RunSocketMode(ctx) }()
	select {
	case <-fs.gotAll:
	case err := <-done:
		t.Fatalf("socket mode ended early: %v", err)
	case <-time.After(10 * time.Second):
		fs.mu.Lock()
		defer fs.mu.Unlock()
		t.Fatalf("acks %v", fs.acks)
	}
	waitFor(t, func() bool { return len(e.h.got()) >= 3 })
	e.a.run.Idle()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunSocketMode after cancel: %v", err)
	}
	turns := e.h.got()
	if len(turns) != 3 {
		t.Fatalf("%d turns, want 3: %+v", len(turns), turns)
	}
	var texts []string
	for _, tr := range turns {
		if tr.Press != nil {
			texts = append(texts, "press:"+tr.Press.ID)
		} else {
			texts = append(texts, tr.Text)
		}
	}
	if got := strings.Join(texts, ","); got != "my subscriptions,press:confirm,help" {
		t.Fatalf("turns %s", got)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for id, p := range fs.acks {
		if len(p) > 0 && string(p) != "null" {
			t.Errorf("ack %s carries a payload %s", id, p)
		}
	}
}

func TestSocketEventNotAckedWhenBusy(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Workers, o.QueueSize = 1, 1 })
	gate := make(chan struct{})
	e.h.mu.Lock()
	e.h.gate = gate
	e.h.mu.Unlock()
	var acked []string
	ack := func(req socketmode.Request, _ any) error {
		acked = append(acked, req.EnvelopeID)
		return nil
	}
	ctx := context.Background()
	send := func(id, eventID string) {
		req := &socketmode.Request{Type: "events_api", EnvelopeID: id, Payload: json.RawMessage(dmEvent(eventID, "UALICE", "x"))}
		if err := e.a.onSocketEvent(ctx, socketmode.Event{Type: socketmode.EventTypeEventsAPI, Request: req}, ack); err != nil {
			t.Fatal(err)
		}
	}
	send("e1", "EvB1")
	waitFor(t, func() bool { return len(e.h.got()) == 1 })
	send("e2", "EvB2")
	send("e3", "EvB3")
	close(gate)
	e.a.run.Idle()
	if got := strings.Join(acked, ","); got != "e1,e2" {
		t.Fatalf("acked %s (the refused envelope must stay unacknowledged so Slack resends it)", got)
	}
	// Resent, it is accepted: its de-dup claim was released.
	send("e3", "EvB3")
	e.a.run.Idle()
	if n := len(e.h.got()); n != 3 {
		t.Fatalf("%d turns", n)
	}
	if err := e.a.onSocketEvent(ctx, socketmode.Event{Type: socketmode.EventTypeInvalidAuth}, ack); !errors.Is(err, ErrAuth) {
		t.Fatalf("invalid auth event: %v", err)
	}
}
