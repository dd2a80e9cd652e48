package teams

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/workflows"
)

// serveInvoke answers a card press (adaptiveCard/action) in the HTTP
// response, which is how Teams wants it: the body carries the card to
// show in place of the pressed one. The turn runs synchronously, bounded
// by InvokeTimeout and by Workers presses at once; the answers that are
// not the card (a question, a message for an approver) are posted after
// the response is written.
func (a *Adapter) serveInvoke(w http.ResponseWriter, r *http.Request, reqID string, act *Activity) {
	log := a.log.With("request_id", reqID, "activity_id", act.ID, "type", act.Type, "name", act.Name)
	if act.Name != InvokeAdaptiveCardAction {
		log.InfoContext(r.Context(), "teams invoke not handled")
		w.WriteHeader(http.StatusNotImplemented)
		return
	}
	wait := time.NewTimer(a.opt.EnqueueWait)
	select {
	case a.invokes <- struct{}{}:
		wait.Stop()
	case <-wait.C:
		a.metrics.Dropped("busy")
		log.ErrorContext(r.Context(), "teams card press refused: too many at once")
		writeJSON(w, http.StatusOK, messageResponse(phrase(bot.Lang(act.Locale), phBusy)))
		return
	}
	defer func() { <-a.invokes }()
	ctx, cancel := context.WithTimeout(r.Context(), a.opt.InvokeTimeout)
	res, follow := a.onInvoke(ctx, log, reqID, act)
	cancel()
	writeJSON(w, http.StatusOK, res)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if follow == nil {
		return
	}
	// Teams has its answer; what follows must not die with its request.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(r.Context()), a.opt.JobTimeout)
	defer fcancel()
	if err := follow(fctx); err != nil {
		log.ErrorContext(fctx, "teams answers after a card press failed", "err", err)
	}
}

// parseActionData reads a press's data, ignoring what is not a string.
func parseActionData(raw json.RawMessage) actionData {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	str := func(k string) string {
		s, _ := m[k].(string)
		return s
	}
	return actionData{Action: str("action"), Value: str("value"), Key: str("key"),
		Confirm: str("confirm"), Confirmed: str("confirmed"), Reason: str(inputReason)}
}

// onInvoke handles one Action.Execute: a refresh (show the stored card),
// the first press of an action that wants confirmation (show the
// confirmation step), or a press (run the turn). It returns the invoke
// response and, when there is more to post, the work to do after it.
func (a *Adapter) onInvoke(ctx context.Context, log *slog.Logger, reqID string, act *Activity) (invokeResponse, func(context.Context) error) {
	var v invokeValue
	if err := json.Unmarshal(act.Value, &v); err != nil {
		log.WarnContext(ctx, "teams card press malformed", "err", err)
		return messageResponse(phrase(bot.Lang(act.Locale), phTryAgain)), nil
	}
	d := parseActionData(v.Action.Data)
	pressID := d.Action
	if pressID == "" {
		pressID = v.Action.Verb
	}
	log = log.With("verb", pressID, "trigger", v.Trigger)
	u, err := a.identify(ctx, reqID, act)
	if err != nil {
		log.ErrorContext(ctx, "teams card press: sender not identified", "err", err)
		return messageResponse(phrase(bot.Lang(act.Locale), phTryAgain)), nil
	}
	p, known := a.person(u)
	lang := langOf(p, act.Locale)
	if !known {
		log.InfoContext(ctx, "teams user not configured", "aad_object_id", act.From.AADObjectID, "has_email", u.Email != "")
		return messageResponse(phrase(lang, phNotSetUp)), nil
	}
	a.saveReference(ctx, reqID, p.Email, act)
	shown, haveShown := a.shownCardOf(ctx, act, d.Key, p.Email)
	users := shown.UserIDs
	if !haveShown && act.personal() {
		users = []string{act.From.ID}
	}

	if pressID == verbRefresh {
		if !haveShown {
			log.InfoContext(ctx, "teams refresh of a card we no longer know", "key", d.Key)
			return messageResponse(phrase(lang, phCardGone)), nil
		}
		return cardResponse(render(shown.Message, renderOptions{userIDs: users})), nil
	}

	// Adaptive Cards have no confirm dialog: the first press of an
	// action with Confirm text shows the question with [Yes, …] / [No].
	var pressed *bot.Action
	if haveShown {
		for i, ac := range shown.Message.Actions {
			if ac.ID == pressID && ac.Value == d.Value {
				pressed = &shown.Message.Actions[i]
				break
			}
		}
	}
	needConfirm := (pressed != nil && strings.TrimSpace(pressed.Confirm) != "") || (pressed == nil && d.Confirm == "1")
	if needConfirm && d.Confirmed != "1" {
		if pressed != nil {
			return cardResponse(render(shown.Message, renderOptions{userIDs: users, confirm: pressed})), nil
		}
		// The card is not known any more: ask on a bare card.
		bare := bot.Message{Lang: lang, Key: d.Key}
		q := bot.Action{ID: pressID, Value: d.Value, Confirm: phrase(lang, phConfirmTitle)}
		return cardResponse(render(bare, renderOptions{userIDs: users, confirm: &q})), nil
	}

	h := a.currentHandler()
	if h == nil {
		log.ErrorContext(ctx, "teams card press failed", "err", errHandlerMissing)
		return messageResponse(phrase(lang, phTryAgain)), nil
	}
	press := &bot.Press{ID: pressID, Value: d.Value}
	if pressID == bot.ActReject {
		press.Text = truncate(strings.TrimSpace(d.Reason), maxReason)
	}
	msgs, herr := h.Handle(ctx, a.turn(p, act, "", press))
	if errors.Is(herr, bot.ErrDuplicateEvent) {
		// Teams sent the press again: it was handled the first time.
		// Answer with the card as it stands now.
		log.InfoContext(ctx, "teams activity already handled")
		a.metrics.Dropped("duplicate")
		if now, ok := a.shownCardOf(ctx, act, d.Key, p.Email); ok {
			return cardResponse(render(now.Message, renderOptions{userIDs: users})), nil
		}
		return messageResponse(phrase(lang, phDone)), nil
	}
	if herr != nil {
		log.ErrorContext(ctx, "engine turn failed", "err", herr)
	}

	// The card to answer with: the reply that replaces this card (same
	// Key); for a card without a Key (a preview, a refusal), the first
	// reply takes its place; otherwise the card stays as stored.
	chosen := -1
	for i, m := range msgs {
		if forPerson(m, p) && d.Key != "" && m.Key == d.Key {
			chosen = i
			break
		}
	}
	// A card about a request under another key (a reminder carrying the
	// approval buttons) is replaced by the reply about that request, so
	// its buttons do not stay live after the decision.
	if chosen < 0 && haveShown && shown.Message.RequestID != "" {
		for i, m := range msgs {
			if forPerson(m, p) && m.RequestID == shown.Message.RequestID {
				chosen = i
				break
			}
		}
	}
	if chosen < 0 && d.Key == "" && (!haveShown || shown.Message.Key == "") {
		for i, m := range msgs {
			if forPerson(m, p) {
				chosen = i
				break
			}
		}
	}
	var res invokeResponse
	switch {
	case chosen >= 0:
		res = cardResponse(render(msgs[chosen], renderOptions{userIDs: users}))
	case haveShown:
		res = cardResponse(render(shown.Message, renderOptions{userIDs: users}))
	case len(msgs) > 0:
		res = messageResponse(summary(msgs[0]))
	default:
		res = messageResponse(phrase(lang, phDone))
	}
	follow := func(ctx context.Context) error {
		var errs []error
		rest := msgs
		if chosen >= 0 {
			// The invoke answer shows only on the presser's client; the
			// message itself is updated too, for their other devices
			// and anyone else in the conversation.
			errs = append(errs, a.replaceCard(ctx, reqID, act, p.Email, msgs[chosen], users))
			rest = append(append([]bot.Message{}, msgs[:chosen]...), msgs[chosen+1:]...)
		}
		errs = append(errs, a.reply(ctx, log, reqID, act, p, rest))
		return errors.Join(errs...)
	}
	return res, follow
}

// forPerson: the message is for the person talking (not an approver).
func forPerson(m bot.Message, p workflows.Person) bool {
	return m.To == "" || strings.EqualFold(m.To, p.Email)
}

// replaceCard updates the pressed card's message with m and records it:
// under m's Key for this viewer (or the shared conversation), so later
// versions update the same message.
func (a *Adapter) replaceCard(ctx context.Context, reqID string, act *Activity, email string, m bot.Message, users []string) error {
	if act.ReplyToID == "" {
		return a.answer(ctx, reqID, act, email, m)
	}
	convID := act.Conversation.ID
	if !act.personal() {
		convID = baseConversation(convID)
	}
	owner := email
	if !act.personal() {
		owner = "#" + convID
	}
	c := render(m, renderOptions{userIDs: users})
	refID := cardRefID(m.Key, owner)
	unlock := func() {}
	if m.Key != "" {
		unlock = a.lockCard(refID)
	}
	err := a.conn.update(ctx, reqID, act.ServiceURL, convID, act.ReplyToID, cardActivity(m, c))
	if err == nil {
		a.rememberCard(ctx, convID, act.ReplyToID, m, users)
		if m.Key != "" {
			a.saveCardRef(ctx, reqID, refID, cardRef{ServiceURL: act.ServiceURL, ConversationID: convID,
				ActivityID: act.ReplyToID, Hash: contentHash(c), Message: m, UserIDs: users})
		}
	}
	unlock()
	if err != nil && cardGone(err) {
		// The pressed message is gone: show the answer as a new one.
		return a.answer(ctx, reqID, act, email, m)
	}
	return err
}
