package workflows

import (
	"context"
	"fmt"
	"time"
)

// Reconcile finishes what a crash, an outage, a cut connection or a slow
// portal left half done. Every request not in a final state and untouched
// for ReconcileAfter is taken over (claimed, so one replica does it):
//
//   - submitted (a crash before it was routed): routed as Submit would;
//   - approved (never started): executed;
//   - executing: an absolute change is read and re-sent only if absent;
//     a send-once change that was sent is only observed;
//   - needs_attention: observed again, and completed if its effect shows.
//
// Pending approvals are left to their approvers and to ExpireDue. It also
// delivers whatever the outbox still holds. It runs at start-up and on
// every tick.
func (s *Service) Reconcile(ctx context.Context, customerID string) (int, error) {
	reqs, err := s.List(ctx, customerID)
	if err != nil {
		return 0, err
	}
	now := s.opt.Clock.Now()
	n := 0
	for _, r := range reqs {
		if len(r.Pending()) > 0 && now.Sub(r.UpdatedAt) >= outboxRetryAfter {
			if err := s.Drain(ctx, customerID, r.ID); err != nil {
				s.log.WarnContext(ctx, "reconcile: outbox not delivered yet", "request_id", r.ID, "customer_id", customerID, "err", err)
			}
		}
		if r.State.Final() || r.State == StatePendingApproval || now.Sub(r.UpdatedAt) < ReconcileAfter {
			continue
		}
		done, err := s.reconcileOne(ctx, r)
		if err != nil {
			s.log.WarnContext(ctx, "reconcile: not finished yet", "request_id", r.ID, "customer_id", customerID, "err", err)
			continue
		}
		if done {
			n++
		}
	}
	return n, nil
}

// outboxRetryAfter is how long a transition may stay untold before
// Reconcile delivers it: the turn that made it normally does at once.
const outboxRetryAfter = 5 * time.Second

func (s *Service) reconcileOne(ctx context.Context, r Request) (bool, error) {
	key := "reconcile:" + r.CustomerID + ":" + r.ID
	won, err := s.opt.Store.Claim(ctx, key, 5*time.Minute)
	if err != nil {
		return false, fmt.Errorf("claim reconcile: %w", err)
	}
	if !won {
		return false, nil
	}
	ctx = holdOutbox(ctx)
	defer s.drainAfter(ctx, r.CustomerID, r.ID)
	var out Request
	switch r.State {
	case StateSubmitted:
		out, err = s.route(ctx, r, "")
	case StateApproved:
		out, err = s.execute(ctx, r, "")
	case StateExecuting, StateNeedsAttention:
		ctx, cancel := context.WithTimeout(ctx, executionTimeout)
		out, err = s.run(ctx, r, "", false)
		cancel()
	}
	// The claim is released whatever happened, with a context of its
	// own: the next tick looks again once UpdatedAt says it is time.
	relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	_ = s.opt.Store.Release(relCtx, key)
	cancel()
	if err != nil {
		return false, err
	}
	return out.State.Final(), nil
}
