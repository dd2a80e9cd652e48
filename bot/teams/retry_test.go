package teams

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot/channel"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/licensebot/licensebot/bot/internal/backoff"
)

func TestParseRetryAfter(t *testing.T) {
	now := testNow
	for in, want := range map[string]time.Duration{
		"":     0,
		"3":    3 * time.Second,
		"-1":   0,
		"soon": 0,
		now.Add(7 * time.Second).Format(http.TimeFormat):  7 * time.Second,
		now.Add(-7 * time.Second).Format(http.TimeFormat): 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestRetryWait(t *testing.T) {
	cases := []struct {
		err   error
		again bool
		min   time.Duration
		max   time.Duration
	}{
		{&apiError{Status: 429, RetryAfter: 90 * time.Second}, true, channel.MaxRetryAfter, channel.MaxRetryAfter + time.Second},
		{&apiError{Status: 429}, true, backoff.Base, backoff.Base * 5 / 4},
		{&apiError{Status: 503}, true, backoff.Base, backoff.Base * 5 / 4},
		{&apiError{Status: 404}, false, 0, 0},
		{&apiError{Status: 401}, false, 0, 0},
		{context.DeadlineExceeded, false, 0, 0},
		{&permanentError{&apiError{Status: 503}}, false, 0, 0},
		{errors.New("decode answer"), false, 0, 0},
	}
	for _, c := range cases {
		d, again := retryWait(c.err, 0)
		if again != c.again || d < c.min || d > c.max {
			t.Errorf("retryWait(%v) = %v, %v", c.err, d, again)
		}
	}
	if d, _ := retryWait(&apiError{Status: 500}, 20); d > backoff.Max*5/4 {
		t.Errorf("backoff not capped: %v", d)
	}
}

func TestPrometheusMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := PrometheusMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := PrometheusMetrics(reg) // a second adapter reuses the collectors
	if err != nil {
		t.Fatal(err)
	}
	m.Event("message")
	again.Event("message")
	m.APIError("send")
	m.RateLimited()
	m.Dropped("unauthorized")
	if n := testutil.ToFloat64(m.(*channel.PromMetrics).Events.WithLabelValues("message")); n != 2 {
		t.Fatalf("activities %v", n)
	}
	if n, err := testutil.GatherAndCount(reg, "teams_activities_total", "teams_api_errors_total", "teams_rate_limited_total", "teams_dropped_total"); err != nil || n != 4 {
		t.Fatalf("%d series, %v", n, err)
	}
	if _, err := PrometheusMetrics(nil); err != nil {
		t.Fatal(err)
	}
}
