package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServe runs serveWith on free loopback ports and returns the public
// and admin addresses; serve stops when the test ends.
func startServe(t *testing.T, g *globals, tune func(*serveOptions)) (public, admin string) {
	t.Helper()
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("TEAMS_APP_ID", "")
	t.Setenv("REDIS_URL", "")
	opt := defaultServeOptions()
	opt.addr, opt.adminAddr, opt.tick = "127.0.0.1:0", "127.0.0.1:0", time.Hour
	if tune != nil {
		tune(&opt)
	}
	ready := make(chan [2]string, 1)
	opt.listening = func(p, a string) { ready <- [2]string{p, a} }
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
	case a := <-ready:
		return a[0], a[1]
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", ""
}

func testGlobals(t *testing.T) *globals {
	return &globals{data: t.TempDir(), logLevel: "error", errOut: &bytes.Buffer{}, out: io.Discard, in: strings.NewReader("")}
}

// Issue 10 point 4: a client that sends its headers a byte at a time must
// not hold a connection of the public listener. The server closes it once
// the read-header deadline passes, while the client is still sending.
func TestServeClosesAConnectionThatSendsHeadersTooSlowly(t *testing.T) {
	public, _ := startServe(t, testGlobals(t), func(o *serveOptions) { o.limits.readHeader = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", public)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() { // one byte every 50 ms, forever: never a complete header
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: licensebot\r\nX-Slow: "); err != nil {
			return
		}
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := conn.Write([]byte("a")); err != nil {
				return
			}
		}
	}()
	// The bound is 50 times the deadline: generous for a shared machine,
	// and still far short of "indefinitely".
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept a connection open 15 s while its headers trickled in (read-header timeout 300 ms)")
	}
	if strings.Contains(string(got), "200 OK") {
		t.Fatalf("the server answered an incomplete request: %q", got)
	}
}

// Headers past the cap are refused with 431, not buffered.
func TestServeRefusesOversizedHeaders(t *testing.T) {
	public, _ := startServe(t, testGlobals(t), func(o *serveOptions) { o.limits.maxHeaderBytes = 4 << 10 })
	req, _ := http.NewRequest(http.MethodGet, "http://"+public+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KiB of headers: %d, want 431", resp.StatusCode)
	}
}

// Past the connection cap the public listener stops accepting, and the
// admin listener (probes, metrics) still answers.
func TestServeCapsPublicConnectionsButAdminStillAnswers(t *testing.T) {
	public, admin := startServe(t, testGlobals(t), func(o *serveOptions) { o.limits.maxConns = 1 })
	// One answered request proves the server accepted this connection;
	// kept alive, it then holds the only slot.
	hold, err := net.Dial("tcp", public)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	io.WriteString(hold, "GET /healthz HTTP/1.1\r\nHost: licensebot\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(hold), nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first connection: %v %v", resp, err)
	}
	second, err := net.Dial("tcp", public) // the kernel queues it
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	io.WriteString(second, "GET /healthz HTTP/1.1\r\nHost: licensebot\r\n\r\n")
	answered := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(second).ReadString('\n')
		answered <- line
	}()
	resp, err := http.Get("http://" + admin + "/healthz")
	if err != nil {
		t.Fatalf("admin /healthz with the public listener full: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin /healthz %d", resp.StatusCode)
	}
	select {
	case line := <-answered:
		t.Fatalf("a connection past the cap was served: %q", line)
	default:
	}
	hold.Close() // frees the slot: the queued connection is served
	select {
	case line := <-answered:
		if !strings.Contains(line, "200") {
			t.Fatalf("queued request: %q", line)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the queued connection was never served after the slot freed")
	}
}

func TestHealthcheckCommand(t *testing.T) {
	_, admin := startServe(t, testGlobals(t), nil)
	out, _, err := run(t, "", "healthcheck", "--addr", admin)
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("healthcheck against a running serve: %q %v", out, err)
	}
	if _, _, err := run(t, "", "healthcheck", "--addr", admin, "--path", "/nothing"); err == nil {
		t.Fatal("healthcheck of a 404 path succeeded")
	}
	if _, _, err := run(t, "", "healthcheck", "--addr", freeAddr(t), "--timeout", "2s"); err == nil {
		t.Fatal("healthcheck with nothing listening succeeded")
	}
}

func TestLocalURL(t *testing.T) {
	for in, want := range map[string]string{
		":9090":          "http://127.0.0.1:9090/healthz",
		"0.0.0.0:9090":   "http://127.0.0.1:9090/healthz",
		"[::]:9090":      "http://127.0.0.1:9090/healthz",
		"10.0.0.5:9090":  "http://10.0.0.5:9090/healthz",
		"localhost:8080": "http://localhost:8080/healthz",
	} {
		if got, err := localURL(in, "/healthz"); err != nil || got != want {
			t.Errorf("localURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := localURL("9090", "/healthz"); err == nil {
		t.Error(`localURL("9090") accepted an address without a colon`)
	}
}
