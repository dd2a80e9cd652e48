package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// serve starts, answers health, readiness and metrics, and stops cleanly
// when its context is cancelled (as on SIGTERM).
func TestServeHealthReadinessMetricsAndShutdown(t *testing.T) {
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("REDIS_URL", "")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	g := &globals{data: t.TempDir(), logLevel: "error", errOut: &bytes.Buffer{}, out: io.Discard, in: strings.NewReader("")}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, g, addr, time.Hour) }()

	get := func(path string) (int, string) {
		var resp *http.Response
		var err error
		for i := 0; i < 100; i++ {
			resp, err = http.Get("http://" + addr + path)
			if err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz %d %q", code, body)
	}
	code, body := get("/readyz")
	var checks map[string]string
	if err := json.Unmarshal([]byte(body), &checks); err != nil || code != 200 || checks["store"] != "ok" || checks["provider"] != "ok" {
		t.Fatalf("/readyz %d %s", code, body)
	}
	// The request gauge is set after the first round of due work (which
	// includes the reminders' first sync), so wait for it.
	metricsOK := func(code int, body string) bool {
		return code == 200 && strings.Contains(body, "licensebot_provider_calls_total") && strings.Contains(body, `licensebot_requests{customer="contoso",state="pending_approval"} 0`)
	}
	code, body = get("/metrics")
	for deadline := time.Now().Add(10 * time.Second); !metricsOK(code, body) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		code, body = get("/metrics")
	}
	if !metricsOK(code, body) {
		t.Fatalf("/metrics %d:\n%.2000s", code, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}
