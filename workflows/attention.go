package workflows

import (
	"context"
	"errors"

	"github.com/licensebot/licensebot/rules"
)

// A request needs attention when its send-once change could be neither
// seen nor disproven after the portal's settle time. Only a person
// resolves it, never an automatic resend: an account manager serving the
// customer checks again, marks it done (they saw it in the portal), or
// sends it again knowing it may double the change.

// CanResolve reports whether p may resolve req.
func CanResolve(p Person, req Request) error {
	if p.Role == rules.RoleAccountManager && p.Serves(req.CustomerID) {
		return nil
	}
	return ErrNotResolver
}

func (s *Service) loadForResolution(ctx context.Context, p Person, customerID, id string) (Request, error) {
	req, err := s.Get(ctx, customerID, id)
	if err != nil {
		return Request{}, err
	}
	if err := CanResolve(p, req); err != nil {
		return req, err
	}
	if req.State != StateNeedsAttention {
		return req, &StateError{Request: req, Wanted: StateNeedsAttention}
	}
	return req, nil
}

// CheckAgain looks at the portal again: the request completes if the
// change now shows, and otherwise stays as it is with the time checked.
func (s *Service) CheckAgain(ctx context.Context, p Person, customerID, id string) (Request, error) {
	req, err := s.loadForResolution(ctx, p, customerID, id)
	if err != nil {
		return req, err
	}
	ctx = holdOutbox(ctx)
	defer s.drainAfter(ctx, customerID, id)
	att, ok := req.LastAttempt()
	if !ok {
		return req, errors.New("check again: the request has no attempt to observe")
	}
	return s.observe(ctx, req, att, p.Email)
}

// MarkDone records that p saw the change made in the portal.
func (s *Service) MarkDone(ctx context.Context, p Person, customerID, id string) (Request, error) {
	if _, err := s.loadForResolution(ctx, p, customerID, id); err != nil {
		return Request{}, err
	}
	ctx = holdOutbox(ctx)
	defer s.drainAfter(ctx, customerID, id)
	return s.transition(ctx, customerID, id, StateCompleted, p.Email, "marked done", p.Email, func(r *Request) { r.remember(p) })
}

// SendAgain sends the change again as a new attempt with a new key, on
// p's explicit decision (the button's confirmation says it may double
// the change).
func (s *Service) SendAgain(ctx context.Context, p Person, customerID, id string) (Request, error) {
	if _, err := s.loadForResolution(ctx, p, customerID, id); err != nil {
		return Request{}, err
	}
	ctx = holdOutbox(ctx)
	defer s.drainAfter(ctx, customerID, id)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), executionTimeout)
	defer cancel()
	req, err := s.transition(ctx, customerID, id, StateExecuting, p.Email, "sent again", p.Email, func(r *Request) { r.remember(p) })
	if notReplicated(err) {
		return s.notStarted(ctx, req, "", err)
	}
	if err != nil {
		return req, err
	}
	return s.run(ctx, req, p.Email, true)
}
