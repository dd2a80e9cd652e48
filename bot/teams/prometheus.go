package teams

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/licensebot/licensebot/bot/channel"
)

// PrometheusMetrics registers the adapter's collectors on reg (nil: not
// registered) and returns them as Metrics: teams_activities_total{type},
// teams_api_errors_total{op}, teams_rate_limited_total and
// teams_dropped_total{reason}. Turn latency is not timed here: serve
// wraps the engine and times every turn of every channel.
func PrometheusMetrics(reg prometheus.Registerer) (Metrics, error) {
	return channel.PrometheusMetrics(reg, channel.MetricNames{Platform: "teams", Title: "Teams", API: "Bot Connector",
		Events: "teams_activities_total", EventsHelp: "Teams activities received, by type.", ErrorLabel: "op"})
}
