package bot

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/intent"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// The questions people ask about their licences, their requests and who
// decides, answered in a line or two from the portal and the requests:
// what the customer pays (its own subscriptions, not the list prices),
// when something renews or ends, where a request is, their role and
// limits. An account manager can also reject a request by typing it.

// isQuestion reports whether k is answered here.
func isQuestion(k intent.Kind) bool {
	switch k {
	case intent.KindTotalCost, intent.KindWhen, intent.KindReject, intent.KindRequestStatus, intent.KindMyRole:
		return true
	}
	return false
}

// answerQuestion answers the question kinds; handled is false for any
// other kind.
func (e *Engine) answerQuestion(ctx context.Context, tc *turnCtx, in intent.Intent) (handled bool, err error) {
	if !isQuestion(in.Kind) {
		return false, nil
	}
	switch in.Kind {
	case intent.KindReject:
		return true, e.rejectTyped(ctx, tc, in.RequestID)
	case intent.KindRequestStatus:
		return true, e.requestStatus(ctx, tc, in.RequestID)
	case intent.KindMyRole:
		return true, e.myRole(ctx, tc)
	}
	if tc.customer.ID == "" {
		tc.say(Message{Text: e.tr.T(tc.lang, "no_customer", nil)})
		return true, nil
	}
	subs, err := e.opt.Provider.Subscriptions(ctx, tc.customer.ID)
	if err != nil {
		return true, err
	}
	picked, named := e.subjectOf(tc, in, subs)
	if named && len(picked) == 0 {
		e.noSuchSubject(tc, in)
		return true, nil
	}
	if !named && in.Kind == intent.KindWhen && in.Question.Window {
		picked = e.openWindows(tc, picked)
		if len(picked) == 0 {
			tc.say(Message{Text: e.tr.T(tc.lang, "q.when.no_window", map[string]any{
				"Window": e.tr.N(tc.lang, "reminder.hours", int(e.opt.Service.Policy(tc.customer.ID).RemovalWindow.Hours()), nil)})})
			return true, nil
		}
	}
	if in.Kind == intent.KindTotalCost {
		e.totalCost(tc, picked)
		return true, nil
	}
	e.when(tc, in, picked)
	return true, nil
}

// subjectOf is the subscriptions a question is about: those of the
// product named, the trials when the trial is named, those whose name
// holds a word of the question ("my office subscription"), or all.
// named says the question narrowed them down.
func (e *Engine) subjectOf(tc *turnCtx, in intent.Intent, subs []csp.Subscription) (picked []csp.Subscription, named bool) {
	switch {
	case len(in.Offers) > 0 && len(in.Offers[0].Candidates) > 0:
		return subsMatching(subs, in.Offers[0].Candidates, ""), true
	case in.Question.Trial:
		return trials(subs), true
	}
	if words := e.parserOf(tc.customer.ID).Leftovers(tc.turn.Text); len(words) > 0 {
		for _, s := range subs {
			for _, w := range words {
				if nameHasWord(s.Name, w) {
					picked = append(picked, s)
					break
				}
			}
		}
		if len(picked) > 0 {
			return picked, true
		}
	}
	return subs, false
}

// nameHasWord: "office" is a word of "Office 365 E3"; "off" is not.
func nameHasWord(name, w string) bool {
	for _, f := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == ' ' || r == '(' || r == ')' || r == '-' }) {
		if f == w {
			return true
		}
	}
	return false
}

// openWindows are the subscriptions with seats removable now.
func (e *Engine) openWindows(_ *turnCtx, subs []csp.Subscription) []csp.Subscription {
	var out []csp.Subscription
	for _, s := range subs {
		if s.Status == csp.StatusActive && s.RemovableAt(e.opt.Clock.Now()) > 0 {
			out = append(out, s)
		}
	}
	return out
}

func trials(subs []csp.Subscription) []csp.Subscription {
	var out []csp.Subscription
	for _, s := range subs {
		if s.Trial && s.Status == csp.StatusActive {
			out = append(out, s)
		}
	}
	return out
}

func (e *Engine) noSuchSubject(tc *turnCtx, in intent.Intent) {
	if len(in.Offers) == 0 && in.Question.Trial {
		tc.say(Message{Text: e.tr.T(tc.lang, "q.no_trial", map[string]any{"Customer": tc.customer.Name})})
		return
	}
	product := tc.turn.Text
	if len(in.Offers) > 0 {
		product = e.offerNames(tc.customer.ID, in.Offers[0].Candidates)
	}
	tc.say(Message{Text: e.tr.T(tc.lang, "no_such_subscription", map[string]any{"Product": product})})
}

// totalCost is what the customer pays a month for its active paid
// subscriptions, each on a line, trials apart (they cost nothing yet).
func (e *Engine) totalCost(tc *turnCtx, subs []csp.Subscription) {
	var lines []string
	var total csp.Money
	paid := 0
	for _, s := range subs {
		if s.Status != csp.StatusActive {
			continue
		}
		monthly := s.Price().Monthly().Mul(s.Quantity)
		data := map[string]any{"Name": s.Name, "Seats": e.tr.N(tc.lang, "seats", s.Quantity, nil),
			"Monthly": e.tr.Money(tc.lang, monthly), "End": e.cards.EndDate(tc.lang, s)}
		if s.Trial {
			key := "q.cost.trial_converts"
			if !s.AutoRenew {
				key = "q.cost.trial_ends"
			}
			lines = append(lines, e.tr.T(tc.lang, key, data))
			continue
		}
		if s.Billing.Months() > 1 {
			data["Billed"] = e.tr.Money(tc.lang, s.UnitPrice.Mul(s.Quantity))
			data["Every"] = e.tr.T(tc.lang, "billing."+string(s.Billing), nil)
			lines = append(lines, e.tr.T(tc.lang, "q.cost.line_billed", data))
		} else {
			lines = append(lines, e.tr.T(tc.lang, "q.cost.line", data))
		}
		if paid == 0 {
			total = monthly
		} else {
			total = total.Add(monthly)
		}
		paid++
	}
	data := map[string]any{"Customer": tc.customer.Name}
	if paid == 0 {
		tc.say(Message{Text: e.tr.T(tc.lang, "q.cost.none", data) + "\n" + strings.Join(lines, "\n")})
		return
	}
	data["Monthly"] = e.tr.Money(tc.lang, total)
	data["Yearly"] = e.tr.Money(tc.lang, total.Mul(12))
	data["Count"] = paid
	head := e.tr.N(tc.lang, "q.cost.total", paid, data)
	tc.say(Message{Kind: KindList, Title: e.tr.T(tc.lang, "q.cost.title", data),
		Text: head + "\n" + strings.Join(lines, "\n") + "\n" + e.tr.T(tc.lang, "q.cost.note", nil)})
}

// when answers "when does … renew / end?" and "when can I remove seats?"
// with one line per subscription asked about.
func (e *Engine) when(tc *turnCtx, in intent.Intent, subs []csp.Subscription) {
	now := e.opt.Clock.Now()
	loc := e.locOf(tc.customer.ID)
	var lines []string
	for _, s := range subs {
		if s.Status != csp.StatusActive {
			if len(subs) == 1 {
				lines = append(lines, e.tr.T(tc.lang, "q.when.inactive", map[string]any{"Name": s.Name, "End": e.cards.EndDate(tc.lang, s)}))
			}
			continue
		}
		data := map[string]any{"Name": s.Name, "Date": e.cards.EndDate(tc.lang, s),
			"In": e.inDays(tc.lang, now, s.TermEnd.AddDate(0, 0, -1), loc)}
		if in.Question.Window {
			if until, ok := s.NextWindowCloses(now); ok {
				data["Until"] = e.tr.DateTime(tc.lang, until, loc)
				lines = append(lines, e.tr.N(tc.lang, "q.when.window_open", s.RemovableAt(now), data))
			} else if s.AutoRenew {
				data["Date"] = e.tr.Date(tc.lang, s.TermEnd, loc)
				lines = append(lines, e.tr.T(tc.lang, "q.when.window_next", data))
			} else {
				lines = append(lines, e.tr.T(tc.lang, "q.when.window_none", data))
			}
			continue
		}
		key := "q.when.renews"
		switch {
		case s.Trial && s.AutoRenew:
			key = "q.when.trial_converts"
		case s.Trial:
			key = "q.when.trial_ends"
		case !s.AutoRenew:
			key = "q.when.ends"
		}
		lines = append(lines, e.tr.T(tc.lang, key, data))
	}
	if len(lines) == 0 {
		tc.say(Message{Text: e.tr.T(tc.lang, "list.empty", nil)})
		return
	}
	tc.say(Message{Text: strings.Join(lines, "\n")})
}

// inDays: "today", "tomorrow", "in 7 days", "2 days ago".
func (e *Engine) inDays(lang string, now, day time.Time, loc *time.Location) string {
	n := csp.DaysBetween(now, day, loc)
	switch {
	case n == 0:
		return e.tr.T(lang, "q.today", nil)
	case n == 1:
		return e.tr.T(lang, "q.tomorrow", nil)
	case n < 0:
		return e.tr.N(lang, "q.days_ago", -n, nil)
	}
	return e.tr.N(lang, "q.in_days", n, nil)
}

// rejectTyped is "reject R-1" typed: like the Reject button, it asks
// the reason first. Without an id, the one request waiting for this
// person is meant; with several, they are shown to choose from.
func (e *Engine) rejectTyped(ctx context.Context, tc *turnCtx, id string) error {
	custs := e.customersOf(tc.turn.Person)
	var reqs []workflows.Request
	if tc.turn.Person.Role != rules.RoleMember {
		var err error
		if reqs, err = e.opt.Service.Pending(ctx, tc.turn.Person, custs); err != nil {
			return err
		}
	}
	if id != "" {
		// Request numbers are per customer: an account manager's "R-1"
		// is the R-1 waiting for them, if only one is.
		id = strings.ToUpper(id)
		var waiting []workflows.Request
		for _, r := range reqs {
			if r.ID == id {
				waiting = append(waiting, r)
			}
		}
		if len(waiting) == 1 {
			return e.askRejectReason(ctx, tc, reqRef{CustomerID: waiting[0].CustomerID, ID: id})
		}
		r, err := e.opt.Service.Find(ctx, id, custs)
		if err != nil {
			return e.requestError(tc, err)
		}
		return e.askRejectReason(ctx, tc, reqRef{CustomerID: r.CustomerID, ID: r.ID})
	}
	if tc.turn.Person.Role == rules.RoleMember {
		tc.say(Message{Kind: KindRefusal, Text: e.tr.T(tc.lang, "not_approver", nil)})
		return nil
	}
	switch len(reqs) {
	case 0:
		tc.say(Message{Text: e.tr.T(tc.lang, "approvals.none", nil)})
		return nil
	case 1:
		return e.askRejectReason(ctx, tc, reqRef{CustomerID: reqs[0].CustomerID, ID: reqs[0].ID})
	}
	tc.say(Message{Kind: KindQuestion, Text: e.tr.T(tc.lang, "q.reject_which", map[string]any{"ID": reqs[0].ID})})
	for _, r := range reqs {
		tc.say(e.cards.Approval(tc.lang, r, tc.turn.Person))
	}
	return nil
}

// requestStatus shows one request as the person sees it (requester or
// approver); someone who may not see it is told it is not found.
func (e *Engine) requestStatus(ctx context.Context, tc *turnCtx, id string) error {
	r, err := e.opt.Service.Find(ctx, strings.ToUpper(id), e.customersOf(tc.turn.Person))
	if err != nil {
		return e.requestError(tc, err)
	}
	before := len(tc.out)
	if err := e.showOwn(ctx, tc, r); err != nil {
		return err
	}
	if len(tc.out) == before {
		return e.requestError(tc, workflows.ErrNotFound)
	}
	return nil
}

// myRole says what the person may do here and who decides the rest.
func (e *Engine) myRole(ctx context.Context, tc *turnCtx) error {
	p := tc.turn.Person
	if p.Role == rules.RoleAccountManager {
		var names []string
		for _, c := range e.customersOf(p) {
			names = append(names, e.customers[c].Name)
		}
		sort.Strings(names)
		key := "q.role.am"
		if p.Backup {
			key = "q.role.am_backup"
		}
		tc.say(Message{Text: e.tr.T(tc.lang, key, map[string]any{"Customers": strings.Join(names, ", ")})})
		return nil
	}
	if tc.customer.ID == "" {
		tc.say(Message{Text: e.tr.T(tc.lang, "no_customer", nil)})
		return nil
	}
	admins, _, err := e.approverNames(ctx, tc, rules.RoleLicenceAdmin)
	if err != nil && !errors.Is(err, workflows.ErrNotFound) {
		return err
	}
	ams, _, err := e.approverNames(ctx, tc, rules.RoleAccountManager)
	if err != nil && !errors.Is(err, workflows.ErrNotFound) {
		return err
	}
	data := map[string]any{
		"Customer": tc.customer.Name,
		"Limit":    e.tr.Money(tc.lang, e.opt.Service.Policy(tc.customer.ID).MemberAddSeatsLimit),
		"Admins":   listOrNone(e, tc, admins),
		"AMs":      listOrNone(e, tc, ams),
	}
	key := "q.role.member"
	if p.Role == rules.RoleLicenceAdmin {
		key = "q.role.admin"
	}
	tc.say(Message{Text: e.tr.T(tc.lang, key, data)})
	return nil
}

// trialTarget: a change that names the trial but no product ("turn off
// auto-renew on the trial") is about the customer's trial, not a choice
// among every subscription.
func trialTarget(in intent.Intent, subs []csp.Subscription, dr *draft) {
	if !in.Question.Trial || len(in.Offers) > 0 || dr.Change.SubscriptionID != "" {
		return
	}
	switch t := trials(subs); len(t) {
	case 0:
	case 1:
		dr.Change.SubscriptionID = t[0].ID
	default:
		dr.SubChoices = ids(t)
	}
}
