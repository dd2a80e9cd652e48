// Command loadtest drives a real `licensebot serve` process over
// loopback with signed Slack events or Bot Framework activities, and
// times each turn from the request's send to the reply's arrival at the
// fake Slack Web API or fake Bot Connector it runs. The same load is
// then offered to a verify-and-200 ceiling (an endpoint that only checks
// the signature or token) in the same run, so a figure always comes with
// this machine's reference beside it.
//
//	go run ./cmd/loadtest --users 16 --duration 15s                # closed loop, Slack, bbolt
//	go run ./cmd/loadtest --rate 1000 --duration 60s --store redis --redis-addr 127.0.0.1:6379
//	go run ./cmd/loadtest --platform teams --rate 500 --duration 15s
//
// docs/BENCHMARKS.md says how the figures there were taken.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
)

const (
	signingSecret = "loadtest-signing-secret"
	appID         = "loadtest-app"
	tenantID      = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	slackTeam     = "T0LOADTEST"
)

// options are the command's flags.
type options struct {
	platform  string
	rate      float64
	users     int
	people    int
	duration  time.Duration
	timeout   time.Duration
	store     string
	redisAddr string
	bin       string
	text      string
	ceiling   bool
	keep      bool
	workers   int
	queue     int
	idle      int
	gcPercent int
	debugAddr string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newCmd(os.Stdout).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func newCmd(out io.Writer) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "loadtest",
		Short: "Drive licensebot serve with signed Slack or Teams turns and time each reply",
		Long: `Builds licensebot (or takes --bin), starts "licensebot serve" on a free loopback
port with a configuration pointing Slack's Web API and the Bot Framework at fakes
this command runs, warms each user up with one turn, then offers turns:
  --rate R   open loop: R turns a second whatever the answers (from --users people in turn)
  (no rate)  closed loop: --users people each send, wait for the reply, send again
and prints p50/p99/max from send to the reply's arrival, errors, 503 refusals,
lost turns (accepted, no reply within --timeout), Redis commands and the
processor time per turn of serve, Redis and this generator (Linux), then
the same load against a verify-and-200 ceiling, the ratio, and whether a
quarter of the ceiling's rate fits in this machine's processors at all.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.check(); err != nil {
				return err
			}
			return run(cmd.Context(), out, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.platform, "platform", "slack", "slack or teams")
	f.Float64Var(&o.rate, "rate", 0, "turns per second offered (open loop); 0: closed loop")
	f.IntVar(&o.users, "users", 0, "people talking (default 16 in a closed loop; in an open loop 64 on Slack, max(64, rate) on Teams, which paces each conversation to 2 messages a second)")
	f.IntVar(&o.people, "people", 0, "people listed in Contoso's roster (default and at least --users)")
	f.DurationVar(&o.duration, "duration", 15*time.Second, "how long turns are offered")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "how long a reply may take before its turn counts as lost")
	f.StringVar(&o.store, "store", "bbolt", "bbolt or redis")
	f.StringVar(&o.redisAddr, "redis-addr", "127.0.0.1:6379", "Redis address for --store redis (nothing is started; keys get a fresh prefix)")
	f.StringVar(&o.bin, "bin", "", "licensebot binary (default: go build ./cmd/licensebot)")
	f.StringVar(&o.text, "text", "my subscriptions", "what each turn says")
	f.BoolVar(&o.ceiling, "ceiling", true, "also run the verify-and-200 ceiling")
	f.BoolVar(&o.keep, "keep", false, "keep the work directory (configuration, data, serve's log)")
	f.IntVar(&o.workers, "workers", 0, "serve.workers of the configuration (0: serve's default)")
	f.IntVar(&o.queue, "queue-size", 0, "serve.queue_size (0: serve's default)")
	f.IntVar(&o.idle, "idle-conns", 0, "serve.idle_conns_per_host (0: serve's default)")
	f.IntVar(&o.gcPercent, "gc-percent", 0, "serve.gc_percent (0: serve's default)")
	f.StringVar(&o.debugAddr, "debug-addr", "", "serve.debug_addr: serve's profiler on this loopback address, e.g. 127.0.0.1:6060 (default: off)")
	return cmd
}

func (o *options) check() error {
	var errs []error
	if o.platform != "slack" && o.platform != "teams" {
		errs = append(errs, fmt.Errorf("--platform %q: want slack or teams", o.platform))
	}
	if o.store == "bolt" {
		o.store = "bbolt"
	}
	if o.store != "bbolt" && o.store != "redis" {
		errs = append(errs, fmt.Errorf("--store %q: want bbolt or redis", o.store))
	}
	if o.rate < 0 || o.users < 0 || o.duration <= 0 || o.timeout <= 0 {
		errs = append(errs, errors.New("--rate and --users must not be negative, --duration and --timeout must be positive"))
	}
	if o.users == 0 {
		switch {
		case o.rate > 0 && o.platform == "teams":
			o.users = max(64, int(o.rate))
		case o.rate > 0:
			o.users = 64
		default:
			o.users = 16
		}
	}
	o.people = max(o.people, o.users)
	return errors.Join(errs...)
}

func (o options) shape() string {
	if o.rate > 0 {
		return fmt.Sprintf("open loop, %.0f turns/s from %d people (%d listed)", o.rate, o.users, o.people)
	}
	return fmt.Sprintf("closed loop, %d people (%d listed)", o.users, o.people)
}

func run(ctx context.Context, out io.Writer, o options) error {
	work, err := os.MkdirTemp("", "licensebot-loadtest-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(out, "work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	key, err := newBFKey(appID)
	if err != nil {
		return err
	}
	fk := &fakes{track: newTracker(), key: key}
	fakeURL, stopFakes, err := listen(fk.handler())
	if err != nil {
		return err
	}
	defer stopFakes()
	fk.base = fakeURL

	runID := time.Now().UnixNano()
	var p platform = slackEvents{secret: signingSecret, text: o.text, run: runID}
	if o.platform == "teams" {
		p = teamsActivities{key: key, service: fakeURL + "/", tenant: tenantID, text: o.text, appID: appID, run: runID}
	}
	bin := o.bin
	if bin == "" {
		if bin, err = build(ctx, work); err != nil {
			return err
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	prefix := fmt.Sprintf("loadtest-%d:", runID)
	srv, err := startServe(ctx, bin, work, serveConfig(o, fakeURL, addr, prefix), serveEnv(o, fakeURL), addr)
	if err != nil {
		return err
	}
	defer srv.stop()

	client := &http.Client{Timeout: o.timeout, Transport: &http.Transport{MaxIdleConns: 2048, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}}
	defer client.CloseIdleConnections()
	seq := &atomic.Int64{}
	d := &driver{client: client, url: "http://" + addr, p: p, track: fk.track, seq: seq}
	fmt.Fprintf(out, "%s · %s · %s · %v · GOMAXPROCS %d · load average %s\n", o.platform, o.store, o.shape(), o.duration, runtime.GOMAXPROCS(0), loadAvg())
	if bad := d.warm(ctx, o.users, o.timeout); bad > 0 {
		fmt.Fprintf(out, "warning: %d of %d warm-up turns failed (see serve's log with --keep)\n", bad, o.users)
	}
	l := load{rate: o.rate, users: o.users, duration: o.duration, timeout: o.timeout}
	serveRes := newResult("serve")
	counter := redisCounter(o)
	before, cpuBefore := counter(ctx), srv.cpu()
	redisBefore, genBefore := redisCPU(ctx, o), selfCPU()
	drive(ctx, d, serveRes, l)
	if after := counter(ctx); before >= 0 && after >= 0 {
		serveRes.commands = after - before
	}
	if cpuAfter := srv.cpu(); cpuBefore >= 0 && cpuAfter >= 0 {
		serveRes.cpu = cpuAfter - cpuBefore
	}
	serveRes.redisCPU = delta(redisBefore, redisCPU(ctx, o))
	serveRes.genCPU = delta(genBefore, selfCPU())
	if extra, late := fk.track.counts(); extra > 0 || late > 0 {
		fmt.Fprintf(out, "warning: %d replies came after their turn was counted lost; %d answered no turn (answered twice?)\n", late, extra)
	}
	fmt.Fprintf(out, "a reply: %s\n", fk.sampleReply())
	if err := srv.stop(); err != nil {
		fmt.Fprintln(out, "warning: serve stopped with", err)
	}
	results := []*result{serveRes}
	if o.ceiling {
		ceilURL, stopCeil, err := listen(ceiling(signingSecret, key))
		if err != nil {
			return err
		}
		defer stopCeil()
		ceil := newResult("ceiling")
		genBefore := selfCPU()
		drive(ctx, &driver{client: client, url: ceilURL, p: p, seq: seq}, ceil, l)
		// The ceiling handler runs in this process: its time is in here.
		ceil.genCPU = delta(genBefore, selfCPU())
		results = append(results, ceil)
	}
	report(out, "", results...)
	fmt.Fprintf(out, "load average after: %s\n", loadAvg())
	return ctx.Err()
}

func drive(ctx context.Context, d *driver, res *result, l load) {
	if l.rate > 0 {
		d.openLoop(ctx, res, l)
	} else {
		d.closedLoop(ctx, res, l)
	}
}

// listen serves h on a free loopback port.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// redisCounter returns a function reading the Redis server's total of
// commands processed (-1 without Redis or when it cannot be read).
func redisCounter(o options) func(context.Context) int64 {
	if o.store != "redis" {
		return func(context.Context) int64 { return -1 }
	}
	return func(ctx context.Context) int64 {
		c := goredis.NewClient(&goredis.Options{Addr: o.redisAddr})
		defer c.Close()
		info, err := c.Info(ctx, "stats").Result()
		if err != nil {
			return -1
		}
		for line := range strings.Lines(info) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_commands_processed:"); ok {
				var n int64
				if _, err := fmt.Sscan(v, &n); err == nil {
					return n
				}
			}
		}
		return -1
	}
}

// redisCPU is the Redis server's processor time so far (INFO cpu:
// used_cpu_sys + used_cpu_user), -1 without Redis or when unreadable.
func redisCPU(ctx context.Context, o options) time.Duration {
	if o.store != "redis" {
		return -1
	}
	c := goredis.NewClient(&goredis.Options{Addr: o.redisAddr})
	defer c.Close()
	info, err := c.Info(ctx, "cpu").Result()
	if err != nil {
		return -1
	}
	return infoCPU(info)
}

// infoCPU adds used_cpu_sys and used_cpu_user of an INFO cpu answer.
func infoCPU(info string) time.Duration {
	var total float64
	found := 0
	for line := range strings.Lines(info) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || (k != "used_cpu_sys" && k != "used_cpu_user") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return -1
		}
		total += f
		found++
	}
	if found != 2 {
		return -1
	}
	return time.Duration(total * float64(time.Second))
}

// selfCPU is this process's processor time so far (user and system):
// the drivers, the fake Slack and Bot Framework, the ceiling handler.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// delta is after - before, or -1 when either is unmeasured.
func delta(before, after time.Duration) time.Duration {
	if before < 0 || after < 0 {
		return -1
	}
	return after - before
}

// loadAvg is the machine's load average (1, 5, 15 min), to tell a quiet
// run from one beside other work.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
