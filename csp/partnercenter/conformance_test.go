package partnercenter

import (
	"testing"

	"github.com/licensebot/licensebot/csp/providertest"
)

// The same conformance suite as the sandbox and CloudCockpit, against the
// strict fake. Each subtest gets a fresh fake whose clock is the client's:
// Advance moves both, so refund lots and the cancellation window of s1
// close as they would at Microsoft. The customer has what the suite
// needs: s1 is annual, active, auto-renewing, not a trial and inside its
// cancellation window; s2 has eligible transitions to E3 (a new line, or
// a merge into s3).
func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Harness {
		e := setup(t)
		return providertest.Harness{Provider: e.c, CustomerID: custID, Cancellable: "s1", Advance: e.clk.Advance}
	})
}
