package slack

import "time"

// Metrics receives the adapter's measurements. The names below are what
// the Prometheus implementation (PrometheusMetrics, in prometheus.go)
// exports:
//
//	slack_events_total{type}            inbound events, interactions, commands
//	slack_api_errors_total{method}      failed Web API calls (each attempt)
//	slack_rate_limited_total            429 answers from the Web API
//	slack_dropped_total{reason}         work not done (queue full, closed)
//	licensebot_turn_seconds{channel="slack"}  engine time per turn
//
// It is an interface so the adapter does not force a metrics library on
// tests or on builds that do not want one. Implementations must be safe
// for concurrent use.
type Metrics interface {
	Event(kind string)
	APIError(method string)
	RateLimited()
	Dropped(reason string)
	TurnDuration(d time.Duration)
}

// NopMetrics discards everything; it is the default.
type NopMetrics struct{}

// Event implements Metrics.
func (NopMetrics) Event(string) {}

// APIError implements Metrics.
func (NopMetrics) APIError(string) {}

// RateLimited implements Metrics.
func (NopMetrics) RateLimited() {}

// Dropped implements Metrics.
func (NopMetrics) Dropped(string) {}

// TurnDuration implements Metrics.
func (NopMetrics) TurnDuration(time.Duration) {}
