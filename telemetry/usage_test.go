package telemetry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/telemetry"
)

type usageProvider struct{ fakeProvider }

func (usageProvider) Usage(context.Context, string) ([]csp.Usage, error) {
	return []csp.Usage{{SubscriptionID: "s1", Assigned: 3, Bought: 5}}, nil
}
func (usageProvider) DelegatedAccess(context.Context, string) ([]csp.DelegatedRelationship, error) {
	return nil, csp.ErrAccessUnsupported
}

// The decorator forwards the usage and GDAP reads, answer and error as
// they are, and counts them.
func TestUsagePassesThrough(t *testing.T) {
	m := telemetry.New()
	p := telemetry.InstrumentProvider(usageProvider{}, m, clock.NewManual(time.Unix(0, 0)))
	us, err := p.Usage(context.Background(), "c")
	if err != nil || len(us) != 1 || us[0].Assigned != 3 {
		t.Errorf("Usage through the decorator: %+v, %v", us, err)
	}
	if _, err := p.DelegatedAccess(context.Background(), "c"); !errors.Is(err, csp.ErrAccessUnsupported) {
		t.Errorf("DelegatedAccess through the decorator: %v, want csp.ErrAccessUnsupported", err)
	}
	if got := testutil.ToFloat64(m.ProviderCalls.WithLabelValues("fake", "usage", "ok")); got != 1 {
		t.Errorf("usage calls = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.ProviderCalls.WithLabelValues("fake", "delegated_access", "error")); got != 1 {
		t.Errorf("delegated access calls = %v, want 1", got)
	}
}
