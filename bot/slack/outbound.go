package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/workflows"
	slackapi "github.com/slack-go/slack"
)

// ErrNotOnSlack: the person's e-mail matches no Slack user of the
// workspace. A router delivering over several platforms can try the next
// one.
var ErrNotOnSlack = errors.New("slack: no Slack user with that e-mail")

// Deliver implements bot.Deliverer: it sends msg to the person's direct
// message with the bot (found by e-mail), or updates the card it
// replaces when msg has a Key already shown to them (the card record
// says so: it is never posted twice). Approval cards are also posted to
// (or updated in) Options.ApprovalsChannel. An error means the message
// was not delivered; the caller may retry it.
func (a *Adapter) Deliver(ctx context.Context, to workflows.Person, msg bot.Message) error {
	return a.deliver(ctx, channel.RequestID("dl-"), to, msg)
}

var _ bot.Deliverer = (*Adapter)(nil)

// deliver reaches the person through the installation of the Slack
// organization they talk from (workflows.Person.Orgs), then the
// single-workspace token: the first workspace where their e-mail is a
// Slack user gets the message.
func (a *Adapter) deliver(ctx context.Context, reqID string, to workflows.Person, msg bot.Message) error {
	spaces, err := a.workspacesOf(ctx, reqID, to)
	if err != nil {
		return errors.Join(err, a.approvalsCopy(ctx, reqID, msg))
	}
	var errs []error
	for _, ws := range spaces {
		userID, err := a.userIDByEmail(ctx, ws, reqID, to.Email)
		if errors.Is(err, ErrNotOnSlack) {
			errs = append(errs, err)
			continue
		}
		if err != nil {
			return err
		}
		dm, err := a.dmChannel(ctx, ws, reqID, userID)
		if err != nil {
			return err
		}
		return a.place(ctx, ws, reqID, dm, "", to.Email, msg)
	}
	if len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%w: no Slack workspace to reach %s through", ErrNotOnSlack, to.Email))
	}
	// The approvals channel still gets its copy.
	return errors.Join(append(errs, a.approvalsCopy(ctx, reqID, msg))...)
}

// place shows m in channel (thread) of ws for owner, then the approvals
// channel copy.
func (a *Adapter) place(ctx context.Context, ws workspace, reqID, channelID, thread, owner string, m bot.Message) error {
	err := a.cards.Show(ctx, reqID, poster{a, ws}, owner, channel.Address{Conversation: channelID, Thread: thread, Org: ws.id}, m)
	if channelID != a.opt.ApprovalsChannel {
		err = errors.Join(err, a.approvalsCopy(ctx, reqID, m))
	}
	return err
}

// approvalsCopy shows an approval card in Options.ApprovalsChannel, of
// the workspace Options.ApprovalsTeam (the single-workspace token's
// when empty).
func (a *Adapter) approvalsCopy(ctx context.Context, reqID string, m bot.Message) error {
	if a.opt.ApprovalsChannel == "" || m.Kind != bot.KindApproval || m.Key == "" {
		return nil
	}
	ws, err := a.workspaceFor(ctx, a.opt.ApprovalsTeam)
	if err != nil {
		return fmt.Errorf("slack approvals channel: %w", err)
	}
	return a.cards.Show(ctx, reqID, poster{a, ws}, "#"+a.opt.ApprovalsChannel, channel.Address{Conversation: a.opt.ApprovalsChannel, Org: ws.id}, m)
}

// poster is the adapter as a channel.Poster: Block Kit over the Web API
// of one workspace (a card recorded in another is updated through that
// one's client).
type poster struct {
	a  *Adapter
	ws workspace
}

func (p poster) on(ctx context.Context, org string) (workspace, error) {
	if org == p.ws.id {
		return p.ws, nil
	}
	return p.a.workspaceFor(ctx, org)
}

func (p poster) Hash(m bot.Message, _ channel.Address) string {
	return contentHash(Render(p.a.words, m), FallbackText(m))
}

func (p poster) Post(ctx context.Context, reqID string, at channel.Address, m bot.Message) (channel.Place, error) {
	blocks, text := Render(p.a.words, m), FallbackText(m)
	if len(blocks) == 0 && text == "" {
		return channel.Place{}, nil
	}
	ws, err := p.on(ctx, at.Org)
	if err != nil {
		return channel.Place{}, err
	}
	ch, ts, err := p.a.post(ctx, ws, reqID, at.Conversation, at.Thread, blocks, text)
	return channel.Place{Conversation: ch, MessageID: ts, Org: ws.id}, err
}

func (p poster) Update(ctx context.Context, reqID string, at channel.Place, m bot.Message) error {
	ws, err := p.on(ctx, at.Org)
	if err != nil {
		return err
	}
	return p.a.update(ctx, ws, reqID, at.Conversation, at.MessageID, Render(p.a.words, m), FallbackText(m))
}

// Gone: the message cannot be updated any more — deleted, or its
// workspace uninstalled the app (then a new copy goes where the person
// is reachable now).
func (poster) Gone(err error) bool { return cardGone(err) || errors.Is(err, ErrNotInstalled) }

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
func (a *Adapter) post(ctx context.Context, ws workspace, reqID, channelID, thread string, blocks []slackapi.Block, text string) (string, string, error) {
	var ch, ts string
	err := a.retry.Do(ctx, reqID, "chat.postMessage", func(ctx context.Context) error {
		var err error
		ch, ts, err = ws.api.postMessage(ctx, channelID, thread, blocks, text)
		return err
	})
	return ch, ts, err
}

func (a *Adapter) update(ctx context.Context, ws workspace, reqID, channelID, ts string, blocks []slackapi.Block, text string) error {
	return a.retry.Do(ctx, reqID, "chat.update", func(ctx context.Context) error {
		return ws.api.updateMessage(ctx, channelID, ts, blocks, text)
	})
}

// postEphemeral answers one person in a shared channel.
func (a *Adapter) postEphemeral(ctx context.Context, ws workspace, reqID, channelID, userID string, m bot.Message) error {
	blocks, text := Render(a.words, m), FallbackText(m)
	return a.retry.Do(ctx, reqID, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := ws.api.PostEphemeralContext(ctx, channelID, userID, msgOptions(blocks, text, "")...)
		return err
	})
}
