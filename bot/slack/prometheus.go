package slack

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/licensebot/licensebot/bot/channel"
)

// PrometheusMetrics registers the adapter's collectors on reg and returns
// them as Metrics: slack_events_total{type}, slack_api_errors_total{method},
// slack_rate_limited_total, slack_dropped_total{reason} and
// licensebot_turn_seconds{channel="slack"} (see channel.Metrics).
func PrometheusMetrics(reg prometheus.Registerer) (Metrics, error) {
	return channel.PrometheusMetrics(reg, channel.MetricNames{Platform: "slack", Title: "Slack", API: "Slack Web API",
		Events: "slack_events_total", EventsHelp: "Slack events, interactions and commands received, by type.",
		ErrorLabel: "method", TimeTurns: true})
}
