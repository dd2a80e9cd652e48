package slack

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// promMetrics implements Metrics with Prometheus collectors.
type promMetrics struct {
	events      *prometheus.CounterVec
	apiErrors   *prometheus.CounterVec
	rateLimited prometheus.Counter
	dropped     *prometheus.CounterVec
	turn        prometheus.Observer
}

// PrometheusMetrics registers the adapter's collectors on reg and
// returns them as Metrics. A collector that is already registered (the
// Teams adapter shares licensebot_turn_seconds, with channel="teams") is
// reused rather than refused.
func PrometheusMetrics(reg prometheus.Registerer) (Metrics, error) {
	events, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "slack_events_total", Help: "Slack events, interactions and commands received, by type.",
	}, []string{"type"}))
	if err != nil {
		return nil, err
	}
	apiErrors, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "slack_api_errors_total", Help: "Failed Slack Web API calls (every attempt), by method.",
	}, []string{"method"}))
	if err != nil {
		return nil, err
	}
	rateLimited, err := register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "slack_rate_limited_total", Help: "Slack Web API answers with 429 Too Many Requests.",
	}))
	if err != nil {
		return nil, err
	}
	dropped, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "slack_dropped_total", Help: "Slack work not done: duplicates, unauthorized requests, full queue.",
	}, []string{"reason"}))
	if err != nil {
		return nil, err
	}
	turn, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "licensebot_turn_seconds", Help: "Time the conversation engine takes to answer a turn.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"channel"}))
	if err != nil {
		return nil, err
	}
	return &promMetrics{events: events, apiErrors: apiErrors, rateLimited: rateLimited, dropped: dropped,
		turn: turn.WithLabelValues("slack")}, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *promMetrics) Event(kind string)      { m.events.WithLabelValues(kind).Inc() }
func (m *promMetrics) APIError(method string) { m.apiErrors.WithLabelValues(method).Inc() }
func (m *promMetrics) RateLimited()           { m.rateLimited.Inc() }
func (m *promMetrics) Dropped(reason string)  { m.dropped.WithLabelValues(reason).Inc() }
func (m *promMetrics) TurnDuration(d time.Duration) {
	m.turn.Observe(d.Seconds())
}
