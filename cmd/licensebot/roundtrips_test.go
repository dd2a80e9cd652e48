package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot/slack/slacktest"
	"github.com/licensebot/licensebot/store/redis/redistest"
)

// The budget of a plain Slack turn on Redis, end to end: everything
// `licensebot serve` sends to Redis between a signed DM event arriving
// and the bot's reply (signature, event de-duplication, the sender, the
// dialogue, the reply's bookkeeping).
const (
	maxSlackTurnRoundTrips = 2
	maxSlackTurnCommands   = 6
)

// A plain Slack turn ("my subscriptions" in a DM, over HTTP) costs at most
// two Redis round trips and six commands, counted on the wire by a proxy
// between serve and a real redis-server, so nothing the process does is
// left out. The sandbox portal keeps its state in the same Redis (one
// HMGET of it per portal read): it stands for the reseller's portal API,
// and its command is counted in the round trips but not in the bot's six
// commands.
func TestSlackTurnRedisRoundTrips(t *testing.T) {
	srv := redistest.StartServer(t)
	px := startRedisProxy(t, srv.Addr)
	api := &rtSlackAPI{replies: make(chan string, 16)}
	fake := httptest.NewServer(api)
	defer fake.Close()
	t.Setenv("REDIS_URL", "redis://"+px.addr()+"/0")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-rt")
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_SIGNING_SECRET", rtSecret)
	t.Setenv("SLACK_API_URL", fake.URL+"/api/")
	ctx, cancel := context.WithCancel(context.Background())
	g := &globals{data: t.TempDir(), logLevel: "error", errOut: io.Discard, out: io.Discard, in: strings.NewReader("")}
	opt := defaultServeOptions()
	opt.adminAddr, opt.tick = "127.0.0.1:0", time.Hour
	public := make(chan string, 1)
	opt.listening = func(pub, _ string) { public <- pub }
	done := make(chan error, 1)
	go func() { done <- serveWith(ctx, g, opt) }()
	defer func() { cancel(); <-done }()
	var addr string
	select {
	case addr = <-public:
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	}
	turn := func(i int) (sent string) {
		t.Helper()
		body := fmt.Appendf(nil, `{"type":"event_callback","event_id":"EvRT%d","event":{"type":"message","channel_type":"im","channel":"DURT","user":"URT","text":"my subscriptions","ts":"1.%d"}}`, i, i)
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/slack/events", bytes.NewReader(body))
		req.Header = rtSign(time.Now().Unix(), body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("event %d: status %d", i, resp.StatusCode)
		}
		select {
		case text := <-api.replies:
			return text
		case <-time.After(20 * time.Second):
			t.Fatalf("event %d: no reply", i)
		}
		return ""
	}
	// Two warm-up turns: the scripts load, the pool's connections open,
	// the person's dialogue and the directory's caches exist.
	turn(1)
	turn(2)
	px.quiet(t)
	before := px.snapshot()
	text := turn(3)
	px.quiet(t)
	after := px.snapshot()
	if !strings.Contains(text, "Business Standard") {
		t.Fatalf("the turn's reply is not the subscriptions: %q", text)
	}
	rt, cmds := after.roundTrips-before.roundTrips, after.commands-before.commands
	names, trips := after.names[len(before.names):], after.trip[len(before.trip):]
	// The sandbox portal keeps its state in the same Redis; a real portal
	// is an HTTPS API. Its commands, and round trips made only of them
	// (the licence usage read after the subscriptions), are not the
	// bot's.
	portal, botTrips := 0, map[int]bool{}
	for i, n := range names {
		if strings.Contains(n, ":doc:sandbox:") {
			portal++
		} else {
			botTrips[trips[i]] = true
		}
	}
	t.Logf("a plain Slack turn: %d round trips (%d of the bot), %d commands (%d of them the sandbox portal's): %s",
		rt, len(botTrips), cmds, portal, strings.Join(names, " | "))
	if len(botTrips) > maxSlackTurnRoundTrips || cmds-portal > maxSlackTurnCommands {
		t.Errorf("a plain Slack turn took %d Redis round trips and %d commands besides the portal's; budget %d and %d", len(botTrips), cmds-portal, maxSlackTurnRoundTrips, maxSlackTurnCommands)
	}
	// The same event delivered again (a Slack retry) is not answered.
	body := `{"type":"event_callback","event_id":"EvRT3","event":{"type":"message","channel_type":"im","channel":"DURT","user":"URT","text":"my subscriptions","ts":"1.3"}}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/slack/events", strings.NewReader(body))
	req.Header = rtSign(time.Now().Unix()+1, []byte(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	px.quiet(t)
	select {
	case text := <-api.replies:
		t.Fatalf("a retried event was answered again: %q", text)
	default:
	}
}

const rtSecret = "round-trips-signing-secret"

// rtSign signs a body as Slack does (v0 HMAC-SHA256).
func rtSign(ts int64, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(rtSecret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	h.Set("Content-Type", "application/json")
	return h
}

// rtSlackAPI answers the Web API calls of a turn and hands over the text
// of each posted message.
type rtSlackAPI struct{ replies chan string }

func (f *rtSlackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form := slacktest.Args(r, body)
	w.Header().Set("Content-Type", "application/json")
	switch strings.TrimPrefix(r.URL.Path, "/api/") {
	case "users.info":
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"locale":"en-US","profile":{"email":"alice@contoso.example"}}}`, form.Get("user"))
	case "chat.postMessage", "chat.update":
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1.%d"}`, form.Get("channel"), time.Now().UnixNano())
		f.replies <- form.Get("text") + form.Get("blocks")
	default:
		fmt.Fprint(w, `{"ok":true}`)
	}
}

// redisProxy forwards TCP connections to a Redis server and counts what
// the clients send: commands (parsed from RESP) and round trips (a burst
// of commands sent before the server's next reply; a pipeline is one).
// Connection setup (HELLO, CLIENT, SELECT, AUTH) is left out, as the
// store's own counter does.
type redisProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	stats  proxyStats
}

type proxyStats struct {
	roundTrips, commands int
	names                []string
	trip                 []int // the round trip of each name
}

func startRedisProxy(t *testing.T, target string) *redisProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &redisProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *redisProxy) addr() string { return p.ln.Addr().String() }

func (p *redisProxy) snapshot() proxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.names = append([]string(nil), p.stats.names...)
	s.trip = append([]int(nil), p.stats.trip...)
	return s
}

// quiet waits until nothing has been sent for a while: the turn's last
// writes (after the reply was posted) are then counted.
func (p *redisProxy) quiet(t *testing.T) {
	t.Helper()
	last := p.snapshot().commands
	for still := 0; still < 5; {
		time.Sleep(60 * time.Millisecond)
		if n := p.snapshot().commands; n != last {
			last, still = n, 0
			continue
		}
		still++
	}
}

func (p *redisProxy) serve(c net.Conn) {
	defer c.Close()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	// replied is true once the server has answered: the client's next
	// command then starts a new round trip. Each chunk the client sends
	// is counted before it is forwarded, so no reply to it can come
	// first.
	replied, counted := true, false
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := up.Read(buf)
			if n > 0 {
				p.mu.Lock()
				replied = true
				p.mu.Unlock()
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				c.Close()
				return
			}
		}
	}()
	var pending []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			p.mu.Lock()
			if replied && len(pending) == 0 {
				counted = false
			}
			replied = false
			pending = append(pending, buf[:n]...)
			for {
				args, used := parseCommand(pending)
				if used == 0 {
					break
				}
				pending = pending[used:]
				if len(args) == 0 {
					continue
				}
				name := strings.ToLower(args[0])
				switch name {
				case "hello", "client", "select", "auth", "readonly":
					continue
				case "evalsha", "eval":
					name += "(" + args[1][:min(8, len(args[1]))] + ")"
				}
				if !counted {
					p.stats.roundTrips++
					counted = true
				}
				p.stats.commands++
				if len(args) > 1 && !strings.HasPrefix(name, "eval") {
					name += " " + args[1]
				}
				p.stats.names = append(p.stats.names, name)
				p.stats.trip = append(p.stats.trip, p.stats.roundTrips)
			}
			pending = append([]byte(nil), pending...)
			p.mu.Unlock()
			if _, werr := up.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// parseCommand parses one RESP array of bulk strings (how clients send
// commands) from the start of b; used is 0 while it is incomplete.
func parseCommand(b []byte) (args []string, used int) {
	line := func(from int) (string, int) {
		i := bytes.Index(b[from:], []byte("\r\n"))
		if i < 0 {
			return "", -1
		}
		return string(b[from : from+i]), from + i + 2
	}
	h, at := line(0)
	if at < 0 {
		return nil, 0
	}
	if !strings.HasPrefix(h, "*") {
		return strings.Fields(h), at // an inline command
	}
	n, err := strconv.Atoi(h[1:])
	if err != nil {
		return nil, at
	}
	for range n {
		var sz string
		if sz, at = line(at); at < 0 {
			return nil, 0
		}
		size, err := strconv.Atoi(strings.TrimPrefix(sz, "$"))
		if err != nil || at+size+2 > len(b) {
			return nil, 0
		}
		args = append(args, string(b[at:at+size]))
		at += size + 2
	}
	return args, at
}
