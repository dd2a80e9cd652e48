package teams

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// runJob runs one queued activity with a deadline; a panic is logged,
// never fatal to the worker.
func (a *Adapter) runJob(base context.Context, j job) {
	ctx, cancel := context.WithTimeout(base, a.opt.JobTimeout)
	defer cancel()
	log := a.log.With("request_id", j.reqID, "activity_id", j.act.ID, "type", j.act.Type)
	defer func() {
		if v := recover(); v != nil {
			log.ErrorContext(ctx, "teams turn panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	var err error
	switch j.act.Type {
	case ActivityMessage:
		err = a.onMessage(ctx, log, j.reqID, j.act)
	case ActivityConversationUpdate:
		err = a.onConversationUpdate(ctx, log, j.reqID, j.act)
	}
	if err != nil {
		log.ErrorContext(ctx, "teams activity failed", "err", err)
	}
}

// onMessage identifies the person, keeps their conversation reference,
// runs the turn and posts the answers.
func (a *Adapter) onMessage(ctx context.Context, log *slog.Logger, reqID string, act *Activity) error {
	if act.Recipient != nil && act.From.ID == act.Recipient.ID {
		return nil // our own message
	}
	text := cleanText(act)
	if text == "" {
		// An Action.Submit from an old client, a file, a reaction: we
		// send none of these, so there is nothing to answer.
		log.DebugContext(ctx, "teams message without text ignored")
		return nil
	}
	u, err := a.identify(ctx, reqID, act)
	if err != nil {
		return err
	}
	p, known := a.person(u)
	lang := langOf(p, act.Locale)
	if !known {
		// Not configured: one polite sentence and nothing else. The
		// e-mail stays out of the logs; the object id is enough to look
		// the person up.
		log.InfoContext(ctx, "teams user not configured", "aad_object_id", act.From.AADObjectID, "has_email", u.Email != "")
		return a.answer(ctx, reqID, act, "", bot.Message{Kind: bot.KindRefusal, Lang: lang, Text: phrase(lang, phNotSetUp)})
	}
	a.saveReference(ctx, reqID, p.Email, act)
	if !act.personal() {
		a.saveConversation(ctx, reqID, act)
	}
	h := a.currentHandler()
	if h == nil {
		return errHandlerMissing
	}
	msgs, herr := h.Handle(ctx, a.turn(p, act, text, nil))
	if errors.Is(herr, bot.ErrDuplicateEvent) {
		log.InfoContext(ctx, "teams activity already handled")
		a.metrics.Dropped("duplicate")
		return nil
	}
	if herr != nil {
		// The engine still returns a sentence for the person; show it.
		log.ErrorContext(ctx, "engine turn failed", "err", herr)
	}
	return a.reply(ctx, log, reqID, act, p, msgs)
}

// turn builds the engine's Turn for an activity.
func (a *Adapter) turn(p workflows.Person, act *Activity, text string, press *bot.Press) bot.Turn {
	return bot.Turn{
		Person:       p,
		Locale:       act.Locale,
		Platform:     "teams",
		Conversation: "teams:" + act.Conversation.ID,
		EventID:      act.ID,
		Text:         text,
		Press:        press,
	}
}

// reply shows a turn's answers: those for the person where they are
// talking, those for someone else (an approver) through Deliver.
func (a *Adapter) reply(ctx context.Context, log *slog.Logger, reqID string, act *Activity, p workflows.Person, msgs []bot.Message) error {
	var errs []error
	for _, m := range msgs {
		if m.To != "" && !strings.EqualFold(m.To, p.Email) {
			// Meant for someone else: deliver it to them, never here.
			other, ok := a.opt.Directory.Lookup(m.To)
			if !ok {
				log.WarnContext(ctx, "teams reply for an unknown recipient dropped", "kind", string(m.Kind), "request", m.RequestID)
				continue
			}
			if err := a.deliver(ctx, reqID, other, m, true); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if err := a.answer(ctx, reqID, act, p.Email, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// answer shows one reply where the person is talking: their personal
// chat, or the thread of the channel post that mentioned the bot (or
// held the card they pressed). email "" (someone not configured) posts
// without keeping a card reference.
func (a *Adapter) answer(ctx context.Context, reqID string, act *Activity, email string, m bot.Message) error {
	t := target{serviceURL: act.ServiceURL, convID: act.Conversation.ID, userIDs: []string{act.From.ID}}
	if act.Conversation.ConversationType == convChannel {
		t.convID = baseConversation(act.Conversation.ID)
		t.replyTo = threadRoot(act)
	}
	if email == "" {
		m.Key = ""
	}
	return a.place(ctx, reqID, t, cardRefID(m.Key, email), m)
}

// threadRoot is the channel post to answer under: the thread's root for
// a message inside a thread, else the activity (a new post) itself; for
// a press, the card's message.
func threadRoot(act *Activity) string {
	if i := strings.Index(act.Conversation.ID, ";messageid="); i >= 0 {
		if root := act.Conversation.ID[i+len(";messageid="):]; root != "" {
			return root
		}
	}
	if act.Type == ActivityInvoke && act.ReplyToID != "" {
		return act.ReplyToID
	}
	return act.ID
}

// onConversationUpdate keeps the conversation reference when the bot is
// installed: in someone's personal scope (so approval cards and
// reminders can reach them before they ever write), or in a team.
func (a *Adapter) onConversationUpdate(ctx context.Context, log *slog.Logger, reqID string, act *Activity) error {
	isBot := func(list []ChannelAccount) bool {
		for _, m := range list {
			if act.Recipient != nil && m.ID == act.Recipient.ID {
				return true
			}
		}
		return false
	}
	if isBot(act.MembersRemoved) && act.personal() {
		a.forget(ctx, log, reqID, act)
		return nil
	}
	if !isBot(act.MembersAdded) {
		return nil
	}
	if !act.personal() {
		a.saveConversation(ctx, reqID, act)
		log.InfoContext(ctx, "teams bot added to a shared conversation (usable as the approvals conversation)",
			"conversation", baseConversation(act.Conversation.ID), "conversation_type", act.Conversation.ConversationType)
		return nil
	}
	u, err := a.identify(ctx, reqID, act)
	if err != nil {
		return err
	}
	p, known := a.person(u)
	if !known {
		log.InfoContext(ctx, "teams bot installed by someone not configured", "aad_object_id", act.From.AADObjectID)
		return nil
	}
	a.saveReference(ctx, reqID, p.Email, act)
	log.InfoContext(ctx, "teams bot installed; conversation reference kept")
	return nil
}

// forget drops the conversation reference of someone who uninstalled the
// bot, so Deliver says at once that it cannot reach them. The roster is
// no longer readable then; the e-mail comes from the cache.
func (a *Adapter) forget(ctx context.Context, log *slog.Logger, reqID string, act *Activity) {
	var u teamsUser
	if act.From.AADObjectID == "" || !a.cacheGet(ctx, cacheAAD+act.From.AADObjectID, &u) {
		log.InfoContext(ctx, "teams bot uninstalled by someone we cannot name", "aad_object_id", act.From.AADObjectID)
		return
	}
	p, known := a.person(u)
	if !known {
		return
	}
	if _, err := store.Modify(ctx, a.opt.Store, personRef(p.Email), func([]byte) ([]byte, error) { return []byte("{}"), nil }); err != nil {
		log.ErrorContext(ctx, "teams conversation reference not dropped", "request_id", reqID, "err", err)
		return
	}
	log.InfoContext(ctx, "teams bot uninstalled; conversation reference dropped")
}

// Teams text carries the bot's mention as "<at>name</at>" and, for
// formatted messages, a little HTML.
var (
	atTag   = regexp.MustCompile(`(?is)<at[^>]*>(.*?)</at>`)
	htmlTag = regexp.MustCompile(`(?s)</?[a-zA-Z][^<>]*>`)
)

// cleanText turns an incoming message's text into the words the person
// typed: the bot's mention is removed, other mentions keep their name,
// HTML tags go and entities are decoded.
func cleanText(act *Activity) string {
	s := act.Text
	if act.Recipient != nil {
		for _, e := range act.Entities {
			if e.mentions(act.Recipient.ID) && e.Text != "" {
				s = strings.ReplaceAll(s, e.Text, " ")
			}
		}
	}
	s = atTag.ReplaceAllString(s, "$1")
	s = strings.NewReplacer("<br>", "\n", "<br/>", "\n", "<br />", "\n", "</p>", "\n", "</div>", "\n").Replace(s)
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = strings.ReplaceAll(s, "\u00a0", " ")
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
