package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// platform builds one signed inbound request: a Slack event or a Teams
// activity from person user, and the conversation its reply goes to.
type platform interface {
	path() string
	request(user int, n int64, now time.Time) (body []byte, h http.Header, conv string, err error)
}

func userName(user int) string { return fmt.Sprintf("lt%04d", user) }

type slackEvents struct {
	secret, text string
	run          int64 // makes event ids unique across runs on one Redis
}

func (s slackEvents) path() string { return "/slack/events" }

func (s slackEvents) request(user int, n int64, now time.Time) ([]byte, http.Header, string, error) {
	id := "U" + upper(userName(user))
	conv := "D" + id
	body, err := json.Marshal(map[string]any{
		"type": "event_callback", "team_id": slackTeam, "event_id": fmt.Sprintf("Ev%d-%d", s.run, n), "event_time": now.Unix(),
		"event": map[string]any{"type": "message", "channel_type": "im", "channel": conv, "user": id,
			"text": s.text, "ts": fmt.Sprintf("%d.%06d", now.Unix(), n%1000000)},
	})
	return body, slackHeaders(s.secret, now.Unix(), body), conv, err
}

func upper(s string) string { return string(bytes.ToUpper([]byte(s))) }

type teamsActivities struct {
	key             *bfKey
	service, tenant string // the fake Connector's URL, the tenant linked to the customer
	text, appID     string
	run             int64
}

func (t teamsActivities) path() string { return "/api/messages" }

func (t teamsActivities) request(user int, n int64, now time.Time) ([]byte, http.Header, string, error) {
	name := userName(user)
	conv := "a:" + name
	body, err := json.Marshal(map[string]any{
		"type": "message", "id": fmt.Sprintf("act-%d-%d", t.run, n), "timestamp": now.UTC().Format(time.RFC3339Nano),
		"serviceUrl": t.service, "channelId": "msteams", "locale": "en-US", "text": t.text, "textFormat": "plain",
		"from":         map[string]string{"id": "29:" + name, "aadObjectId": "aad-" + name, "name": name},
		"recipient":    map[string]string{"id": "28:" + t.appID, "name": "licensebot"},
		"conversation": map[string]string{"id": conv, "conversationType": "personal", "tenantId": t.tenant},
		"channelData":  map[string]any{"tenant": map[string]string{"id": t.tenant}},
	})
	if err != nil {
		return nil, nil, "", err
	}
	tok, err := t.key.bearer(t.service, now)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", "Bearer "+tok)
	return body, h, conv, err
}

// load is the shape of one run.
type load struct {
	rate     float64 // turns per second offered; 0: closed loop
	users    int
	duration time.Duration
	timeout  time.Duration // how long a reply may take before the turn counts as lost
}

// driver sends turns to one target. With a tracker, a turn is done when
// its reply reaches the fakes; without (the ceiling), at its 200.
type driver struct {
	client *http.Client
	url    string
	p      platform
	track  *tracker
	seq    *atomic.Int64
}

// turn sends one request, with latency measured from start (the time
// it was due: in an open loop a late send counts against the target).
func (d *driver) turn(ctx context.Context, res *result, user int, start time.Time, timeout time.Duration) {
	body, h, conv, err := d.p.request(user, d.seq.Add(1), time.Now())
	if err != nil {
		res.add(&res.errors)
		return
	}
	var f *flight
	if d.track != nil {
		f = d.track.expect(conv)
	}
	status, err := d.post(ctx, body, h)
	switch {
	case err != nil || (status != http.StatusOK && status != http.StatusServiceUnavailable):
		res.add(&res.errors)
	case status == http.StatusServiceUnavailable:
		res.add(&res.refused)
	case f == nil:
		res.ok(time.Since(start))
		return
	default:
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-f.done:
			res.ok(f.at.Sub(start))
			return
		case <-t.C:
			res.add(&res.lost)
			d.track.abandon(f)
			return
		case <-ctx.Done():
		}
	}
	if f != nil {
		d.track.forget(conv, f)
	}
}

func (d *driver) post(ctx context.Context, body []byte, h http.Header) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url+d.p.path(), bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = h
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// closedLoop: each user sends a turn, waits for its reply, sends the next.
func (d *driver) closedLoop(ctx context.Context, res *result, l load) {
	start := time.Now()
	end := start.Add(l.duration)
	var wg sync.WaitGroup
	for u := range l.users {
		wg.Go(func() {
			for time.Now().Before(end) && ctx.Err() == nil {
				d.turn(ctx, res, u, time.Now(), l.timeout)
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
}

// openLoop offers turns at a fixed rate whatever the answers, from the
// users in turn; each turn is timed from when it was due.
func (d *driver) openLoop(ctx context.Context, res *result, l load) {
	start := time.Now()
	total := int(l.rate * l.duration.Seconds())
	var wg sync.WaitGroup
	for i := 0; i < total && ctx.Err() == nil; {
		due := int(time.Since(start).Seconds()*l.rate) + 1
		for ; i < min(due, total); i++ {
			at := start.Add(time.Duration(float64(i) / l.rate * float64(time.Second)))
			user := i % l.users
			wg.Go(func() { d.turn(ctx, res, user, at, l.timeout) })
		}
		time.Sleep(time.Millisecond)
	}
	// Turns are offered for the duration; the rate counts the answers
	// that came in that time and the wait for the last ones.
	wg.Wait()
	res.elapsed = max(time.Since(start), l.duration)
}

// warm sends each user's first turn, unmeasured: the first turn of a
// person fills the platform user cache and the person's records.
func (d *driver) warm(ctx context.Context, users int, timeout time.Duration) int {
	res := newResult("warm-up")
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for u := range users {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d.turn(ctx, res, u, time.Now(), timeout)
		})
	}
	wg.Wait()
	s := res.summary()
	return s.errors + s.refused + s.lost
}
