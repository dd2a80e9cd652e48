package teams

// Metrics receives the adapter's measurements. The names below are what
// the Prometheus implementation (PrometheusMetrics, in prometheus.go)
// exports:
//
//	teams_activities_total{type}     inbound activities (message, invoke, …)
//	teams_api_errors_total{op}       failed Bot Connector calls (each attempt)
//	teams_rate_limited_total         429 answers from the Bot Connector
//	teams_dropped_total{reason}      work not done (unauthorized, queue full, …)
//
// Turn latency is not here: serve wraps the engine and times every turn
// of every channel (licensebot_turn_seconds), so the adapter does not
// count it a second time. It is an interface so the adapter does not
// force a metrics library on tests. Implementations must be safe for
// concurrent use.
type Metrics interface {
	Activity(kind string)
	APIError(op string)
	RateLimited()
	Dropped(reason string)
}

// NopMetrics discards everything; it is the default.
type NopMetrics struct{}

// Activity implements Metrics.
func (NopMetrics) Activity(string) {}

// APIError implements Metrics.
func (NopMetrics) APIError(string) {}

// RateLimited implements Metrics.
func (NopMetrics) RateLimited() {}

// Dropped implements Metrics.
func (NopMetrics) Dropped(string) {}
