package telemetry_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/telemetry"
)

type fakeProvider struct{ csp.Provider }

func (fakeProvider) Name() string { return "fake" }
func (fakeProvider) Subscriptions(context.Context, string) ([]csp.Subscription, error) {
	return nil, csp.ErrUnavailable
}
func (fakeProvider) Apply(context.Context, string, csp.Operation) (csp.Result, error) {
	return csp.Result{}, &csp.RefusedError{Code: "x"}
}

func TestProviderCallsAreCountedByResult(t *testing.T) {
	m := telemetry.New()
	p := telemetry.InstrumentProvider(fakeProvider{}, m, clock.NewManual(time.Unix(0, 0)))
	_, _ = p.Subscriptions(context.Background(), "c")
	_, _ = p.Apply(context.Background(), "c", csp.Operation{})
	if got := testutil.ToFloat64(m.ProviderCalls.WithLabelValues("fake", "subscriptions", "unavailable")); got != 1 {
		t.Errorf("unavailable subscriptions calls = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.ProviderCalls.WithLabelValues("fake", "apply", "refused")); got != 1 {
		t.Errorf("refused apply calls = %v, want 1", got)
	}
	m.ObserveTurn("slack", 3*time.Millisecond, nil)
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(`
# HELP licensebot_turns_total Chat turns handled, by channel and outcome.
# TYPE licensebot_turns_total counter
licensebot_turns_total{channel="slack",outcome="ok"} 1
`), "licensebot_turns_total"); err != nil {
		t.Error(err)
	}
}
