package bot

import (
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// A customer's usage is reused for a minute, then read again; a clock
// that went back reads again too.
func TestUsageMemoKeepsAMinute(t *testing.T) {
	m := &usageMemo{byCustomer: map[string]usageRead{}}
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	m.put("contoso", t0, []csp.Usage{{SubscriptionID: "sub-1", Assigned: 9}})
	for _, c := range []struct {
		customer string
		at       time.Time
		hit      bool
	}{
		{"contoso", t0.Add(59 * time.Second), true},
		{"fabrikam", t0, false},
		{"contoso", t0.Add(time.Minute), false},
		{"contoso", t0.Add(-time.Second), false},
	} {
		us, ok := m.get(c.customer, c.at)
		if ok != c.hit || (ok && us[0].Assigned != 9) {
			t.Errorf("%s at %s: %v %v, want hit %v", c.customer, c.at.Sub(t0), us, ok, c.hit)
		}
	}
}
