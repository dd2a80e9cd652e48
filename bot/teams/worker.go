package teams

import (
	"context"
	"html"
	"log/slog"
	"regexp"
	"strings"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// job is the work for one queued activity.
func (a *Adapter) job(reqID string, act *Activity) func(context.Context, *slog.Logger) error {
	return func(ctx context.Context, log *slog.Logger) error {
		log = channel.With(log, slog.String("activity_id", act.ID))
		if act.Type == ActivityConversationUpdate {
			return a.onConversationUpdate(ctx, log, reqID, act)
		}
		return a.onMessage(ctx, log, reqID, act)
	}
}

// inbound is the runner's view of an activity.
func (a *Adapter) inbound(reqID string, act *Activity, log *slog.Logger, text string, press *bot.Press) *channel.Inbound {
	return &channel.Inbound{
		ReqID: reqID, Kind: act.Type, Conversation: "teams:" + act.Conversation.ID, EventID: act.ID,
		Text: text, Press: press, Log: log,
		Identify: func(ctx context.Context) (channel.Sender, error) { return a.sender(ctx, reqID, act) },
		Reply: func(ctx context.Context, p workflows.Person, m bot.Message) error {
			return a.answer(ctx, reqID, act, p.Email, m)
		},
	}
}

// onMessage runs the turn of a message; the person's conversation
// reference is kept on the way, for proactive messages.
func (a *Adapter) onMessage(ctx context.Context, log *slog.Logger, reqID string, act *Activity) error {
	if act.Recipient != nil && act.From.ID == act.Recipient.ID {
		return nil // our own message
	}
	text := cleanText(act)
	if text == "" && submitData(act) {
		// A card press from a client without Universal Actions.
		return a.onSubmit(ctx, log, reqID, act)
	}
	if text == "" {
		// A file, a reaction, a Submit that is not ours: we send none
		// of these, so there is nothing to answer.
		log.DebugContext(ctx, "teams message without text ignored")
		return nil
	}
	_, err := a.run.Handle(ctx, a.inbound(reqID, act, log, text, nil), func(ctx context.Context, w channel.Who) (bool, error) {
		if w.Known {
			a.saveReference(ctx, reqID, w.Person.Email, act)
			if !act.personal() {
				a.saveConversation(ctx, reqID, act)
			}
		}
		return false, nil
	})
	return err
}

// answer shows one reply where the person is talking: their personal
// chat, or the thread of the channel post that mentioned the bot (or
// held the card they pressed). email "" (someone not configured) posts
// without keeping a card record.
func (a *Adapter) answer(ctx context.Context, reqID string, act *Activity, email string, m bot.Message) error {
	t := channel.Address{Service: act.ServiceURL, Conversation: act.Conversation.ID, Users: []string{act.From.ID}}
	if act.Conversation.ConversationType == convChannel {
		t.Conversation = baseConversation(act.Conversation.ID)
		t.Thread = threadRoot(act)
	}
	if email == "" {
		m.Key = ""
	}
	return a.place(ctx, reqID, t, email, m)
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
	w, err := a.run.Resolve(ctx, a.inbound(reqID, act, log, "", nil))
	if err != nil {
		return err
	}
	if !w.Known {
		log.InfoContext(ctx, "teams bot installed by someone not configured", "aad_object_id", act.From.AADObjectID)
		return nil
	}
	a.saveReference(ctx, reqID, w.Person.Email, act)
	log.InfoContext(ctx, "teams bot installed; conversation reference kept")
	return nil
}

// forget drops the conversation reference of someone who uninstalled the
// bot, so Deliver says at once that it cannot reach them. The roster is
// no longer readable then; the e-mail comes from the cache.
func (a *Adapter) forget(ctx context.Context, log *slog.Logger, reqID string, act *Activity) {
	var u teamsUser
	if act.From.AADObjectID == "" || !a.cache.Get(ctx, userCacheKey(act), &u) {
		log.InfoContext(ctx, "teams bot uninstalled by someone we cannot name", "aad_object_id", act.From.AADObjectID)
		return
	}
	p, err := a.lookup(ctx, act, u)
	if err != nil {
		return
	}
	if _, err := store.Modify(ctx, a.opt.Store, personRef(act.tenantID(), p.Email), func([]byte) ([]byte, error) { return []byte("{}"), nil }); err != nil {
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
