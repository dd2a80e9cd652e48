package workflows

import (
	"context"
	"errors"
	"strings"

	"github.com/licensebot/licensebot/rules"
)

// View is which card of a request someone sees.
type View int

// Views.
const (
	// ViewRequester is the requester's card.
	ViewRequester View = iota
	// ViewApprover is the approval card (or, while the request needs
	// attention, the card an account manager resolves it from).
	ViewApprover
)

// Recipient is one person who sees a request, and how.
type Recipient struct {
	Person Person
	View   View
}

// Approvers returns who gets the approval card of r: the routed role's
// primary approvers (a requester who is one of them sees the card too, as
// in a shared approvals channel, and is refused on pressing; nobody
// approves their own request). Backups are brought in once the request
// was escalated, or when nobody but the requester could decide. With no
// licence admin configured, the account managers decide.
func (s *Service) Approvers(ctx context.Context, r Request) ([]Person, error) {
	if r.ApproverRole == "" {
		return nil, nil
	}
	dir := s.opt.Directory
	all, err := dir.ApproversFor(ctx, r.ApproverRole, r.CustomerID)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 && r.ApproverRole == rules.RoleLicenceAdmin {
		if all, err = dir.ApproversFor(ctx, rules.RoleAccountManager, r.CustomerID); err != nil {
			return nil, err
		}
	}
	var out []Person
	others := 0
	for _, p := range all {
		if p.Backup {
			continue
		}
		out = append(out, p)
		if !equalFold(p.Email, r.Requester) {
			others++
		}
	}
	if others == 0 || !r.EscalatedAt.IsZero() {
		for _, p := range all {
			if p.Backup && !equalFold(p.Email, r.Requester) {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// Audience is everyone who sees r's card: the requester, its approvers,
// whoever decided or resolved it, and the account managers while it needs
// attention. People the directory no longer knows are left out.
func (s *Service) Audience(ctx context.Context, r Request) ([]Recipient, error) {
	dir := s.opt.Directory
	var out []Recipient
	requester, err := dir.ByEmail(ctx, r.Requester)
	switch {
	case err == nil:
		out = append(out, Recipient{requester, ViewRequester})
	case !errors.Is(err, ErrUnknownPerson):
		return nil, err
	}
	approvers, err := s.Approvers(ctx, r)
	if err != nil {
		return nil, err
	}
	if r.State == StateNeedsAttention || r.Attention != nil {
		ams, err := dir.ApproversFor(ctx, rules.RoleAccountManager, r.CustomerID)
		if err != nil {
			return nil, err
		}
		approvers = appendPeople(approvers, ams...)
	}
	// Whoever decided sees the outcome on their card, even a backup who
	// was not sent it (an approvals channel, a forwarded card).
	for _, email := range []string{r.Approver, lastActor(r)} {
		if email == "" || equalFold(email, r.Requester) {
			continue
		}
		by, err := dir.ByEmail(ctx, email)
		switch {
		case err == nil:
			approvers = appendPeople(approvers, by)
		case !errors.Is(err, ErrUnknownPerson):
			return nil, err
		}
	}
	for _, a := range approvers {
		out = append(out, Recipient{a, ViewApprover})
	}
	return out, nil
}

// lastActor is who made the latest transition by hand (an account
// manager resolving a request that needed attention).
func lastActor(r Request) string {
	if n := len(r.History); n > 0 && r.History[n-1].By != actorBot && !equalFold(r.History[n-1].By, r.Requester) {
		return r.History[n-1].By
	}
	return ""
}

func appendPeople(list []Person, more ...Person) []Person {
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

// actorBot is the actor of the transitions the bot makes itself.
const actorBot = "licensebot"

// NameOf is the display name the request recorded for email, or the
// e-mail's local part: a card is rendered from the request alone.
func (r Request) NameOf(email string) string {
	if email == "" {
		return ""
	}
	if n, ok := r.Names[strings.ToLower(email)]; ok && n != "" {
		return n
	}
	return Person{Email: email}.DisplayName()
}

// remember records p's display name on the request.
func (r *Request) remember(p Person) {
	if r.Names == nil {
		r.Names = map[string]string{}
	}
	r.Names[strings.ToLower(p.Email)] = p.DisplayName()
}
