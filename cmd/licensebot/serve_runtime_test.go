package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/licensebot/licensebot/config"
)

// serve.debug_addr serves Go's profiler on a listener of its own; the
// public and admin listeners do not.
func TestServeDebugAddrServesTheProfiler(t *testing.T) {
	g := testGlobals(t)
	g.config = filepath.Join(t.TempDir(), "licensebot.yaml")
	cfg := string(config.Demo()) + "\nserve:\n  debug_addr: 127.0.0.1:0\n"
	if err := os.WriteFile(g.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	debugAddr := make(chan string, 1)
	public, admin := startServe(t, g, func(o *serveOptions) { o.debugListening = func(a string) { debugAddr <- a } })
	d := <-debugAddr
	get := func(addr string) int {
		resp, err := http.Get("http://" + addr + "/debug/pprof/heap?debug=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusOK && !strings.Contains(string(body), "heap profile") {
			t.Errorf("%s: not a heap profile: %.80s", addr, body)
		}
		return resp.StatusCode
	}
	if code := get(d); code != http.StatusOK {
		t.Errorf("debug listener: status %d", code)
	}
	for _, a := range []string{public, admin} {
		if code := get(a); code == http.StatusOK {
			t.Errorf("%s serves the profiler", a)
		}
	}
}

// The collector's settings: serve.gc_percent (default 400) and
// serve.memory_limit, unless GOGC or GOMEMLIMIT say otherwise.
func TestTuneRuntime(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	os.Unsetenv("GOGC")
	os.Unsetenv("GOMEMLIMIT")
	rs, err := tuneRuntime(config.Serve{})
	if err != nil || rs.gcPercent != config.DefaultGCPercent || rs.gcFrom != "default" || rs.memoryLimitOf != "" {
		t.Fatalf("defaults: %+v, %v", rs, err)
	}
	if got := debug.SetGCPercent(100); got != config.DefaultGCPercent {
		t.Errorf("GC percent %d, want %d", got, config.DefaultGCPercent)
	}
	rs, err = tuneRuntime(config.Serve{GCPercent: 150, MemoryLimit: "256MiB"})
	if err != nil || rs.gcPercent != 150 || rs.memoryLimit != 256<<20 || rs.memoryLimitOf != "config" {
		t.Fatalf("configured: %+v, %v", rs, err)
	}
	if got := debug.SetMemoryLimit(-1); got != 256<<20 {
		t.Errorf("memory limit %d, want %d", got, 256<<20)
	}
	// The environment wins: what the runtime has is kept.
	t.Setenv("GOGC", "250")
	debug.SetGCPercent(250)
	rs, err = tuneRuntime(config.Serve{GCPercent: 150})
	if err != nil || rs.gcPercent != 250 || rs.gcFrom != "GOGC" {
		t.Fatalf("with GOGC: %+v, %v", rs, err)
	}
	if got := debug.SetGCPercent(100); got != 250 {
		t.Errorf("GC percent %d, want GOGC's 250", got)
	}
}
