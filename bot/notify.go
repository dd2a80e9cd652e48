package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/licensebot/licensebot/workflows"
)

// card chooses the view of r a recipient gets: the approver's card or the
// requester's.
func (e *Engine) card(lang string, r workflows.Request, rc workflows.Recipient) Message {
	if rc.View == workflows.ViewApprover {
		return e.cards.Approval(lang, r, rc.Person)
	}
	return e.cards.Request(lang, r, rc.Person)
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
	audience, err := e.opt.Service.Audience(ctx, r)
	if err != nil {
		return fmt.Errorf("audience of %s: %w", r.ID, err)
	}
	var errs []error
	for _, rc := range audience {
		if !needsTelling(rc.Person.Email, r, pending) {
			continue
		}
		lang := e.langOf(ctx, rc.Person)
		m := e.card(lang, r, rc)
		m.To, m.Lang = rc.Person.Email, lang
		if err := e.opt.Deliverer.Deliver(ctx, rc.Person, m); err != nil {
			e.log.ErrorContext(ctx, "deliver message", "to", rc.Person.Email, "request_id", r.ID, "customer_id", r.CustomerID, "err", err)
			errs = append(errs, fmt.Errorf("deliver to %s: %w", rc.Person.Email, err))
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
func (e *Engine) showOwn(ctx context.Context, tc *turnCtx, r workflows.Request) error {
	audience, err := e.opt.Service.Audience(ctx, r)
	if err != nil {
		return err
	}
	for _, rc := range audience {
		if strings.EqualFold(rc.Person.Email, tc.turn.Person.Email) {
			tc.say(e.card(tc.lang, r, rc))
		}
	}
	return nil
}

// langOf is the language to write to someone outside a turn: what they
// last spoke with us, else their configured locale, else their customer's.
func (e *Engine) langOf(ctx context.Context, p workflows.Person) string {
	if pr, err := e.loadProfile(ctx, p.Email); err == nil && pr.Lang != "" {
		return pr.Lang
	}
	return e.baseLang(Turn{Person: p})
}
