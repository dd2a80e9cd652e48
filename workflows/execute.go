package workflows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
)

// executionTimeout bounds one execution. Execution runs detached from the
// turn that triggered it: a chat platform's deadline (Teams answers an
// invoke within seconds) must not cut a portal write in half.
const executionTimeout = 2 * time.Minute

// ReconcileAfter is how long a request may sit in a working state before
// Reconcile takes it over: younger ones may still be running on another
// replica.
const ReconcileAfter = time.Minute

// newOperationKey returns a random key for one attempt: unique and never
// reused, whatever happens to the request counter (a Redis failover can
// lose its last step and hand out a number again).
//
// It is a random (version 4) UUID: portals that record a caller's id
// (CloudCockpit's correlation id in its audit log, Partner Center's
// MS-RequestId) take it as it is.
func newOperationKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// execute runs an approved request: it takes it to executing (exactly one
// caller wins) and runs it.
func (s *Service) execute(ctx context.Context, req Request, shownTo string) (Request, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), executionTimeout)
	defer cancel()
	req, err := s.transitionFrom(ctx, req, StateExecuting, actorBot, "", shownTo, nil)
	if notReplicated(err) {
		return s.notStarted(ctx, req, "", err)
	}
	if err != nil {
		return req, err
	}
	return s.run(ctx, req, shownTo, false)
}

// notStarted ends a call whose durable write (to executing, or an
// attempt) stands on the primary but no replica confirmed it: a failover
// now could forget it, and the portal must never hold a change the store
// has forgotten (a lost request whose seats were added). The portal is
// not called. The request, as written, says it is being carried out;
// Reconcile carries it out once it is ReconcileAfter old, from whatever
// the store then holds: executing (the write survived), or the state
// before (it was lost: routed or executed again). An attempt recorded in
// the write is marked never sent, so that a send-once change is sent
// with a new key at once rather than observed until its settle time.
func (s *Service) notStarted(ctx context.Context, req Request, key string, cause error) (Request, error) {
	s.log.WarnContext(ctx, "durable write not confirmed by a replica; the portal is not called, reconciliation will carry the change out",
		"request_id", req.ID, "customer_id", req.CustomerID, "err", cause)
	if key == "" {
		return req, nil
	}
	out, err := s.updateFrom(ctx, req, false, func(r *Request) ([]store.AuditEntry, error) {
		for i := range r.Attempts {
			if r.Attempts[i].Key == key && r.Attempts[i].Receipt == nil && !r.Attempts[i].NotSent {
				r.Attempts[i].NotSent = true
				return nil, nil
			}
		}
		return nil, store.ErrNoChange
	})
	if err != nil {
		// Best effort: unmarked, the attempt is observed, found never
		// to have happened, and sent again after the settle time.
		s.log.WarnContext(ctx, "mark an attempt never sent", "request_id", req.ID, "customer_id", req.CustomerID, "err", err)
		return req, nil
	}
	return out, nil
}

// executeNow runs a submitted request that needs no approval: approved
// (by its requester's rights) and executing in one write that waits for
// the replicas, with both transitions and their audit lines, as two
// writes would have recorded them — one round trip less before the
// portal is called. If the process dies before it, the request is still
// submitted and Reconcile routes it again.
//
// In the usual case — the subscription read and the rules asked again
// find nothing in the way — the attempt, with its operation key, is
// recorded in that same write, before the portal is called: one write
// where run would make two. Anything else (a purchase, a subscription
// already at the target, a check that fails) takes the two writes and
// run, which deal with it.
func (s *Service) executeNow(ctx context.Context, req Request, shownTo string) (Request, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), executionTimeout)
	defer cancel()
	steps := []step{{to: StateApproved, by: req.Requester}, {to: StateExecuting, by: actorBot}}
	if req.Change.Kind != csp.ChangePurchase {
		sub, err := s.opt.Provider.Subscription(ctx, req.CustomerID, req.Change.SubscriptionID)
		if err == nil && !Satisfied(sub, req.Operation) && s.stillAllowed(ctx, req, sub) {
			att := s.newAttempt(sub, s.opt.Provider.Capabilities().DeliveryOf(req.Change.Kind))
			out, err := s.stepsFrom(ctx, req, steps, "", shownTo, func(r *Request) { addAttempt(r, att) })
			if notReplicated(err) {
				return s.notStarted(ctx, out, att.Key, err)
			}
			if err != nil {
				// Nothing was sent.
				return out, err
			}
			return s.apply(ctx, out, att, shownTo)
		}
	}
	req, err := s.stepsFrom(ctx, req, steps, "", shownTo, nil)
	if notReplicated(err) {
		return s.notStarted(ctx, req, "", err)
	}
	if err != nil {
		return req, err
	}
	return s.run(ctx, req, shownTo, false)
}

// stillAllowed is recheck without its consequences: true when the
// change is still what was decided and the rules still allow it.
func (s *Service) stillAllowed(ctx context.Context, req Request, sub csp.Subscription) bool {
	if spec, _ := req.Change.Kind.Spec(); spec.ChangesSeats && sub.Quantity != req.Operation.FromQuantity {
		return false
	}
	requester, err := s.opt.Directory.ByEmail(ctx, req.Requester)
	if err != nil {
		return false
	}
	ev, err := s.Evaluate(ctx, requester, req.CustomerID, req.Change)
	return err == nil && ev.Decision.Outcome != rules.Refused
}

// run brings an executing request to its end. A send-once change that
// was sent before is only observed, never sent again, unless resend is
// set (a person chose "Send again"). Otherwise the subscription is read:
// already at the target means done; else the rules are checked again
// with fresh data and the write is sent as a new attempt.
func (s *Service) run(ctx context.Context, req Request, shownTo string, resend bool) (Request, error) {
	delivery := s.opt.Provider.Capabilities().DeliveryOf(req.Change.Kind)
	if att, ok := req.LastAttempt(); ok && delivery == csp.DeliverySendOnce && !resend && !att.NotSent {
		return s.observe(ctx, req, att, shownTo)
	}
	if req.Change.Kind == csp.ChangePurchase {
		return s.runPurchase(ctx, req, shownTo) // purchase.go
	}
	sub, err := s.opt.Provider.Subscription(ctx, req.CustomerID, req.Change.SubscriptionID)
	if err != nil {
		if errors.Is(err, csp.ErrUnavailable) {
			return s.leaveExecuting(ctx, req, err)
		}
		return s.fail(ctx, req, "provider_error", nil, shownTo, err)
	}
	if !resend && Satisfied(sub, req.Operation) {
		return s.complete(ctx, req, true, shownTo, nil)
	}
	if att, ok := s.acceptedLongAgo(req); ok && !resend {
		// The portal accepted an absolute write long ago and it still
		// does not show: sending it again would not help; a person
		// looks.
		return s.needsAttention(ctx, req, att, csp.Observation{Outcome: csp.ObservedUnknown, Subscription: &sub})
	}
	if out, done, err := s.recheck(ctx, req, sub, shownTo); done {
		return out, err
	}
	return s.send(ctx, req, sub, delivery, shownTo)
}

// acceptedLongAgo returns the first attempt the portal accepted, if its
// settle time is over.
func (s *Service) acceptedLongAgo(req Request) (Attempt, bool) {
	settle := s.opt.Provider.Capabilities().SettleTime
	for _, a := range req.Attempts {
		if a.Receipt != nil && a.Receipt.Status >= 200 && a.Receipt.Status < 300 && a.Error == "" &&
			s.opt.Clock.Now().Sub(a.SentAt) >= settle {
			return a, true
		}
	}
	return Attempt{}, false
}

// recheck verifies, with fresh data, that the change is still what was
// decided: "add 2" decided on 10 seats means 12 and nothing else, and the
// rules must still allow it. done is true when the request ended (or
// must wait) here.
func (s *Service) recheck(ctx context.Context, req Request, sub csp.Subscription, shownTo string) (Request, bool, error) {
	if spec, _ := req.Change.Kind.Spec(); spec.ChangesSeats && sub.Quantity != req.Operation.FromQuantity {
		out, err := s.fail(ctx, req, "subscription_changed", nil, shownTo, csp.ErrConflict)
		return out, true, err
	}
	// The rules are asked for the requester; one the directory no longer
	// knows is asked for as a member, the most cautious role.
	requester, err := s.opt.Directory.ByEmail(ctx, req.Requester)
	if err != nil && !errors.Is(err, ErrUnknownPerson) {
		out, err := s.leaveExecuting(ctx, req, err)
		return out, true, err
	}
	if err != nil {
		requester = Person{Email: req.Requester, Role: rules.RoleMember, CustomerID: req.CustomerID}
	}
	ev, err := s.Evaluate(ctx, requester, req.CustomerID, req.Change)
	if errors.Is(err, csp.ErrUnavailable) {
		out, err := s.leaveExecuting(ctx, req, err)
		return out, true, err
	}
	if err != nil {
		out, err := s.fail(ctx, req, "provider_error", nil, shownTo, err)
		return out, true, err
	}
	if ev.Decision.Outcome == rules.Refused {
		out, err := s.fail(ctx, req, string(ev.Decision.Reason), ev.Decision.Params, shownTo, errors.New(ev.Decision.Detail))
		return out, true, err
	}
	return req, false, nil
}

// send makes one attempt. The attempt, with a fresh random key, is stored
// (waiting for replicas) before the call: if that write fails, nothing is
// sent. What the portal answered is stored after.
func (s *Service) send(ctx context.Context, req Request, sub csp.Subscription, delivery csp.Delivery, shownTo string) (Request, error) {
	att := s.newAttempt(sub, delivery)
	req, err := s.updateFrom(ctx, req, true, func(r *Request) ([]store.AuditEntry, error) {
		if r.State != StateExecuting {
			return nil, &StateError{Request: *r, Wanted: StateExecuting}
		}
		addAttempt(r, att)
		return nil, nil
	})
	if notReplicated(err) {
		return s.notStarted(ctx, req, att.Key, err)
	}
	if err != nil {
		// Nothing was sent; reconciliation starts again from a read.
		return req, fmt.Errorf("record attempt: %w", err)
	}
	return s.apply(ctx, req, att, shownTo)
}

// newAttempt is a new attempt with a fresh random key, sub being the
// subscription as read just before.
func (s *Service) newAttempt(sub csp.Subscription, delivery csp.Delivery) Attempt {
	before := sub
	return Attempt{Key: newOperationKey(), Delivery: delivery, SentAt: s.opt.Clock.Now(), Before: &before}
}

func addAttempt(r *Request, att Attempt) {
	r.Attempts = append(r.Attempts, att)
	r.Operation.Key = att.Key
	r.UpdatedAt = att.SentAt
}

// apply calls the portal with the attempt req records (stored durably
// before) and records what it answered.
func (s *Service) apply(ctx context.Context, req Request, att Attempt, shownTo string) (Request, error) {
	res, applyErr := s.opt.Provider.Apply(ctx, req.CustomerID, req.Operation)
	if applyErr == nil && !res.Pending {
		// Done: the portal's answer is recorded with the completion, in
		// one write.
		rc := s.receipt(res.Receipt)
		return s.complete(ctx, req, res.AlreadyApplied, shownTo, func(r *Request) {
			setReceipt(r, att.Key, rc, nil)
			notePurchase(r, &res.Subscription)
		})
	}
	req = s.recordReceipt(ctx, req, att.Key, res.Receipt, applyErr)
	if applyErr != nil {
		return s.applyFailed(ctx, req, applyErr, shownTo)
	}
	// Accepted but not visible yet (an asynchronous portal):
	// reconciliation observes it and completes it once it shows.
	return s.leaveExecuting(ctx, req, errors.New("accepted by the portal, not applied yet"))
}

// receipt is rc with its time set.
func (s *Service) receipt(rc csp.Receipt) csp.Receipt {
	if rc.At.IsZero() {
		rc.At = s.opt.Clock.Now()
	}
	return rc
}

// setReceipt records the portal's answer on attempt key; false when the
// request has no such attempt.
func setReceipt(r *Request, key string, rc csp.Receipt, applyErr error) bool {
	for i := range r.Attempts {
		if r.Attempts[i].Key == key {
			r.Attempts[i].Receipt = &rc
			if applyErr != nil {
				r.Attempts[i].Error = applyErr.Error()
			}
			return true
		}
	}
	return false
}

// recordReceipt stores what the portal answered to attempt key. It is
// best effort: the attempt itself is already stored, and observation
// works from the key alone.
func (s *Service) recordReceipt(ctx context.Context, req Request, key string, rc csp.Receipt, applyErr error) Request {
	rc = s.receipt(rc)
	out, err := s.updateFrom(ctx, req, false, func(r *Request) ([]store.AuditEntry, error) {
		if !setReceipt(r, key, rc, applyErr) {
			return nil, store.ErrNoChange
		}
		r.UpdatedAt = s.opt.Clock.Now()
		return nil, nil
	})
	if err != nil {
		s.log.WarnContext(ctx, "record the portal's answer", "request_id", req.ID, "customer_id", req.CustomerID, "err", err)
		return req
	}
	return out
}

func (s *Service) applyFailed(ctx context.Context, req Request, err error, shownTo string) (Request, error) {
	var refused *csp.RefusedError
	switch {
	case errors.Is(err, csp.ErrUnavailable):
		// The write may or may not have landed: an absolute one is read
		// again and re-sent only if absent; a send-once one is observed.
		return s.leaveExecuting(ctx, req, err)
	case errors.As(err, &refused):
		return s.fail(ctx, req, refused.Code, nil, shownTo, err)
	case errors.Is(err, csp.ErrConflict):
		return s.fail(ctx, req, "subscription_changed", nil, shownTo, err)
	}
	return s.fail(ctx, req, "provider_error", nil, shownTo, err)
}

// observe looks at a send-once attempt: done when its effect shows,
// failed when the portal refused it, sent again (new key) when the portal
// proves it never took effect and the settle time is over, and
// needs_attention once the settle time has passed with neither proof.
func (s *Service) observe(ctx context.Context, req Request, att Attempt, shownTo string) (Request, error) {
	op := req.Operation
	op.Key = att.Key
	var rc csp.Receipt
	if att.Receipt != nil {
		rc = *att.Receipt
	}
	obs, err := s.opt.Provider.Observe(ctx, req.CustomerID, op, rc)
	if err != nil {
		if errors.Is(err, csp.ErrUnavailable) {
			return s.leaveExecuting(ctx, req, err)
		}
		return s.leaveExecuting(ctx, req, fmt.Errorf("observe: %w", err))
	}
	settled := s.opt.Clock.Now().Sub(att.SentAt) >= s.opt.Provider.Capabilities().SettleTime
	switch {
	case obs.Outcome == csp.ObservedDone:
		return s.complete(ctx, req, false, shownTo, func(r *Request) { notePurchase(r, obs.Subscription) })
	case obs.Outcome == csp.ObservedNotDone && rc.Status >= 400 && rc.Status < 500 && rc.Status != 429:
		return s.fail(ctx, req, "provider_error", nil, shownTo, fmt.Errorf("the portal answered %d: %s", rc.Status, att.Error))
	case obs.Outcome == csp.ObservedNotDone && settled && req.State == StateExecuting:
		// Proven not to have taken effect, and no longer in flight: a
		// new attempt, with a new key, cannot double it.
		return s.run(ctx, req, shownTo, true)
	}
	if !settled {
		return s.noteObservation(ctx, req, obs)
	}
	return s.needsAttention(ctx, req, att, obs)
}

// needsAttention hands the request to a person with what is known; one
// already there only has the observation noted.
func (s *Service) needsAttention(ctx context.Context, req Request, att Attempt, obs csp.Observation) (Request, error) {
	if req.State == StateNeedsAttention {
		return s.noteObservation(ctx, req, obs)
	}
	s.log.WarnContext(ctx, "change neither visible nor disproven after the settle time; a person must look",
		"request_id", req.ID, "customer_id", req.CustomerID, "key", att.Key, "outcome", obs.Outcome)
	now := s.opt.Clock.Now()
	return s.transitionFrom(ctx, req, StateNeedsAttention, actorBot, string(obs.Outcome), "", func(r *Request) {
		r.Attention = &Attention{Since: now, Detail: obs.Detail, Outcome: obs.Outcome, CheckedAt: now}
	})
}

// noteObservation records when the portal was last looked at, which also
// moves UpdatedAt so that reconciliation waits before looking again.
func (s *Service) noteObservation(ctx context.Context, req Request, obs csp.Observation) (Request, error) {
	now := s.opt.Clock.Now()
	out, err := s.updateFrom(ctx, req, false, func(r *Request) ([]store.AuditEntry, error) {
		if r.State != req.State {
			return nil, store.ErrNoChange
		}
		r.UpdatedAt = now
		if r.Attention != nil {
			r.Attention.CheckedAt, r.Attention.Outcome = now, obs.Outcome
		}
		return nil, nil
	})
	if err != nil {
		return req, err
	}
	return out, nil
}

// leaveExecuting: whether the write landed is not known yet. The request
// stays executing — its card says it is being carried out, never
// "nothing was changed" — and Reconcile finishes it from the portal's
// state.
func (s *Service) leaveExecuting(ctx context.Context, req Request, cause error) (Request, error) {
	s.log.WarnContext(ctx, "change not confirmed yet; reconciliation will finish it",
		"request_id", req.ID, "customer_id", req.CustomerID, "err", cause)
	return req, nil
}

// complete records the change as done. If the store fails at that moment
// the change is nevertheless made: the caller gets a *NotRecordedError so
// that nobody is told "nothing was changed", and reconciliation records
// it once the store answers.
// mutate, when set, adds to the completing write (the portal's receipt).
func (s *Service) complete(ctx context.Context, req Request, already bool, shownTo string, mutate func(*Request)) (Request, error) {
	comment := ""
	if already {
		comment = "already applied"
	}
	out, err := s.transitionFrom(ctx, req, StateCompleted, actorBot, comment, shownTo, mutate)
	if err != nil && !errors.As(err, new(*StateError)) {
		return req, &NotRecordedError{Request: req, Err: err}
	}
	return out, err
}

func (s *Service) fail(ctx context.Context, req Request, code string, params map[string]string, shownTo string, cause error) (Request, error) {
	s.log.WarnContext(ctx, "request failed", "request_id", req.ID, "customer_id", req.CustomerID, "code", code, "err", cause)
	return s.transitionFrom(ctx, req, StateFailed, actorBot, code, shownTo, func(r *Request) {
		r.Failure, r.FailureParams = code, params
	})
}

// Satisfied reports whether sub already has op's target state (see
// csp.Operation.SatisfiedBy).
func Satisfied(sub csp.Subscription, op csp.Operation) bool { return op.SatisfiedBy(sub) }
