package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// SLACK.md: a refused app token makes the bot stop. serve must return.
func TestServeStopsWhenSlackRefusesTheAppToken(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
	}))
	defer fake.Close()
	t.Setenv("REDIS_URL", "")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-test")
	t.Setenv("SLACK_APP_TOKEN", "xapp-revoked")
	t.Setenv("SLACK_API_URL", fake.URL+"/")
	g := &globals{data: t.TempDir(), logLevel: "error", errOut: &bytes.Buffer{}, out: io.Discard, in: strings.NewReader("")}
	done := make(chan error, 1)
	go func() { done <- serve(context.Background(), g, freeAddr(t), time.Hour) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("serve returned nil after Slack refused the token")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve hangs after Slack refused the app token (ticker goroutine waits on a context nobody cancels)")
	}
}

// /readyz checks Slack (README). While Socket Mode cannot connect at all,
// the replica must not report ready.
func TestReadyzFalseWhileSocketModeIsNotConnected(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway) // apps.connections.open keeps failing
	}))
	defer fake.Close()
	t.Setenv("REDIS_URL", "")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-test")
	t.Setenv("SLACK_APP_TOKEN", "xapp-test")
	t.Setenv("SLACK_API_URL", fake.URL+"/")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	g := &globals{data: t.TempDir(), logLevel: "error", errOut: &bytes.Buffer{}, out: io.Discard, in: strings.NewReader("")}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, g, addr, time.Hour) }()
	defer func() { cancel(); <-done }()
	var resp *http.Response
	var err error
	for i := 0; i < 200; i++ {
		if resp, err = http.Get("http://" + addr + "/readyz"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // several failed connection attempts
	resp, err = http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Fatalf("/readyz 200 %s while Socket Mode has never connected", b)
	}
}
