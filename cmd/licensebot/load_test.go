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
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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
	form, _ := url.ParseQuery(string(body))
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
	b.Setenv("SLACK_BOT_TOKEN", "xoxb-load")
	b.Setenv("SLACK_APP_TOKEN", "")
	b.Setenv("SLACK_SIGNING_SECRET", loadSecret)
	b.Setenv("SLACK_API_URL", fake.URL+"/api/")
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
	cancel()
	<-done
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
