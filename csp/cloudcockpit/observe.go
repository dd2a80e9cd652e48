package cloudcockpit

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// SettleTime is how long an accepted upgrade or cancellation may take to
// show before a person is asked to look (Capabilities).
const SettleTime = 15 * time.Minute

// Audit-log lookup.
const (
	// auditLookback is how far back Apply and Observe search the audit
	// log for an operation's correlation id.
	auditLookback = 7 * 24 * time.Hour
	// auditPageSize: the log is sorted newest first, so one large page
	// covers the lookback on any reasonable tenant.
	auditPageSize = 500
	auditFailed   = "Failed"
)

// Capabilities implements csp.Provider. The CloudCockpit API has no
// renewal quantity, so scheduling a smaller renewal is refused up front.
// Quantity, auto-renew and end-date PATCHes are absolute; the upgrade POST
// and the cancellation are sent once.
func (c *Client) Capabilities() csp.Capabilities {
	caps := csp.GuideCapabilities(SettleTime).Without(csp.ChangeSetRenewalQuantity)
	caps.AlignsPurchases = false // the order body has no end date (orders.go)
	return caps
}

// KeyCorrelationID is the X-Correlation-Id a send-once call of the
// operation with this key carries, so that the portal's audit log names
// it: the key itself when it is a UUID (the workflow's keys are), else a
// UUID (version 8) derived from it.
func KeyCorrelationID(key string) string {
	if csp.IsGUID(key) {
		return strings.ToLower(key)
	}
	sum := sha256.Sum256([]byte("licensebot-operation:" + key))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// auditFor finds the newest audit-log entry written for the call sent
// with correlation id cid since the given time.
func (c *Client) auditFor(ctx context.Context, cid string, since time.Time) (auditLog, bool, error) {
	q := url.Values{}
	q.Set("StartDate", since.UTC().Format(time.RFC3339))
	q.Set("EndDate", c.clock.Now().Add(time.Minute).UTC().Format(time.RFC3339))
	q.Set("PageNumber", "1")
	q.Set("PageSize", strconv.Itoa(auditPageSize))
	var pg page[auditLog]
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/AuditLogs", query: q}, &pg); err != nil {
		return auditLog{}, false, fmt.Errorf("audit log: %w", err)
	}
	for _, e := range pg.Items {
		if strings.EqualFold(e.CorrelationID, cid) {
			return e, true, nil
		}
	}
	return auditLog{}, false, nil
}

// Observe implements csp.Observer. An upgrade or a cancellation is first
// looked up in the portal's audit log by the correlation id it was sent
// with (Failed: not done; Processing: pending; succeeded: done); without
// an entry, the subscription is read: the upgrade's source left with
// FromQuantity − Quantity seats, or a cancelled (or vanished)
// subscription, is done; otherwise it is pending while the receipt is
// younger than SettleTime and unknown after. An absolute write is done
// when the subscription shows its target, pending while an accepted
// receipt is younger than SettleTime, and not done otherwise (so it may
// be sent again).
func (c *Client) Observe(ctx context.Context, customerID string, op csp.Operation, receipt csp.Receipt) (csp.Observation, error) {
	if op.Kind == csp.ChangePurchase {
		return c.observePurchase(ctx, customerID, op, receipt)
	}
	sendOnce := op.Kind == csp.ChangeUpgrade || op.Kind == csp.ChangeCancel
	var entry *auditLog
	if sendOnce {
		cid := portal.FirstNonEmpty(receipt.CorrelationID, KeyCorrelationID(op.Key))
		since := c.clock.Now().Add(-auditLookback)
		if !receipt.At.IsZero() {
			since = receipt.At.Add(-time.Hour)
		}
		e, found, err := c.auditFor(ctx, cid, since)
		if err != nil {
			c.log.WarnContext(ctx, "audit log not read; observing the subscription", "customer_id", customerID, "key", op.Key, "err", err)
		} else if found {
			entry = &e
		}
	}
	sub, err := c.Subscription(ctx, customerID, op.SubscriptionID)
	if errors.Is(err, csp.ErrNotFound) && op.Kind == csp.ChangeCancel {
		return csp.Observation{Outcome: csp.ObservedDone, Detail: "the subscription is gone from the portal"}, nil
	}
	if err != nil {
		return csp.Observation{}, err
	}
	obs := csp.Observation{Outcome: csp.ObservedNotDone, Subscription: &sub}
	if !sendOnce {
		switch {
		case op.SatisfiedBy(sub):
			obs.Outcome = csp.ObservedDone
		case c.young(receipt):
			obs.Outcome = csp.ObservedPending
			obs.Detail = "accepted by the portal, not visible yet"
		}
		return obs, nil
	}
	c.observeSendOnce(&obs, op, receipt, entry)
	if obs.Outcome == csp.ObservedDone && op.Kind == csp.ChangeUpgrade && op.TargetSubscriptionID != "" {
		if t, err := c.Subscription(ctx, customerID, op.TargetSubscriptionID); err == nil {
			obs.Target = &t
		}
	}
	return obs, nil
}

func (c *Client) observeSendOnce(obs *csp.Observation, op csp.Operation, receipt csp.Receipt, entry *auditLog) {
	sub := *obs.Subscription
	visible := sub.Status == csp.StatusCancelled
	if op.Kind == csp.ChangeUpgrade {
		left := op.FromQuantity - op.Quantity
		visible = op.FromQuantity > 0 && (sub.Quantity == left || (left == 0 && sub.Status != csp.StatusActive))
	}
	switch {
	case visible:
		obs.Outcome = csp.ObservedDone
	case entry != nil && strings.EqualFold(entry.Status.Name, auditFailed):
		obs.Outcome = csp.ObservedNotDone
		obs.Detail = "the portal's audit log says it failed: " + portal.FirstNonEmpty(entry.Description, entry.Operation.Name)
	case entry != nil && strings.HasPrefix(strings.ToLower(entry.Status.Name), "succe"):
		// Succeeded in the portal but not visible in the subscription:
		// the seats moved otherwise meanwhile, or the read lags.
		obs.Outcome = csp.ObservedUnknown
		obs.Detail = "the portal's audit log says it succeeded, but the subscription does not show it"
	case entry != nil:
		obs.Outcome = csp.ObservedPending
		obs.Detail = "the portal is processing it (" + entry.Status.Name + ")"
	case c.young(receipt):
		obs.Outcome = csp.ObservedPending
		obs.Detail = "accepted by the portal, not visible yet"
	default:
		obs.Outcome = csp.ObservedUnknown
		obs.Detail = "neither visible in the subscription nor found in the portal's audit log"
	}
}

// young reports whether the receipt is an acceptance still within the
// settle time.
func (c *Client) young(r csp.Receipt) bool {
	return r.Status >= 200 && r.Status < 300 && c.clock.Now().Before(r.At.Add(SettleTime))
}
