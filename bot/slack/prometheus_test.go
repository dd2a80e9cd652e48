package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestPrometheusMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := PrometheusMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	// A second adapter on the same registry shares the collectors.
	m2, err := PrometheusMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Event("message.im")
	m2.Event("message.im")
	m.APIError("chat.postMessage")
	m.RateLimited()
	m.Dropped("duplicate")
	m.TurnDuration(120 * time.Millisecond)
	want := `
# HELP slack_events_total Slack events, interactions and commands received, by type.
# TYPE slack_events_total counter
slack_events_total{type="message.im"} 2
# HELP slack_rate_limited_total Slack Web API answers with 429 Too Many Requests.
# TYPE slack_rate_limited_total counter
slack_rate_limited_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "slack_events_total", "slack_rate_limited_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "licensebot_turn_seconds"); n != 1 {
		t.Fatalf("turn histogram series: %d", n)
	}
}
