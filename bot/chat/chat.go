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

// Tone colours a message's status line, so a reader sees at a glance
// whether a request went through, was refused or still waits.
type Tone string

// Status tones. Renderers map them to their platform's colours (Adaptive
// Card container styles, Slack emoji).
const (
	ToneNeutral   Tone = ""          // withdrawn, received: nothing to do
	ToneInfo      Tone = "info"      // pending: waiting for someone
	ToneGood      Tone = "good"      // approved, done
	ToneWarning   Tone = "warning"   // expired, needs attention, deadline near
	ToneAttention Tone = "attention" // rejected, failed
)

// Status is a card's coloured line at the top: what became of it, who
// decided and when ("Rejected by Marc on Tue 3 Mar 2026, 10:42: “…”").
type Status struct {
	Tone Tone   `json:"tone,omitempty"`
	Text string `json:"text"`
}

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
	// Secondary actions are shown behind a "More…" menu (Teams'
	// Action.ShowCard, Slack's overflow menu), so the row of buttons
	// stays short enough to read on a phone.
	Secondary bool `json:"secondary,omitempty"`
	// Reason: pressing opens a box for an optional reason, sent with the
	// press as Press.Text (a rejection).
	Reason bool `json:"reason,omitempty"`
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
	// Status, when set, is a coloured line shown at the top.
	Status *Status `json:"status,omitempty"`
	// Summary is one short line under the title with what matters most
	// ("€148.50 more a month · €74.25 charged now").
	Summary string `json:"summary,omitempty"`
	// Deadline, when set, is a short phrase ("Decide by Fri 27 Nov 2026,
	// 23:59") shown near the top, after the Summary on the same line.
	Deadline string `json:"deadline,omitempty"`
	// Text uses a small markdown subset: *bold*, _italic_, line breaks,
	// and "• " bullets. Adapters escape it for their platform.
	Text string `json:"text"`
	// Fields are labelled facts; each label reads alone ("Seats: 25 →
	// 20", not "Office 365 E1: 25 → 20").
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

// TopLine is the Summary and the Deadline as one line, as renderers show
// them ("" when neither is set).
func (m Message) TopLine() string {
	switch {
	case m.Summary == "":
		return m.Deadline
	case m.Deadline == "":
		return m.Summary
	}
	return m.Summary + " · " + m.Deadline
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

// Button layout rules both chat renderers follow, so a card reads the
// same in Slack and Teams and no label is cut on a phone (Teams lays a
// card's actions out in one row, about 360 px wide on a phone).
const (
	// MaxRowButtons is how many buttons a row holds, "More…" included.
	MaxRowButtons = 3
	// RowBudget is how many characters of labels a row holds in all.
	RowBudget = 36
	// MaxButtonLabel is the longest label of a button in a row, in
	// every language.
	MaxButtonLabel = 18
	// MaxChoiceLabel is the longest label of a choice shown alone on
	// its row (Stacked messages).
	MaxChoiceLabel = 40
	// moreLabelRunes is what "More…" takes of the row's budget.
	moreLabelRunes = 6
)

// Stacked reports whether the message's actions are choices (which
// subscription, which alternative) whose labels carry names: renderers
// show them one per row rather than side by side.
func (m Message) Stacked() bool { return m.Kind == KindQuestion || m.Kind == KindRefusal }

// SplitActions is the row of buttons and what goes behind "More…": the
// primary actions in order while they fit (MaxRowButtons buttons,
// RowBudget characters, "More…" counted when there is more), then the
// rest with the Secondary actions.
func SplitActions(actions []Action) (row, more []Action) {
	var primary []Action
	for _, a := range actions {
		if a.Secondary {
			more = append(more, a)
		} else {
			primary = append(primary, a)
		}
	}
	fits := func(n int, withMore bool) bool {
		buttons, runes := n, 0
		for _, a := range primary[:n] {
			runes += len([]rune(a.Label))
		}
		if withMore {
			buttons++
			runes += moreLabelRunes
		}
		return buttons <= MaxRowButtons && runes <= RowBudget
	}
	n := len(primary)
	if !fits(n, len(more) > 0) {
		for n > 0 && !fits(n, true) {
			n--
		}
	}
	return primary[:n], append(primary[n:], more...)
}
