package failovertest_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/licensebot/licensebot/store/redis/redistest"
)

const masterName = "mymaster"

// sentinel is one `redis-server --sentinel` process.
type sentinel struct {
	addr   string
	dir    string
	proc   *os.Process
	exited chan error
}

// topology is a master, a replica and three Sentinels on loopback.
type topology struct {
	servers   [2]*redistest.Server
	master    int // index in servers
	sentinels []*sentinel
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startSentinel(t *testing.T, masterPort int) *sentinel {
	t.Helper()
	port := freePort(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	// Down after 500 ms: a failover takes about 1.5-3 s on loopback.
	text := fmt.Sprintf(`port %d
bind 127.0.0.1
dir %s
logfile %s
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %s 1000
sentinel failover-timeout %s 4000
sentinel parallel-syncs %s 1
`, port, dir, filepath.Join(dir, "sentinel.log"), masterName, masterPort, masterName, masterName, masterName)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("redis-server", conf, "--sentinel")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sentinel: %v", err)
	}
	s := &sentinel{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir, proc: cmd.Process, exited: make(chan error, 1)}
	go func() { s.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = s.proc.Kill()
		<-s.exited
	})
	waitFor(t, 10*time.Second, "sentinel "+s.addr+" answers", func() (bool, string) {
		c := s.client()
		defer c.Close()
		err := c.Ping(t.Context()).Err()
		return err == nil, fmt.Sprint(err)
	})
	return s
}

// client talks RESP2 to the Sentinel, whose replies are then flat lists.
func (s *sentinel) client() *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: s.addr, Protocol: 2, DialTimeout: time.Second, ReadTimeout: time.Second})
}

func (s *sentinel) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "sentinel.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-15):], "\n")
}

// fields turns a Sentinel's flat [k1 v1 k2 v2 …] entry into a map.
func fields(v any) map[string]string {
	out := map[string]string{}
	list, _ := v.([]any)
	for i := 0; i+1 < len(list); i += 2 {
		k, _ := list[i].(string)
		val, _ := list[i+1].(string)
		out[k] = val
	}
	return out
}

// startTopology starts the five processes and waits until every Sentinel
// knows the replica and the two other Sentinels, so that a failover can
// be agreed on.
func startTopology(t *testing.T) *topology {
	t.Helper()
	master := redistest.StartServer(t)
	replica := redistest.StartReplica(t, master)
	tp := &topology{servers: [2]*redistest.Server{master, replica}}
	for range 3 {
		tp.sentinels = append(tp.sentinels, startSentinel(t, master.Port))
	}
	tp.waitHealthy(t)
	return tp
}

func (tp *topology) sentinelAddrs() []string {
	var out []string
	for _, s := range tp.sentinels {
		out = append(out, s.addr)
	}
	return out
}

func (tp *topology) masterServer() *redistest.Server  { return tp.servers[tp.master] }
func (tp *topology) replicaServer() *redistest.Server { return tp.servers[1-tp.master] }

// waitHealthy waits until every Sentinel agrees on the master, sees the
// replica up and in sync, and knows both other Sentinels. On a loaded
// machine the Sentinels may fail over once more on their own (a master
// slow to answer PING looks down); the test then follows the master they
// agree on rather than fail, since such a failover is what the bot must
// survive anyway.
func (tp *topology) waitHealthy(t *testing.T) {
	t.Helper()
	waitFor(t, 45*time.Second, "the sentinels agree on a healthy master with its replica and two other sentinels", func() (bool, string) {
		agreed := ""
		for _, s := range tp.sentinels {
			addr, why := tp.sentinelView(s)
			if why != "" {
				return false, why
			}
			if agreed != "" && addr != agreed {
				return false, fmt.Sprintf("sentinels disagree: %s and %s", agreed, addr)
			}
			agreed = addr
		}
		for i, srv := range tp.servers {
			if srv.Addr == agreed {
				tp.master = i
				return tp.inSync()
			}
		}
		return false, "the sentinels name an unknown master " + agreed
	}, tp.sentinels[0].log)
}

// sentinelView is the master one Sentinel names, once it also sees the
// other server as a healthy replica and knows the two other Sentinels.
func (tp *topology) sentinelView(s *sentinel) (string, string) {
	c := s.client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addr, err := c.Do(ctx, "sentinel", "get-master-addr-by-name", masterName).StringSlice()
	if err != nil || len(addr) != 2 {
		return "", fmt.Sprintf("sentinel %s: master %v %v", s.addr, addr, err)
	}
	master := net.JoinHostPort(addr[0], addr[1])
	reps, err := c.Do(ctx, "sentinel", "replicas", masterName).Slice()
	if err != nil {
		return "", err.Error()
	}
	ok := false
	for _, r := range reps {
		f := fields(r)
		// Flags lose s_down/disconnected once it answers PING; its INFO,
		// refreshed every second while a master is down, is what a
		// promotion then reads.
		if a := net.JoinHostPort(f["ip"], f["port"]); a != master && f["flags"] == "slave" {
			ok = true
		}
	}
	if !ok {
		return "", fmt.Sprintf("sentinel %s: replicas %v", s.addr, reps)
	}
	sens, err := c.Do(ctx, "sentinel", "sentinels", masterName).Slice()
	if err != nil || len(sens) != 2 {
		return "", fmt.Sprintf("sentinel %s: %d other sentinels, %v", s.addr, len(sens), err)
	}
	return master, ""
}

// inSync reports whether the master's replica has all its writes.
func (tp *topology) inSync() (bool, string) {
	c := goredis.NewClient(&goredis.Options{Addr: tp.masterServer().Addr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	role, err := c.Do(ctx, "role").Slice()
	if err != nil || len(role) != 3 {
		return false, fmt.Sprintf("role of %s: %v %v", tp.masterServer().Addr, role, err)
	}
	if r, _ := role[0].(string); r != "master" {
		return false, fmt.Sprintf("%s is a %s", tp.masterServer().Addr, r)
	}
	off, _ := role[1].(int64)
	replicas, _ := role[2].([]any)
	for _, r := range replicas {
		if f, _ := r.([]any); len(f) == 3 {
			if ro, _ := f[2].(string); ro == strconv.FormatInt(off, 10) {
				return true, ""
			}
		}
	}
	return false, fmt.Sprintf("replica of %s not in sync: %v", tp.masterServer().Addr, role)
}

// killMaster SIGKILLs the master, runs afterKill, waits until the
// Sentinels promote the replica, and brings the old master back as the
// new master's replica. It returns how long the promotion took.
func (tp *topology) killMaster(t *testing.T, afterKill func()) time.Duration {
	t.Helper()
	old := tp.masterServer()
	start := time.Now()
	old.Kill(t)
	afterKill()
	promoted := tp.replicaServer()
	waitFor(t, 30*time.Second, "the sentinels promote "+promoted.Addr, func() (bool, string) {
		var last string
		for _, s := range tp.sentinels {
			c := s.client()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			addr, err := c.Do(ctx, "sentinel", "get-master-addr-by-name", masterName).StringSlice()
			cancel()
			c.Close()
			if err != nil || len(addr) != 2 || net.JoinHostPort(addr[0], addr[1]) != promoted.Addr {
				return false, fmt.Sprintf("sentinel %s says %v %v", s.addr, addr, err)
			}
			last = fmt.Sprint(addr)
		}
		c := goredis.NewClient(&goredis.Options{Addr: promoted.Addr})
		defer c.Close()
		role, err := c.Do(context.Background(), "role").Slice()
		if err != nil || len(role) == 0 || role[0] != "master" {
			return false, fmt.Sprintf("sentinels say %s, its role is %v %v", last, role, err)
		}
		return true, ""
	}, tp.sentinels[0].log)
	took := time.Since(start)
	tp.master = 1 - tp.master
	old.RestartReplicaOf(t, promoted.Addr)
	tp.waitHealthy(t)
	return took
}

// waitFor polls cond every 50 ms until it holds, or fails the test after
// limit with what it last said and the extra diagnostics.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() (bool, string), extra ...func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("waited %s for %s: %s", limit, what, why)
			for _, f := range extra {
				msg += "\n" + f()
			}
			t.Fatal(msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
