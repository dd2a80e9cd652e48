package workflows

import (
	"errors"
	"fmt"
)

// Errors callers branch on; the bot turns each into a sentence.
var (
	// ErrNotFound: no such request for this person.
	ErrNotFound = errors.New("request not found")
	// ErrSelfApproval: nobody approves their own request.
	ErrSelfApproval = errors.New("nobody approves their own request")
	// ErrNotApprover: this person may not decide this request.
	ErrNotApprover = errors.New("not an approver for this request")
	// ErrNotRequester: only the requester may withdraw a request.
	ErrNotRequester = errors.New("only the requester may withdraw a request")
	// ErrUnknownPerson: the person is not in the configuration.
	ErrUnknownPerson = errors.New("person not configured")
	// ErrDuplicate: the same draft was already submitted.
	ErrDuplicate = errors.New("already submitted")
	// ErrAmbiguous: a typed request number names requests of several
	// customers.
	ErrAmbiguous = errors.New("request number names several requests")
	// ErrNotResolver: only an account manager serving the customer
	// resolves a request that needs attention.
	ErrNotResolver = errors.New("not an account manager of this customer")
)

// NotRecordedError: the portal made the change, but recording the
// outcome failed (the store went away at that moment). The change is
// done and must be reported as done; reconciliation records it once the
// store answers.
type NotRecordedError struct {
	Request Request
	Err     error
}

func (e *NotRecordedError) Error() string {
	return fmt.Sprintf("request %s: change made in the portal, recording it failed: %v", e.Request.ID, e.Err)
}

func (e *NotRecordedError) Unwrap() error { return e.Err }

// StateError says a transition was refused because the request is no
// longer where the caller thought: it carries the current request so the
// caller can say "already approved by marc at 10:42".
type StateError struct {
	Request Request
	Wanted  State
}

func (e *StateError) Error() string {
	return fmt.Sprintf("request %s is %s, cannot become %s", e.Request.ID, e.Request.State, e.Wanted)
}

// RefusedError is returned by Submit when the rules refuse the change
// with fresh data; Evaluation carries the decision to explain.
type RefusedError struct {
	Evaluation Evaluation
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused by the rules: %s", e.Evaluation.Decision.Reason)
}

// OpenRequestError: another seat change on the same subscription is still
// open; it must finish (or be withdrawn) first.
type OpenRequestError struct {
	Request Request
}

func (e *OpenRequestError) Error() string {
	return fmt.Sprintf("request %s on subscription %s is still %s", e.Request.ID, e.Request.Change.SubscriptionID, e.Request.State)
}
