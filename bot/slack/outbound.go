package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
	slackapi "github.com/slack-go/slack"
)

// ErrNotOnSlack: the person's e-mail matches no Slack user of the
// workspace. A router delivering over several platforms can try the next
// one.
var ErrNotOnSlack = errors.New("slack: no Slack user with that e-mail")

// refsCollection holds where each card was posted: Documents in the
// global scope, id "<key>:<recipient e-mail>" (or "<key>:#<channel>" for
// the approvals channel copy).
const refsCollection = "slack-msgs"

// msgRef is where a card is shown.
type msgRef struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// Hash of what is shown, so an identical re-render (several
	// approvers' copies of one card in the approvals channel) costs no
	// chat.update.
	Hash string `json:"hash,omitempty"`
}

// Deliver implements bot.Deliverer: it sends msg to the person's direct
// message with the bot (found by e-mail), or updates the card it
// replaces when msg has a Key already shown to them. Approval cards are
// also posted to (or updated in) Options.ApprovalsChannel.
func (a *Adapter) Deliver(ctx context.Context, to workflows.Person, msg bot.Message) error {
	return a.deliver(ctx, newRequestID("dl-"), to, msg)
}

var _ bot.Deliverer = (*Adapter)(nil)

func (a *Adapter) deliver(ctx context.Context, reqID string, to workflows.Person, msg bot.Message) error {
	userID, err := a.userIDByEmail(ctx, reqID, to.Email)
	if err != nil {
		// The approvals channel still gets its copy.
		if cerr := a.approvalsCopy(ctx, reqID, msg); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return err
	}
	dm, err := a.dmChannel(ctx, reqID, userID)
	if err != nil {
		return err
	}
	return a.place(ctx, reqID, dm, "", to.Email, msg)
}

// place shows m in channel (thread) for owner, then the approvals
// channel copy.
func (a *Adapter) place(ctx context.Context, reqID, channel, thread, owner string, m bot.Message) error {
	err := a.send(ctx, reqID, channel, thread, m.Key+":"+strings.ToLower(owner), m)
	if channel != a.opt.ApprovalsChannel {
		err = errors.Join(err, a.approvalsCopy(ctx, reqID, m))
	}
	return err
}

func (a *Adapter) approvalsCopy(ctx context.Context, reqID string, m bot.Message) error {
	if a.opt.ApprovalsChannel == "" || m.Kind != bot.KindApproval || m.Key == "" {
		return nil
	}
	return a.send(ctx, reqID, a.opt.ApprovalsChannel, "", m.Key+":#"+a.opt.ApprovalsChannel, m)
}

// send posts m, or — when m has a Key already shown under refID —
// updates that message in place. A card that can no longer be updated
// (deleted, channel archived) is posted anew.
func (a *Adapter) send(ctx context.Context, reqID, channel, thread, refID string, m bot.Message) error {
	blocks, text := Render(m), FallbackText(m)
	if len(blocks) == 0 && text == "" {
		return nil
	}
	if m.Key == "" {
		_, _, err := a.post(ctx, reqID, channel, thread, blocks, text)
		return err
	}
	unlock := a.lockCard(refID)
	defer unlock()
	ref, found, err := a.loadRef(ctx, refID)
	if err != nil {
		// Showing the card matters more than replacing the old one.
		a.log.WarnContext(ctx, "slack card ref unreadable; posting", "request_id", reqID, "key", m.Key, "err", err)
	}
	hash := contentHash(blocks, text)
	if found && ref.Hash == hash {
		return nil
	}
	if found {
		err := a.update(ctx, reqID, ref.Channel, ref.TS, blocks, text)
		if err == nil {
			ref.Hash = hash
			if err := a.saveRef(ctx, refID, ref); err != nil {
				a.log.WarnContext(ctx, "slack card ref not saved", "request_id", reqID, "key", m.Key, "err", err)
			}
			return nil
		}
		if !cardGone(err) {
			return err
		}
		a.log.InfoContext(ctx, "slack card gone; posting a new one", "request_id", reqID, "key", m.Key, "reason", slackError(err))
	}
	ch, ts, err := a.post(ctx, reqID, channel, thread, blocks, text)
	if err != nil {
		return err
	}
	if err := a.saveRef(ctx, refID, msgRef{Channel: ch, TS: ts, Hash: hash}); err != nil {
		// The card is shown; only its later updates will post anew.
		a.log.ErrorContext(ctx, "slack card ref not saved", "request_id", reqID, "key", m.Key, "err", err)
	}
	if a.opt.CardPosted != nil {
		a.opt.CardPosted(ctx, m, ch, ts)
	}
	return nil
}

// contentHash identifies what a message shows.
func contentHash(blocks []slackapi.Block, text string) string {
	h := sha256.New()
	_ = json.NewEncoder(h).Encode(blocks)
	_, _ = io.WriteString(h, text)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// cardGone: the message to update is not there any more.
func cardGone(err error) bool {
	switch slackError(err) {
	case "message_not_found", "cant_update_message", "channel_not_found", "is_archived", "edit_window_closed":
		return true
	}
	return false
}

func (a *Adapter) loadRef(ctx context.Context, id string) (msgRef, bool, error) {
	doc, err := a.opt.Store.Get(ctx, store.Ref{Collection: refsCollection, ID: id})
	if errors.Is(err, store.ErrNotFound) {
		return msgRef{}, false, nil
	}
	if err != nil {
		return msgRef{}, false, err
	}
	var r msgRef
	if err := json.Unmarshal(doc.Data, &r); err != nil || r.Channel == "" || r.TS == "" {
		return msgRef{}, false, nil // corrupt: post anew and overwrite
	}
	return r, true, nil
}

func (a *Adapter) saveRef(ctx context.Context, id string, r msgRef) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = store.Modify(ctx, a.opt.Store, store.Ref{Collection: refsCollection, ID: id},
		func([]byte) ([]byte, error) { return data, nil })
	return err
}

func msgOptions(blocks []slackapi.Block, text, thread string) []slackapi.MsgOption {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(text, false), slackapi.MsgOptionDisableLinkUnfurl()}
	if len(blocks) > 0 {
		opts = append(opts, slackapi.MsgOptionBlocks(blocks...))
	}
	if thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(thread))
	}
	return opts
}

// post sends a new message. A retry after a timeout may post twice:
// Slack has no idempotency key for chat.postMessage, and a duplicate is
// better than a lost answer.
func (a *Adapter) post(ctx context.Context, reqID, channel, thread string, blocks []slackapi.Block, text string) (string, string, error) {
	var ch, ts string
	err := a.call(ctx, reqID, "chat.postMessage", a.retries, func(ctx context.Context) error {
		var err error
		ch, ts, err = a.api.PostMessageContext(ctx, channel, msgOptions(blocks, text, thread)...)
		return err
	})
	return ch, ts, err
}

func (a *Adapter) update(ctx context.Context, reqID, channel, ts string, blocks []slackapi.Block, text string) error {
	return a.call(ctx, reqID, "chat.update", a.retries, func(ctx context.Context) error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts, msgOptions(blocks, text, "")...)
		return err
	})
}

// postEphemeral answers one person in a shared channel.
func (a *Adapter) postEphemeral(ctx context.Context, reqID, channel, userID string, m bot.Message) error {
	blocks, text := Render(m), FallbackText(m)
	return a.call(ctx, reqID, "chat.postEphemeral", a.retries, func(ctx context.Context) error {
		_, err := a.api.PostEphemeralContext(ctx, channel, userID, msgOptions(blocks, text, "")...)
		return err
	})
}

// call runs one Web API call with retries: 429s wait what Slack asks,
// transient failures back off. Every failed attempt is counted and
// logged with the request id; the final failure is returned, wrapped.
func (a *Adapter) call(ctx context.Context, reqID, method string, retries int, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		a.metrics.APIError(method)
		if isRateLimited(err) {
			a.metrics.RateLimited()
		}
		wait, again := retryWait(err, attempt)
		if !again || attempt >= retries {
			a.log.ErrorContext(ctx, "slack api call failed", "request_id", reqID, "method", method, "attempts", attempt+1, "err", err)
			return fmt.Errorf("slack %s: %w", method, err)
		}
		a.log.WarnContext(ctx, "slack api call retried", "request_id", reqID, "method", method, "attempt", attempt+1, "wait", wait, "err", err)
		if err := a.sleep(ctx, wait); err != nil {
			return fmt.Errorf("slack %s: %w", method, err)
		}
	}
}
