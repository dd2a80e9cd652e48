package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/workflows"
)

func (e *Engine) handlePress(ctx context.Context, tc *turnCtx, p Press) error {
	if e.retiredPress(tc, &p) { // stale.go
		return nil
	}
	switch p.ID {
	case ActConfirm, ActCancel, ActChoose, ActAlt:
		return e.pressDraft(ctx, tc, p)
	case ActApprove, ActReject, ActWithdraw, ActCheckAgain, ActMarkDone, ActSendAgain:
		cust, id, _ := strings.Cut(p.Value, ":")
		return e.pressRequest(ctx, tc, p, reqRef{CustomerID: cust, ID: id})
	case ActKeep:
		return e.keepReminder(ctx, tc, p.Value)
	case ActMute, ActUnmute:
		return e.muteReminders(ctx, tc, p.Value, p.ID == ActMute)
	case ActStart:
		return e.pressStart(ctx, tc, p.Value)
	}
	tc.say(Message{Kind: KindHelp, Text: e.tr.T(tc.lang, "unknown", nil)})
	return nil
}

// pressDraft handles the buttons of a draft: confirm, cancel, a choice, a
// refusal's alternative. A button of an older draft is stale.
func (e *Engine) pressDraft(ctx context.Context, tc *turnCtx, p Press) error {
	if p.ID == ActConfirm {
		return e.confirm(ctx, tc, p.Value)
	}
	draftID, rest, _ := strings.Cut(p.Value, ":")
	dr := tc.d.Draft
	if dr == nil || dr.ID != draftID {
		tc.say(Message{Text: e.tr.T(tc.lang, "stale_preview", nil)})
		return nil
	}
	switch p.ID {
	case ActCancel:
		tc.d.Draft = nil
		tc.say(Message{Text: e.tr.T(tc.lang, "aborted", nil)})
		return nil
	case ActChoose:
		if dr.Awaiting == "" {
			tc.say(Message{Text: e.tr.T(tc.lang, "stale_preview", nil)})
			return nil
		}
		e.choose(dr, rest)
		return e.advance(ctx, tc)
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 0 || i >= len(dr.Alternatives) {
		tc.say(Message{Text: e.tr.T(tc.lang, "stale_preview", nil)})
		return nil
	}
	alt := dr.Alternatives[i]
	if alt.Change == nil {
		return e.remindLater(ctx, tc, dr, alt)
	}
	tc.d.Draft = &draft{ID: newID(), CustomerID: dr.CustomerID, Change: *alt.Change, HasQuantity: true, MergeAsked: true}
	return e.advance(ctx, tc)
}

// pressRequest handles the buttons of a request's card.
func (e *Engine) pressRequest(ctx context.Context, tc *turnCtx, p Press, ref reqRef) error {
	switch p.ID {
	case ActApprove:
		return e.approve(ctx, tc, ref, p.Text)
	case ActReject:
		if strings.TrimSpace(p.Text) != "" {
			return e.reject(ctx, tc, ref, strings.TrimSpace(p.Text))
		}
		return e.askRejectReason(ctx, tc, ref)
	case ActWithdraw:
		return e.withdrawOne(ctx, tc, ref)
	}
	return e.resolve(ctx, tc, p.ID, ref)
}

// askRejectReason asks why, after checking the person may reject, so
// nobody is asked for a reason they cannot give.
func (e *Engine) askRejectReason(ctx context.Context, tc *turnCtx, ref reqRef) error {
	req, err := e.opt.Service.Get(ctx, ref.CustomerID, ref.ID)
	if err != nil {
		return e.requestError(tc, err)
	}
	if err := workflows.CanApprove(tc.turn.Person, req); err != nil || req.State != workflows.StatePendingApproval {
		if err == nil {
			err = &workflows.StateError{Request: req, Wanted: workflows.StateRejected}
		}
		return e.requestError(tc, err)
	}
	tc.d.Rejecting, tc.d.RejectAskedAt = &ref, e.opt.Clock.Now()
	tc.say(Message{Kind: KindQuestion, Text: e.tr.T(tc.lang, "ask.reject_reason", map[string]any{"ID": ref.ID})})
	return nil
}

// pressStart begins a change from a subscription's or a reminder's
// button, for a customer the person may act for.
func (e *Engine) pressStart(ctx context.Context, tc *turnCtx, value string) error {
	ck, cust, sub, qty, ok := chat.ParseStart(value)
	if !ok {
		tc.say(Message{Text: e.tr.T(tc.lang, "stale_preview", nil)})
		return nil
	}
	if cust == "" {
		cust = tc.customer.ID
	}
	if p := tc.turn.Person; p.CustomerID != cust && !p.Serves(cust) {
		tc.say(Message{Kind: KindRefusal, Text: e.tr.T(tc.lang, "not_your_customer", nil)})
		return nil
	}
	tc.d.Draft = &draft{ID: newID(), CustomerID: cust, Change: csp.Change{Kind: ck, SubscriptionID: sub, Quantity: qty}, HasQuantity: qty > 0}
	return e.advance(ctx, tc)
}

func (e *Engine) approve(ctx context.Context, tc *turnCtx, ref reqRef, comment string) error {
	req, err := e.opt.Service.Approve(ctx, tc.turn.Person, ref.CustomerID, ref.ID, comment)
	return e.decided(ctx, tc, req, err)
}

func (e *Engine) reject(ctx context.Context, tc *turnCtx, ref reqRef, reason string) error {
	req, err := e.opt.Service.Reject(ctx, tc.turn.Person, ref.CustomerID, ref.ID, reason)
	return e.decided(ctx, tc, req, err)
}

// decided shows the person who acted their own card as it now is; the
// others are told through the workflow's outbox.
func (e *Engine) decided(ctx context.Context, tc *turnCtx, req workflows.Request, err error) error {
	var notRecorded *workflows.NotRecordedError
	if errors.As(err, &notRecorded) {
		return err // said as "done, not recorded yet" by Handle
	}
	if err != nil {
		return e.requestError(tc, err)
	}
	return e.showOwn(ctx, tc, req)
}

// requestError turns a workflow refusal into a sentence; other errors go
// up.
func (e *Engine) requestError(tc *turnCtx, err error) error {
	var se *workflows.StateError
	switch {
	case errors.As(err, &se):
		tc.say(Message{Kind: KindText, RequestID: se.Request.ID, Text: e.stateSentence(tc, se.Request)})
	case errors.Is(err, workflows.ErrSelfApproval):
		tc.say(Message{Kind: KindRefusal, Text: e.tr.T(tc.lang, "self_approval", nil)})
	case errors.Is(err, workflows.ErrNotApprover):
		tc.say(Message{Kind: KindRefusal, Text: e.tr.T(tc.lang, "not_approver", nil)})
	case errors.Is(err, workflows.ErrNotRequester):
		tc.say(Message{Kind: KindRefusal, Text: e.tr.T(tc.lang, "not_requester", nil)})
	case errors.Is(err, workflows.ErrNotFound):
		tc.say(Message{Kind: KindRefusal, Text: e.tr.T(tc.lang, "request_not_found", nil)})
	case errors.Is(err, workflows.ErrAmbiguous):
		tc.say(Message{Kind: KindRefusal, Text: e.tr.T(tc.lang, "request_ambiguous", nil)})
	case errors.Is(err, workflows.ErrNotResolver):
		tc.say(Message{Kind: KindRefusal, Text: e.tr.T(tc.lang, "not_resolver", nil)})
	default:
		return err
	}
	return nil
}

// stateSentence says where a request is and who put it there: "R-3 was
// already approved by Marc at 10:42."
func (e *Engine) stateSentence(tc *turnCtx, r workflows.Request) string {
	by := r.NameOf(r.Approver)
	at := r.UpdatedAt
	if !r.DecidedAt.IsZero() {
		at = r.DecidedAt
	}
	if by == "" && len(r.History) > 0 {
		by = r.NameOf(r.History[len(r.History)-1].By)
	}
	return e.tr.T(tc.lang, "already."+string(r.State), map[string]any{"ID": r.ID, "By": by,
		"At": e.tr.DateTime(tc.lang, at, e.locOf(r.CustomerID))})
}
