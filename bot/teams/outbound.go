package teams

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// cardsCollection holds where each card with a Key is shown, and what it
// shows: Documents in the global scope, id "<key>:<recipient e-mail>" (or
// "<key>:#<conversation>" for a shared conversation's copy).
const cardsCollection = "teams-msgs"

// cardRef is where a card with a Key is shown, and its last version.
type cardRef struct {
	ServiceURL     string `json:"service_url"`
	ConversationID string `json:"conversation_id"`
	ActivityID     string `json:"activity_id"`
	// Hash of what is shown, so an identical re-render costs no update.
	Hash string `json:"hash,omitempty"`
	// Message is the last version shown: a refresh or a press on the
	// card is answered from it.
	Message bot.Message `json:"message"`
	UserIDs []string    `json:"user_ids,omitempty"`
}

// shownCard is the message a posted card shows, remembered per activity
// (cache) so a press or a refresh can re-render it.
type shownCard struct {
	Message bot.Message `json:"message"`
	UserIDs []string    `json:"user_ids,omitempty"`
}

// target is where a message goes.
type target struct {
	serviceURL string
	convID     string
	// replyTo threads the message under a channel post.
	replyTo string
	// userIDs refresh the card automatically for these Teams users.
	userIDs []string
}

func cardRefID(key, owner string) string { return key + ":" + strings.ToLower(owner) }

// Deliver implements bot.Deliverer: it writes to the person's personal
// chat with the bot (from the conversation reference stored when they
// last wrote to it or installed it), or updates the card a message with
// the same Key already shows them. When the bot has no conversation with
// an approver yet, an approval card goes to Options.ApprovalsConversation
// if set; otherwise the failure is logged with the request id and an
// error wrapping ErrNoConversation is returned, never dropped silently.
func (a *Adapter) Deliver(ctx context.Context, to workflows.Person, msg bot.Message) error {
	return a.deliver(ctx, newRequestID("dl-"), to, msg, true)
}

// DeliverPersonal is Deliver without the approvals-conversation fallback:
// a router that can still try another platform (Slack) calls it first,
// and DeliverShared only when nothing else reached the person.
func (a *Adapter) DeliverPersonal(ctx context.Context, to workflows.Person, msg bot.Message) error {
	return a.deliver(ctx, newRequestID("dl-"), to, msg, false)
}

var _ bot.Deliverer = (*Adapter)(nil)

func (a *Adapter) deliver(ctx context.Context, reqID string, to workflows.Person, msg bot.Message, shared bool) error {
	email := strings.ToLower(strings.TrimSpace(to.Email))
	ref, found, err := a.loadRef(ctx, personRef(email))
	if err != nil {
		return fmt.Errorf("teams deliver: read conversation reference: %w", err)
	}
	if found && !ref.Personal {
		ref, err = a.openPersonal(ctx, reqID, email, ref)
		if err != nil {
			a.log.ErrorContext(ctx, "teams personal chat not opened", "request_id", reqID, "to", email, "request", msg.RequestID, "err", err)
			found = false
		}
	}
	if !found {
		if shared && a.opt.ApprovalsConversation != "" && msg.Kind == bot.KindApproval {
			a.log.InfoContext(ctx, "teams: no chat with this approver yet; card sent to the approvals conversation",
				"request_id", reqID, "to", email, "request", msg.RequestID)
			return a.placeShared(ctx, reqID, a.opt.ApprovalsConversation, msg)
		}
		a.log.ErrorContext(ctx, "teams message not delivered: no conversation with this person yet (they must write to the bot or install it first)",
			"request_id", reqID, "to", email, "request", msg.RequestID, "kind", string(msg.Kind))
		if err != nil {
			return fmt.Errorf("%w: %s (request %s): %w", ErrNoConversation, email, msg.RequestID, err)
		}
		return fmt.Errorf("%w: %s (request %s)", ErrNoConversation, email, msg.RequestID)
	}
	var users []string
	if ref.Ref.User != nil && ref.Ref.User.ID != "" {
		users = []string{ref.Ref.User.ID}
	}
	t := target{serviceURL: ref.Ref.ServiceURL, convID: ref.Ref.Conversation.ID, userIDs: users}
	err = a.place(ctx, reqID, t, cardRefID(msg.Key, email), msg)
	if s := statusOf(err); s == http.StatusForbidden || s == http.StatusNotFound {
		// The person removed the bot, or the chat is gone: as good as no
		// conversation, so a router can try another way.
		a.log.ErrorContext(ctx, "teams message not delivered: the conversation refused it",
			"request_id", reqID, "to", email, "request", msg.RequestID, "status", s)
		return fmt.Errorf("%w: %s (request %s): %w", ErrNoConversation, email, msg.RequestID, err)
	}
	return err
}

// DeliverShared posts (or updates) an approval card in the approvals
// conversation. A router that tries other platforms first calls it last,
// after DeliverPersonal. It returns ErrNoConversation when there is
// no approvals conversation or msg is not an approval card.
func (a *Adapter) DeliverShared(ctx context.Context, msg bot.Message) error {
	if a.opt.ApprovalsConversation == "" || msg.Kind != bot.KindApproval {
		return fmt.Errorf("%w: no approvals conversation for this message", ErrNoConversation)
	}
	return a.placeShared(ctx, newRequestID("dl-"), a.opt.ApprovalsConversation, msg)
}

// openPersonal creates the personal chat with someone the bot only knows
// from a channel, and stores its reference.
func (a *Adapter) openPersonal(ctx context.Context, reqID, email string, ref storedRef) (storedRef, error) {
	if ref.Ref.User == nil || ref.Ref.User.ID == "" {
		return ref, errors.New("no Teams user id known")
	}
	botAccount := ref.Ref.Bot
	if botAccount == nil || botAccount.ID == "" {
		botAccount = &ChannelAccount{ID: "28:" + a.opt.AppID}
	}
	tenant := a.opt.TenantID
	if ref.Ref.Conversation != nil && ref.Ref.Conversation.TenantID != "" {
		tenant = ref.Ref.Conversation.TenantID
	}
	params := conversationParameters{Bot: botAccount, Members: []ChannelAccount{{ID: ref.Ref.User.ID}}, TenantID: tenant}
	if tenant != "" {
		params.ChannelData = map[string]any{"tenant": map[string]string{"id": tenant}}
	}
	res, err := a.conn.createConversation(ctx, reqID, ref.Ref.ServiceURL, params)
	if err != nil {
		return ref, err
	}
	next := ref
	next.Personal = true
	if res.ServiceURL != "" {
		next.Ref.ServiceURL = res.ServiceURL
	}
	next.Ref.Conversation = &ConversationAccount{ID: res.ID, ConversationType: convPersonal, TenantID: tenant}
	a.writeRef(ctx, reqID, personRef(email), next)
	return next, nil
}

// placeShared shows a message in a shared conversation (the approvals
// conversation), as one card per Key.
func (a *Adapter) placeShared(ctx context.Context, reqID, convID string, m bot.Message) error {
	serviceURL := a.opt.ApprovalsServiceURL
	if ref, found, err := a.loadRef(ctx, conversationRef(convID)); err == nil && found {
		serviceURL = ref.Ref.ServiceURL
	}
	t := target{serviceURL: serviceURL, convID: baseConversation(convID)}
	return a.place(ctx, reqID, t, cardRefID(m.Key, "#"+baseConversation(convID)), m)
}

// place shows m at t: a new message, or — when m has a Key already shown
// under refID — an update of that card in place. A card that can no
// longer be updated (deleted, conversation gone) is posted anew.
func (a *Adapter) place(ctx context.Context, reqID string, t target, refID string, m bot.Message) error {
	c := render(m, renderOptions{userIDs: t.userIDs})
	if m.Key == "" {
		id, err := a.conn.send(ctx, reqID, t.serviceURL, t.convID, t.replyTo, cardActivity(m, c))
		if err != nil {
			return err
		}
		if len(m.Actions) > 0 {
			a.rememberCard(ctx, t.convID, id, m, t.userIDs)
		}
		return nil
	}
	unlock := a.lockCard(refID)
	defer unlock()
	ref, found, err := a.loadCardRef(ctx, refID)
	if err != nil {
		// Showing the card matters more than replacing the old one.
		a.log.WarnContext(ctx, "teams card reference unreadable; posting", "request_id", reqID, "key", m.Key, "err", err)
	}
	hash := contentHash(c)
	if found && ref.Hash == hash {
		return nil
	}
	if found {
		err := a.conn.update(ctx, reqID, ref.ServiceURL, ref.ConversationID, ref.ActivityID, cardActivity(m, c))
		if err == nil {
			ref.Hash, ref.Message, ref.UserIDs = hash, m, t.userIDs
			a.saveCardRef(ctx, reqID, refID, ref)
			a.rememberCard(ctx, ref.ConversationID, ref.ActivityID, m, t.userIDs)
			return nil
		}
		if !cardGone(err) {
			return err
		}
		a.log.InfoContext(ctx, "teams card gone; posting a new one", "request_id", reqID, "key", m.Key, "status", statusOf(err))
	}
	id, err := a.conn.send(ctx, reqID, t.serviceURL, t.convID, t.replyTo, cardActivity(m, c))
	if err != nil {
		return err
	}
	a.saveCardRef(ctx, reqID, refID, cardRef{ServiceURL: t.serviceURL, ConversationID: t.convID, ActivityID: id,
		Hash: hash, Message: m, UserIDs: t.userIDs})
	a.rememberCard(ctx, t.convID, id, m, t.userIDs)
	return nil
}

// cardActivity wraps a card in a message activity.
func cardActivity(m bot.Message, c *card) *Activity {
	return &Activity{
		Type:        ActivityMessage,
		Summary:     summary(m),
		Attachments: []Attachment{{ContentType: contentTypeAdaptiveCard, Content: c}},
	}
}

// contentHash identifies what a card shows.
func contentHash(c *card) string {
	h := sha256.New()
	_ = json.NewEncoder(h).Encode(c)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// cardGone: the message to update is not there any more, or the bot
// may no longer write there.
func cardGone(err error) bool {
	switch statusOf(err) {
	case http.StatusNotFound, http.StatusForbidden, http.StatusGone:
		return true
	}
	return false
}

func (a *Adapter) loadCardRef(ctx context.Context, id string) (cardRef, bool, error) {
	doc, err := a.opt.Store.Get(ctx, store.Ref{Collection: cardsCollection, ID: id})
	if errors.Is(err, store.ErrNotFound) {
		return cardRef{}, false, nil
	}
	if err != nil {
		return cardRef{}, false, err
	}
	var r cardRef
	if err := json.Unmarshal(doc.Data, &r); err != nil || r.ConversationID == "" || r.ActivityID == "" || r.ServiceURL == "" {
		return cardRef{}, false, nil // corrupt: post anew and overwrite
	}
	return r, true, nil
}

func (a *Adapter) saveCardRef(ctx context.Context, reqID, id string, r cardRef) {
	data, err := json.Marshal(r)
	if err == nil {
		_, err = store.Modify(ctx, a.opt.Store, store.Ref{Collection: cardsCollection, ID: id},
			func([]byte) ([]byte, error) { return data, nil })
	}
	if err != nil {
		// The card is shown; only its later updates will post anew.
		a.log.ErrorContext(ctx, "teams card reference not saved", "request_id", reqID, "ref", id, "err", err)
	}
}

func cardCacheKey(convID, activityID string) string {
	return cacheCard + baseConversation(convID) + "|" + activityID
}

// rememberCard keeps what a posted card shows, so a press on it can ask
// for confirmation with the card's own text, and a refresh can show it
// again.
func (a *Adapter) rememberCard(ctx context.Context, convID, activityID string, m bot.Message, users []string) {
	if activityID == "" {
		return
	}
	a.cachePut(ctx, cardCacheKey(convID, activityID), shownCard{Message: m, UserIDs: users}, cardTTL)
}

// shownCardOf finds what the card a press or refresh came from shows:
// remembered by activity, else (cards with a Key) the last version
// stored for the viewer or for the shared conversation.
func (a *Adapter) shownCardOf(ctx context.Context, act *Activity, key, email string) (shownCard, bool) {
	var sc shownCard
	if act.ReplyToID != "" && a.cacheGet(ctx, cardCacheKey(act.Conversation.ID, act.ReplyToID), &sc) {
		return sc, true
	}
	if key == "" {
		return shownCard{}, false
	}
	owners := []string{email, "#" + baseConversation(act.Conversation.ID)}
	if !act.personal() {
		owners[0], owners[1] = owners[1], owners[0]
	}
	for _, o := range owners {
		if r, found, err := a.loadCardRef(ctx, cardRefID(key, o)); err == nil && found {
			return shownCard{Message: r.Message, UserIDs: r.UserIDs}, true
		}
	}
	return shownCard{}, false
}
