package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/workflows"
)

// Action ids. A button carries one of these and, in Value, only ids.
const (
	ActConfirm  = "confirm"  // value: draft id
	ActCancel   = "cancel"   // value: draft id
	ActChoose   = "choose"   // value: draft id ":" choice id
	ActAlt      = "alt"      // value: draft id ":" index
	ActApprove  = "approve"  // value: customer ":" request id
	ActReject   = "reject"   // value: customer ":" request id
	ActWithdraw = "withdraw" // value: customer ":" request id
	ActStart    = "start"    // value: startValue (kind, customer, subscription, quantity)
)

func (e *Engine) handlePress(ctx context.Context, tc *turnCtx, p Press) error {
	switch p.ID {
	case ActConfirm:
		return e.confirm(ctx, tc, p.Value)
	case ActCancel:
		if tc.d.Draft != nil && tc.d.Draft.ID == p.Value {
			tc.d.Draft = nil
			tc.say(Message{Text: e.tr.T(tc.lang, "aborted", nil)})
			return nil
		}
		tc.say(Message{Text: e.tr.T(tc.lang, "stale_preview", nil)})
		return nil
	case ActChoose:
		draftID, choice, _ := strings.Cut(p.Value, ":")
		dr := tc.d.Draft
		if dr == nil || dr.ID != draftID || dr.Awaiting == "" {
			tc.say(Message{Text: e.tr.T(tc.lang, "stale_preview", nil)})
			return nil
		}
		e.choose(dr, choice)
		return e.advance(ctx, tc)
	case ActAlt:
		draftID, idx, _ := strings.Cut(p.Value, ":")
		dr := tc.d.Draft
		i, err := strconv.Atoi(idx)
		if dr == nil || dr.ID != draftID || err != nil || i < 0 || i >= len(dr.Alternatives) {
			tc.say(Message{Text: e.tr.T(tc.lang, "stale_preview", nil)})
			return nil
		}
		alt := dr.Alternatives[i]
		if alt.Change == nil {
			return e.remindLater(ctx, tc, dr, alt)
		}
		tc.d.Draft = &draft{ID: newID(), CustomerID: dr.CustomerID, Change: *alt.Change, HasQuantity: true, MergeAsked: true}
		return e.advance(ctx, tc)
	case ActApprove:
		cust, id, _ := strings.Cut(p.Value, ":")
		return e.approve(ctx, tc, reqRef{CustomerID: cust, ID: id}, p.Text)
	case ActReject:
		cust, id, _ := strings.Cut(p.Value, ":")
		ref := reqRef{CustomerID: cust, ID: id}
		if strings.TrimSpace(p.Text) != "" {
			return e.reject(ctx, tc, ref, strings.TrimSpace(p.Text))
		}
		// Check first, so nobody is asked for a reason they cannot give.
		req, err := e.opt.Service.Get(ctx, cust, id)
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
		tc.say(Message{Kind: KindQuestion, Text: e.tr.T(tc.lang, "ask.reject_reason", map[string]any{"ID": id})})
		return nil
	case ActWithdraw:
		cust, id, _ := strings.Cut(p.Value, ":")
		return e.withdrawOne(ctx, tc, reqRef{CustomerID: cust, ID: id})
	case ActCheckAgain, ActMarkDone, ActSendAgain:
		cust, id, _ := strings.Cut(p.Value, ":")
		return e.resolve(ctx, tc, p.ID, reqRef{CustomerID: cust, ID: id})
	case ActKeep:
		return e.keepReminder(ctx, tc, p.Value)
	case ActMute, ActUnmute:
		return e.muteReminders(ctx, tc, p.Value, p.ID == ActMute)
	case ActStart:
		ck, cust, sub, qty, ok := parseStart(p.Value)
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
	tc.say(Message{Kind: KindHelp, Text: e.tr.T(tc.lang, "unknown", nil)})
	return nil
}

func (e *Engine) approve(ctx context.Context, tc *turnCtx, ref reqRef, comment string) error {
	req, err := e.opt.Service.Approve(ctx, tc.turn.Person, ref.CustomerID, ref.ID, comment)
	return e.decided(tc, req, err)
}

func (e *Engine) reject(ctx context.Context, tc *turnCtx, ref reqRef, reason string) error {
	req, err := e.opt.Service.Reject(ctx, tc.turn.Person, ref.CustomerID, ref.ID, reason)
	return e.decided(tc, req, err)
}

// decided shows the person who acted their own card as it now is; the
// others are told through the workflow's outbox.
func (e *Engine) decided(tc *turnCtx, req workflows.Request, err error) error {
	var notRecorded *workflows.NotRecordedError
	if errors.As(err, &notRecorded) {
		return err // said as "done, not recorded yet" by Handle
	}
	if err != nil {
		return e.requestError(tc, err)
	}
	e.showOwn(tc, req)
	return nil
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
	by := e.nameOf(r.Approver)
	at := ""
	if !r.DecidedAt.IsZero() {
		at = e.tr.DateTime(tc.lang, r.DecidedAt, e.locOf(r.CustomerID))
	} else {
		at = e.tr.DateTime(tc.lang, r.UpdatedAt, e.locOf(r.CustomerID))
	}
	if by == "" && len(r.History) > 0 {
		by = e.nameOf(r.History[len(r.History)-1].By)
	}
	return e.tr.T(tc.lang, "already."+string(r.State), map[string]any{"ID": r.ID, "By": by, "At": at})
}

func (e *Engine) nameOf(email string) string {
	if email == "" {
		return ""
	}
	if email == "licensebot" {
		return "licensebot"
	}
	if p, ok := e.opt.Service.Directory().Lookup(email); ok {
		return p.DisplayName()
	}
	return email
}

// startValue is the value of a button that starts a change on a
// subscription: "kind:customer:subscription[:quantity]". It names the
// customer because an account manager's buttons may concern any of the
// customers they serve.
func startValue(kind csp.ChangeKind, s csp.Subscription, quantity int) string {
	v := string(kind) + ":" + s.CustomerID + ":" + s.ID
	if quantity > 0 {
		v += ":" + strconv.Itoa(quantity)
	}
	return v
}

// parseStart reads startValue, and the older "kind:subscription".
func parseStart(v string) (kind csp.ChangeKind, customer, sub string, quantity int, ok bool) {
	parts := strings.Split(v, ":")
	switch len(parts) {
	case 2:
		kind, sub = csp.ChangeKind(parts[0]), parts[1]
	case 3, 4:
		kind, customer, sub = csp.ChangeKind(parts[0]), parts[1], parts[2]
		if len(parts) == 4 {
			n, err := strconv.Atoi(parts[3])
			if err != nil || n < 1 {
				return "", "", "", 0, false
			}
			quantity = n
		}
	default:
		return "", "", "", 0, false
	}
	return kind, customer, sub, quantity, kind.Valid() && sub != ""
}
