package teams

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// promMetrics implements Metrics with Prometheus collectors.
type promMetrics struct {
	activities  *prometheus.CounterVec
	apiErrors   *prometheus.CounterVec
	rateLimited prometheus.Counter
	dropped     *prometheus.CounterVec
}

// PrometheusMetrics registers the adapter's collectors on reg (nil: not
// registered) and returns them as Metrics. Collectors already registered
// (a second adapter in tests) are reused rather than refused.
func PrometheusMetrics(reg prometheus.Registerer) (Metrics, error) {
	activities, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "teams_activities_total", Help: "Teams activities received, by type.",
	}, []string{"type"}))
	if err != nil {
		return nil, err
	}
	apiErrors, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "teams_api_errors_total", Help: "Failed Bot Connector calls (every attempt), by operation.",
	}, []string{"op"}))
	if err != nil {
		return nil, err
	}
	rateLimited, err := register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "teams_rate_limited_total", Help: "Bot Connector answers with 429 Too Many Requests.",
	}))
	if err != nil {
		return nil, err
	}
	dropped, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "teams_dropped_total", Help: "Teams work not done: unauthorized requests, duplicates, full queue.",
	}, []string{"reason"}))
	if err != nil {
		return nil, err
	}
	return &promMetrics{activities: activities, apiErrors: apiErrors, rateLimited: rateLimited, dropped: dropped}, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *promMetrics) Activity(kind string)  { m.activities.WithLabelValues(kind).Inc() }
func (m *promMetrics) APIError(op string)    { m.apiErrors.WithLabelValues(op).Inc() }
func (m *promMetrics) RateLimited()          { m.rateLimited.Inc() }
func (m *promMetrics) Dropped(reason string) { m.dropped.WithLabelValues(reason).Inc() }
