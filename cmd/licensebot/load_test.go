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
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot/slack/slacktest"
)

// The Slack load test: signed DM events are sent to `licensebot serve`
// over loopback, the replies arrive at a fake Slack Web API, and the time
// from event in to reply out is measured. The same harness against a
// handler that only verifies the signature gives this machine's ceiling.
//
//	go test -run '^$' -bench BenchmarkSlack -benchtime 2000x ./cmd/licensebot/
//
// b.N is the number of turns; loadUsers virtual users send them, each
// waiting for its reply before sending the next (closed loop).
const (
	loadSecret = "load-test-signing-secret"
	loadUsers  = 16
)

type fakeSlackAPI struct {
	mu      sync.Mutex
	waiters map[string]chan struct{}
}

func (f *fakeSlackAPI) expect(channel string) chan struct{} {
	ch := make(chan struct{}, 8)
	f.mu.Lock()
	f.waiters[channel] = ch
	f.mu.Unlock()
	return ch
}

func (f *fakeSlackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form := slacktest.Args(r, body)
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "users.info":
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"locale":"en-US","profile":{"email":"alice@contoso.example"}}}`, form.Get("user"))
	case "users.lookupByEmail":
		fmt.Fprint(w, `{"ok":true,"user":{"id":"UALICE","profile":{"email":"alice@contoso.example"}}}`)
	case "conversations.open":
		fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, form.Get("users"))
	case "chat.postMessage", "chat.update":
		ch := form.Get("channel")
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1.%d"}`, ch, time.Now().UnixNano())
		f.mu.Lock()
		c := f.waiters[ch]
		f.mu.Unlock()
		if c != nil {
			c <- struct{}{}
		}
	default:
		fmt.Fprint(w, `{"ok":true}`)
	}
}

func signSlack(ts int64, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(loadSecret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	h.Set("Content-Type", "application/json")
	return h
}

type loadResult struct {
	lat     []time.Duration
	elapsed time.Duration
}

func (r loadResult) report(b *testing.B) {
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	q := func(p float64) float64 { return float64(r.lat[int(p*float64(len(r.lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(r.lat))/r.elapsed.Seconds(), "turns/s")
	b.ReportMetric(q(0.50), "p50_ms")
	b.ReportMetric(q(0.99), "p99_ms")
	b.ReportMetric(0, "ns/op")
}

// drive sends n events from loadUsers users; wait, if set, blocks until
// the reply for that user arrives.
func drive(b *testing.B, target string, n int, wait func(user string) func()) loadResult {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadUsers}, Timeout: 10 * time.Second}
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	run := start.UnixNano() // event ids and signatures unique across runs on a shared Redis
	for u := 0; u < loadUsers; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			user := fmt.Sprintf("ULOAD%02d", u)
			var done func()
			if wait != nil {
				done = wait(user)
			}
			for i := u; i < n; i += loadUsers {
				body := fmt.Appendf(nil, `{"type":"event_callback","event_id":"Ev%d-%d","event":{"type":"message","channel_type":"im","channel":"D%s","user":%q,"text":"my subscriptions","ts":"1.1"}}`, run, i, user, user)
				req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
				req.Header = signSlack(time.Now().Unix(), body)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				if done != nil {
					done()
				}
				lat[i] = time.Since(t0)
			}
		}(u)
	}
	wg.Wait()
	return loadResult{lat: lat, elapsed: time.Since(start)}
}

func BenchmarkSlackEventToReply(b *testing.B) {
	api := &fakeSlackAPI{waiters: map[string]chan struct{}{}}
	fake := httptest.NewServer(api)
	defer fake.Close()
	addr, stop := startSlackServe(b, fake.URL)
	defer stop()
	b.ResetTimer()
	res := drive(b, "http://"+addr+"/slack/events", b.N, func(user string) func() {
		ch := api.expect("D" + user)
		return func() {
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
				b.Error("no reply within 10 s")
			}
		}
	})
	b.StopTimer()
	res.report(b)
}

// The ceiling: a handler that verifies the signature and answers 200.
func BenchmarkSlackVerifyOnlyCeiling(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		mac := hmac.New(sha256.New, []byte(loadSecret))
		fmt.Fprintf(mac, "v0:%s:", r.Header.Get("X-Slack-Request-Timestamp"))
		mac.Write(body)
		want := "v0=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Slack-Signature"))) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	b.ResetTimer()
	res := drive(b, srv.URL+"/slack/events", b.N, nil)
	b.StopTimer()
	res.report(b)
}

// The overload run: the closed loop above measures what serve can do on
// this machine; then signed events are offered open loop at twice that
// rate for a few seconds, and every delivery refused with 503 is sent
// again as Slack does (after about a minute and after about five, here
// compressed 60-fold to 1 s and 5 s, then Slack gives up). Reported:
// the capacity, the goodput while offered twice of it, p50 and p99 from
// an event's first delivery to its acceptance, how many deliveries were
// refused, and how many events were lost (must be 0).
//
//	go test -run '^$' -bench BenchmarkSlackOverload -benchtime 1x ./cmd/licensebot/
func BenchmarkSlackOverload(b *testing.B) {
	api := &countingSlackAPI{fakeSlackAPI: fakeSlackAPI{waiters: map[string]chan struct{}{}}}
	fake := httptest.NewServer(api)
	defer fake.Close()
	addr, stop := startSlackServe(b, fake.URL)
	defer stop()
	target := "http://" + addr + "/slack/events"

	capacity := drive(b, target, 400, func(user string) func() {
		ch := api.expect("D" + user)
		return func() { <-ch }
	})
	rate := 2 * float64(len(capacity.lat)) / capacity.elapsed.Seconds()
	const window = 3 * time.Second
	n := int(rate * window.Seconds())
	retries := []time.Duration{0, time.Second, 5 * time.Second}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 512}, Timeout: 10 * time.Second}
	run := time.Now().UnixNano()
	var refused, lost, errs atomic.Int64
	acked := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < n; i++ {
		at := time.Duration(float64(i) / rate * float64(time.Second))
		time.Sleep(time.Until(start.Add(at)))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			user := fmt.Sprintf("UOVER%03d", i%64)
			body := fmt.Appendf(nil, `{"type":"event_callback","event_id":"EvO%d-%d","event":{"type":"message","channel_type":"im","channel":"D%s","user":%q,"text":"hello","ts":"1.1"}}`, run, i, user, user)
			first := time.Now()
			for k, wait := range retries {
				time.Sleep(wait)
				req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
				req.Header = signSlack(time.Now().Unix()+int64(k), body)
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					acked[i] = time.Since(first)
					return
				}
				refused.Add(1)
			}
			lost.Add(1)
		}(i)
	}
	wg.Wait()
	// Every accepted event is answered: wait for the replies to drain.
	want := int64(n) - lost.Load()
	deadline := time.Now().Add(30 * time.Second)
	for api.total() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	var lat []time.Duration
	for _, d := range acked {
		if d > 0 {
			lat = append(lat, d)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(capacity.lat))/capacity.elapsed.Seconds(), "capacity_turns/s")
	b.ReportMetric(rate, "offered_turns/s")
	b.ReportMetric(float64(api.total())/elapsed.Seconds(), "goodput_turns/s")
	b.ReportMetric(q(0.50), "accept_p50_ms")
	b.ReportMetric(q(0.99), "accept_p99_ms")
	b.ReportMetric(float64(refused.Load()), "refused_503")
	b.ReportMetric(float64(lost.Load()), "lost")
	b.ReportMetric(float64(errs.Load()), "transport_errors")
	b.ReportMetric(float64(api.total()-want), "answered_twice")
	b.ReportMetric(0, "ns/op")
	if lost.Load() != 0 {
		b.Errorf("%d events lost after Slack's last retry (capacity %.0f/s, offered %.0f/s, %d refused, %d errors)", lost.Load(), float64(len(capacity.lat))/capacity.elapsed.Seconds(), rate, refused.Load(), errs.Load())
	}
}

// countingSlackAPI counts the replies posted to the overload run's users.
type countingSlackAPI struct {
	fakeSlackAPI
	n atomic.Int64
}

func (c *countingSlackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/chat.postMessage") {
		body, _ := io.ReadAll(r.Body)
		form := slacktest.Args(r, body)
		if strings.HasPrefix(form.Get("channel"), "DUOVER") {
			c.n.Add(1)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	c.fakeSlackAPI.ServeHTTP(w, r)
}

func (c *countingSlackAPI) total() int64 { return c.n.Load() }

// startSlackServe runs `licensebot serve` over loopback against a fake Slack
// Web API, and returns its address and a stop function.
func startSlackServe(b *testing.B, apiURL string) (string, func()) {
	b.Setenv("SLACK_BOT_TOKEN", "xoxb-load")
	b.Setenv("SLACK_APP_TOKEN", "")
	b.Setenv("SLACK_SIGNING_SECRET", loadSecret)
	b.Setenv("SLACK_API_URL", apiURL+"/api/")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	g := &globals{data: b.TempDir(), logLevel: "error", errOut: io.Discard, out: io.Discard}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, g, addr, time.Hour) }()
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			b.Fatal("serve did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return addr, func() { cancel(); <-done }
}
