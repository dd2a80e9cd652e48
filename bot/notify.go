package bot

import (
	"context"
	"strings"

	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// RequestChanged implements workflows.Notifier: the requester's card is
// updated, approvers get (or see updated) approval cards. Messages for the
// person whose turn caused the change go into that turn's reply; the rest
// go out through the Deliverer.
func (e *Engine) RequestChanged(ctx context.Context, r workflows.Request, t workflows.Transition) {
	if t.To == workflows.StateExecuting || t.To == workflows.StateSubmitted {
		// Intermediate states: shown only if the turn ends there.
		if tc, ok := ctx.Value(sinkKey{}).(*turnCtx); ok && strings.EqualFold(tc.turn.Person.Email, r.Requester) {
			tc.say(e.requestCard(tc.lang, r))
		}
		return
	}
	if requester, ok := e.opt.Service.Directory().Lookup(r.Requester); ok {
		e.send(ctx, requester, func(lang string) Message { return e.requestCard(lang, r) })
	}
	approvers := e.approvers(r)
	// Whoever decided sees the outcome on their card, even a backup
	// approver who was not sent the card (an approvals channel, a press
	// on a forwarded card).
	if by, ok := e.opt.Service.Directory().Lookup(r.Approver); ok && !strings.EqualFold(by.Email, r.Requester) {
		found := false
		for _, a := range approvers {
			found = found || strings.EqualFold(a.Email, by.Email)
		}
		if !found {
			approvers = append(approvers, by)
		}
	}
	for _, a := range approvers {
		a := a
		e.send(ctx, a, func(lang string) Message { return e.approvalCard(lang, r, a) })
	}
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

// send puts a message for p into the current turn's reply if p is the
// one talking, or hands it to the Deliverer otherwise.
func (e *Engine) send(ctx context.Context, p workflows.Person, build func(lang string) Message) {
	if tc, ok := ctx.Value(sinkKey{}).(*turnCtx); ok && strings.EqualFold(tc.turn.Person.Email, p.Email) {
		tc.say(build(tc.lang))
		return
	}
	lang := e.langOf(ctx, p)
	m := build(lang)
	m.To, m.Lang = p.Email, lang
	if e.opt.Deliverer == nil {
		return
	}
	if err := e.opt.Deliverer.Deliver(ctx, p, m); err != nil {
		e.log.ErrorContext(ctx, "deliver message", "to", p.Email, "request_id", m.RequestID, "err", err)
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
