package slack

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/licensebot/licensebot/bot/channel"
)

// PrometheusMetrics registers the adapter's collectors on reg and
// returns them as Metrics:
//
//	slack_events_total{type}            inbound events, interactions, commands
//	slack_api_errors_total{method}      failed Web API calls (each attempt)
//	slack_rate_limited_total            429 answers from the Web API
//	slack_dropped_total{reason}         work not done (duplicate, queue full, closed)
//	licensebot_turn_seconds{channel="slack"}  engine time per turn
//
// A collector that is already registered (licensebot_turn_seconds is
// shared between channels) is reused rather than refused.
func PrometheusMetrics(reg prometheus.Registerer) (Metrics, error) {
	return channel.PrometheusMetrics(reg, channel.MetricNames{
		Platform:    "slack",
		Events:      "slack_events_total",
		EventsHelp:  "Slack events, interactions and commands received, by type.",
		ErrorLabel:  "method",
		APIHelp:     "Failed Slack Web API calls (every attempt), by method.",
		LimitedHelp: "Slack Web API answers with 429 Too Many Requests.",
		DroppedHelp: "Slack work not done: duplicates, unauthorized requests, full queue.",
		TimeTurns:   true,
	})
}
