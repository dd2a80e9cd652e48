package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/workflows"
	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// inbound is what a worker needs to run one turn, decoded from an event,
// an interaction or a command while the request is acknowledged.
type inbound struct {
	kind    string // metrics and logs: "message.im", "block_actions", ...
	userID  string
	eventID string
	// channel/thread say where plain answers go; channel "" means the
	// person's direct message with the bot.
	channel string
	thread  string
	// ephemeral: the press was on a top-level card in a shared channel
	// (the approvals channel); plain answers go to the presser alone and
	// cards to their direct messages.
	ephemeral bool
	text      string
	press     *bot.Press
	// triggerID lets the Reject press open the reason modal (valid 3 s).
	triggerID string
	// fromModal: the press is the reject modal's submission.
	fromModal bool
	// home: publish the App Home tab instead of running a turn.
	home bool
	// pressed is the message whose button was pressed, so that once the
	// turn is answered its buttons can be retired.
	pressed *pressedMessage
	// org is the workspace (or Enterprise Grid org) it comes from.
	org workflows.Org
}

// pressedMessage is where a pressed button was, and what it showed.
type pressedMessage struct {
	channel, ts, label, text string
	blocks                   []slackapi.Block
}

// eventResult is what the events endpoint answers.
type eventResult struct {
	challenge string
	busy      bool
	// replay is why a replay check refused the request.
	replay error
}

// onEventsPayload decodes an Events API payload (HTTP body or Socket
// Mode envelope), de-duplicates it on event_id and queues the work.
// Unknown or malformed payloads are logged and acknowledged.
//
// replay (HTTP mode) refuses a request seen before, for the payloads
// that act without going through a turn's event claim; nil in Socket
// Mode, where Slack itself is the only sender.
func (a *Adapter) onEventsPayload(ctx context.Context, reqID string, raw []byte, retryNum string, replay func(context.Context) error) eventResult {
	// The events a turn answers (messages, mentions, App Home) are
	// decoded in one pass; everything else, and anything that pass
	// cannot read, goes through slackevents.
	if cb, ok := decodeCallback(raw); ok {
		in, ok := inboundOf(*cb.Event)
		if !ok {
			a.log.DebugContext(ctx, "slack event skipped", "request_id", reqID, "type", cb.Event.Type, "event_id", cb.EventID)
			return eventResult{}
		}
		return a.queueEvent(ctx, reqID, in, cb.EventID, orgOf(cb.TeamID, cb.EnterpriseID, enterpriseInstall(cb.Authorizations)), retryNum, replay)
	}
	log := a.log.With("request_id", reqID)
	ev, err := slackevents.ParseEvent(json.RawMessage(raw), slackevents.OptionNoVerifyToken())
	if err != nil {
		// Also the path of inner events we do not subscribe to.
		log.InfoContext(ctx, "slack event ignored", "reason", err.Error())
		a.metrics.Event("unknown")
		return eventResult{}
	}
	switch ev.Type {
	case slackevents.URLVerification:
		a.metrics.Event("url_verification")
		if v, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent); ok {
			return eventResult{challenge: v.Challenge}
		}
		return eventResult{}
	case slackevents.AppRateLimited:
		a.metrics.Event("app_rate_limited")
		log.WarnContext(ctx, "slack is rate limiting our event subscription")
		return eventResult{}
	case slackevents.CallbackEvent:
	default:
		log.InfoContext(ctx, "slack event ignored", "type", ev.Type)
		a.metrics.Event("unknown")
		return eventResult{}
	}
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return eventResult{}
	}
	if gone, ok := a.uninstallOf(ev.InnerEvent); ok {
		if replay != nil {
			if err := replay(ctx); err != nil {
				return eventResult{replay: err}
			}
		}
		org := orgOf(cb.TeamID, cb.EnterpriseID, enterpriseInstall(cb.Authorizations))
		a.metrics.Event(gone)
		if err := a.onUninstall(ctx, reqID, org.ID, gone); err != nil {
			// Slack retries: the token must not outlive the uninstall.
			log.ErrorContext(ctx, "slack uninstall not recorded", "installation", org.ID, "err", err)
			return eventResult{busy: true}
		}
		return eventResult{}
	}
	in, ok := a.inboundFromEvent(ev.InnerEvent)
	if !ok {
		log.DebugContext(ctx, "slack event skipped", "type", ev.InnerEvent.Type, "event_id", cb.EventID)
		return eventResult{}
	}
	return a.queueEvent(ctx, reqID, in, cb.EventID, orgOf(cb.TeamID, cb.EnterpriseID, enterpriseInstall(cb.Authorizations)), retryNum, replay)
}

// queueEvent hands an event's turn to the runner.
func (a *Adapter) queueEvent(ctx context.Context, reqID string, in inbound, eventID string, org workflows.Org, retryNum string, replay func(context.Context) error) eventResult {
	in.eventID = eventID
	in.org = org
	a.metrics.Event(in.kind)
	// No claim of the event here: the turn claims the event id first of
	// all, so a retry (or a replay) is handled once. A refused event took
	// no claim, so Slack's retry of it is handled normally. Without an
	// event id only the signature tells a replay.
	if eventID == "" && replay != nil {
		if err := replay(ctx); err != nil {
			return eventResult{replay: err}
		}
	}
	if !a.enqueue(ctx, reqID, in) {
		return eventResult{busy: true}
	}
	if retryNum != "" && retryNum != "0" {
		a.log.InfoContext(ctx, "slack event retried", "request_id", reqID, "event_id", eventID, "retry", retryNum)
	}
	return eventResult{}
}

// callback is what the bot reads of an Events API callback whose inner
// event starts a turn. slackevents.ParseEvent decodes such a payload
// five times (the envelope twice, the inner event's type, the event,
// and a message's body again), a noticeable share of a turn's CPU;
// this is one pass over it, with only the fields inboundOf looks at.
type callback struct {
	Type           string                        `json:"type"`
	TeamID         string                        `json:"team_id"`
	EnterpriseID   string                        `json:"enterprise_id"`
	EventID        string                        `json:"event_id"`
	Authorizations []slackapi.EventAuthorization `json:"authorizations"`
	Event          *innerEvent                   `json:"event"`
}

// innerEvent holds the fields of message, app_mention and
// app_home_opened events that decide whether and how to answer.
type innerEvent struct {
	Type        string `json:"type"`
	SubType     string `json:"subtype"`
	ChannelType string `json:"channel_type"`
	Channel     string `json:"channel"`
	User        string `json:"user"`
	BotID       string `json:"bot_id"`
	Text        string `json:"text"`
	TimeStamp   string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
	Tab         string `json:"tab"`
	// Edited is set when a mention comes from an edited message.
	Edited *struct{} `json:"edited"`
}

// decodeCallback reads a callback whose inner event may start a turn;
// false for any other payload, or one it cannot read, which
// slackevents then decodes (and refuses, or routes elsewhere).
func decodeCallback(raw []byte) (callback, bool) {
	var cb callback
	if err := json.Unmarshal(raw, &cb); err != nil || cb.Type != string(slackevents.CallbackEvent) || cb.Event == nil {
		return callback{}, false
	}
	switch cb.Event.Type {
	case string(slackevents.Message), string(slackevents.AppMention), string(slackevents.AppHomeOpened):
		return cb, true
	}
	return callback{}, false
}

// uninstallOf says whether the event ends an installation:
// app_uninstalled, or tokens_revoked naming a bot token (user tokens,
// which the bot never holds, do not matter).
func (a *Adapter) uninstallOf(ie slackevents.EventsAPIInnerEvent) (string, bool) {
	switch e := ie.Data.(type) {
	case *slackevents.AppUninstalledEvent:
		return "app_uninstalled", true
	case *slackevents.TokensRevokedEvent:
		return "tokens_revoked", len(e.Tokens.Bot) > 0
	}
	return "", false
}

// onUninstall deletes the workspace's token and marks the installation
// uninstalled (audited). Without distribution there is nothing stored:
// the single-workspace token is dead, which only the operator can fix.
func (a *Adapter) onUninstall(ctx context.Context, reqID, id, reason string) error {
	if a.installs == nil {
		a.log.ErrorContext(ctx, "slack app removed from the workspace: SLACK_BOT_TOKEN no longer works", "request_id", reqID, "reason", reason)
		return nil
	}
	changed, err := a.installs.Uninstall(ctx, id, reason)
	if err != nil {
		return err
	}
	a.clients.drop(strings.ToUpper(id))
	if !changed {
		a.log.InfoContext(ctx, "slack uninstall of a workspace with no live installation", "request_id", reqID, "installation", id, "reason", reason)
	}
	return nil
}

// enterpriseInstall: the app is installed org-wide on an Enterprise
// Grid, so people are of the enterprise rather than of one workspace.
func enterpriseInstall(auths []slackapi.EventAuthorization) bool {
	for _, au := range auths {
		if au.IsEnterpriseInstall {
			return true
		}
	}
	return false
}

// inboundFromEvent is inboundOf for an event slackevents decoded.
func (a *Adapter) inboundFromEvent(ie slackevents.EventsAPIInnerEvent) (inbound, bool) {
	switch e := ie.Data.(type) {
	case *slackevents.MessageEvent:
		return inboundOf(innerEvent{Type: string(slackevents.Message), SubType: e.SubType, ChannelType: e.ChannelType,
			Channel: e.Channel, User: e.User, BotID: e.BotID, Text: e.Text, TimeStamp: e.TimeStamp, ThreadTS: e.ThreadTimeStamp})
	case *slackevents.AppMentionEvent:
		ev := innerEvent{Type: string(slackevents.AppMention), Channel: e.Channel, User: e.User, BotID: e.BotID,
			Text: e.Text, TimeStamp: e.TimeStamp, ThreadTS: e.ThreadTimeStamp}
		if e.Edited != nil {
			ev.Edited = &struct{}{}
		}
		return inboundOf(ev)
	case *slackevents.AppHomeOpenedEvent:
		return inboundOf(innerEvent{Type: string(slackevents.AppHomeOpened), User: e.User, Tab: e.Tab})
	}
	return inbound{}, false
}

// inboundOf picks the events we act on: direct messages, mentions and
// App Home opens. Bot messages, edits, deletions and other subtypes are
// skipped, so the bot never answers itself.
func inboundOf(e innerEvent) (inbound, bool) {
	switch e.Type {
	case string(slackevents.Message):
		if e.ChannelType != "im" || e.SubType != "" || e.BotID != "" || e.User == "" {
			return inbound{}, false
		}
		return inbound{kind: "message.im", userID: e.User, channel: e.Channel, thread: e.ThreadTS,
			text: plainText(e.Text)}, true
	case string(slackevents.AppMention):
		// In a direct message the same words also arrive as message.im.
		if e.BotID != "" || e.User == "" || e.Edited != nil || strings.HasPrefix(e.Channel, "D") {
			return inbound{}, false
		}
		thread := e.ThreadTS
		if thread == "" {
			thread = e.TimeStamp
		}
		return inbound{kind: "app_mention", userID: e.User, channel: e.Channel, thread: thread,
			text: plainText(e.Text)}, true
	case string(slackevents.AppHomeOpened):
		if e.Tab != "home" || e.User == "" {
			return inbound{}, false
		}
		return inbound{kind: "app_home_opened", userID: e.User, home: true}, true
	}
	return inbound{}, false
}

// parseInteraction decodes an interaction payload.
func parseInteraction(raw []byte) (slackapi.InteractionCallback, error) {
	var ic slackapi.InteractionCallback
	if err := json.Unmarshal(raw, &ic); err != nil {
		return ic, fmt.Errorf("decode interaction: %w", err)
	}
	if ic.User.ID == "" {
		return ic, errors.New("interaction without a user")
	}
	return ic, nil
}

// onInteraction queues a button press or a reject-modal submission. It
// reports false when the work was refused (queue full).
func (a *Adapter) onInteraction(ctx context.Context, reqID string, ic slackapi.InteractionCallback) bool {
	log := a.log.With("request_id", reqID, "type", string(ic.Type))
	var in inbound
	switch ic.Type {
	case slackapi.InteractionTypeBlockActions:
		if len(ic.ActionCallback.BlockActions) == 0 {
			log.InfoContext(ctx, "slack block_actions without an action")
			return true
		}
		act := ic.ActionCallback.BlockActions[0]
		press, pressedLabel := blockPress(act)
		in = inbound{kind: "block_actions", userID: ic.User.ID, triggerID: ic.TriggerID, eventID: act.ActionTs, press: press}
		channel := ic.Container.ChannelID
		if channel == "" {
			channel = ic.Channel.ID
		}
		if ic.Container.Type == "message" && ic.Container.MessageTs != "" && channel != "" && !ic.Container.IsEphemeral {
			in.pressed = &pressedMessage{channel: channel, ts: ic.Container.MessageTs, label: pressedLabel,
				text: ic.Message.Text, blocks: ic.Message.Blocks.BlockSet}
		}
		thread := ic.Container.ThreadTs
		if thread == "" {
			thread = ic.Message.ThreadTimestamp
		}
		switch {
		case ic.Container.Type == "view" || channel == "" || strings.HasPrefix(channel, "D"):
			// App Home or the direct message: answer in the DM.
			in.thread = thread
			if channel != "" && strings.HasPrefix(channel, "D") {
				in.channel = channel
			}
		case thread != "":
			// A conversation held in a channel thread continues there.
			in.channel, in.thread = channel, thread
		default:
			in.channel, in.ephemeral = channel, true
		}
	case slackapi.InteractionTypeViewSubmission:
		if ic.View.CallbackID != rejectCallbackID {
			log.InfoContext(ctx, "slack view submission ignored", "callback_id", ic.View.CallbackID)
			return true
		}
		var meta modalMeta
		if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &meta); err != nil || meta.Value == "" {
			log.WarnContext(ctx, "slack reject modal without metadata", "err", err)
			return true
		}
		in = inbound{kind: "view_submission", userID: ic.User.ID, fromModal: true,
			channel: meta.Channel, thread: meta.Thread, ephemeral: meta.Ephemeral,
			press: &bot.Press{ID: bot.ActReject, Value: meta.Value, Text: reasonFrom(ic.View)}}
	default:
		log.DebugContext(ctx, "slack interaction ignored")
		return true
	}
	in.org = orgOf(ic.Team.ID, ic.Enterprise.ID, ic.IsEnterpriseInstall)
	a.metrics.Event(in.kind)
	if !a.enqueue(ctx, reqID, in) {
		log.ErrorContext(ctx, "slack interaction dropped: queue full", "user", in.userID)
		return false
	}
	return true
}

// slashFromForm reads a slash command from its form, as
// slack.SlashCommandParse would from the request (the body is already
// read for the signature).
func slashFromForm(f url.Values) slackapi.SlashCommand {
	return slackapi.SlashCommand{
		TeamID: f.Get("team_id"), ChannelID: f.Get("channel_id"), UserID: f.Get("user_id"),
		Command: f.Get("command"), Text: f.Get("text"), TriggerID: f.Get("trigger_id"),
		ResponseURL: f.Get("response_url"), APIAppID: f.Get("api_app_id"),
		EnterpriseID: f.Get("enterprise_id"), IsEnterpriseInstall: f.Get("is_enterprise_install") == "true",
	}
}

// onSlash queues /licences [text]. The answer goes to the person's
// direct message with the bot: the bot may not be a member of the
// channel the command was typed in, and cards there could not be updated
// (command answers via response_url are ephemeral).
func (a *Adapter) onSlash(ctx context.Context, reqID string, cmd slackapi.SlashCommand) bool {
	a.metrics.Event("slash_command")
	// Even typed in a direct message, that DM may be between two people:
	// the answer always goes to the bot's own DM with the person.
	in := inbound{kind: "slash_command", userID: cmd.UserID, text: strings.TrimSpace(cmd.Text),
		org: orgOf(cmd.TeamID, cmd.EnterpriseID, cmd.IsEnterpriseInstall)}
	if !a.enqueue(ctx, reqID, in) {
		a.log.ErrorContext(ctx, "slack command dropped: queue full", "request_id", reqID, "user", cmd.UserID)
		return false
	}
	return true
}

// enqueue hands work to the runner, sharded by Slack user. It never
// waits: a full queue is refused at once (counted and logged there).
func (a *Adapter) enqueue(_ context.Context, reqID string, in inbound) bool {
	return a.run.Submit(in.userID, reqID, in.kind, a.job(reqID, in)) == nil
}

// Slack's markup in incoming text: <@U123>, <#C1|name>, <https://x|label>,
// <!here>; and the entities &amp; &lt; &gt;.
var slackMarkup = regexp.MustCompile(`<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>`)

// plainText turns Slack's incoming markup into the plain words a person
// typed: mentions (of the bot, in app_mention) are dropped, links become
// their label or address, entities are decoded.
func plainText(s string) string {
	if strings.ContainsAny(s, "<&") {
		s = unmarkup(s)
	}
	// Tidy the spaces a removed mention leaves, keeping line breaks (a
	// rejection reason may have several lines).
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// slackEntities decodes the three entities Slack escapes in text.
var slackEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// unmarkup replaces Slack's markup and entities in s.
func unmarkup(s string) string {
	s = slackMarkup.ReplaceAllStringFunc(s, func(m string) string {
		p := slackMarkup.FindStringSubmatch(m)
		switch p[1] {
		case "@", "!":
			return ""
		case "#":
			return p[3]
		}
		if p[3] != "" {
			return p[3]
		}
		return p[2]
	})
	return slackEntities.Replace(s)
}
