// Package bot is the conversation engine, the dialogue: it turns a
// neutral Turn (who said what, or pressed which button) into neutral
// Messages, keeping the dialogue state in the store. It parses intents in
// English and French, fills missing slots by asking, keeps drafts,
// handles presses, calls the workflow, and chooses which card to show and
// to whom; it tells people about their requests as the workflow moves
// them, and hands reminders to the Deliverer.
//
// What a card looks like is bot/cards (pure rendering, no I/O); the
// message model the two share is bot/chat, re-exported here so adapters
// need import only this package. Nothing here knows Slack or Teams: the
// adapters in bot/slack, bot/teams and bot/console render Messages and
// turn platform events into Turns.
package bot

import (
	"github.com/licensebot/licensebot/bot/chat"
)

// The neutral message model is package chat; these names keep the
// adapters' bot.Message, bot.Turn and friends.
type (
	// Style of an action button.
	Style = chat.Style
	// Kind says what a message is.
	Kind = chat.Kind
	// Field is a label/value pair.
	Field = chat.Field
	// Action is a button.
	Action = chat.Action
	// Message is one neutral bot message.
	Message = chat.Message
	// Press is a pressed button.
	Press = chat.Press
	// Turn is what an adapter hands in.
	Turn = chat.Turn
	// Tone colours a status line.
	Tone = chat.Tone
	// Status is a card's coloured line at the top.
	Status = chat.Status
)

// Status tones.
const (
	ToneNeutral   = chat.ToneNeutral
	ToneInfo      = chat.ToneInfo
	ToneGood      = chat.ToneGood
	ToneWarning   = chat.ToneWarning
	ToneAttention = chat.ToneAttention
)

// Button styles.
const (
	StyleDefault = chat.StyleDefault
	StylePrimary = chat.StylePrimary
	StyleDanger  = chat.StyleDanger
)

// Message kinds.
const (
	KindText     = chat.KindText
	KindHelp     = chat.KindHelp
	KindList     = chat.KindList
	KindPreview  = chat.KindPreview
	KindRefusal  = chat.KindRefusal
	KindQuestion = chat.KindQuestion
	KindRequest  = chat.KindRequest
	KindApproval = chat.KindApproval
	KindReminder = chat.KindReminder
	KindError    = chat.KindError
)

// Action ids (see package chat for what their values carry).
const (
	ActConfirm    = chat.ActConfirm
	ActCancel     = chat.ActCancel
	ActChoose     = chat.ActChoose
	ActAlt        = chat.ActAlt
	ActApprove    = chat.ActApprove
	ActReject     = chat.ActReject
	ActWithdraw   = chat.ActWithdraw
	ActStart      = chat.ActStart
	ActCheckAgain = chat.ActCheckAgain
	ActMarkDone   = chat.ActMarkDone
	ActSendAgain  = chat.ActSendAgain
	ActKeep       = chat.ActKeep
	ActMute       = chat.ActMute
	ActUnmute     = chat.ActUnmute
)

// SplitActions is the row of buttons and what goes behind "More…" (see
// chat.SplitActions), for the adapters.
func SplitActions(actions []Action) (row, more []Action) { return chat.SplitActions(actions) }

// Button layout limits (see package chat).
const (
	MaxRowButtons  = chat.MaxRowButtons
	MaxButtonLabel = chat.MaxButtonLabel
	MaxChoiceLabel = chat.MaxChoiceLabel
)
