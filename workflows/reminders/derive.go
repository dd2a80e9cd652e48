package reminders

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// want is a reminder Sync wants scheduled.
type want struct {
	id  string
	due time.Time
	p   payload
}

// deriveSubscription returns the reminders a subscription calls for, one
// per recipient: renewal (or trial) reminders of the current term, and
// the window reminders of the current term (while its window is open) and
// of the next one (due when it starts, if it renews).
func deriveSubscription(s csp.Subscription, pol Policy, to []workflows.Person) []want {
	if s.Status != csp.StatusActive {
		return nil
	}
	var out []want
	day := func(t time.Time) string { return t.In(pol.loc()).Format(time.DateOnly) }
	end := pol.CommitmentEnd(s)
	dated := func(kind Kind, tag string, leads []int) {
		leads = slices.Clone(leads)
		slices.Sort(leads)
		slices.Reverse(leads) // longest lead first
		type step struct {
			lead int
			due  time.Time
		}
		var steps []step
		for _, l := range leads {
			due := pol.dayAt(end, l)
			if l < 0 || due.Before(s.TermStart) || !due.Before(s.TermEnd) {
				continue // before the term began, or after it ends
			}
			steps = append(steps, step{l, due})
		}
		for i, st := range steps {
			var next time.Time
			if i+1 < len(steps) {
				next = steps[i+1].due
			}
			for _, p := range to {
				out = append(out, want{
					id:  fmt.Sprintf("%s-%dd:%s:%s:%s", tag, st.lead, s.ID, day(end), p.Email),
					due: st.due.UTC(),
					p: payload{Kind: kind, Sub: s.ID, To: p.Email, Aud: AudienceAdmin, Lead: st.lead,
						Term: s.TermEnd.UTC(), Until: s.TermEnd.UTC(), Next: next.UTC()},
				})
			}
		}
	}
	if s.Trial {
		if s.AutoRenew && pol.enabled(KindTrial) {
			dated(KindTrial, "trial", pol.TrialLeadDays)
		}
		return out
	}
	if s.Term.Months() < 12 && !pol.MonthlyTerms {
		return out
	}
	if s.AutoRenew && pol.enabled(KindRenewal) {
		dated(KindRenewal, "renewal", pol.RenewalLeadDays)
	}
	window := func(start, closes time.Time) {
		openDue, closingDue := start, closes.Add(-pol.WindowClosingLead)
		closing := pol.enabled(KindWindowClosing) && pol.WindowClosingLead > 0 && closingDue.After(start)
		for _, p := range to {
			if pol.enabled(KindWindowOpen) {
				pl := payload{Kind: KindWindowOpen, Sub: s.ID, To: p.Email, Aud: AudienceAdmin, Term: start.UTC(), Until: closes.UTC()}
				if closing {
					pl.Next = closingDue.UTC()
				}
				out = append(out, want{id: fmt.Sprintf("window-open:%s:%s:%s", s.ID, day(start), p.Email), due: openDue.UTC(), p: pl})
			}
			if closing {
				out = append(out, want{
					id: fmt.Sprintf("window-closing:%s:%s:%s", s.ID, day(start), p.Email), due: closingDue.UTC(),
					p: payload{Kind: KindWindowClosing, Sub: s.ID, To: p.Email, Aud: AudienceAdmin, Term: start.UTC(), Until: closes.UTC()},
				})
			}
		}
	}
	if l, ok := termLot(s); ok {
		window(s.TermStart, pol.lotCloses(l))
	}
	if s.AutoRenew && pol.RemovalWindow > 0 {
		// The next term's window, known in advance so that it is
		// announced when the term starts, not at the next Sync.
		window(s.TermEnd, s.TermEnd.Add(pol.RemovalWindow))
	}
	return out
}

// approvalRecipients are who hears about a pending request: the primary
// approvers of its role (without the requester; the backups when there
// is nobody else, or when escalated), as the bot's approval cards go.
// Licence admins have no backups of their own: an escalated request they
// route is brought to the account managers (who may decide anything for
// the customers they serve), primary and backup.
func approvalRecipients(ro roster, r workflows.Request, escalated bool) []workflows.Person {
	all := ro.approvers(r.ApproverRole)
	if r.ApproverRole == rules.RoleLicenceAdmin && (len(all) == 0 || escalated) {
		all = append(all, ro.accountManagers...)
	}
	var primary, backup []workflows.Person
	for _, p := range all {
		if strings.EqualFold(p.Email, r.Requester) {
			continue
		}
		if p.Backup {
			backup = append(backup, p)
		} else {
			primary = append(primary, p)
		}
	}
	if len(primary) == 0 || escalated {
		return append(primary, backup...)
	}
	return primary
}

// pendingSince is when a request started waiting for a decision.
func pendingSince(r workflows.Request) time.Time {
	for i := len(r.History) - 1; i >= 0; i-- {
		if r.History[i].To == workflows.StatePendingApproval {
			return r.History[i].At
		}
	}
	return r.CreatedAt
}

// deriveRequest returns the reminders a pending request calls for: a
// nudge to its approvers after ApprovalWaiting, and, when it has a
// deadline, the escalation ApprovalLead before it (to every approver,
// backups included, and to the requester).
func deriveRequest(ro roster, r workflows.Request, pol Policy) []want {
	if r.State != workflows.StatePendingApproval || r.ApproverRole == "" {
		return nil
	}
	since := pendingSince(r)
	var escDue time.Time
	if !r.Deadline.IsZero() && pol.enabled(KindApprovalEscalated) && pol.ApprovalLead > 0 {
		escDue = r.Deadline.Add(-pol.ApprovalLead)
		if escDue.Before(since) {
			escDue = since
		}
	}
	var out []want
	if pol.enabled(KindApprovalWaiting) && pol.ApprovalWaiting > 0 {
		due := since.Add(pol.ApprovalWaiting)
		until := r.Deadline
		if until.IsZero() {
			until = due.Add(30 * 24 * time.Hour)
		}
		if due.Before(until) {
			// The nudge goes to the primary approvers; the backups hear
			// about the request when it escalates.
			for _, p := range approvalRecipients(ro, r, false) {
				out = append(out, want{
					id: "approval-waiting:" + r.ID + ":" + p.Email, due: due.UTC(),
					p: payload{Kind: KindApprovalWaiting, Req: r.ID, Sub: r.Change.SubscriptionID, To: p.Email,
						Aud: AudienceApprover, Until: until.UTC(), Next: escDue.UTC()},
				})
			}
		}
	}
	if !escDue.IsZero() {
		pl := payload{Kind: KindApprovalEscalated, Req: r.ID, Sub: r.Change.SubscriptionID, Until: r.Deadline.UTC()}
		for _, p := range approvalRecipients(ro, r, true) {
			pl.To, pl.Aud = p.Email, AudienceApprover
			out = append(out, want{id: "approval-escalated:" + r.ID + ":" + p.Email, due: escDue.UTC(), p: pl})
		}
		if r.Requester != "" {
			pl.To, pl.Aud = strings.ToLower(r.Requester), AudienceRequester
			out = append(out, want{id: "approval-escalated:" + r.ID + ":" + pl.To, due: escDue.UTC(), p: pl})
		}
	}
	return out
}

// subscriptionRecipients are the customer's licence admins or, without
// any, the account managers who look after it.
func subscriptionRecipients(ro roster) []workflows.Person {
	if len(ro.licenceAdmins) > 0 {
		return ro.licenceAdmins
	}
	var out []workflows.Person
	for _, p := range ro.accountManagers {
		if !p.Backup {
			out = append(out, p)
		}
	}
	return out
}

// roster is who a customer's reminders go to, read from the directory
// once per pass so that deriving stays a pure function.
type roster struct {
	licenceAdmins []workflows.Person
	// accountManagers serve the customer: primary ones first, backups
	// after.
	accountManagers []workflows.Person
}

func readRoster(ctx context.Context, dir workflows.People, customerID string) (roster, error) {
	admins, err := dir.ApproversFor(ctx, rules.RoleLicenceAdmin, customerID)
	if err != nil {
		return roster{}, fmt.Errorf("reminders: read licence admins of %s: %w", customerID, err)
	}
	ams, err := dir.ApproversFor(ctx, rules.RoleAccountManager, customerID)
	if err != nil {
		return roster{}, fmt.Errorf("reminders: read account managers of %s: %w", customerID, err)
	}
	return roster{licenceAdmins: admins, accountManagers: ams}, nil
}

// approvers returns who approves for role.
func (ro roster) approvers(role rules.Role) []workflows.Person {
	switch role {
	case rules.RoleLicenceAdmin:
		return ro.licenceAdmins
	case rules.RoleAccountManager:
		return ro.accountManagers
	}
	return nil
}
