package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/licensebot/licensebot/store"
)

// Escalate brings the backup approvers into a pending request whose
// deadline is near: it sets EscalatedAt (once; a second call returns the
// request unchanged) by compare-and-swap, with an audit line
// "request.escalated" in the same write. From then on the bot's approval
// cards go to the backups too. A request that is no longer pending gets a
// *StateError carrying its current state.
//
// It is not a state transition, so the Notifier is not called: the
// reminders engine that escalates tells the people concerned itself.
func (s *Service) Escalate(ctx context.Context, customerID, id, by string) (Request, error) {
	for attempt := 0; attempt < 50; attempt++ {
		req, v, err := s.load(ctx, customerID, id)
		if err != nil {
			return Request{}, err
		}
		if req.State != StatePendingApproval {
			return req, &StateError{Request: req, Wanted: StatePendingApproval}
		}
		if !req.EscalatedAt.IsZero() {
			return req, nil
		}
		now := s.opt.Clock.Now()
		req.EscalatedAt = now
		data, err := marshal(req)
		if err != nil {
			return Request{}, err
		}
		detail, _ := json.Marshal(map[string]any{
			"subscription_id": req.Change.SubscriptionID,
			"kind":            req.Change.Kind,
			"deadline":        req.Deadline,
		})
		entry := store.AuditEntry{Scope: customerID, At: now, Actor: by, Action: "request.escalated", Subject: id, Detail: detail}
		_, err = s.opt.Store.Update(ctx, refOf(customerID, id), v, data, entry)
		if errors.Is(err, store.ErrVersionMismatch) {
			continue
		}
		if err != nil {
			return Request{}, fmt.Errorf("escalate request %s: %w", id, err)
		}
		s.log.InfoContext(ctx, "request escalated", "request_id", id, "customer_id", customerID, "deadline", req.Deadline)
		return req, nil
	}
	return Request{}, fmt.Errorf("escalate request %s: too much contention", id)
}
