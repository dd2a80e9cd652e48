package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/workflows"
	slackapi "github.com/slack-go/slack"
)

// runJob runs one queued turn with a deadline; a panic is logged, never
// fatal to the worker.
func (a *Adapter) runJob(base context.Context, j job) {
	ctx, cancel := context.WithTimeout(base, a.opt.JobTimeout)
	defer cancel()
	log := a.log.With("request_id", j.reqID, "type", j.in.kind, "slack_user", j.in.userID)
	if j.in.eventID != "" {
		log = log.With("event_id", j.in.eventID)
	}
	defer func() {
		if v := recover(); v != nil {
			log.ErrorContext(ctx, "slack turn panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	if err := a.process(ctx, log, j.reqID, j.in); err != nil {
		log.ErrorContext(ctx, "slack turn failed", "err", err)
	}
}

// process identifies the person, runs the turn and shows the answers.
func (a *Adapter) process(ctx context.Context, log *slog.Logger, reqID string, in inbound) error {
	u, err := a.slackUser(ctx, reqID, in.userID)
	if err != nil {
		return fmt.Errorf("identify: %w", err)
	}
	if u.Bot {
		return nil
	}
	p, known := workflows.Person{}, false
	if u.Email != "" {
		p, known = a.opt.Directory.Lookup(u.Email)
	}
	lang := langOf(p, u)
	if !known {
		// Not configured: one polite sentence and nothing else. The
		// e-mail stays out of the logs; the Slack id is enough to look
		// the person up.
		log.InfoContext(ctx, "slack user not configured", "has_email", u.Email != "")
		if in.home {
			return a.publish(ctx, reqID, in.userID, notSetUpHome(lang))
		}
		return a.answer(ctx, reqID, in, u.Email, bot.Message{Kind: bot.KindRefusal, Lang: lang, Text: phrase(lang, phNotSetUp)})
	}
	if in.home {
		var msgs []bot.Message
		if a.opt.Home != nil {
			msgs = a.opt.Home(ctx, p, lang)
		}
		return a.publish(ctx, reqID, in.userID, RenderHome(lang, msgs))
	}
	if in.press != nil && in.press.ID == bot.ActReject && !in.fromModal && in.triggerID != "" {
		err := a.openRejectModal(ctx, reqID, in, lang)
		if err == nil {
			return nil
		}
		// The engine then asks for the reason in the chat instead.
		log.WarnContext(ctx, "slack reject modal not opened", "err", err)
	}
	h := a.currentHandler()
	if h == nil {
		return errHandlerMissing
	}
	turn := bot.Turn{
		Person:       p,
		Locale:       u.Locale,
		Platform:     "slack",
		Conversation: conversationOf(in),
		EventID:      in.eventID,
		Text:         in.text,
		Press:        in.press,
	}
	start := a.opt.Clock.Now()
	msgs, herr := h.Handle(ctx, turn)
	a.metrics.TurnDuration(a.opt.Clock.Now().Sub(start))
	if herr != nil {
		// The engine still returns a sentence for the person; show it.
		log.ErrorContext(ctx, "engine turn failed", "err", herr)
	}
	var errs []error
	for _, m := range msgs {
		if m.To != "" && !strings.EqualFold(m.To, p.Email) {
			// Meant for someone else: deliver it to them, never here.
			other, ok := a.opt.Directory.Lookup(m.To)
			if !ok {
				log.WarnContext(ctx, "slack reply for an unknown recipient dropped", "kind", string(m.Kind), "request", m.RequestID)
				continue
			}
			if err := a.deliver(ctx, reqID, other, m); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if err := a.answer(ctx, reqID, in, p.Email, m); err != nil {
			errs = append(errs, err)
		}
	}
	if in.pressed != nil && in.press != nil && in.press.ID != bot.ActReject {
		errs = append(errs, a.retirePressed(ctx, reqID, in.pressed, msgs, p.Email))
	}
	return errors.Join(errs...)
}

// retirePressed takes the buttons off a message once one of them has
// been answered (a preview after Confirm, a question after a choice, a
// reminder after Approve), leaving a line that says what was chosen, so
// no stale button stays live. A card the turn itself updated in place
// (an approval card after Approve) is left as the update made it.
func (a *Adapter) retirePressed(ctx context.Context, reqID string, pm *pressedMessage, msgs []bot.Message, owner string) error {
	for _, m := range msgs {
		if m.Key == "" {
			continue
		}
		for _, refID := range []string{m.Key + ":" + strings.ToLower(owner), m.Key + ":#" + a.opt.ApprovalsChannel} {
			if ref, found, err := a.loadRef(ctx, refID); err == nil && found && ref.Channel == pm.channel && ref.TS == pm.ts {
				return nil
			}
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
	if err := a.update(ctx, reqID, pm.channel, pm.ts, blocks, pm.text); err != nil && !cardGone(err) {
		return err
	}
	return nil
}

// langOf is the language for the adapter's own sentences: the
// configured locale, else Slack's, else English.
func langOf(p workflows.Person, u slackUser) string {
	if l := bot.Lang(p.Locale); l != "" {
		return l
	}
	if l := bot.Lang(u.Locale); l != "" {
		return l
	}
	return "en"
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
// privately (plain answers) or in their DM (cards).
func (a *Adapter) answer(ctx context.Context, reqID string, in inbound, email string, m bot.Message) error {
	channel, thread := in.channel, in.thread
	if in.ephemeral {
		if m.Key == "" {
			return a.postEphemeral(ctx, reqID, in.channel, in.userID, m)
		}
		channel, thread = "", ""
	}
	if channel == "" {
		dm, err := a.dmChannel(ctx, reqID, in.userID)
		if err != nil {
			return err
		}
		channel = dm
	}
	return a.place(ctx, reqID, channel, thread, email, m)
}

// openRejectModal asks for the rejection reason in a modal. It is tried
// once: the trigger expires three seconds after the press.
func (a *Adapter) openRejectModal(ctx context.Context, reqID string, in inbound, lang string) error {
	meta := modalMeta{Value: in.press.Value, Channel: in.channel, Thread: in.thread, Lang: lang, Ephemeral: in.ephemeral}
	view, err := rejectModal(lang, requestIDOf(in.press.Value), meta)
	if err != nil {
		return err
	}
	return a.call(ctx, reqID, "views.open", 0, func(ctx context.Context) error {
		_, err := a.api.OpenViewContext(ctx, in.triggerID, view)
		return err
	})
}

// publish sets someone's App Home tab.
func (a *Adapter) publish(ctx context.Context, reqID, userID string, view slackapi.HomeTabViewRequest) error {
	return a.call(ctx, reqID, "views.publish", a.retries, func(ctx context.Context) error {
		_, err := a.api.PublishViewContext(ctx, slackapi.PublishViewContextRequest{UserID: userID, View: view})
		return err
	})
}
