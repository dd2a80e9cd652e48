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
	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/workflows"
)

// shownCard is the message a posted card shows, remembered per activity
// (a cache with cardTTL) so a press or a refresh can re-render it: the
// confirmation text and buttons come from what was shown, not from the
// press.
type shownCard struct {
	Message bot.Message `json:"message"`
	UserIDs []string    `json:"user_ids,omitempty"`
}

// Deliver implements bot.Deliverer: it writes to the person's personal
// chat with the bot (from the conversation reference stored when they
// last wrote to it or installed it), or updates the card a message with
// the same Key already shows them. When the bot has no conversation with
// an approver yet, an approval card goes to Options.ApprovalsConversation
// if set; otherwise the failure is logged with the request id and an
// error wrapping ErrNoConversation is returned, never dropped silently.
func (a *Adapter) Deliver(ctx context.Context, to workflows.Person, msg bot.Message) error {
	return a.deliver(ctx, channel.RequestID("dl-"), to, msg, true)
}

// DeliverPersonal is Deliver without the approvals-conversation fallback:
// a router that can still try another platform (Slack) calls it first,
// and DeliverShared only when nothing else reached the person.
func (a *Adapter) DeliverPersonal(ctx context.Context, to workflows.Person, msg bot.Message) error {
	return a.deliver(ctx, channel.RequestID("dl-"), to, msg, false)
}

var _ bot.Deliverer = (*Adapter)(nil)

func (a *Adapter) deliver(ctx context.Context, reqID string, to workflows.Person, msg bot.Message, shared bool) error {
	email := strings.ToLower(strings.TrimSpace(to.Email))
	var ref storedRef
	var found bool
	var err error
	for _, at := range a.refCandidates(ctx, to) {
		if ref, found, err = a.loadRef(ctx, at); err != nil {
			return fmt.Errorf("teams deliver: read conversation reference: %w", err)
		}
		if found {
			break
		}
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
	t := channel.Address{Service: ref.Ref.ServiceURL, Conversation: ref.Ref.Conversation.ID, Users: users}
	err = a.place(ctx, reqID, t, email, msg)
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
	return a.placeShared(ctx, channel.RequestID("dl-"), a.opt.ApprovalsConversation, msg)
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
	a.writeRef(ctx, reqID, personRef(tenant, email), next)
	return next, nil
}

// placeShared shows a message in a shared conversation (the approvals
// conversation), as one card per Key.
func (a *Adapter) placeShared(ctx context.Context, reqID, convID string, m bot.Message) error {
	serviceURL := a.opt.ApprovalsServiceURL
	if ref, found, err := a.loadRef(ctx, conversationRef(convID)); err == nil && found {
		serviceURL = ref.Ref.ServiceURL
	}
	t := channel.Address{Service: serviceURL, Conversation: baseConversation(convID)}
	return a.place(ctx, reqID, t, "#"+baseConversation(convID), m)
}

// place shows m at t for owner (an e-mail, or "#" and a shared
// conversation): a new message, or an update of the card the record
// says owner sees.
func (a *Adapter) place(ctx context.Context, reqID string, t channel.Address, owner string, m bot.Message) error {
	return a.cards.Show(ctx, reqID, poster{a}, owner, t, m)
}

// poster is the adapter as a channel.Poster: Adaptive Cards over the Bot
// Connector. Every card it shows is also remembered by activity, for
// presses and refreshes.
type poster struct{ a *Adapter }

func (p poster) card(m bot.Message, users []string) *card {
	return render(m, renderOptions{userIDs: users, words: p.a.words})
}

func (p poster) Hash(m bot.Message, at channel.Address) string {
	return contentHash(p.card(m, at.Users))
}

func (p poster) Post(ctx context.Context, reqID string, at channel.Address, m bot.Message) (channel.Place, error) {
	id, err := p.a.conn.send(ctx, reqID, at.Service, at.Conversation, at.Thread, cardActivity(m, p.card(m, at.Users)))
	if err != nil {
		return channel.Place{}, err
	}
	if m.Key != "" || len(m.Actions) > 0 {
		p.a.rememberCard(ctx, at.Conversation, id, m, at.Users)
	}
	return channel.Place{Conversation: at.Conversation, MessageID: id, Service: at.Service, Users: at.Users}, nil
}

func (p poster) Update(ctx context.Context, reqID string, at channel.Place, m bot.Message) error {
	if err := p.a.conn.update(ctx, reqID, at.Service, at.Conversation, at.MessageID, cardActivity(m, p.card(m, at.Users))); err != nil {
		return err
	}
	p.a.rememberCard(ctx, at.Conversation, at.MessageID, m, at.Users)
	return nil
}

func (poster) Gone(err error) bool { return cardGone(err) }

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
	a.cache.Put(ctx, cardCacheKey(convID, activityID), shownCard{Message: m, UserIDs: users}, cardTTL)
}

// shownCardOf finds what the card a press or refresh came from shows:
// remembered by activity, else (cards with a Key) by the message the card
// record says the viewer, or the shared conversation, sees.
func (a *Adapter) shownCardOf(ctx context.Context, act *Activity, d actionData, email string) (shownCard, bool) {
	var sc shownCard
	if act.ReplyToID != "" && a.cache.Get(ctx, cardCacheKey(act.Conversation.ID, act.ReplyToID), &sc) {
		return sc, true
	}
	if d.Key == "" {
		return shownCard{}, false
	}
	owners := []string{email, "#" + baseConversation(act.Conversation.ID)}
	if !act.personal() {
		owners[0], owners[1] = owners[1], owners[0]
	}
	// Buttons carry "customer:request": the card record's scope.
	customer, _, _ := strings.Cut(d.Value, ":")
	for _, o := range owners {
		if p, ok := a.cards.Where(ctx, bot.Message{Key: d.Key, CustomerID: customer}, o); ok &&
			a.cache.Get(ctx, cardCacheKey(p.Conversation, p.MessageID), &sc) {
			return sc, true
		}
	}
	return shownCard{}, false
}
