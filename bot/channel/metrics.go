package channel

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics receives a channel's measurements. It is an interface so the
// adapters do not force a metrics library on tests; implementations must
// be safe for concurrent use. PrometheusMetrics exports, for a platform p
// ("slack", "teams"):
//
//	p_events_total{type}                 inbound events, interactions, commands
//	                                     (Teams: teams_activities_total)
//	p_api_errors_total{method}           failed platform API calls (each attempt)
//	p_rate_limited_total                 429 answers from the platform
//	p_dropped_total{reason}              work not done (duplicate, queue full, …)
//	licensebot_turn_seconds{channel=p}   engine time per turn (when timed here)
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

// MetricNames name one platform's collectors.
type MetricNames struct {
	Platform string // "slack": metric prefix and the turn histogram's label
	Title    string // "Slack", in help texts
	API      string // "Slack Web API", in help texts
	Events   string // "slack_events_total"
	// EventsHelp says what the events counter counts.
	EventsHelp string
	// ErrorLabel is the label of the API error counter ("method", "op").
	ErrorLabel string
	// TimeTurns: this channel observes licensebot_turn_seconds itself.
	TimeTurns bool
}

// PromMetrics implements Metrics with Prometheus collectors.
type PromMetrics struct {
	Events      *prometheus.CounterVec
	APIErrors   *prometheus.CounterVec
	RateLimits  prometheus.Counter
	DroppedWork *prometheus.CounterVec
	turn        prometheus.Observer
}

// PrometheusMetrics registers a platform's collectors on reg (nil: not
// registered). A collector already registered (a second adapter, or the
// other platform's turn histogram) is reused rather than refused.
func PrometheusMetrics(reg prometheus.Registerer, n MetricNames) (*PromMetrics, error) {
	p := n.Platform
	by := n.ErrorLabel
	if by == "op" {
		by = "operation"
	}
	events, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: n.Events, Help: n.EventsHelp}, []string{"type"}))
	if err != nil {
		return nil, err
	}
	apiErrors, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: p + "_api_errors_total", Help: "Failed " + n.API + " calls (every attempt), by " + by + "."}, []string{n.ErrorLabel}))
	if err != nil {
		return nil, err
	}
	limited, err := register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: p + "_rate_limited_total", Help: n.API + " answers with 429 Too Many Requests."}))
	if err != nil {
		return nil, err
	}
	dropped, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: p + "_dropped_total", Help: n.Title + " work not done: duplicates, unauthorized requests, full queue."}, []string{"reason"}))
	if err != nil {
		return nil, err
	}
	m := &PromMetrics{Events: events, APIErrors: apiErrors, RateLimits: limited, DroppedWork: dropped}
	if n.TimeTurns {
		turn, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "licensebot_turn_seconds", Help: "Time the conversation engine takes to answer a turn.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"channel"}))
		if err != nil {
			return nil, err
		}
		m.turn = turn.WithLabelValues(p)
	}
	return m, nil
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

// Event implements Metrics.
func (m *PromMetrics) Event(kind string) { m.Events.WithLabelValues(kind).Inc() }

// APIError implements Metrics.
func (m *PromMetrics) APIError(method string) { m.APIErrors.WithLabelValues(method).Inc() }

// RateLimited implements Metrics.
func (m *PromMetrics) RateLimited() { m.RateLimits.Inc() }

// Dropped implements Metrics.
func (m *PromMetrics) Dropped(reason string) { m.DroppedWork.WithLabelValues(reason).Inc() }

// TurnDuration implements Metrics.
func (m *PromMetrics) TurnDuration(d time.Duration) {
	if m.turn != nil {
		m.turn.Observe(d.Seconds())
	}
}
