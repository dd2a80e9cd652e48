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
	req, err := s.update(ctx, customerID, id, false, func(r *Request) ([]store.AuditEntry, error) {
		if r.State != StatePendingApproval {
			return nil, &StateError{Request: *r, Wanted: StatePendingApproval}
		}
		if !r.EscalatedAt.IsZero() {
			return nil, store.ErrNoChange
		}
		now := s.opt.Clock.Now()
		r.EscalatedAt = now
		detail, _ := json.Marshal(map[string]any{
			"subscription_id": r.Change.SubscriptionID,
			"kind":            r.Change.Kind,
			"deadline":        r.Deadline,
		})
		return []store.AuditEntry{{Scope: customerID, At: now, Actor: by, Action: "request.escalated", Subject: id, Detail: detail}}, nil
	})
	var se *StateError
	if errors.As(err, &se) {
		return se.Request, err
	}
	if err != nil {
		return req, fmt.Errorf("escalate request %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "request escalated", "request_id", id, "customer_id", customerID, "deadline", req.Deadline)
	return req, nil
}
