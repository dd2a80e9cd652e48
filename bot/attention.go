package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/licensebot/licensebot/workflows"
)

// Action ids of a request that needs attention; the value is
// "customer:request id".
const (
	ActCheckAgain = "check_again"
	ActMarkDone   = "mark_done"
	ActSendAgain  = "send_again"
)

// attentionCard is what an account manager sees of a request whose change
// was sent but could be neither seen nor disproven: what is known, and
// the three ways to resolve it.
func (e *Engine) attentionCard(lang string, r workflows.Request) Message {
	loc := e.locOf(r.CustomerID)
	cust := e.customers[r.CustomerID]
	settle := e.opt.Provider.Capabilities().SettleTime
	data := map[string]any{"ID": r.ID, "Requester": r.NameOf(r.Requester), "Customer": cust.Name,
		"Summary": e.changeSummary(lang, r.Change, r), "Settle": strconv.Itoa(int(settle.Minutes())) + " min"}
	att, _ := r.LastAttempt()
	data["SentAt"] = e.tr.DateTime(lang, att.SentAt, loc)
	lines := []string{e.tr.T(lang, "attention.ask", data)}
	if a := r.Attention; a != nil && !a.CheckedAt.IsZero() {
		lines = append(lines, e.tr.T(lang, "attention.checked", map[string]any{
			"At": e.tr.DateTime(lang, a.CheckedAt, loc), "Outcome": e.tr.T(lang, "outcome."+string(a.Outcome), nil)}))
	}
	f := []Field{
		{e.tr.T(lang, "field.customer", nil), cust.Name},
		{e.tr.T(lang, "field.subscription", nil), r.SubscriptionName},
	}
	f = append(f, e.quantityFields(lang, r)...)
	f = append(f, Field{e.tr.T(lang, "field.sent_at", nil), e.tr.DateTime(lang, att.SentAt, loc)})
	f = append(f, Field{e.tr.T(lang, "field.portal_answer", nil), e.portalAnswer(lang, att)})
	if att.Receipt != nil && att.Receipt.OrderID != "" {
		f = append(f, Field{e.tr.T(lang, "field.order_id", nil), att.Receipt.OrderID})
	}
	if att.Receipt != nil && att.Receipt.CorrelationID != "" {
		f = append(f, Field{e.tr.T(lang, "field.correlation_id", nil), att.Receipt.CorrelationID})
	}
	f = append(f, Field{e.tr.T(lang, "field.operation_key", nil), att.Key})
	v := r.CustomerID + ":" + r.ID
	return Message{Kind: KindApproval, Title: e.tr.T(lang, "attention.title", data), Text: strings.Join(lines, "\n"),
		Fields: f, Key: "approval:" + r.ID, RequestID: r.ID, CustomerID: r.CustomerID,
		Actions: []Action{
			{ID: ActCheckAgain, Label: e.tr.T(lang, "btn.check_again", nil), Style: StylePrimary, Value: v},
			{ID: ActMarkDone, Label: e.tr.T(lang, "btn.mark_done", nil), Value: v},
			{ID: ActSendAgain, Label: e.tr.T(lang, "btn.send_again", nil), Style: StyleDanger, Value: v,
				Confirm: e.tr.T(lang, "confirm.send_again", data)},
		}}
}

func (e *Engine) portalAnswer(lang string, att workflows.Attempt) string {
	if att.Receipt == nil || att.Receipt.Status == 0 {
		return e.tr.T(lang, "portal.no_answer", nil)
	}
	s := strconv.Itoa(att.Receipt.Status)
	if att.Error != "" {
		s += " — " + e.tr.T(lang, "reason.provider_error", nil)
	}
	return s
}

// resolve handles the three buttons of a request that needs attention.
func (e *Engine) resolve(ctx context.Context, tc *turnCtx, action string, ref reqRef) error {
	svc, p := e.opt.Service, tc.turn.Person
	var req workflows.Request
	var err error
	switch action {
	case ActCheckAgain:
		req, err = svc.CheckAgain(ctx, p, ref.CustomerID, ref.ID)
	case ActMarkDone:
		req, err = svc.MarkDone(ctx, p, ref.CustomerID, ref.ID)
	case ActSendAgain:
		req, err = svc.SendAgain(ctx, p, ref.CustomerID, ref.ID)
	default:
		return fmt.Errorf("resolve: unknown action %q", action)
	}
	if err := e.decided(ctx, tc, req, err); err != nil || req.State != workflows.StateNeedsAttention {
		return err
	}
	outcome := ""
	if req.Attention != nil {
		outcome = e.tr.T(tc.lang, "outcome."+string(req.Attention.Outcome), nil)
	}
	tc.say(Message{Text: e.tr.T(tc.lang, "still_unknown", map[string]any{"ID": req.ID, "Outcome": outcome})})
	return nil
}
