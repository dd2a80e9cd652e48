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

// serve starts, answers health and readiness on both listeners and
// metrics on the admin one only, and stops cleanly when its context is
// cancelled (as on SIGTERM).
func TestServeHealthReadinessMetricsAndShutdown(t *testing.T) {
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("REDIS_URL", "")
	addr, admin := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	g := &globals{data: t.TempDir(), logLevel: "error", errOut: &bytes.Buffer{}, out: io.Discard, in: strings.NewReader("")}
	done := make(chan error, 1)
	opt := defaultServeOptions()
	opt.addr, opt.adminAddr, opt.tick = addr, admin, time.Hour
	go func() { done <- serveWith(ctx, g, opt) }()

	getFrom := func(host, path string) (int, string) {
		var resp *http.Response
		var err error
		for i := 0; i < 100; i++ {
			resp, err = http.Get("http://" + host + path)
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
	for _, host := range []string{addr, admin} {
		if code, body := getFrom(host, "/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
			t.Fatalf("%s/healthz %d %q", host, code, body)
		}
		code, body := getFrom(host, "/readyz")
		var checks map[string]string
		if err := json.Unmarshal([]byte(body), &checks); err != nil || code != 200 || checks["store"] != "ok" || checks["provider"] != "ok" {
			t.Fatalf("%s/readyz %d %s", host, code, body)
		}
	}
	// Metrics name customers: never on the public listener.
	if code, body := getFrom(addr, "/metrics"); code != http.StatusNotFound {
		t.Fatalf("public /metrics answered %d:\n%.300s", code, body)
	}
	get := func(path string) (int, string) { return getFrom(admin, path) }
	// The request gauge is set after the first round of due work (which
	// includes the reminders' first sync), so wait for it.
	metricsOK := func(code int, body string) bool {
		return code == 200 && strings.Contains(body, "licensebot_provider_calls_total") && strings.Contains(body, `licensebot_requests{customer="contoso",state="pending_approval"} 0`) &&
			strings.Contains(body, `licensebot_requests_open{state="needs_attention"} 0`) && strings.Contains(body, `licensebot_store_up{store="bolt"} 1`)
	}
	code, body := get("/metrics")
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
