package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
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
	req, err = s.transition(ctx, customerID, id, StateApproved, p.Email, comment, func(r *Request) {
		r.Approver = p.Email
		r.DecidedAt = now
		r.Comment = comment
	})
	if err != nil {
		return req, err
	}
	_ = s.opt.Store.Unschedule(ctx, customerID, queueDeadlines, id)
	return s.execute(ctx, req)
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
	now := s.opt.Clock.Now()
	req, err = s.transition(ctx, customerID, id, StateRejected, p.Email, reason, func(r *Request) {
		r.Approver = p.Email
		r.DecidedAt = now
		r.Comment = reason
	})
	if err == nil {
		_ = s.opt.Store.Unschedule(ctx, customerID, queueDeadlines, id)
	}
	return req, err
}

// Withdraw lets the requester take back a request that is still pending.
func (s *Service) Withdraw(ctx context.Context, p Person, customerID, id string) (Request, error) {
	req, err := s.Get(ctx, customerID, id)
	if err != nil {
		return Request{}, err
	}
	if !equalFold(p.Email, req.Requester) {
		return req, ErrNotRequester
	}
	req, err = s.transition(ctx, customerID, id, StateWithdrawn, p.Email, "", nil)
	if err == nil {
		_ = s.opt.Store.Unschedule(ctx, customerID, queueDeadlines, id)
	}
	return req, err
}

func (s *Service) expire(ctx context.Context, req Request) (Request, error) {
	out, err := s.transition(ctx, req.CustomerID, req.ID, StateExpired, "licensebot", "", nil)
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
		n++
	}
	return n, nil
}

// executionTimeout bounds one execution. Execution runs detached from the
// turn that triggered it: a chat platform's deadline (Teams answers an
// invoke within seconds) must not cut a portal write in half.
const executionTimeout = 2 * time.Minute

// ReconcileAfter is how long an approved or executing request may sit
// before Reconcile takes it over: younger ones may still be running on
// another replica.
const ReconcileAfter = time.Minute

// execute runs an approved request: it takes it to executing (exactly one
// caller wins), re-reads the subscription, re-checks the rules and applies
// the absolute operation. A store or portal outage leaves it approved or
// executing, and Reconcile finishes it.
func (s *Service) execute(ctx context.Context, req Request) (Request, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), executionTimeout)
	defer cancel()
	req, err := s.transition(ctx, req.CustomerID, req.ID, StateExecuting, "licensebot", "", nil)
	if err != nil {
		return req, err
	}
	return s.run(ctx, req, false)
}

// run applies an executing request's operation and completes or fails it.
// retry is true when Reconcile takes over an execution that may already
// have reached the portal.
func (s *Service) run(ctx context.Context, req Request, retry bool) (Request, error) {
	sub, err := s.opt.Provider.Subscription(ctx, req.CustomerID, req.Change.SubscriptionID)
	if err != nil {
		if errors.Is(err, csp.ErrUnavailable) {
			return s.leaveExecuting(ctx, req, err)
		}
		return s.fail(ctx, req, "provider_error", nil, err)
	}
	if Satisfied(sub, req.Operation) {
		return s.complete(ctx, req, true)
	}
	// An upgrade taken over after a lost answer: the portal knows it by
	// its key, and the rules, which read the source's current state, would
	// refuse what has in fact been done (the source may be cancelled now).
	if !(retry && req.Change.Kind == csp.ChangeUpgrade) {
		// The subscription must still be where the decision found it:
		// "add 2" decided on 10 seats means 12, and nothing else.
		if affectsQuantity(req.Change.Kind) && sub.Quantity != req.Operation.FromQuantity {
			return s.fail(ctx, req, "subscription_changed", nil, csp.ErrConflict)
		}
		requester, _ := s.opt.Directory.Lookup(req.Requester)
		ev, err := s.Evaluate(ctx, requester, req.CustomerID, req.Change)
		if errors.Is(err, csp.ErrUnavailable) {
			return s.leaveExecuting(ctx, req, err)
		}
		if err != nil {
			return s.fail(ctx, req, "provider_error", nil, err)
		}
		if ev.Decision.Outcome == rules.Refused {
			return s.fail(ctx, req, string(ev.Decision.Reason), ev.Decision.Params, errors.New(ev.Decision.Detail))
		}
	}
	res, err := s.opt.Provider.Apply(ctx, req.CustomerID, req.Operation)
	if err != nil {
		var refused *csp.RefusedError
		switch {
		case errors.Is(err, csp.ErrUnavailable):
			return s.leaveExecuting(ctx, req, err)
		case errors.As(err, &refused):
			return s.fail(ctx, req, refused.Code, nil, err)
		case errors.Is(err, csp.ErrConflict):
			return s.fail(ctx, req, "subscription_changed", nil, err)
		}
		return s.fail(ctx, req, "provider_error", nil, err)
	}
	if res.Pending {
		// Accepted but not visible yet (an asynchronous portal):
		// reconciliation re-reads it and completes it once it shows.
		return s.leaveExecuting(ctx, req, errors.New("accepted by the portal, not applied yet"))
	}
	return s.complete(ctx, req, res.AlreadyApplied)
}

// leaveExecuting: the portal did not answer, so whether the write landed
// is unknown. The request stays executing — its card says it is being
// carried out, never "nothing was changed" — and Reconcile finishes it
// from the portal's state.
func (s *Service) leaveExecuting(ctx context.Context, req Request, cause error) (Request, error) {
	s.log.WarnContext(ctx, "portal unavailable during execution; reconciliation will finish it",
		"request_id", req.ID, "customer_id", req.CustomerID, "err", cause)
	return req, nil
}

func affectsQuantity(k csp.ChangeKind) bool {
	return k == csp.ChangeAddSeats || k == csp.ChangeRemoveSeats
}

func (s *Service) complete(ctx context.Context, req Request, already bool) (Request, error) {
	comment := ""
	if already {
		comment = "already applied"
	}
	return s.transition(ctx, req.CustomerID, req.ID, StateCompleted, "licensebot", comment, nil)
}

func (s *Service) fail(ctx context.Context, req Request, code string, params map[string]string, cause error) (Request, error) {
	s.log.WarnContext(ctx, "request failed", "request_id", req.ID, "customer_id", req.CustomerID, "code", code, "err", cause)
	return s.transition(ctx, req.CustomerID, req.ID, StateFailed, "licensebot", code, func(r *Request) {
		r.Failure, r.FailureParams = code, params
	})
}

// Satisfied reports whether sub already has op's target state (see
// csp.Operation.SatisfiedBy).
func Satisfied(sub csp.Subscription, op csp.Operation) bool { return op.SatisfiedBy(sub) }

// Reconcile finishes what a crash, an outage or a cut connection left
// half done: requests approved but never started, and requests left
// executing. Those untouched for ReconcileAfter are taken over (claimed,
// so one replica does it) and finished from the portal's state: done if
// the subscription has the target, applied again (absolute, idempotent)
// if not. It runs at start-up and on every tick.
func (s *Service) Reconcile(ctx context.Context, customerID string) (int, error) {
	reqs, err := s.List(ctx, customerID)
	if err != nil {
		return 0, err
	}
	now := s.opt.Clock.Now()
	n := 0
	for _, r := range reqs {
		if (r.State != StateExecuting && r.State != StateApproved) || now.Sub(r.UpdatedAt) < ReconcileAfter {
			continue
		}
		key := "reconcile:" + customerID + ":" + r.ID
		won, err := s.opt.Store.Claim(ctx, key, 5*time.Minute)
		if err != nil {
			return n, fmt.Errorf("claim reconcile: %w", err)
		}
		if !won {
			continue
		}
		var out Request
		if r.State == StateApproved {
			out, err = s.execute(ctx, r)
		} else {
			out, err = s.run(ctx, r, true)
		}
		if err != nil || out.State == StateExecuting {
			s.log.WarnContext(ctx, "reconcile: not finished yet", "request_id", r.ID, "customer_id", customerID, "err", err)
			_ = s.opt.Store.Release(ctx, key)
			continue
		}
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
// without saying whose it is).
func (s *Service) Find(ctx context.Context, id string, customers []string) (Request, error) {
	for _, c := range customers {
		r, err := s.Get(ctx, c, id)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return Request{}, err
		}
	}
	return Request{}, fmt.Errorf("request %s: %w", id, ErrNotFound)
}

// AttachMessage records a chat message that shows a request, so later
// changes re-render it. It never changes the state.
func (s *Service) AttachMessage(ctx context.Context, customerID, id string, m MessageRef) error {
	_, err := store.Modify(ctx, s.opt.Store, refOf(customerID, id), func(old []byte) ([]byte, error) {
		if old == nil {
			return nil, fmt.Errorf("request %s: %w", id, ErrNotFound)
		}
		var req Request
		if err := json.Unmarshal(old, &req); err != nil {
			return nil, fmt.Errorf("decode request %s: %w", id, err)
		}
		replaced := false
		for i, o := range req.Messages {
			if o.Platform == m.Platform && o.Recipient == m.Recipient && o.Conversation == m.Conversation {
				req.Messages[i], replaced = m, true
			}
		}
		if !replaced {
			req.Messages = append(req.Messages, m)
		}
		return marshal(req)
	})
	return err
}
