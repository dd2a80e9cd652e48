package workflows

import (
	"maps"
	"slices"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
)

// State is where a request is in its lifecycle:
//
//	submitted → pending_approval → approved → executing → completed
//	    ↘ withdrawn  ↘ rejected, withdrawn, expired  ↘ failed
//	                                          ↘ needs_attention → completed, failed,
//	                                                              executing (sent again)
//
// A request the rules allow at once goes submitted → approved directly.
// needs_attention: a send-once change whose effect could be neither seen
// nor disproven after the portal's settle time; a person resolves it.
type State string

// States.
const (
	StateSubmitted       State = "submitted"
	StatePendingApproval State = "pending_approval"
	StateApproved        State = "approved"
	StateExecuting       State = "executing"
	StateCompleted       State = "completed"
	StateRejected        State = "rejected"
	StateWithdrawn       State = "withdrawn"
	StateExpired         State = "expired"
	StateFailed          State = "failed"
	StateNeedsAttention  State = "needs_attention"
)

// Final reports whether no transition leaves s.
func (s State) Final() bool {
	switch s {
	case StateCompleted, StateRejected, StateWithdrawn, StateExpired, StateFailed:
		return true
	}
	return false
}

// transitions is the state machine; anything not listed is refused.
var transitions = map[State][]State{
	StateSubmitted:       {StatePendingApproval, StateApproved, StateWithdrawn, StateFailed},
	StatePendingApproval: {StateApproved, StateRejected, StateWithdrawn, StateExpired},
	StateApproved:        {StateExecuting, StateFailed},
	StateExecuting:       {StateCompleted, StateFailed, StateNeedsAttention},
	StateNeedsAttention:  {StateCompleted, StateFailed, StateExecuting},
}

// States lists every state, in lifecycle order (metrics, listings).
func States() []State {
	return []State{StateSubmitted, StatePendingApproval, StateApproved, StateExecuting, StateNeedsAttention,
		StateCompleted, StateRejected, StateWithdrawn, StateExpired, StateFailed}
}

// CanMove reports whether from → to is a legal transition.
func CanMove(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition is one step of a request's history.
type Transition struct {
	From    State     `json:"from"`
	To      State     `json:"to"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
	// ShownTo is the person whose own turn made this transition and whose
	// reply already shows it; the outbox does not tell them again.
	ShownTo string `json:"shown_to,omitempty"`
}

// Attempt is one sending of the operation to the portal. For a send-once
// change it is stored before the call (so a crash after sending is never
// followed by a blind resend) and completed with the portal's answer
// after it.
type Attempt struct {
	// Key is the operation key sent to the portal: random, unique, never
	// reused, whatever happens to the request counter.
	Key      string       `json:"key"`
	Delivery csp.Delivery `json:"delivery"`
	SentAt   time.Time    `json:"sent_at"`
	// Before is the subscription as read just before sending; the
	// expected state after is the request's Operation.
	Before *csp.Subscription `json:"before,omitempty"`
	// Receipt is what the portal answered; nil while unknown (the call
	// has not returned, or its answer was lost).
	Receipt *csp.Receipt `json:"receipt,omitempty"`
	// Error is the failure the call reported, if any.
	Error string `json:"error,omitempty"`
	// NotSent marks an attempt that was never sent: its durable write
	// was not confirmed by a replica, so the portal was not called (see
	// Service.notStarted). Reconciliation sends a new attempt at once
	// instead of observing this one.
	NotSent bool `json:"not_sent,omitempty"`
}

// Attention says why a request needs a person and what is known.
type Attention struct {
	Since  time.Time `json:"since"`
	Detail string    `json:"detail,omitempty"`
	// Outcome is the last observation's outcome (csp.Outcome).
	Outcome csp.Outcome `json:"outcome,omitempty"`
	// CheckedAt is when the portal was last looked at.
	CheckedAt time.Time `json:"checked_at,omitzero"`
}

// Request is a change someone asked for, with everything needed to show
// and execute it. It is stored as a versioned document; the store is
// authoritative and every card is rendered from it.
type Request struct {
	ID         string     `json:"id"`
	CustomerID string     `json:"customer_id"`
	Change     csp.Change `json:"change"`
	// Operation is the absolute write, fixed at submission.
	Operation csp.Operation `json:"operation"`
	Requester string        `json:"requester"`
	// Justification is the requester's free text, shown to approvers.
	Justification string `json:"justification,omitempty"`
	State         State  `json:"state"`
	// Decision is the rules decision that routed the request.
	Decision rules.Decision `json:"decision"`
	// ApproverRole is who must approve; empty when none is needed.
	ApproverRole rules.Role `json:"approver_role,omitempty"`
	// Approver is who approved or rejected.
	Approver string `json:"approver,omitempty"`
	// Names are the display names of the people the request concerns
	// (requester, decider), by lower-case e-mail, kept so that a card is
	// rendered from the request alone.
	Names     map[string]string `json:"names,omitempty"`
	DecidedAt time.Time         `json:"decided_at,omitzero"`
	// Comment is the approver's reason on a rejection.
	Comment string `json:"comment,omitempty"`
	// Deadline is when the approval stops being useful (zero: none).
	Deadline time.Time `json:"deadline,omitzero"`
	// Display names, kept so a card can be shown even if the catalog or
	// subscription changes later.
	SubscriptionName string `json:"subscription_name"`
	TargetOfferName  string `json:"target_offer_name,omitempty"`
	TargetLineName   string `json:"target_line_name,omitempty"`
	// NewSubscriptionID is the line a completed purchase created.
	NewSubscriptionID string `json:"new_subscription_id,omitempty"`
	// Failure is a rules code or "provider_error" when execution failed;
	// FailureParams are the rules' values for its sentence.
	Failure       string            `json:"failure,omitempty"`
	FailureParams map[string]string `json:"failure_params,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	History       []Transition      `json:"history,omitempty"`
	// Notified counts the History entries the outbox has told everyone
	// about: the entries after it are the request's outbox, written in the
	// same compare-and-swap as the transition itself, so a committed
	// transition is never left untold and an untold one never uncommitted.
	Notified int `json:"notified,omitempty"`
	// Attempts are the sendings of the operation to the portal, oldest
	// first.
	Attempts []Attempt `json:"attempts,omitempty"`
	// Attention is set while the request needs a person.
	Attention *Attention `json:"attention,omitempty"`
	// EscalatedAt is set when the backup approver was brought in.
	EscalatedAt time.Time `json:"escalated_at,omitzero"`

	// version is the stored document's version this copy was read or
	// written at (0: unknown). The next write of the same request starts
	// its compare-and-swap from it instead of reading the request again.
	version int64
}

// clone returns a copy that shares nothing a write changes with r.
func (r Request) clone() Request {
	c := r
	c.History = slices.Clone(r.History)
	c.Attempts = slices.Clone(r.Attempts)
	c.Names = maps.Clone(r.Names)
	c.FailureParams = maps.Clone(r.FailureParams)
	if r.Attention != nil {
		a := *r.Attention
		c.Attention = &a
	}
	return c
}

// LastAttempt returns the latest attempt, if any.
func (r Request) LastAttempt() (Attempt, bool) {
	if len(r.Attempts) == 0 {
		return Attempt{}, false
	}
	return r.Attempts[len(r.Attempts)-1], true
}

// Pending returns the transitions not yet told to everyone.
func (r Request) Pending() []Transition {
	if r.Notified >= len(r.History) {
		return nil
	}
	return r.History[r.Notified:]
}
