package workflows

import (
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
)

// State is where a request is in its lifecycle:
//
//	submitted → pending_approval → approved → executing → completed
//	                 ↘ rejected, withdrawn, expired          ↘ failed
//
// A request the rules allow at once goes submitted → approved directly.
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
	StateSubmitted:       {StatePendingApproval, StateApproved, StateFailed},
	StatePendingApproval: {StateApproved, StateRejected, StateWithdrawn, StateExpired},
	StateApproved:        {StateExecuting, StateFailed},
	StateExecuting:       {StateCompleted, StateFailed},
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

// MessageRef is one chat message that shows a request, so every copy can
// be re-rendered when the request changes.
type MessageRef struct {
	Platform     string `json:"platform"`
	Recipient    string `json:"recipient"`
	Conversation string `json:"conversation"`
	MessageID    string `json:"message_id"`
}

// Transition is one step of a request's history.
type Transition struct {
	From    State     `json:"from"`
	To      State     `json:"to"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
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
	Approver  string    `json:"approver,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// Comment is the approver's reason on a rejection.
	Comment string `json:"comment,omitempty"`
	// Deadline is when the approval stops being useful (zero: none).
	Deadline time.Time `json:"deadline,omitzero"`
	// Display names, kept so a card can be shown even if the catalog or
	// subscription changes later.
	SubscriptionName string `json:"subscription_name"`
	TargetOfferName  string `json:"target_offer_name,omitempty"`
	TargetLineName   string `json:"target_line_name,omitempty"`
	// Failure is a rules code or "provider_error" when execution failed;
	// FailureParams are the rules' values for its sentence.
	Failure       string            `json:"failure,omitempty"`
	FailureParams map[string]string `json:"failure_params,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	Messages      []MessageRef      `json:"messages,omitempty"`
	History       []Transition      `json:"history,omitempty"`
	// EscalatedAt is set when the backup approver was brought in.
	EscalatedAt time.Time `json:"escalated_at,omitzero"`
}
