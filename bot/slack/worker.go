package slack

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/workflows"
	slackapi "github.com/slack-go/slack"
)

// job turns a decoded request into the runner's inbound turn.
func (a *Adapter) job(reqID string, in inbound) func(context.Context, *slog.Logger) error {
	return func(ctx context.Context, log *slog.Logger) error {
		log = channel.With(log, slog.String("slack_user", in.userID))
		if in.eventID != "" {
			log = channel.With(log, slog.String("event_id", in.eventID))
		}
		ws, err := a.workspaceFor(ctx, in.org.ID)
		if errors.Is(err, ErrNotInstalled) {
			// Signed by Slack, but from a workspace that has no live
			// installation (never installed, or uninstalled since): there
			// is no token to answer with, and nobody there may act.
			log.WarnContext(ctx, "slack request from a workspace where the app is not installed: refused", "org", in.org.ID)
			a.metrics.Dropped("not_installed")
			return nil
		}
		if err != nil {
			return err
		}
		if ws.id != "" {
			log = channel.With(log, slog.String("installation", ws.id))
		}
		turn := &channel.Inbound{
			ReqID: reqID, Kind: in.kind, Conversation: conversationOf(in), EventID: in.eventID,
			User: in.userID, Text: in.text, Press: in.press, Log: log,
			Identify: func(ctx context.Context) (channel.Sender, error) {
				u, err := a.slackUser(ctx, ws, reqID, in.userID)
				if err != nil {
					return channel.Sender{}, err
				}
				return channel.Sender{Emails: []string{u.Email}, Locale: u.Locale, Org: in.org, Bot: u.Bot}, nil
			},
			Reply: func(ctx context.Context, p workflows.Person, m bot.Message) error {
				return a.answer(ctx, ws, reqID, in, p.Email, m)
			},
		}
		return a.process(ctx, ws, turn, in)
	}
}

// process runs the turn, with Slack's two detours (the App Home tab,
// the reject modal), then retires the pressed buttons.
func (a *Adapter) process(ctx context.Context, ws workspace, turn *channel.Inbound, in inbound) error {
	var who channel.Who
	before := func(ctx context.Context, w channel.Who) (bool, error) {
		who = w
		if in.home {
			return true, a.publishHome(ctx, ws, turn.ReqID, in.userID, w)
		}
		if w.Known && in.press != nil && in.press.ID == bot.ActReject && !in.fromModal && in.triggerID != "" {
			err := a.openRejectModal(ctx, ws, turn.ReqID, in, w.Lang)
			if err == nil {
				return true, nil
			}
			// The engine then asks for the reason in the chat instead.
			turn.Log.WarnContext(ctx, "slack reject modal not opened", "err", err)
		}
		return false, nil
	}
	shown, err := a.run.Handle(ctx, turn, before)
	if who.Known && in.pressed != nil && in.press != nil && in.press.ID != bot.ActReject && !in.home {
		if rerr := a.retirePressed(ctx, ws, turn.ReqID, in.pressed, shown); rerr != nil {
			return rerr
		}
	}
	return err
}

// publishHome sets the App Home tab: the person's subscriptions, or one
// sentence for someone not configured.
func (a *Adapter) publishHome(ctx context.Context, ws workspace, reqID, userID string, w channel.Who) error {
	if !w.Known {
		return a.publish(ctx, ws, reqID, userID, notSetUpHome(a.words, w.Lang))
	}
	var msgs []bot.Message
	if a.opt.Home != nil {
		msgs = a.opt.Home(ctx, w.Person, w.Lang)
	}
	return a.publish(ctx, ws, reqID, userID, RenderHome(a.words, w.Lang, msgs))
}

// retirePressed takes the buttons off a message once one of them has
// been answered (a preview after Confirm, a question after a choice, a
// reminder after Approve), leaving a line that says what was chosen, so
// no stale button stays live. A card the turn itself updated in place
// (an approval card after Approve) is left as the update made it.
func (a *Adapter) retirePressed(ctx context.Context, ws workspace, reqID string, pm *pressedMessage, shown []bot.Message) error {
	for _, m := range shown {
		if a.cards.Shows(ctx, m, pm.channel, pm.ts) {
			return nil
		}
	}
	var blocks []slackapi.Block
	for _, b := range pm.blocks {
		if b.BlockType() != slackapi.MBTAction {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) == len(pm.blocks) {
		return nil // no buttons to retire, or the message is not known
	}
	if pm.label != "" {
		blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn("→ *"+escapeMrkdwn(pm.label)+"*")))
	}
	if err := a.update(ctx, ws, reqID, pm.channel, pm.ts, blocks, pm.text); err != nil && !cardGone(err) {
		return err
	}
	return nil
}

// conversationOf names where the person talks: their DM with the bot
// (however it was reached), or a channel thread.
func conversationOf(in inbound) string {
	switch {
	case in.channel == "" || strings.HasPrefix(in.channel, "D"):
		return "slack:dm:" + in.userID
	case in.thread != "":
		return "slack:" + in.channel + ":" + in.thread
	}
	return "slack:" + in.channel
}

// answer shows one reply of a turn where the person is talking: the DM,
// the mention's thread, or — for a press on a card in a shared channel —
// privately (plain answers) or in their DM (cards). email "" (someone
// not configured) records no card.
func (a *Adapter) answer(ctx context.Context, ws workspace, reqID string, in inbound, email string, m bot.Message) error {
	channelID, thread := in.channel, in.thread
	if in.ephemeral {
		if m.Key == "" {
			return a.postEphemeral(ctx, ws, reqID, in.channel, in.userID, m)
		}
		channelID, thread = "", ""
	}
	if channelID == "" {
		dm, err := a.dmChannel(ctx, ws, reqID, in.userID)
		if err != nil {
			return err
		}
		channelID = dm
	}
	if email == "" {
		m.Key = ""
	}
	return a.place(ctx, ws, reqID, channelID, thread, email, m)
}

// openRejectModal asks for the rejection reason in a modal. It is tried
// once: the trigger expires three seconds after the press.
func (a *Adapter) openRejectModal(ctx context.Context, ws workspace, reqID string, in inbound, lang string) error {
	meta := modalMeta{Value: in.press.Value, Channel: in.channel, Thread: in.thread, Lang: lang, Ephemeral: in.ephemeral}
	view, err := rejectModal(a.words, lang, requestIDOf(in.press.Value), meta)
	if err != nil {
		return err
	}
	return a.retry.Try(ctx, reqID, "views.open", 0, func(ctx context.Context) error {
		_, err := ws.api.OpenViewContext(ctx, in.triggerID, view)
		return err
	})
}

// publish sets someone's App Home tab.
func (a *Adapter) publish(ctx context.Context, ws workspace, reqID, userID string, view slackapi.HomeTabViewRequest) error {
	return a.retry.Do(ctx, reqID, "views.publish", func(ctx context.Context) error {
		_, err := ws.api.PublishViewContext(ctx, slackapi.PublishViewContextRequest{UserID: userID, View: view})
		return err
	})
}
