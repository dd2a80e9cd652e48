package teams

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
)

// serveInvoke answers a card press (adaptiveCard/action) in the HTTP
// response, which is how Teams wants it: the body carries the card to
// show in place of the pressed one. The turn runs synchronously, bounded
// by InvokeTimeout and by Workers presses at once (a press beyond that is
// answered "very busy" at once, never queued); the answers that are not
// the card (a question, a message for an approver) are posted after the
// response is written.
func (a *Adapter) serveInvoke(w http.ResponseWriter, r *http.Request, reqID string, act *Activity) {
	log := a.log.With("request_id", reqID, "activity_id", act.ID, "type", act.Type, "name", act.Name)
	if act.Name != InvokeAdaptiveCardAction {
		log.InfoContext(r.Context(), "teams invoke not handled")
		w.WriteHeader(http.StatusNotImplemented)
		return
	}
	select {
	case a.invokes <- struct{}{}:
	default:
		a.metrics.Dropped("busy")
		log.ErrorContext(r.Context(), "teams card press refused: too many at once")
		writeJSON(w, http.StatusOK, messageResponse(a.words.Say(channel.Lang("", act.Locale), channel.Busy)))
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

// pressCtx is one card press on its way through onInvoke.
type pressCtx struct {
	in    *channel.Inbound
	who   channel.Who
	act   *Activity
	data  actionData
	verb  string
	shown shownCard
	have  bool // shown is known
	users []string
	// submit: the press came as a message (Action.Submit), whose answer
	// cannot ride in an HTTP response.
	submit bool
}

// onInvoke handles one Action.Execute: a refresh (show the stored card),
// the first press of an action that wants confirmation (show the
// confirmation step), or a press (run the turn). It returns the invoke
// response and, when there is more to post, the work to do after it.
func (a *Adapter) onInvoke(ctx context.Context, log *slog.Logger, reqID string, act *Activity) (invokeResponse, func(context.Context) error) {
	var v invokeValue
	if err := json.Unmarshal(act.Value, &v); err != nil {
		log.WarnContext(ctx, "teams card press malformed", "err", err)
		return a.say(channel.Lang("", act.Locale), channel.TryAgain), nil
	}
	pc := &pressCtx{act: act, data: parseActionData(v.Action.Data)}
	pc.verb = pc.data.Action
	if pc.verb == "" {
		pc.verb = v.Action.Verb
	}
	return a.onPress(ctx, log.With("verb", pc.verb, "trigger", v.Trigger), reqID, pc)
}

// onPress is a press, from an Action.Execute invoke or from its
// Action.Submit fallback: the sender is identified, then the press is a
// refresh, the confirmation step, or the turn. Both ways share it, so
// the fallback gets the same confirmation, de-duplication (the engine
// claims the activity id) and checks (the engine decides whether this
// person may act on the customer and request the button names).
func (a *Adapter) onPress(ctx context.Context, log *slog.Logger, reqID string, pc *pressCtx) (invokeResponse, func(context.Context) error) {
	act := pc.act
	pc.in = a.inbound(reqID, act, log, "", nil)
	w, err := a.run.Resolve(ctx, pc.in)
	if err != nil {
		log.ErrorContext(ctx, "teams card press: sender not identified", "err", err)
		return a.say(channel.Lang("", act.Locale), channel.TryAgain), nil
	}
	if !w.Known {
		log.InfoContext(ctx, "teams user not configured", "aad_object_id", act.From.AADObjectID)
		return a.say(w.Lang, channel.NotSetUp), nil
	}
	pc.who = w
	a.saveReference(ctx, reqID, w.Person.Email, act)
	pc.shown, pc.have = a.shownCardOf(ctx, act, pc.data, w.Person.Email)
	pc.users = pc.shown.UserIDs
	if !pc.have && act.personal() {
		pc.users = []string{act.From.ID}
	}
	if pc.verb == verbRefresh {
		if !pc.have {
			log.InfoContext(ctx, "teams refresh of a card we no longer know", "key", pc.data.Key)
			return a.say(w.Lang, channel.CardGone), nil
		}
		return a.cardAs(pc.shown.Message, pc.users, nil), nil
	}
	if res, ok := a.confirmStep(pc); ok {
		return res, nil
	}
	return a.press(ctx, pc)
}

// say answers a press with one of the adapter's sentences.
func (a *Adapter) say(lang, id string) invokeResponse {
	return messageResponse(a.words.Say(lang, id))
}

// cardAs answers a press with m as a card.
func (a *Adapter) cardAs(m bot.Message, users []string, confirm *bot.Action) invokeResponse {
	return cardResponse(render(m, renderOptions{userIDs: users, confirm: confirm, words: a.words}))
}

// confirmStep: Adaptive Cards have no confirm dialog, so the first press
// of an action with Confirm text shows the question with [Yes, …] /
// [No]. The question comes from the card as shown, not from the press.
func (a *Adapter) confirmStep(pc *pressCtx) (invokeResponse, bool) {
	var pressed *bot.Action
	if pc.have {
		for i, ac := range pc.shown.Message.Actions {
			if ac.ID == pc.verb && ac.Value == pc.data.Value {
				pressed = &pc.shown.Message.Actions[i]
				break
			}
		}
	}
	need := (pressed != nil && strings.TrimSpace(pressed.Confirm) != "") || (pressed == nil && pc.data.Confirm == "1")
	if !need || pc.data.Confirmed == "1" {
		return invokeResponse{}, false
	}
	if pressed != nil {
		return a.cardAs(pc.shown.Message, pc.users, pressed), true
	}
	// The card is not known any more: ask on a bare card.
	lang := pc.who.Lang
	q := bot.Action{ID: pc.verb, Value: pc.data.Value, Confirm: a.words.Say(lang, channel.ConfirmTitle)}
	return a.cardAs(bot.Message{Lang: lang, Key: pc.data.Key}, pc.users, &q), true
}

// press runs the turn of a press and picks the card to answer with.
func (a *Adapter) press(ctx context.Context, pc *pressCtx) (invokeResponse, func(context.Context) error) {
	pc.in.Press = &bot.Press{ID: pc.verb, Value: pc.data.Value}
	if pc.verb == bot.ActReject {
		pc.in.Press.Text = truncate(strings.TrimSpace(pc.data.Reason), maxReason)
	}
	msgs, err := a.run.Turn(ctx, pc.in, pc.who)
	switch {
	case errors.Is(err, bot.ErrDuplicateEvent) && pc.submit:
		// A redelivered message: the card was updated the first time.
		return invokeResponse{}, nil
	case errors.Is(err, bot.ErrDuplicateEvent):
		// Teams sent the press again: it was handled the first time.
		// Answer with the card as it stands now.
		if now, ok := a.shownCardOf(ctx, pc.act, pc.data, pc.who.Person.Email); ok {
			return a.cardAs(now.Message, pc.users, nil), nil
		}
		return a.say(pc.who.Lang, channel.Done), nil
	case err != nil:
		pc.in.Log.ErrorContext(ctx, "teams card press failed", "err", err)
		return a.say(pc.who.Lang, channel.TryAgain), nil
	}
	chosen := chooseReply(pc, msgs)
	var res invokeResponse
	switch {
	case chosen >= 0:
		res = a.cardAs(msgs[chosen], pc.users, nil)
	case pc.have:
		res = a.cardAs(pc.shown.Message, pc.users, nil)
	case len(msgs) > 0:
		res = messageResponse(summary(msgs[0]))
	default:
		res = a.say(pc.who.Lang, channel.Done)
	}
	follow := func(ctx context.Context) error {
		rest := msgs
		var errs []error
		if chosen >= 0 {
			// The invoke answer shows only on the presser's client; the
			// message itself is updated too, for their other devices
			// and anyone else in the conversation.
			errs = append(errs, a.replaceCard(ctx, pc, msgs[chosen]))
			rest = append(append([]bot.Message{}, msgs[:chosen]...), msgs[chosen+1:]...)
		}
		errs = append(errs, a.run.Dispatch(ctx, pc.in, pc.who.Person, rest))
		if pc.submit && len(msgs) == 0 {
			// An invoke says "Done" in its response; a Submit has
			// only the chat.
			errs = append(errs, a.answer(ctx, pc.in.ReqID, pc.act, pc.who.Person.Email, a.sentence(pc.who.Lang, channel.Done)))
		}
		return errors.Join(errs...)
	}
	return res, follow
}

// chooseReply is the reply that takes the pressed card's place, or -1:
// the reply with the card's Key; else, for a card about a request under
// another key (a reminder carrying the approval buttons), the reply
// about that request, so its buttons do not stay live; else, for a card
// without a Key (a preview, a refusal), the first reply.
func chooseReply(pc *pressCtx, msgs []bot.Message) int {
	p, key := pc.who.Person, pc.data.Key
	match := func(ok func(bot.Message) bool) int {
		for i, m := range msgs {
			if channel.ForPerson(m, p) && ok(m) {
				return i
			}
		}
		return -1
	}
	if key != "" {
		if i := match(func(m bot.Message) bool { return m.Key == key }); i >= 0 {
			return i
		}
	}
	if req := pc.shown.Message.RequestID; pc.have && req != "" {
		if i := match(func(m bot.Message) bool { return m.RequestID == req }); i >= 0 {
			return i
		}
	}
	if key == "" && (!pc.have || pc.shown.Message.Key == "") {
		return match(func(bot.Message) bool { return true })
	}
	return -1
}

// replaceCard updates the pressed card's message with m and records it
// under m's Key for this viewer (or the shared conversation), so later
// versions update the same message.
func (a *Adapter) replaceCard(ctx context.Context, pc *pressCtx, m bot.Message) error {
	act, email := pc.act, pc.who.Person.Email
	if act.ReplyToID == "" {
		return a.answer(ctx, pc.in.ReqID, act, email, m)
	}
	convID, owner := act.Conversation.ID, email
	if !act.personal() {
		convID = baseConversation(convID)
		owner = "#" + convID
	}
	c := render(m, renderOptions{userIDs: pc.users, words: a.words})
	err := a.conn.update(ctx, pc.in.ReqID, act.ServiceURL, convID, act.ReplyToID, cardActivity(m, c))
	if err != nil && cardGone(err) {
		// The pressed message is gone: show the answer as a new one.
		return a.answer(ctx, pc.in.ReqID, act, email, m)
	}
	if err != nil {
		return err
	}
	a.rememberCard(ctx, convID, act.ReplyToID, m, pc.users)
	place := channel.Place{Conversation: convID, MessageID: act.ReplyToID, Hash: contentHash(c), Service: act.ServiceURL, Users: pc.users}
	if err := a.cards.Record(ctx, m, owner, place); err != nil {
		// The card is shown; only its next version will post anew.
		pc.in.Log.ErrorContext(ctx, "teams card record not saved", "key", m.Key, "err", err)
	}
	return nil
}
