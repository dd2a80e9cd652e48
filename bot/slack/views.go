package slack

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
	slackapi "github.com/slack-go/slack"
)

// rejectCallbackID names the reject modal in view_submission payloads.
const rejectCallbackID = "licensebot.reject"

// Block and action ids of the reason input in the reject modal.
const (
	reasonBlockID  = "reason"
	reasonActionID = "reason"
	maxReason      = 500
)

// maxPrivateMetadata is Slack's limit for a view's private_metadata.
const maxPrivateMetadata = 3000

// RenderHome lays out the App Home tab: a title, then each message's
// blocks separated by dividers, within Slack's 100-block limit. Messages
// that do not fit are left out with a line pointing to the chat.
func RenderHome(w channel.Words, lang string, msgs []bot.Message) slackapi.HomeTabViewRequest {
	blocks := []slackapi.Block{slackapi.NewHeaderBlock(plain(w.Say(lang, channel.HomeTitle), maxHeaderText))}
	if len(msgs) == 0 {
		blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(w.Say(lang, channel.HomeEmpty)), nil, nil))
	}
	for i, m := range msgs {
		mb := renderBlocks(w, m, maxMessageBlocks)
		if len(mb) == 0 {
			continue
		}
		// One divider before the message, and room kept for the
		// "more in a direct message" line.
		if len(blocks)+1+len(mb)+1 > maxHomeBlocks {
			blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(w.Say(lang, channel.HomeTruncated))))
			break
		}
		if i > 0 || len(blocks) > 1 {
			blocks = append(blocks, slackapi.NewDividerBlock())
		}
		blocks = append(blocks, mb...)
	}
	return slackapi.HomeTabViewRequest{Type: slackapi.VTHomeTab, Blocks: slackapi.Blocks{BlockSet: blocks}}
}

// notSetUpHome is the App Home of someone who is not configured.
func notSetUpHome(w channel.Words, lang string) slackapi.HomeTabViewRequest {
	return slackapi.HomeTabViewRequest{Type: slackapi.VTHomeTab, Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
		slackapi.NewSectionBlock(mrkdwn(escapeMrkdwn(w.Say(lang, channel.NotSetUp))), nil, nil),
	}}}
}

// modalMeta is what the reject modal carries between views.open and
// view_submission: the pressed button's value and where to answer.
type modalMeta struct {
	Value   string `json:"v"`
	Channel string `json:"c,omitempty"`
	Thread  string `json:"t,omitempty"`
	Lang    string `json:"l,omitempty"`
	// Ephemeral: the card was a top-level channel message (approvals
	// channel); plain answers go to the presser only.
	Ephemeral bool `json:"e,omitempty"`
}

// rejectModal asks for an optional rejection reason. requestID is shown
// so the approver knows which request they are rejecting.
func rejectModal(w channel.Words, lang, requestID string, meta modalMeta) (slackapi.ModalViewRequest, error) {
	md, err := json.Marshal(meta)
	if err != nil {
		return slackapi.ModalViewRequest{}, fmt.Errorf("encode modal metadata: %w", err)
	}
	if len(md) > maxPrivateMetadata {
		return slackapi.ModalViewRequest{}, fmt.Errorf("modal metadata is %d bytes, over Slack's %d", len(md), maxPrivateMetadata)
	}
	input := slackapi.NewPlainTextInputBlockElement(nil, reasonActionID).
		WithMultiline(true).
		WithMaxLength(maxReason)
	reason := slackapi.NewInputBlock(reasonBlockID, plain(w.Say(lang, channel.ModalLabel), 2000),
		plain(w.Say(lang, channel.ModalHint), 2000), input).WithOptional(true)
	var blocks []slackapi.Block
	if requestID != "" {
		blocks = append(blocks, slackapi.NewSectionBlock(
			mrkdwn(w.Sayf(lang, channel.ModalIntro, map[string]any{"Request": escTrunc(requestID, 200)})), nil, nil))
	}
	blocks = append(blocks, reason)
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      rejectCallbackID,
		Title:           plain(w.Say(lang, channel.ModalTitle), 24),
		Submit:          plain(w.Say(lang, channel.ModalSubmit), 24),
		Close:           plain(w.Say(lang, channel.ModalClose), 24),
		PrivateMetadata: string(md),
		Blocks:          slackapi.Blocks{BlockSet: blocks},
	}, nil
}

// reasonFrom reads the reason typed in the reject modal.
func reasonFrom(v slackapi.View) string {
	if v.State == nil {
		return ""
	}
	return strings.TrimSpace(v.State.Values[reasonBlockID][reasonActionID].Value)
}

// requestIDOf is the request id in a "customer:request" button value.
func requestIDOf(value string) string {
	if _, id, ok := strings.Cut(value, ":"); ok {
		return id
	}
	return value
}
