package workflows

import (
	"context"
	"errors"
	"fmt"

	"github.com/licensebot/licensebot/rules"
)

// CanApprove reports whether p may decide req: the routed role, or an
// account manager serving the customer (who outranks a licence admin),
// and never the requester.
func CanApprove(p Person, req Request) error {
	if equalFold(p.Email, req.Requester) {
		return ErrSelfApproval
	}
	switch {
	case p.Role == rules.RoleAccountManager && p.Serves(req.CustomerID):
		return nil
	case req.ApproverRole == rules.RoleLicenceAdmin && p.Role == rules.RoleLicenceAdmin && p.CustomerID == req.CustomerID:
		return nil
	}
	return ErrNotApprover
}

// Approve approves a pending request and executes it at once. A second
// press, or a press on a request someone else decided, gets a *StateError
// describing what happened.
func (s *Service) Approve(ctx context.Context, p Person, customerID, id, comment string) (Request, error) {
	req, err := s.Get(ctx, customerID, id)
	if err != nil {
		return Request{}, err
	}
	if err := CanApprove(p, req); err != nil {
		if req.State != StatePendingApproval {
			return req, &StateError{Request: req, Wanted: StateApproved}
		}
		return req, err
	}
	ctx = holdOutbox(ctx)
	defer s.drainAfter(ctx, customerID, id)
	now := s.opt.Clock.Now()
	if !req.Deadline.IsZero() && !now.Before(req.Deadline) && req.State == StatePendingApproval {
		// Too late: the change is no longer legal. Expire rather than
		// approve, and say so.
		req, err = s.expire(ctx, req)
		if err != nil {
			return req, err
		}
		return req, &StateError{Request: req, Wanted: StateApproved}
	}
	req, err = s.transition(ctx, customerID, id, StateApproved, p.Email, comment, p.Email, func(r *Request) {
		r.remember(p)
		r.Approver = p.Email
		r.DecidedAt = now
		r.Comment = comment
	})
	if err != nil {
		return req, err
	}
	_ = s.opt.Store.Unschedule(ctx, customerID, queueDeadlines, id)
	return s.execute(ctx, req, p.Email)
}

// Reject rejects a pending request with an optional reason.
func (s *Service) Reject(ctx context.Context, p Person, customerID, id, reason string) (Request, error) {
	req, err := s.Get(ctx, customerID, id)
	if err != nil {
		return Request{}, err
	}
	if err := CanApprove(p, req); err != nil {
		if req.State != StatePendingApproval {
			return req, &StateError{Request: req, Wanted: StateRejected}
		}
		return req, err
	}
	ctx = holdOutbox(ctx)
	defer s.drainAfter(ctx, customerID, id)
	now := s.opt.Clock.Now()
	req, err = s.transition(ctx, customerID, id, StateRejected, p.Email, reason, p.Email, func(r *Request) {
		r.remember(p)
		r.Approver = p.Email
		r.DecidedAt = now
		r.Comment = reason
	})
	if err == nil {
		_ = s.opt.Store.Unschedule(ctx, customerID, queueDeadlines, id)
	}
	return req, err
}

// Withdraw lets the requester take back a request that is still pending
// (or still submitted, when a crash stopped it before it was routed).
func (s *Service) Withdraw(ctx context.Context, p Person, customerID, id string) (Request, error) {
	req, err := s.Get(ctx, customerID, id)
	if err != nil {
		return Request{}, err
	}
	if !equalFold(p.Email, req.Requester) {
		return req, ErrNotRequester
	}
	ctx = holdOutbox(ctx)
	defer s.drainAfter(ctx, customerID, id)
	req, err = s.transition(ctx, customerID, id, StateWithdrawn, p.Email, "", p.Email, nil)
	if err == nil {
		_ = s.opt.Store.Unschedule(ctx, customerID, queueDeadlines, id)
	}
	return req, err
}

func (s *Service) expire(ctx context.Context, req Request) (Request, error) {
	out, err := s.transition(ctx, req.CustomerID, req.ID, StateExpired, actorBot, "", "", nil)
	_ = s.opt.Store.Unschedule(ctx, req.CustomerID, queueDeadlines, req.ID)
	var se *StateError
	if errors.As(err, &se) {
		return se.Request, nil
	}
	return out, err
}

// ExpireDue expires the pending approvals of a customer whose deadline
// has passed. It reads only what is due from the schedule.
func (s *Service) ExpireDue(ctx context.Context, customerID string) (int, error) {
	ctx = holdOutbox(ctx) // each expiry is drained just after
	items, err := s.opt.Store.Due(ctx, customerID, queueDeadlines, s.opt.Clock.Now(), 500)
	if err != nil {
		return 0, fmt.Errorf("read due deadlines: %w", err)
	}
	n := 0
	for _, it := range items {
		req, err := s.Get(ctx, customerID, it.ID)
		if errors.Is(err, ErrNotFound) {
			_ = s.opt.Store.Unschedule(ctx, customerID, queueDeadlines, it.ID)
			continue
		}
		if err != nil {
			return n, err
		}
		if req.State != StatePendingApproval {
			_ = s.opt.Store.Unschedule(ctx, customerID, queueDeadlines, it.ID)
			continue
		}
		if _, err := s.expire(ctx, req); err != nil {
			return n, err
		}
		s.drainAfter(ctx, customerID, req.ID)
		n++
	}
	return n, nil
}

// Pending returns the requests waiting for p's decision across the
// customers p may approve for, oldest first.
func (s *Service) Pending(ctx context.Context, p Person, customers []string) ([]Request, error) {
	var out []Request
	for _, c := range customers {
		reqs, err := s.List(ctx, c)
		if err != nil {
			return nil, err
		}
		for i := len(reqs) - 1; i >= 0; i-- {
			r := reqs[i]
			if r.State == StatePendingApproval && CanApprove(p, r) == nil {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// Find looks a request up by id among customers (people type "R-12"
// without saying whose it is). Numbers are per customer, so one typed by
// an account manager serving several customers may name several
// requests: that is ErrAmbiguous, and the person presses the card's
// button instead, which names the customer.
func (s *Service) Find(ctx context.Context, id string, customers []string) (Request, error) {
	var found []Request
	for _, c := range customers {
		r, err := s.Get(ctx, c, id)
		if err == nil {
			found = append(found, r)
			continue
		}
		if !errors.Is(err, ErrNotFound) {
			return Request{}, err
		}
	}
	switch len(found) {
	case 0:
		return Request{}, fmt.Errorf("request %s: %w", id, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return found[0], fmt.Errorf("request %s: %w", id, ErrAmbiguous)
}
