package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// build compiles licensebot from the module this command is run in.
func build(ctx context.Context, dir string) (string, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return "", errors.New("run from the licensebot module (or pass --bin)")
	}
	bin := filepath.Join(dir, "licensebot")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/licensebot")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build licensebot: %w\n%s", err, out)
	}
	return bin, nil
}

// serveConfig is the configuration serve runs with: the sandbox portal,
// Contoso with the load test's people as members and its Slack
// workspace and Teams tenant linked, the Bot Framework endpoints and connector origin at the fakes.
func serveConfig(o options, fakeURL, addr, redisPrefix string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "provider: sandbox\nstore: %s\n", map[string]string{"bbolt": "bolt", "redis": "redis"}[o.store])
	fmt.Fprintf(&b, "customers:\n  - id: contoso\n    name: Contoso SAS\n    time_zone: Europe/Paris\n    language: en\n    email_domains: [contoso.example]\n    slack_teams: [%s]\n    teams_tenants: [%s]\n", slackTeam, tenantID)
	b.WriteString("people:\n")
	for u := range o.people {
		fmt.Fprintf(&b, "  - {email: %s@contoso.example, name: %s, role: member, customer: contoso}\n", userName(u), userName(u))
	}
	fmt.Fprintf(&b, "serve:\n  addr: %q\n  workers: %d\n  queue_size: %d\n  idle_conns_per_host: %d\n", addr, o.workers, o.queue, o.idle)
	if o.gcPercent != 0 {
		// Only when asked: a binary from before the setting refuses it.
		fmt.Fprintf(&b, "  gc_percent: %d\n", o.gcPercent)
	}
	if o.debugAddr != "" {
		fmt.Fprintf(&b, "  debug_addr: %q\n", o.debugAddr)
	}
	fmt.Fprintf(&b, "teams:\n  openid_metadata_url: %s/openid\n  token_url: %s/token\n  connector_origins: [%q]\n", fakeURL, fakeURL, fakeURL)
	if o.store == "redis" {
		fmt.Fprintf(&b, "redis:\n  url: redis://%s/0\n  prefix: %q\n", o.redisAddr, redisPrefix)
	}
	return b.String()
}

// serveEnv is serve's environment: both platforms configured, Slack over
// HTTP with the load test's signing secret and Web API.
func serveEnv(o options, fakeURL string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "SLACK_") || strings.HasPrefix(name, "TEAMS_") || strings.HasPrefix(name, "LICENSEBOT_") || name == "REDIS_URL" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "SLACK_BOT_TOKEN=xoxb-loadtest", "SLACK_SIGNING_SECRET="+signingSecret, "SLACK_API_URL="+fakeURL+"/api/",
		"TEAMS_APP_ID="+appID, "TEAMS_APP_PASSWORD=loadtest-password")
}

// serveProc is the running serve.
type serveProc struct {
	cmd  *exec.Cmd
	done chan error
	once sync.Once
	err  error
}

func startServe(ctx context.Context, bin, work, cfg string, env []string, addr string) (*serveProc, error) {
	cfgPath := filepath.Join(work, "licensebot.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(work, "serve.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--data", filepath.Join(work, "data"),
		"--addr", addr, "--admin-addr", "127.0.0.1:0", "--log-level", "error", "--tick", "1h")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start serve: %w", err)
	}
	p := &serveProc{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return p, nil
		}
		select {
		case err := <-p.done:
			log, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("serve exited at start (%v):\n%s", err, tail(string(log), 2000))
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, errors.New("serve did not answer /healthz within a minute")
		}
	}
}

// stop asks serve to stop (SIGTERM: it drains its turns) and kills it
// if it has not within 30 seconds.
func (p *serveProc) stop() error {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case p.err = <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			p.err = errors.Join(errors.New("serve killed after 30 s"), <-p.done)
		}
	})
	return p.err
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// cpu is the processor time serve has used so far (user and system),
// from /proc on Linux; -1 elsewhere.
func (p *serveProc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	return procCPU(string(b))
}

// procCPU reads utime and stime (fields 14 and 15, in clock ticks of
// 1/100 s on Linux) from a /proc/PID/stat line. The command name, field
// 2, may hold spaces, so fields are counted after its closing ")".
func procCPU(stat string) time.Duration {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}
