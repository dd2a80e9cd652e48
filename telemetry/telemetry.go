// Package telemetry holds licensebot's Prometheus metrics and the small
// decorators that feed them: a csp.Provider that counts and times portal
// calls, and turn timing for the channel adapters. One Metrics value is
// made in main and passed down; nothing here is package-level state.
package telemetry

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
)

// Metrics are the process's collectors, on their own registry.
type Metrics struct {
	Registry      *prometheus.Registry
	Turns         *prometheus.CounterVec
	TurnSeconds   *prometheus.HistogramVec
	ProviderCalls *prometheus.CounterVec
	ProviderSecs  *prometheus.HistogramVec
	Requests      *prometheus.GaugeVec
	Reminders     *prometheus.CounterVec
	// RequestsOpen and RequestsOldest are the requests not yet final, by
	// state, over every customer: how many, and how long the oldest has
	// been in that state. The needs_attention and "stuck waiting for
	// approval" alerts read them.
	RequestsOpen   *prometheus.GaugeVec
	RequestsOldest *prometheus.GaugeVec
	// RemindersLate is how far past its time the oldest reminder still
	// waiting to be sent is (0 when none is late).
	RemindersLate prometheus.Gauge
	// StoreUp is 1 while the store answers a ping, else 0.
	StoreUp *prometheus.GaugeVec
}

// New registers the collectors (and the Go and process collectors).
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Turns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licensebot_turns_total", Help: "Chat turns handled, by channel and outcome.",
		}, []string{"channel", "outcome"}),
		TurnSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "licensebot_turn_seconds", Help: "Time the conversation engine takes to answer a turn.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"channel"}),
		ProviderCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licensebot_provider_calls_total", Help: "Licence portal calls, by method and result.",
		}, []string{"provider", "method", "result"}),
		ProviderSecs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "licensebot_provider_call_seconds", Help: "Licence portal call latency.",
			Buckets: prometheus.DefBuckets,
		}, []string{"provider", "method"}),
		Requests: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "licensebot_requests", Help: "Change requests by state (refreshed periodically).",
		}, []string{"customer", "state"}),
		Reminders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licensebot_reminders_total", Help: "Reminders sent, dropped or failed, by kind.",
		}, []string{"kind", "result"}),
		RequestsOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "licensebot_requests_open", Help: "Requests not yet final, by state, over every customer (refreshed periodically).",
		}, []string{"state"}),
		RequestsOldest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "licensebot_requests_oldest_seconds", Help: "Time the oldest request not yet final has spent in its state, by state.",
		}, []string{"state"}),
		RemindersLate: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "licensebot_reminders_late_seconds", Help: "How long past its due time the oldest unsent reminder is (0: none late).",
		}),
		StoreUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "licensebot_store_up", Help: "1 while the store (bolt or redis) answers a ping, else 0.",
		}, []string{"store"}),
	}
	r.MustRegister(m.Turns, m.TurnSeconds, m.ProviderCalls, m.ProviderSecs, m.Requests, m.Reminders,
		m.RequestsOpen, m.RequestsOldest, m.RemindersLate, m.StoreUp,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveTurn records one turn.
func (m *Metrics) ObserveTurn(channel string, d time.Duration, err error) {
	if m == nil {
		return
	}
	m.TurnSeconds.WithLabelValues(channel).Observe(d.Seconds())
	m.Turns.WithLabelValues(channel, result(err)).Inc()
}

// OpenRequests is one refresh of the open-request gauges: per state, the
// count and the time the oldest has spent in it.
type OpenRequests map[string]OpenState

// OpenState is one state's figures in OpenRequests.
type OpenState struct {
	Count  int
	Oldest time.Duration
}

// SetOpenRequests replaces the open-request gauges with o, so a state
// that emptied reads 0 rather than its last value. States the caller
// always wants reported (zero included) are simply present in o.
func (m *Metrics) SetOpenRequests(o OpenRequests) {
	if m == nil {
		return
	}
	m.RequestsOpen.Reset()
	m.RequestsOldest.Reset()
	for state, v := range o {
		m.RequestsOpen.WithLabelValues(state).Set(float64(v.Count))
		m.RequestsOldest.WithLabelValues(state).Set(v.Oldest.Seconds())
	}
}

// SetRemindersLate records how late the oldest unsent reminder is.
func (m *Metrics) SetRemindersLate(d time.Duration) {
	if m == nil {
		return
	}
	m.RemindersLate.Set(max(d, 0).Seconds())
}

// SetStoreUp records whether the store answered.
func (m *Metrics) SetStoreUp(store string, up bool) {
	if m == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.StoreUp.WithLabelValues(store).Set(v)
}

func result(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, csp.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, csp.ErrNotFound):
		return "not_found"
	case errors.Is(err, csp.ErrConflict):
		return "conflict"
	}
	var r *csp.RefusedError
	if errors.As(err, &r) {
		return "refused"
	}
	return "error"
}

// Provider decorates a csp.Provider with call counts and latencies.
type Provider struct {
	csp.Provider
	m     *Metrics
	clock clock.Clock
}

// InstrumentProvider wraps p; with nil metrics it returns p unchanged.
func InstrumentProvider(p csp.Provider, m *Metrics, clk clock.Clock) csp.Provider {
	if m == nil {
		return p
	}
	return &Provider{Provider: p, m: m, clock: clk}
}

func (p *Provider) observe(method string, start time.Time, err error) {
	p.m.ProviderSecs.WithLabelValues(p.Name(), method).Observe(p.clock.Now().Sub(start).Seconds())
	p.m.ProviderCalls.WithLabelValues(p.Name(), method, result(err)).Inc()
}

// Catalog implements csp.Provider.
func (p *Provider) Catalog(ctx context.Context, customerID string) (*csp.Catalog, error) {
	start := p.clock.Now()
	c, err := p.Provider.Catalog(ctx, customerID)
	p.observe("catalog", start, err)
	return c, err
}

// Customers implements csp.Provider.
func (p *Provider) Customers(ctx context.Context) ([]csp.Customer, error) {
	start := p.clock.Now()
	c, err := p.Provider.Customers(ctx)
	p.observe("customers", start, err)
	return c, err
}

// Subscriptions implements csp.Provider.
func (p *Provider) Subscriptions(ctx context.Context, customerID string) ([]csp.Subscription, error) {
	start := p.clock.Now()
	s, err := p.Provider.Subscriptions(ctx, customerID)
	p.observe("subscriptions", start, err)
	return s, err
}

// Subscription implements csp.Provider.
func (p *Provider) Subscription(ctx context.Context, customerID, id string) (csp.Subscription, error) {
	start := p.clock.Now()
	s, err := p.Provider.Subscription(ctx, customerID, id)
	p.observe("subscription", start, err)
	return s, err
}

// EligibleUpgrades implements csp.Provider.
func (p *Provider) EligibleUpgrades(ctx context.Context, customerID, id string) ([]csp.UpgradeOption, error) {
	start := p.clock.Now()
	u, err := p.Provider.EligibleUpgrades(ctx, customerID, id)
	p.observe("eligible_upgrades", start, err)
	return u, err
}

// Observe implements csp.Provider.
func (p *Provider) Observe(ctx context.Context, customerID string, op csp.Operation, rc csp.Receipt) (csp.Observation, error) {
	start := p.clock.Now()
	o, err := p.Provider.Observe(ctx, customerID, op, rc)
	p.observe("observe", start, err)
	return o, err
}

// Apply implements csp.Provider.
func (p *Provider) Apply(ctx context.Context, customerID string, op csp.Operation) (csp.Result, error) {
	start := p.clock.Now()
	r, err := p.Provider.Apply(ctx, customerID, op)
	p.observe("apply", start, err)
	return r, err
}

// Usage implements csp.Provider.
func (p *Provider) Usage(ctx context.Context, customerID string) ([]csp.Usage, error) {
	start := p.clock.Now()
	u, err := p.Provider.Usage(ctx, customerID)
	p.observe("usage", start, err)
	return u, err
}

// DelegatedAccess implements csp.Provider.
func (p *Provider) DelegatedAccess(ctx context.Context, customerID string) ([]csp.DelegatedRelationship, error) {
	start := p.clock.Now()
	r, err := p.Provider.DelegatedAccess(ctx, customerID)
	p.observe("delegated_access", start, err)
	return r, err
}
