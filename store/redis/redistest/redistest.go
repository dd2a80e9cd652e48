// Package redistest finds or starts a Redis for tests, in this order:
//
//  1. REDIS_URL, if set (a shared server: every test gets its own key
//     prefix, and its keys are deleted at cleanup);
//  2. a redis-server from PATH, started on a free port in t.TempDir()
//     without persistence and stopped at cleanup;
//  3. miniredis, in-process, with a log line saying so. With CI=true or
//     REQUIRE_REDIS=1 this fallback is a test failure instead: CI must
//     test against the real thing.
//
// Each test logs which one it uses.
package redistest

import (
	"bufio"
	"context"
	"crypto/rand"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/licensebot/licensebot/store/redis"
)

// Target is a Redis that a test (and its subtests) run against.
type Target struct {
	// URL of the real server; empty for miniredis, where each Instance
	// has its own server.
	URL string
	// Real is false for miniredis.
	Real bool
	// shared is true for REDIS_URL: keys are cleaned up by prefix.
	shared bool
}

// Instance is one test's isolated part of a Target.
type Instance struct {
	URL    string
	Prefix string
	// Advance moves Redis's time for TTLs: FastForward on miniredis, a
	// sleep on a real server.
	Advance func(d time.Duration)
	// Mini is set when the instance is a miniredis.
	Mini *miniredis.Miniredis
}

// Required reports whether a missing real Redis must fail the test
// (CI=true or REQUIRE_REDIS=1).
func Required() bool {
	return envTrue("CI") || envTrue("REQUIRE_REDIS")
}

func envTrue(name string) bool {
	v, err := strconv.ParseBool(os.Getenv(name))
	return err == nil && v
}

// Start returns the Redis t should use (see the package comment).
func Start(t testing.TB) *Target {
	t.Helper()
	if raw := os.Getenv("REDIS_URL"); raw != "" {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal("redis: REDIS_URL does not parse")
		}
		t.Logf("redis: using real redis at REDIS_URL (%s)", u.Host)
		return &Target{URL: raw, Real: true, shared: true}
	}
	if _, err := exec.LookPath("redis-server"); err == nil {
		srv := StartServer(t)
		return &Target{URL: srv.URL, Real: true}
	}
	if Required() {
		t.Fatal("redis: no REDIS_URL and no redis-server on PATH, and CI/REQUIRE_REDIS forbids the miniredis fallback")
	}
	t.Log("redis: no redis-server on PATH, using miniredis")
	return &Target{}
}

// Store returns a *redis.Store on its own Instance of Start(t), closed at
// cleanup, for other packages' tests that want the Redis backend.
func Store(t testing.TB) (*redis.Store, Instance) {
	t.Helper()
	in := Start(t).Instance(t)
	opts, err := redis.ParseURL(in.URL)
	if err != nil {
		t.Fatalf("redis: %v", err)
	}
	opts.Prefix = in.Prefix
	s, err := redis.New(opts)
	if err != nil {
		t.Fatalf("redis: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, in
}

// Miniredis returns a Target whose instances are miniredis servers.
func Miniredis(t testing.TB) *Target {
	t.Helper()
	t.Log("redis: using miniredis")
	return &Target{}
}

// Instance gives t a unique key prefix on a real server, or its own
// miniredis (so that moving its clock cannot expire other tests' keys).
func (tg *Target) Instance(t testing.TB) Instance {
	t.Helper()
	prefix := Prefix()
	if !tg.Real {
		m := miniredis.RunT(t)
		return Instance{URL: "redis://" + m.Addr(), Prefix: prefix, Advance: m.FastForward, Mini: m}
	}
	if tg.shared {
		t.Cleanup(func() { deletePrefix(t, tg.URL, prefix) })
	}
	return Instance{URL: tg.URL, Prefix: prefix, Advance: time.Sleep}
}

// Prefix returns a fresh key prefix, so tests sharing a server never see
// each other's keys.
func Prefix() string { return "lbtest-" + strings.ToLower(rand.Text()[:12]) }

func deletePrefix(t testing.TB, rawURL, prefix string) {
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		return
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	// t.Context is already canceled during cleanup.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := c.Unlink(ctx, keys[:n]...).Err(); err != nil {
			t.Logf("redis: cleanup of %s: %v", prefix, err)
			return
		}
		keys = keys[n:]
	}
}

// Server is a redis-server process owned by one test.
type Server struct {
	Addr   string
	URL    string
	dir    string
	port   int
	proc   *os.Process
	exited chan error
}

// StartServer starts a redis-server from PATH on a free port, for tests
// that stop and restart it. Without one it skips the test, or fails it
// when Required and no REDIS_URL is set.
func StartServer(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		// With REDIS_URL the real server is tested already; only the tests
		// that must stop a server of their own are skipped.
		if Required() && os.Getenv("REDIS_URL") == "" {
			t.Fatal("redis: no redis-server on PATH, and CI/REQUIRE_REDIS requires one")
		}
		t.Skip("redis: no redis-server on PATH")
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("redis: free port: %v", err)
	}
	s := &Server{
		Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		dir:  t.TempDir(),
		port: port,
	}
	s.URL = "redis://" + s.Addr
	s.start(t)
	t.Cleanup(s.stop)
	t.Logf("redis: using real redis-server at %s", s.Addr)
	return s
}

// Stop shuts the server down and waits for it to exit.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.proc == nil {
		t.Fatal("redis: Stop of a stopped server")
	}
	s.stop()
}

// Restart starts the server again on the same port, empty.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.proc != nil {
		t.Fatal("redis: Restart of a running server")
	}
	s.start(t)
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	logPath := filepath.Join(s.dir, "redis.log")
	cmd := exec.Command("redis-server",
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--logfile", logPath,
	)
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis: start redis-server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for !ping(s.Addr) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("redis: redis-server exited: %v\n%s", err, log)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			log, _ := os.ReadFile(logPath)
			t.Fatalf("redis: redis-server did not answer on %s\n%s", s.Addr, log)
		}
	}
	s.proc, s.exited = cmd.Process, exited
}

func (s *Server) stop() {
	if s.proc == nil {
		return
	}
	_ = s.proc.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.proc.Kill()
		<-s.exited
	}
	s.proc = nil
}

// ping reports whether a Redis answers PING on addr.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// freePort asks the kernel for an unused port. Another process could take
// it before redis-server binds; the start then fails loudly.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
