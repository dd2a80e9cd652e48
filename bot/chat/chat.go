// Package chat is the neutral message model every part of the bot
// speaks: the conversation engine (package bot) writes Messages and reads
// Turns, the card renderer (bot/cards) lays Messages out, and the
// adapters (bot/slack, bot/teams, bot/console) turn them into platform
// messages and platform events into Turns. It also fixes the button ids
// and the format of their values, since the renderer writes them and the
// engine reads them back.
//
// It imports nothing of the bot, so both sides can depend on it.
package chat

import (
	"github.com/licensebot/licensebot/workflows"
)

// Style of an action button.
type Style string

// Button styles.
const (
	StyleDefault Style = ""
	StylePrimary Style = "primary"
	StyleDanger  Style = "danger"
)

// Kind says what a message is, so renderers can lay it out well (a
// request card, a list, a plain answer).
type Kind string

// Message kinds.
const (
	KindText     Kind = "text"
	KindHelp     Kind = "help"
	KindList     Kind = "list"
	KindPreview  Kind = "preview"
	KindRefusal  Kind = "refusal"
	KindQuestion Kind = "question"
	KindRequest  Kind = "request"  // the requester's view of a request
	KindApproval Kind = "approval" // the approver's card
	KindReminder Kind = "reminder"
	KindError    Kind = "error"
)

// Field is a label/value pair, such as "Monthly cost: €84.00 → €100.80".
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Action is a button. Value carries only ids; the server decides the rest
// from stored state when it is pressed.
type Action struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Style Style  `json:"style,omitempty"`
	// Confirm, when set, asks "are you sure?" with this text before the
	// press is sent (irreversible actions).
	Confirm string `json:"confirm,omitempty"`
	Value   string `json:"value,omitempty"`
}

// Message is one neutral bot message.
type Message struct {
	// To is the recipient's e-mail.
	To   string `json:"to"`
	Kind Kind   `json:"kind"`
	// Lang is the language it is written in ("en", "fr").
	Lang string `json:"lang"`
	// Title is an optional heading.
	Title string `json:"title,omitempty"`
	// Text uses a small markdown subset: *bold*, _italic_, line breaks,
	// and "• " bullets. Adapters escape it for their platform.
	Text    string   `json:"text"`
	Fields  []Field  `json:"fields,omitempty"`
	Actions []Action `json:"actions,omitempty"`
	// Context is a small grey line (who decided, when).
	Context string `json:"context,omitempty"`
	// Key lets a later message replace this one: the card of a request
	// is updated in place as the request changes ("request:R-3").
	Key string `json:"key,omitempty"`
	// RequestID is the request the message shows, if any.
	RequestID  string `json:"request_id,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
}

// Press is a pressed button.
type Press struct {
	ID    string `json:"id"`
	Value string `json:"value"`
	// Text is free text entered with the press (a rejection reason
	// typed on a Teams card or a Slack modal).
	Text string `json:"text,omitempty"`
}

// Turn is what an adapter hands in.
type Turn struct {
	Person workflows.Person
	// Locale is the platform's locale for the person ("fr-FR"), if known.
	Locale string
	// Platform is "console", "slack" or "teams".
	Platform string
	// Org is the workspace or tenant the turn comes from (see
	// workflows.Org); the terminal's is {Platform: "console"}.
	Org workflows.Org
	// Conversation identifies where the person is talking.
	Conversation string
	// EventID is the platform's id for de-duplication.
	EventID string
	Text    string
	Press   *Press
}
