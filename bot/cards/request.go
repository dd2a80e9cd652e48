package cards

import (
	"strconv"
	"strings"

	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// Request is the requester's view of a request: a coloured status line
// naming who decided and when, what was asked, and what it changes.
//
// viewer is the requester: an account manager's own request is decided
// by another account manager (nobody approves their own), so it is not
// "waiting for your account manager".
func (rd *Renderer) Request(lang string, r workflows.Request, viewer workflows.Person) chat.Message {
	loc := rd.Loc(r.CustomerID)
	waitingFor := rd.approverName(lang, r.ApproverRole)
	if viewer.Role == rules.RoleAccountManager && r.ApproverRole == rules.RoleAccountManager {
		waitingFor = rd.tr.T(lang, "q.role.another_am", nil)
	}
	data := map[string]any{
		"ID":      r.ID,
		"Summary": rd.Summary(lang, r),
		"Role":    waitingFor,
	}
	m := chat.Message{Kind: chat.KindRequest, Title: rd.tr.T(lang, "card.title", data),
		Status: rd.status(lang, r, waitingFor),
		Text:   rd.tr.T(lang, "request.what", data),
		Key:    "request:" + r.ID, RequestID: r.ID, CustomerID: r.CustomerID}
	if after := "request.after." + string(r.State); rd.tr.Has(lang, after) {
		m.Text += " " + rd.tr.T(lang, after, data)
	}
	switch r.State {
	case workflows.StatePendingApproval:
		m.Deadline = rd.deadline(lang, r.Deadline, loc)
		m.Actions = []chat.Action{{ID: chat.ActWithdraw, Label: rd.tr.T(lang, "btn.withdraw", nil), Value: chat.RequestValue(r.CustomerID, r.ID)}}
	case workflows.StateCompleted, workflows.StateExecuting:
		m.Fields = rd.quantityFields(lang, r)
	}
	if r.Change.Kind == csp.ChangePurchase && m.Fields == nil {
		// What is bought, its term and price, whatever the state.
		m.Fields = rd.quantityFields(lang, r)
	}
	if r.State == workflows.StateCompleted {
		// A mid-term change deleted the scheduled renewal: offer to set it
		// again, as the rules promised in the preview's warning.
		for _, a := range r.Decision.Alternatives {
			if a.Code == rules.CodeReapplyRenewal && a.Change != nil && a.Change.Quantity > 0 {
				sub := csp.Subscription{ID: r.Change.SubscriptionID, CustomerID: r.CustomerID}
				m.Actions = append(m.Actions, chat.Action{ID: chat.ActStart, Style: chat.StylePrimary,
					Label: rd.tr.T(lang, "alt.reapply_renewal", map[string]any{"Quantity": a.Change.Quantity}),
					Value: chat.StartValue(csp.ChangeSetRenewalQuantity, sub, a.Change.Quantity)})
			}
		}
	}
	return m
}

// Approval is the approver's card. At the top: the status line (waiting
// for your decision, or who decided, when, and a rejection's reason),
// the money and the deadline in one line; then who asks and why, and
// the facts. Once decided the title and the sentence say so, in the past
// tense, and the buttons are gone. A request that needs attention shows
// whoever may resolve it the three ways to do so.
func (rd *Renderer) Approval(lang string, r workflows.Request, viewer workflows.Person) chat.Message {
	if r.State == workflows.StateNeedsAttention && workflows.CanResolve(viewer, r) == nil {
		return rd.attention(lang, r)
	}
	loc := rd.Loc(r.CustomerID)
	cust := rd.customers[r.CustomerID]
	requester := r.NameOf(r.Requester)
	data := map[string]any{"ID": r.ID, "Requester": requester, "Customer": cust.Name, "Summary": rd.Summary(lang, r)}
	pending := r.State == workflows.StatePendingApproval
	ask := "approval.ask"
	if !pending {
		ask = "approval.asked"
	}
	lines := []string{rd.tr.T(lang, ask, data)}
	lines = append(lines, rd.warningLines(lang, r.Decision, loc, irreversibleWhy(r.Decision.Reason))...)
	f := []chat.Field{{Label: rd.tr.T(lang, "field.requester", nil), Value: requester + " <" + r.Requester + ">"}}
	if j := strings.TrimSpace(r.Justification); j != "" {
		f = append(f, chat.Field{Label: rd.tr.T(lang, "field.justification", nil), Value: "“" + j + "”"})
	}
	f = append(f, chat.Field{Label: rd.tr.T(lang, "field.customer", nil), Value: cust.Name})
	if r.Change.Kind != csp.ChangePurchase {
		// A purchase's fields name the product (purchaseFields).
		f = append(f, chat.Field{Label: rd.tr.T(lang, "field.subscription", nil), Value: r.SubscriptionName})
	}
	f = append(f, rd.quantityFields(lang, r)...)
	f = append(f, rd.costFields(lang, r)...)
	f = append(f, chat.Field{Label: rd.tr.T(lang, "field.why_approval", nil), Value: rd.reason(lang, string(r.Decision.Reason), nil)})
	m := chat.Message{Kind: chat.KindApproval, Title: rd.tr.T(lang, "approval.title", data),
		Status:  rd.status(lang, r, rd.tr.T(lang, "status_line.you", nil)),
		Summary: rd.moneySummary(lang, r.Decision.Cost),
		Text:    strings.Join(lines, "\n"), Fields: f,
		Key: "approval:" + r.ID, RequestID: r.ID, CustomerID: r.CustomerID}
	if pending {
		m.Deadline = rd.deadline(lang, r.Deadline, loc)
		confirm := ""
		if r.Decision.Irreversible {
			confirm = rd.tr.T(lang, "confirm.approve_irreversible", data)
		}
		v := chat.RequestValue(r.CustomerID, r.ID)
		m.Actions = []chat.Action{
			{ID: chat.ActApprove, Label: rd.tr.T(lang, "btn.approve", nil), Style: chat.StylePrimary, Value: v, Confirm: confirm},
			{ID: chat.ActReject, Label: rd.tr.T(lang, "btn.reject", nil), Style: chat.StyleDanger, Value: v, Reason: true},
		}
		return m
	}
	if id := "approval.title_decided." + string(r.State); rd.tr.Has(lang, id) {
		m.Title = rd.tr.T(lang, id, data)
	}
	return m
}

// attention is what an account manager sees of a request whose change
// was sent but could be neither seen nor disproven: what is known, and
// the three ways to resolve it.
func (rd *Renderer) attention(lang string, r workflows.Request) chat.Message {
	loc := rd.Loc(r.CustomerID)
	cust := rd.customers[r.CustomerID]
	data := map[string]any{"ID": r.ID, "Requester": r.NameOf(r.Requester), "Customer": cust.Name,
		"Summary": rd.Summary(lang, r), "Settle": strconv.Itoa(int(rd.opt.SettleTime.Minutes())) + " min"}
	att, _ := r.LastAttempt()
	data["SentAt"] = rd.tr.DateTime(lang, att.SentAt, loc)
	lines := []string{rd.tr.T(lang, "attention.ask", data)}
	if a := r.Attention; a != nil && !a.CheckedAt.IsZero() {
		lines = append(lines, rd.tr.T(lang, "attention.checked", map[string]any{
			"At": rd.tr.DateTime(lang, a.CheckedAt, loc), "Outcome": rd.tr.T(lang, "outcome."+string(a.Outcome), nil)}))
	}
	f := []chat.Field{{Label: rd.tr.T(lang, "field.customer", nil), Value: cust.Name}}
	if r.Change.Kind != csp.ChangePurchase {
		f = append(f, chat.Field{Label: rd.tr.T(lang, "field.subscription", nil), Value: r.SubscriptionName})
	}
	f = append(f, rd.quantityFields(lang, r)...)
	f = append(f, chat.Field{Label: rd.tr.T(lang, "field.sent_at", nil), Value: rd.tr.DateTime(lang, att.SentAt, loc)})
	f = append(f, chat.Field{Label: rd.tr.T(lang, "field.portal_answer", nil), Value: rd.portalAnswer(lang, att)})
	if att.Receipt != nil && att.Receipt.OrderID != "" {
		f = append(f, chat.Field{Label: rd.tr.T(lang, "field.order_id", nil), Value: att.Receipt.OrderID})
	}
	if att.Receipt != nil && att.Receipt.CorrelationID != "" {
		f = append(f, chat.Field{Label: rd.tr.T(lang, "field.correlation_id", nil), Value: att.Receipt.CorrelationID})
	}
	f = append(f, chat.Field{Label: rd.tr.T(lang, "field.operation_key", nil), Value: att.Key})
	v := chat.RequestValue(r.CustomerID, r.ID)
	return chat.Message{Kind: chat.KindApproval, Title: rd.tr.T(lang, "attention.title", data), Text: strings.Join(lines, "\n"),
		Status: rd.status(lang, r, ""),
		Fields: f, Key: "approval:" + r.ID, RequestID: r.ID, CustomerID: r.CustomerID,
		Actions: []chat.Action{
			{ID: chat.ActCheckAgain, Label: rd.tr.T(lang, "btn.check_again", nil), Style: chat.StylePrimary, Value: v},
			{ID: chat.ActMarkDone, Label: rd.tr.T(lang, "btn.mark_done", nil), Value: v},
			{ID: chat.ActSendAgain, Label: rd.tr.T(lang, "btn.send_again", nil), Style: chat.StyleDanger, Value: v,
				Confirm: rd.tr.T(lang, "confirm.send_again", data), Secondary: true},
		}}
}

func (rd *Renderer) portalAnswer(lang string, att workflows.Attempt) string {
	if att.Receipt == nil || att.Receipt.Status == 0 {
		return rd.tr.T(lang, "portal.no_answer", nil)
	}
	s := strconv.Itoa(att.Receipt.Status)
	if att.Error != "" {
		s += " — " + rd.tr.T(lang, "reason.provider_error", nil)
	}
	return s
}

// OpenRequest says that a change is already asked for in another open
// request; its requester may withdraw it from here.
func (rd *Renderer) OpenRequest(lang string, r workflows.Request, viewer workflows.Person) chat.Message {
	m := chat.Message{Kind: chat.KindRefusal, RequestID: r.ID, Text: rd.tr.T(lang, "open_request", map[string]any{
		"ID": r.ID, "Summary": rd.Summary(lang, r),
		"State": rd.tr.T(lang, "state."+string(r.State), nil)})}
	if strings.EqualFold(r.Requester, viewer.Email) && r.State == workflows.StatePendingApproval {
		m.Actions = []chat.Action{{ID: chat.ActWithdraw, Label: rd.tr.T(lang, "btn.withdraw_id", map[string]any{"ID": r.ID}),
			Value: chat.RequestValue(r.CustomerID, r.ID)}}
	}
	return m
}

// MyRequests lists a person's requests (the first ten), with a button to
// withdraw each of the first five still pending.
func (rd *Renderer) MyRequests(lang string, mine []workflows.Request) chat.Message {
	var b strings.Builder
	for i, r := range mine {
		if i == 10 {
			b.WriteString(rd.tr.N(lang, "requests.more", len(mine)-10, nil))
			break
		}
		b.WriteString("• *" + r.ID + "* — " + rd.Summary(lang, r) + " — " + rd.tr.T(lang, "state."+string(r.State), nil) + "\n")
	}
	m := chat.Message{Kind: chat.KindList, Title: rd.tr.T(lang, "requests.title", nil), Text: strings.TrimRight(b.String(), "\n")}
	for _, r := range mine {
		if r.State == workflows.StatePendingApproval && len(m.Actions) < 5 {
			m.Actions = append(m.Actions, chat.Action{ID: chat.ActWithdraw, Label: rd.tr.T(lang, "btn.withdraw_id", map[string]any{"ID": r.ID}),
				Value: chat.RequestValue(r.CustomerID, r.ID)})
		}
	}
	return m
}

// WithdrawChoice asks which of several pending requests to withdraw.
func (rd *Renderer) WithdrawChoice(lang string, pending []workflows.Request) chat.Message {
	lines := []string{rd.tr.T(lang, "withdraw.which", nil)}
	m := chat.Message{Kind: chat.KindQuestion}
	for _, r := range pending {
		lines = append(lines, "• *"+r.ID+"* — "+rd.Summary(lang, r))
		m.Actions = append(m.Actions, chat.Action{ID: chat.ActWithdraw, Label: rd.tr.T(lang, "btn.withdraw_id", map[string]any{"ID": r.ID}),
			Value: chat.RequestValue(r.CustomerID, r.ID)})
	}
	m.Text = strings.Join(lines, "\n")
	return m
}
