package teams

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/licensebot/licensebot/bot/channel"
)

// PrometheusMetrics registers the adapter's collectors on reg (nil: not
// registered) and returns them as Metrics:
//
//	teams_activities_total{type}     inbound activities (message, invoke, …)
//	teams_api_errors_total{op}       failed Bot Connector calls (each attempt)
//	teams_rate_limited_total         429 answers from the Bot Connector
//	teams_dropped_total{reason}      work not done (unauthorized, duplicate, queue full, …)
//
// Turn latency is not here: serve wraps the engine and times every turn
// of every channel (licensebot_turn_seconds), so the adapter does not
// count it a second time. Collectors already registered (a second
// adapter in tests) are reused rather than refused.
func PrometheusMetrics(reg prometheus.Registerer) (Metrics, error) {
	return channel.PrometheusMetrics(reg, channel.MetricNames{
		Platform:    "teams",
		Events:      "teams_activities_total",
		EventsHelp:  "Teams activities received, by type.",
		ErrorLabel:  "op",
		APIHelp:     "Failed Bot Connector calls (every attempt), by operation.",
		LimitedHelp: "Bot Connector answers with 429 Too Many Requests.",
		DroppedHelp: "Teams work not done: unauthorized requests, duplicates, full queue.",
	})
}
