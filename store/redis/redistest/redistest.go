// Package redistest finds or starts a Redis for tests, in this order:
//
//  1. a Redis named by the environment, with the names of the bot's own
//     redis settings: REDIS_URL, REDIS_MASTER_NAME with
//     REDIS_SENTINEL_ADDRS (Sentinel), or REDIS_CLUSTER_ADDRS (Cluster);
//     addresses are comma-separated, and REDIS_URL then only carries
//     credentials, TLS and client options. It is shared: every test gets
//     its own key prefix, and its keys are deleted at cleanup;
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
	// has its own server, and for Sentinel or Cluster.
	URL string
	// Real is false for miniredis.
	Real bool
	// Mode is "single", "sentinel" or "cluster".
	Mode string
	// opts connect to a real target (no prefix yet).
	opts redis.Options
	// shared is true for a Redis from the environment: keys are cleaned
	// up by prefix.
	shared bool
}

// Instance is one test's isolated part of a Target.
type Instance struct {
	// URL is empty for Sentinel and Cluster: use Options.
	URL string
	// Options connect to the instance, Prefix included.
	Options redis.Options
	Prefix  string
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

// FromEnv reports whether the environment names a Redis (REDIS_URL,
// REDIS_MASTER_NAME with REDIS_SENTINEL_ADDRS, or REDIS_CLUSTER_ADDRS).
func FromEnv() bool {
	return os.Getenv("REDIS_URL") != "" || os.Getenv("REDIS_MASTER_NAME") != "" || os.Getenv("REDIS_CLUSTER_ADDRS") != ""
}

// EnvSettings reads the environment's Redis settings.
func EnvSettings() redis.Settings {
	return redis.Settings{
		URL:           os.Getenv("REDIS_URL"),
		MasterName:    os.Getenv("REDIS_MASTER_NAME"),
		SentinelAddrs: addrList(os.Getenv("REDIS_SENTINEL_ADDRS")),
		ClusterAddrs:  addrList(os.Getenv("REDIS_CLUSTER_ADDRS")),
	}
}

func addrList(s string) []string {
	var out []string
	for a := range strings.SplitSeq(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Start returns the Redis t should use (see the package comment).
func Start(t testing.TB) *Target {
	t.Helper()
	if FromEnv() {
		set := EnvSettings()
		opts, err := redis.OptionsFrom(set)
		if err != nil {
			// The error never holds the URL, which may hold a password.
			t.Fatalf("redis: the environment's settings: %v", err)
		}
		tg := &Target{Real: true, shared: true, opts: opts, Mode: "single"}
		switch {
		case opts.MasterName != "":
			tg.Mode = "sentinel"
			t.Logf("redis: using real redis via Sentinel (master %s at %s)", opts.MasterName, strings.Join(opts.SentinelAddrs, ","))
		case opts.Cluster:
			tg.Mode = "cluster"
			t.Logf("redis: using real redis Cluster (%s)", strings.Join(opts.Addrs, ","))
		default:
			u, err := url.Parse(set.URL)
			if err != nil {
				t.Fatal("redis: REDIS_URL does not parse")
			}
			tg.URL = set.URL
			t.Logf("redis: using real redis at REDIS_URL (%s)", u.Host)
		}
		return tg
	}
	if _, err := exec.LookPath("redis-server"); err == nil {
		srv := StartServer(t)
		opts, err := redis.ParseURL(srv.URL)
		if err != nil {
			t.Fatalf("redis: %v", err)
		}
		return &Target{URL: srv.URL, Real: true, Mode: "single", opts: opts}
	}
	if Required() {
		t.Fatal("redis: no REDIS_URL, Sentinel or Cluster settings and no redis-server on PATH, and CI/REQUIRE_REDIS forbids the miniredis fallback")
	}
	t.Log("redis: no redis-server on PATH, using miniredis")
	return &Target{}
}

// Store returns a *redis.Store on its own Instance of Start(t), closed at
// cleanup, for other packages' tests that want the Redis backend.
func Store(t testing.TB) (*redis.Store, Instance) {
	t.Helper()
	in := Start(t).Instance(t)
	s, err := redis.New(in.Options)
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
	return &Target{Mode: "single"}
}

// Instance gives t a unique key prefix on a real server, or its own
// miniredis (so that moving its clock cannot expire other tests' keys).
func (tg *Target) Instance(t testing.TB) Instance {
	t.Helper()
	prefix := Prefix()
	if !tg.Real {
		m := miniredis.RunT(t)
		opts := redis.Options{Addrs: []string{m.Addr()}, Prefix: prefix}
		return Instance{URL: "redis://" + m.Addr(), Options: opts, Prefix: prefix, Advance: m.FastForward, Mini: m}
	}
	opts := tg.opts
	opts.Prefix = prefix
	if tg.shared {
		t.Cleanup(func() { deletePrefix(t, opts) })
	}
	return Instance{URL: tg.URL, Options: opts, Prefix: prefix, Advance: time.Sleep}
}

// Prefix returns a fresh key prefix, so tests sharing a server never see
// each other's keys.
func Prefix() string { return "lbtest-" + strings.ToLower(rand.Text()[:12]) }

func deletePrefix(t testing.TB, opts redis.Options) {
	s, err := redis.New(opts)
	if err != nil {
		return
	}
	defer s.Close()
	// t.Context is already canceled during cleanup.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	del := func(ctx context.Context, c goredis.UniversalClient) error {
		iter := c.Scan(ctx, 0, opts.Prefix+":*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			return err
		}
		// One by one on Cluster: the keys of several customers live in
		// several slots.
		for _, k := range keys {
			if err := c.Unlink(ctx, k).Err(); err != nil {
				return err
			}
		}
		return nil
	}
	c := s.Client()
	if cc, ok := c.(*goredis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *goredis.Client) error { return del(ctx, n) })
	} else {
		err = del(ctx, c)
	}
	if err != nil {
		t.Logf("redis: cleanup of %s: %v", opts.Prefix, err)
	}
}

// Server is a redis-server process owned by one test.
type Server struct {
	Addr   string
	URL    string
	Port   int
	dir    string
	args   []string
	proc   *os.Process
	exited chan error
}

// StartServer starts a redis-server from PATH on a free port, for tests
// that stop and restart it; args are added to its command line. Without
// one it skips the test, or fails it when Required and no Redis is named
// by the environment.
func StartServer(t testing.TB, args ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		// With a Redis from the environment the real server is tested
		// already; only the tests that must stop a server of their own
		// are skipped.
		if Required() && !FromEnv() {
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
		Port: port,
		dir:  t.TempDir(),
		args: args,
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

// Kill ends the server with SIGKILL, as a crash would: no shutdown, no
// last word to its replicas.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if s.proc == nil {
		t.Fatal("redis: Kill of a stopped server")
	}
	_ = s.proc.Kill()
	<-s.exited
	s.proc = nil
}

// Pause stops the process (SIGSTOP) without closing its connections: a
// replica that stops acknowledging while its master still counts it.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	if err := s.proc.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("redis: pause: %v", err)
	}
}

// Resume continues a paused process (SIGCONT).
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	if err := s.proc.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("redis: resume: %v", err)
	}
}

// Running reports whether the server process is up.
func (s *Server) Running() bool { return s.proc != nil }

// StartReplica starts a redis-server replicating master and waits until
// the replica is in sync, so that a test starts from a healthy pair.
func StartReplica(t testing.TB, master *Server, args ...string) *Server {
	t.Helper()
	host, port, _ := net.SplitHostPort(master.Addr)
	r := StartServer(t, append([]string{"--replicaof", host, port}, args...)...)
	WaitInSync(t, master, 1)
	return r
}

// WaitInSync waits until master reports n online replicas whose offset
// is its own, or fails the test after 10 s.
func WaitInSync(t testing.TB, master *Server, n int) {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: master.Addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		role, err := c.Do(ctx, "role").Slice()
		cancel()
		if err == nil && len(role) == 3 {
			off, _ := role[1].(int64)
			replicas, _ := role[2].([]any)
			inSync := 0
			for _, r := range replicas {
				f, _ := r.([]any)
				if len(f) == 3 {
					if ro, _ := f[2].(string); ro == strconv.FormatInt(off, 10) {
						inSync++
					}
				}
			}
			if inSync >= n {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis: %s: %d replica(s) not in sync after 10s (role %v, %v)", master.Addr, n, role, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// RestartReplicaOf starts a stopped or killed server again on the same
// port, empty, as a replica of master: a crashed master coming back after
// a failover.
func (s *Server) RestartReplicaOf(t testing.TB, master string) {
	t.Helper()
	if s.proc != nil {
		t.Fatal("redis: RestartReplicaOf of a running server")
	}
	host, port, _ := net.SplitHostPort(master)
	s.args = []string{"--replicaof", host, port}
	s.start(t)
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
	cmd := exec.Command("redis-server", append([]string{
		"--port", strconv.Itoa(s.Port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		// A replica attaching must not wait 5 s for a diskless sync.
		"--repl-diskless-sync-delay", "0",
		"--dir", s.dir,
		"--logfile", logPath,
	}, s.args...)...)
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
	_ = s.proc.Signal(syscall.SIGCONT) // a paused server cannot exit
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
