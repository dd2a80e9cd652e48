package bot

import (
	"context"
	"strings"

	"github.com/licensebot/licensebot/bot/cards"
	"github.com/licensebot/licensebot/workflows"
)

// Home builds a person's overview for a platform's home tab (Slack's App
// Home): their customer's subscriptions with renewal dates and removal
// windows, their pending requests, and for approvers what waits for them.
// Failures become a message rather than an empty tab.
func (e *Engine) Home(ctx context.Context, p workflows.Person, lang string) []Message {
	if Lang(lang) == "" {
		lang = e.langOf(ctx, p)
	}
	tc := &turnCtx{turn: Turn{Person: p, Platform: "home"}, lang: lang, customer: e.customerOf(p), d: &dialog{}}
	view := cards.HomeView{Viewer: p, Customer: tc.customer}
	if tc.customer.ID != "" {
		subs, err := e.opt.Provider.Subscriptions(ctx, tc.customer.ID)
		if err != nil {
			e.log.WarnContext(ctx, "home: subscriptions", "person", p.Email, "err", err)
			return []Message{{To: p.Email, Lang: lang, Kind: KindError, Text: e.tr.T(lang, "error.portal", nil)}}
		}
		view.Subscriptions = subs
	}
	for _, c := range e.customersOf(p) {
		reqs, err := e.opt.Service.List(ctx, c)
		if err != nil {
			e.log.WarnContext(ctx, "home: requests", "person", p.Email, "err", err)
			break
		}
		for _, r := range reqs {
			if strings.EqualFold(r.Requester, p.Email) && r.State == workflows.StatePendingApproval {
				view.Waiting = append(view.Waiting, r)
			}
		}
	}
	if reqs, err := e.opt.Service.Pending(ctx, p, e.customersOf(p)); err == nil {
		view.Approvals = reqs
	}
	for _, m := range e.cards.Home(lang, view) {
		tc.say(m)
	}
	return tc.out
}
