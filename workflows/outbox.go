package workflows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/licensebot/licensebot/store"
)

// The outbox. A committed transition is appended to the request's History
// in the same compare-and-swap write as the state change; the entries
// after Request.Notified are the request's outbox. Drain hands them to the
// Notifier and advances Notified once it succeeded, so nobody is told
// inside a transition, a failed delivery is retried (by the next Drain, or
// by Reconcile on the next tick), and a crash between the transition and
// the message loses nothing.

// outboxClaimTTL is how long a drain's claim keeps other replicas from
// telling the same transitions; a holder that died lets it lapse, and
// Reconcile delivers them then.
const outboxClaimTTL = time.Minute

func outboxKey(customerID, id string) string { return "outbox:" + customerID + ":" + id }

// outboxHold notes the outbox claims a public call's own writes took.
// A call that drains a request's outbox once it is done (Submit,
// Approve, ...) holds its context: the write that ends what the call
// does with the request (rests) takes the outbox's claim in the same
// round trip (store.UpdateAndClaim), and the drain that follows uses
// it instead of claiming again. Should the process die between the two,
// the claim lapses after outboxClaimTTL and Reconcile tells the
// transitions, as it does when a process dies between a plain claim and
// the notification.
type outboxHold struct {
	mu   sync.Mutex
	held map[string]bool
}

type outboxHoldKey struct{}

// holdOutbox returns ctx with an outboxHold of its own; every path of
// the call that uses it must drain the requests it writes.
func holdOutbox(ctx context.Context) context.Context {
	return context.WithValue(ctx, outboxHoldKey{}, &outboxHold{held: map[string]bool{}})
}

func outboxHoldFrom(ctx context.Context) *outboxHold {
	h, _ := ctx.Value(outboxHoldKey{}).(*outboxHold)
	return h
}

func (h *outboxHold) note(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held[key] = true
}

// take reports whether the call holds the claim, and forgets it: the
// drain that takes it releases it.
func (h *outboxHold) take(key string) bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	held := h.held[key]
	delete(h.held, key)
	return held
}

// rests reports whether a call that moves a request to st is done with
// it: nothing the call does after writes the request again, so the
// outbox's drain comes next.
func rests(st State) bool {
	return st.Final() || st == StatePendingApproval || st == StateNeedsAttention
}

// drainTimeout bounds one delivery round, detached from the turn: the
// person who pressed has their answer; the others must still be told.
const drainTimeout = 30 * time.Second

// drainAfter delivers the request's outbox once the public call that
// changed it is over, and only logs a failure: Reconcile retries it.
func (s *Service) drainAfter(ctx context.Context, customerID, id string) {
	s.drainAfterFrom(ctx, Request{CustomerID: customerID, ID: id})
}

// drainAfterFrom is drainAfter with the request as the caller last wrote
// it: when it carries its version, the outbox is read from it instead of
// from the store.
func (s *Service) drainAfterFrom(ctx context.Context, last Request) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
	defer cancel()
	if err := s.drain(ctx, last, false); err != nil {
		s.log.WarnContext(ctx, "outbox: delivery failed; it will be retried", "request_id", last.ID, "customer_id", last.CustomerID, "err", err)
	}
}

// Drain tells everyone concerned about the request's untold transitions,
// late: the call that made them is over (Reconcile retries with it). The
// person whose turn made a transition is told too, since a transition
// still untold this late means that turn may have died before its reply
// went out; cards are keyed, so a reply that did go out is updated to the
// same content rather than repeated.
func (s *Service) Drain(ctx context.Context, customerID, id string) error {
	return s.drain(ctx, Request{CustomerID: customerID, ID: id}, true)
}

// drain tells everyone concerned about the request's untold transitions;
// one replica at a time does it (a claim), and a Notifier error leaves
// them untold for the next Drain. A last copy with its version (the
// caller's own write, made just before) is used as read; without it the
// request is read. Either way, advancing Notified is a compare-and-swap:
// if the request moved meanwhile, it is reread, and what moved it has
// its own transitions pending for the next drain.
func (s *Service) drain(ctx context.Context, last Request, late bool) error {
	customerID, id := last.CustomerID, last.ID
	key := outboxKey(customerID, id)
	// The caller's own last write may have taken the claim already.
	if !outboxHoldFrom(ctx).take(key) {
		won, err := s.opt.Store.Claim(ctx, key, outboxClaimTTL)
		if err != nil {
			return fmt.Errorf("claim outbox: %w", err)
		}
		if !won {
			return nil
		}
	}
	released := false
	defer func() {
		if released {
			return
		}
		relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = s.opt.Store.Release(relCtx, key)
		cancel()
	}()
	req := last
	if req.version == 0 {
		var err error
		if req, err = s.Get(ctx, customerID, id); err != nil {
			return err
		}
	}
	pending := req.Pending()
	if len(pending) == 0 {
		return nil
	}
	if late {
		pending = append([]Transition(nil), pending...)
		for i := range pending {
			pending[i].ShownTo = ""
		}
	}
	if s.opt.Notifier != nil {
		if err := s.opt.Notifier.RequestChanged(ctx, req, pending); err != nil {
			return fmt.Errorf("notify %s: %w", id, err)
		}
	}
	// Advancing Notified and giving up the claim share one round trip.
	told := len(req.History)
	marked := req.clone()
	marked.Notified = told
	data, err := marshal(marked)
	if err != nil {
		return err
	}
	_, err = store.UpdateAndRelease(ctx, s.opt.Store, refOf(customerID, id), req.version, data, key)
	released = true
	if !errors.Is(err, store.ErrVersionMismatch) {
		if err != nil {
			return fmt.Errorf("mark %s told: %w", id, err)
		}
		return nil
	}
	// The request moved meanwhile: advance Notified on what it is now
	// (the claim is gone, but telling twice is what a Notifier already
	// bears; the mover drains its own transitions).
	_, err = s.updateFrom(ctx, Request{CustomerID: customerID, ID: id}, false, func(r *Request) ([]store.AuditEntry, error) {
		if r.Notified >= told {
			return nil, store.ErrNoChange
		}
		r.Notified = told
		return nil, nil
	})
	return err
}
