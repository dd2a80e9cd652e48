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
	return csp.Capabilities{
		Operations: map[csp.ChangeKind]csp.Delivery{
			csp.ChangeAddSeats:           csp.DeliveryAbsolute,
			csp.ChangeRemoveSeats:        csp.DeliveryAbsolute,
			csp.ChangeSetRenewalQuantity: csp.DeliveryAbsolute,
			csp.ChangeAutoRenewOff:       csp.DeliveryAbsolute,
			csp.ChangeAutoRenewOn:        csp.DeliveryAbsolute,
			csp.ChangeAlignEndDate:       csp.DeliveryAbsolute,
			csp.ChangeCancel:             csp.DeliverySendOnce,
			csp.ChangeUpgrade:            csp.DeliverySendOnce,
		},
		SettleTime: 5 * time.Minute,
	}
}

// Observe implements csp.Observer: an upgrade is found by its key among
// the upgrades the sandbox applied; any other change by reading the
// subscription.
func (s *Sandbox) Observe(ctx context.Context, customerID string, op csp.Operation, _ csp.Receipt) (csp.Observation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sync(ctx); err != nil {
		return csp.Observation{}, err
	}
	sub, err := s.st.subscription(customerID, op.SubscriptionID)
	if err != nil {
		return csp.Observation{}, err
	}
	src := sub.Clone()
	obs := csp.Observation{Outcome: csp.ObservedNotDone, Subscription: &src}
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
