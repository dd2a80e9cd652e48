package partnercenter

import (
	"testing"
	"time"

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
		return providertest.Harness{Provider: e.c, CustomerID: custID, Cancellable: "s1", Advance: e.clk.Advance, PurchaseOffer: "o365-e3"}
	})
}

// A portal where an upgrade takes minutes: the transition is accepted,
// and its seats move only when it completes, ten minutes later on the
// fake's clock. Apply answers Pending, sending it again with its key
// moves nothing more, and Observe follows it to the end as the suite
// advances the clock.
func TestConformanceSlowTransitions(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Harness {
		e := setup(t)
		e.f.opDelay = 10 * time.Minute
		return providertest.Harness{Provider: e.c, CustomerID: custID, Cancellable: "s1", Advance: e.clk.Advance, PurchaseOffer: "o365-e3"}
	})
}

// The slow portal again, with no memory of MS-RequestIds once answered:
// an upgrade sent again with its key while the first is pending must be
// recognised by the client from the transition history, not by Partner
// Center replaying its first answer.
func TestConformanceSlowTransitionsForgetfulPortal(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Harness {
		e := setup(t)
		e.f.opDelay = 10 * time.Minute
		e.f.forgetful = true
		return providertest.Harness{Provider: e.c, CustomerID: custID, Cancellable: "s1", Advance: e.clk.Advance, PurchaseOffer: "o365-e3",
			ForgetsPurchaseKeys: true}
	})
}
