package teams

import (
	"context"
	"log/slog"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
)

// onSubmit handles a press from a client without Universal Actions: it
// shows the Action.Submit fallback of an Action.Execute, which arrives
// as a message activity whose value is the button's data (and the
// card's inputs: the reason box). It is the same press as the Execute
// (see onPress); only the answer travels differently: the card that an
// invoke response would show replaces the pressed message, and a
// sentence is posted in the chat.
func (a *Adapter) onSubmit(ctx context.Context, log *slog.Logger, reqID string, act *Activity) error {
	pc := &pressCtx{act: act, data: parseActionData(act.Value), submit: true}
	pc.verb = pc.data.Action
	log = log.With("verb", pc.verb, "trigger", "submit")
	res, follow := a.onPress(ctx, log, reqID, pc)
	if follow != nil {
		// The turn ran: follow replaces the card and posts the rest.
		return follow(ctx)
	}
	return a.showSubmitAnswer(ctx, reqID, act, res)
}

// submitData reports whether a message activity is a card's
// Action.Submit: a value naming one of our actions.
func submitData(act *Activity) bool {
	return len(act.Value) > 0 && parseActionData(act.Value).Action != ""
}

// showSubmitAnswer shows what an invoke would have answered: a card in
// place of the pressed message (a new message when that one is gone),
// or a sentence in the chat. The card's stored message is left as it
// was, so the confirmation step's [No] and a refresh show it again.
func (a *Adapter) showSubmitAnswer(ctx context.Context, reqID string, act *Activity, res invokeResponse) error {
	lang := channel.Lang("", act.Locale)
	switch v := res.Value.(type) {
	case *card:
		out := &Activity{Type: ActivityMessage, Attachments: []Attachment{{ContentType: contentTypeAdaptiveCard, Content: v}}}
		convID := act.Conversation.ID
		if !act.personal() {
			convID = baseConversation(convID)
		}
		if act.ReplyToID != "" {
			err := a.conn.update(ctx, reqID, act.ServiceURL, convID, act.ReplyToID, out)
			if err == nil || !cardGone(err) {
				return err
			}
		}
		thread := ""
		if act.Conversation.ConversationType == convChannel {
			thread = threadRoot(act)
		}
		_, err := a.conn.send(ctx, reqID, act.ServiceURL, convID, thread, out)
		return err
	case string:
		return a.answer(ctx, reqID, act, "", bot.Message{Kind: bot.KindText, Lang: lang, Text: v})
	}
	return nil
}

// sentence is one of the adapter's sentences as a message.
func (a *Adapter) sentence(lang, id string) bot.Message {
	return bot.Message{Kind: bot.KindText, Lang: lang, Text: a.words.Say(lang, id)}
}
