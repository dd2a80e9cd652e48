package sandbox

import (
	"context"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Capabilities implements csp.Provider: the sandbox makes every change
// the guide describes. Quantity, renewal, auto-renew and end-date writes
// are absolute; upgrades and cancellations are sent once, as on the real
// portals, so the workflow treats them the same way here.
func (s *Sandbox) Capabilities() csp.Capabilities {
	// An accepted write shows after AcceptDelay: give it that long
	// before anyone is asked to look.
	return csp.GuideCapabilities(5*time.Minute + s.delay)
}

// Observe implements csp.Observer. The sandbox knows everything it was
// sent, so it never answers unknown: a write accepted and not yet visible
// is pending; one that failed when it was due to show is not done; an
// upgrade is done when its key is among the upgrades made; any other
// change is done when the subscription shows its target state.
func (s *Sandbox) Observe(ctx context.Context, customerID string, op csp.Operation, _ csp.Receipt) (csp.Observation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sync(ctx); err != nil {
		return csp.Observation{}, err
	}
	if op.Kind == csp.ChangePurchase {
		return s.observeOrder(customerID, op)
	}
	sub, err := s.st.subscription(customerID, op.SubscriptionID)
	if err != nil {
		return csp.Observation{}, err
	}
	src := sub.Clone()
	obs := csp.Observation{Outcome: csp.ObservedNotDone, Subscription: &src}
	if p, ok := s.st.pending(customerID, op.Key); ok {
		obs.Outcome = csp.ObservedPending
		obs.Detail = "accepted by the portal, visible from " + p.VisibleAt.Format(time.RFC3339)
		return obs, nil
	}
	if r, ok := s.st.rejected(customerID, op.Key); ok {
		obs.Detail = "accepted, then refused by the portal: " + r.Reason
		return obs, nil
	}
	if op.Kind == csp.ChangeUpgrade {
		if u, ok := s.st.upgradeApplied(customerID, op.SubscriptionID, op.Key); ok {
			obs.Outcome = csp.ObservedDone
			if t, err := s.st.subscription(customerID, u.TargetID); err == nil {
				tc := t.Clone()
				obs.Target = &tc
			}
		}
		return obs, nil
	}
	if op.SatisfiedBy(src) {
		obs.Outcome = csp.ObservedDone
	}
	return obs, nil
}
