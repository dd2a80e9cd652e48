package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// view is which card of a request someone sees.
type view int

const (
	viewRequester view = iota // the requester's card
	viewApprover              // the approval card
)

// recipient is one person who sees a request, and how.
type recipient struct {
	person workflows.Person
	view   view
}

// audience is everyone who sees a request's card: the requester, its
// approvers (backups once escalated), whoever decided, and the account
// managers while it needs attention.
func (e *Engine) audience(r workflows.Request) []recipient {
	dir := e.opt.Service.Directory()
	var out []recipient
	if p, ok := dir.Lookup(r.Requester); ok {
		out = append(out, recipient{p, viewRequester})
	}
	approvers := e.approvers(r)
	if r.State == workflows.StateNeedsAttention || r.Attention != nil {
		approvers = appendPeople(approvers, dir.Approvers(rules.RoleAccountManager, r.CustomerID)...)
	}
	// Whoever decided sees the outcome on their card, even a backup
	// approver who was not sent the card (an approvals channel, a press
	// on a forwarded card).
	for _, email := range []string{r.Approver, lastActor(r)} {
		if by, ok := dir.Lookup(email); ok && !strings.EqualFold(by.Email, r.Requester) {
			approvers = appendPeople(approvers, by)
		}
	}
	for _, a := range approvers {
		out = append(out, recipient{a, viewApprover})
	}
	return out
}

// lastActor is who made the latest transition by hand (an account
// manager resolving a request that needed attention).
func lastActor(r workflows.Request) string {
	if n := len(r.History); n > 0 && r.History[n-1].By != "licensebot" && !strings.EqualFold(r.History[n-1].By, r.Requester) {
		return r.History[n-1].By
	}
	return ""
}

func appendPeople(list []workflows.Person, more ...workflows.Person) []workflows.Person {
	for _, p := range more {
		found := false
		for _, q := range list {
			found = found || strings.EqualFold(p.Email, q.Email)
		}
		if !found {
			list = append(list, p)
		}
	}
	return list
}

// approvers are the people who get the approval card: the routed role's
// primary approvers (a requester who is one of them sees the card too, as
// in a shared approvals channel, and is refused on pressing). Backups are
// brought in when the request was escalated or when nobody but the
// requester could decide.
func (e *Engine) approvers(r workflows.Request) []workflows.Person {
	if r.ApproverRole == "" {
		return nil
	}
	dir := e.opt.Service.Directory()
	all := dir.Approvers(r.ApproverRole, r.CustomerID)
	if len(all) == 0 && r.ApproverRole == rules.RoleLicenceAdmin {
		// No licence admin configured: the account managers decide.
		all = dir.Approvers(rules.RoleAccountManager, r.CustomerID)
	}
	var out []workflows.Person
	others := 0
	for _, p := range all {
		if p.Backup {
			continue
		}
		out = append(out, p)
		if !strings.EqualFold(p.Email, r.Requester) {
			others++
		}
	}
	if others == 0 || !r.EscalatedAt.IsZero() {
		for _, p := range all {
			if p.Backup && !strings.EqualFold(p.Email, r.Requester) {
				out = append(out, p)
			}
		}
	}
	return out
}

func (e *Engine) card(lang string, r workflows.Request, rc recipient) Message {
	if rc.view == viewApprover {
		return e.approvalCard(lang, r, rc.person)
	}
	return e.requestCard(lang, r)
}

// RequestChanged implements workflows.Notifier; the workflow's outbox
// calls it after the transitions are committed, never inside one. Each
// person who sees the request and was not already shown this state in
// their own turn gets their card, rendered from the request as it is now,
// created or updated in place through the Deliverer. An error (some
// delivery failed) leaves the transitions in the outbox to be retried;
// the cards already updated are then updated again to the same content.
func (e *Engine) RequestChanged(ctx context.Context, r workflows.Request, pending []workflows.Transition) error {
	if e.opt.Deliverer == nil {
		return nil
	}
	var errs []error
	for _, rc := range e.audience(r) {
		if !needsTelling(rc.person.Email, r, pending) {
			continue
		}
		lang := e.langOf(ctx, rc.person)
		m := e.card(lang, r, rc)
		m.To, m.Lang = rc.person.Email, lang
		if err := e.opt.Deliverer.Deliver(ctx, rc.person, m); err != nil {
			e.log.ErrorContext(ctx, "deliver message", "to", rc.person.Email, "request_id", r.ID, "customer_id", r.CustomerID, "err", err)
			errs = append(errs, fmt.Errorf("deliver to %s: %w", rc.person.Email, err))
		}
	}
	return errors.Join(errs...)
}

// needsTelling: a person is told when a pending transition is worth a
// message and was not made in their own turn (whose reply showed it).
// Passing through submitted or executing is not worth one, unless the
// request still sits there.
func needsTelling(email string, r workflows.Request, pending []workflows.Transition) bool {
	for _, t := range pending {
		if strings.EqualFold(t.ShownTo, email) {
			continue
		}
		if t.To == workflows.StateSubmitted || (t.To == workflows.StateExecuting && r.State != workflows.StateExecuting) {
			continue
		}
		return true
	}
	return false
}

// showOwn puts the turn's person's own view of r into the reply: the
// requester's card, or the approval card for whoever approves or
// decided. Everyone else hears through the outbox.
func (e *Engine) showOwn(tc *turnCtx, r workflows.Request) {
	for _, rc := range e.audience(r) {
		if strings.EqualFold(rc.person.Email, tc.turn.Person.Email) {
			m := e.card(tc.lang, r, rc)
			tc.say(m)
		}
	}
}

// langOf is the language to write to someone outside a turn: what they
// last spoke with us, else their configured locale, else their customer's.
func (e *Engine) langOf(ctx context.Context, p workflows.Person) string {
	if pr, err := e.loadProfile(ctx, p.Email); err == nil && pr.Lang != "" {
		return pr.Lang
	}
	return e.baseLang(Turn{Person: p})
}
