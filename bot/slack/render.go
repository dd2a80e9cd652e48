package slack

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
	slackapi "github.com/slack-go/slack"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit). Text is
// cut to fit rather than rejected by Slack, which would lose the whole
// message.
const (
	maxMessageBlocks   = 50
	maxHomeBlocks      = 100
	maxSectionText     = 3000
	maxFieldText       = 2000
	maxFieldsPerBlock  = 10
	maxHeaderText      = 150
	maxContextText     = 2000
	maxButtonText      = 75
	maxButtonsPerBlock = 25
	maxConfirmTitle    = 100
	maxConfirmText     = 300
	maxConfirmButton   = 30
	maxFallbackText    = 300
	maxButtonValue     = 2000
	// An overflow menu holds 2 to 5 options, each with text of at most
	// 75 characters and a value of at most 150.
	maxOverflowOptions = 5
	maxOptionText      = 75
	maxOptionValue     = 150
)

// overflowActionID is the action_id of a message's "More…" overflow
// menu; each option's value is "Action.ID:Action.Value".
const overflowActionID = "more"

// actionSep separates an Action.ID from the button's index in its
// action_id: Slack wants distinct action ids within a block, and two
// buttons may share an Action.ID (two alternatives of a refusal).
const actionSep = "/"

// Render lays a neutral message out as Block Kit blocks: a header for the
// title, the status line as a section with a coloured circle, the
// summary and deadline in bold, mrkdwn sections for the text, section
// fields for label/value pairs, a context line, and an actions block: at
// most three buttons (chat.SplitActions), the rest in an overflow menu
// (those that ask "are you sure?" or for a reason stay buttons, in a
// further actions block, since a menu option can do neither).
//
// All text that comes from the message is escaped for mrkdwn (&, <, >),
// and mrkdwn objects are sent verbatim, so a subscription name or a
// rejection comment cannot inject <!channel>, a link or a mention. Our
// own templates never use Slack link syntax, so nothing legitimate is
// lost. A decided card has no Actions, so its update removes the buttons.
// The confirmation dialog's frame is worded by w (the locale catalogs).
func Render(w channel.Words, m bot.Message) []slackapi.Block {
	return renderBlocks(w, m, maxMessageBlocks)
}

// FallbackText is the message's plain notification text (shown in
// notifications and by clients that cannot render blocks), already
// escaped: pass it with escaping off.
func FallbackText(m bot.Message) string {
	var parts []string
	if t := strings.TrimSpace(m.Title); t != "" {
		parts = append(parts, t)
	}
	for _, line := range strings.Split(m.Text, "\n") {
		if l := strings.TrimSpace(line); l != "" {
			parts = append(parts, l)
			break
		}
	}
	if len(parts) == 0 && len(m.Fields) > 0 {
		parts = append(parts, m.Fields[0].Label+": "+m.Fields[0].Value)
	}
	return escTrunc(strings.Join(parts, " — "), maxFallbackText)
}

func renderBlocks(w channel.Words, m bot.Message, limit int) []slackapi.Block {
	var content []slackapi.Block
	if t := strings.TrimSpace(m.Title); t != "" {
		content = append(content, slackapi.NewHeaderBlock(plain(t, maxHeaderText)))
	}
	if st := m.Status; st != nil && strings.TrimSpace(st.Text) != "" {
		content = append(content, slackapi.NewSectionBlock(boldData(statusText(*st), maxSectionText), nil, nil))
	}
	if top := strings.TrimSpace(m.TopLine()); top != "" {
		content = append(content, slackapi.NewSectionBlock(boldData(top, maxSectionText), nil, nil))
	}
	for _, chunk := range textChunks(m.Text, maxSectionText) {
		content = append(content, slackapi.NewSectionBlock(mrkdwn(chunk), nil, nil))
	}
	var fields []*slackapi.TextBlockObject
	for _, f := range m.Fields {
		if o := fieldObject(f); o != nil {
			fields = append(fields, o)
		}
	}
	for i := 0; i < len(fields); i += maxFieldsPerBlock {
		end := min(i+maxFieldsPerBlock, len(fields))
		content = append(content, slackapi.NewSectionBlock(nil, fields[i:end], nil))
	}
	if c := strings.TrimSpace(m.Context); c != "" {
		content = append(content, slackapi.NewContextBlock("", dataText(c, maxContextText)))
	}
	actions := actionBlocks(w, m)
	// Keep the buttons if the content is too long: they are what the
	// reader acts on, and the text is cut rather than the card rejected.
	if room := limit - len(actions); len(content) > room {
		content = content[:max(room, 0)]
	}
	return append(content, actions...)
}

// Field values and the context line are data — names, reasons and
// justifications people typed — not prose the engine formatted. Slack
// has no escape for its formatting marks, so data that holds one is
// shown as plain_text: "*URGENT* ~struck~" stays as typed, never bold or
// struck through.
const formatMarks = "*_~`"

// dataText is text as a mrkdwn object (escaped), or plain_text when it
// holds formatting marks.
func dataText(s string, limit int) *slackapi.TextBlockObject {
	if strings.ContainsAny(s, formatMarks) {
		return plain(s, limit)
	}
	return mrkdwn(escTrunc(s, limit))
}

// fieldObject is a field as "*Label*\nValue" in mrkdwn, or as plain
// "Label\nValue" when the value holds formatting marks; nil when empty.
func fieldObject(f bot.Field) *slackapi.TextBlockObject {
	label, value := strings.TrimSpace(f.Label), strings.TrimSpace(f.Value)
	if strings.ContainsAny(value, formatMarks) {
		if label != "" {
			value = label + "\n" + value
		}
		return plain(value, maxFieldText)
	}
	if t := fieldText(f); t != "" {
		return mrkdwn(t)
	}
	return nil
}

// fieldText is "*Label*\nValue", escaped.
func fieldText(f bot.Field) string {
	label, value := strings.TrimSpace(f.Label), strings.TrimSpace(f.Value)
	switch {
	case label == "" && value == "":
		return ""
	case label == "":
		return escTrunc(value, maxFieldText)
	case value == "":
		return "*" + escTrunc(label, maxFieldText-2) + "*"
	}
	l := escTrunc(label, maxFieldText/4)
	return "*" + l + "*\n" + escTrunc(value, maxFieldText-utf8.RuneCountInString(l)-3)
}

// statusText is the status line with a circle of its tone's colour,
// unless it already starts with a symbol of its own ("✅ Approved…").
func statusText(st bot.Status) string {
	t := strings.TrimSpace(st.Text)
	if r, _ := utf8.DecodeRuneInString(t); unicode.IsLetter(r) {
		circle := map[bot.Tone]string{bot.ToneGood: "🟢", bot.ToneAttention: "🔴", bot.ToneWarning: "🟠", bot.ToneInfo: "🔵"}[st.Tone]
		if circle == "" {
			circle = "⚪"
		}
		t = circle + " " + t
	}
	return t
}

// boldData is s in bold, or as plain text when it holds formatting marks
// (a quoted reason people typed).
func boldData(s string, limit int) *slackapi.TextBlockObject {
	if strings.ContainsAny(s, formatMarks) {
		return plain(s, limit)
	}
	return mrkdwn("*" + escTrunc(s, limit-2) + "*")
}

// actionBlocks lays the buttons out: the row of chat.SplitActions, then
// what does not fit in an overflow menu; a question's or a refusal's
// choices are the first three buttons and the rest in the menu.
func actionBlocks(w channel.Words, m bot.Message) []slackapi.Block {
	row, more := bot.SplitActions(m.Actions)
	if m.Stacked() {
		n := min(len(m.Actions), bot.MaxRowButtons)
		if len(m.Actions) > bot.MaxRowButtons {
			n = bot.MaxRowButtons - 1
		}
		row, more = m.Actions[:n], m.Actions[n:]
	}
	// Each button's action_id carries its index in the message, so two
	// equal actions still get distinct ids.
	used := make([]bool, len(m.Actions))
	indexOf := func(a bot.Action) int {
		for i, b := range m.Actions {
			if !used[i] && b == a {
				used[i] = true
				return i
			}
		}
		return len(m.Actions)
	}
	var elems []slackapi.BlockElement
	for _, a := range row {
		elems = append(elems, buttonElement(w, m, a, indexOf(a)))
	}
	var options []*slackapi.OptionBlockObject
	var extra []slackapi.BlockElement
	for _, a := range more {
		value := a.ID + ":" + a.Value
		if strings.TrimSpace(a.Confirm) != "" || a.Reason || utf8.RuneCountInString(value) > maxOptionValue || len(options) == maxOverflowOptions {
			extra = append(extra, buttonElement(w, m, a, indexOf(a)))
			continue
		}
		options = append(options, slackapi.NewOptionBlockObject(value, plain(label(a), maxOptionText), nil))
	}
	if len(options) == 1 {
		// A menu of one is a button.
		a := more[slices.IndexFunc(more, func(a bot.Action) bool { return a.ID+":"+a.Value == options[0].Value })]
		elems = append(elems, buttonElement(w, m, a, indexOf(a)))
	} else if len(options) > 1 {
		elems = append(elems, slackapi.NewOverflowBlockElement(overflowActionID, options...))
	}
	// Choices (a subscription's name, a refusal's alternative) are long:
	// one per row, so none is cut on a phone.
	perRow := bot.MaxRowButtons
	if m.Stacked() {
		perRow = 1
	}
	var out []slackapi.Block
	for _, group := range [][]slackapi.BlockElement{elems, extra} {
		for i := 0; i < len(group); i += perRow {
			out = append(out, slackapi.NewActionBlock("", group[i:min(i+perRow, len(group))]...))
		}
	}
	return out
}

func label(a bot.Action) string {
	if l := strings.TrimSpace(a.Label); l != "" {
		return l
	}
	return a.ID
}

// blockPress is the press of a block action: a button (its action_id
// and value) or an option of the overflow menu ("ID:value"), with the
// label the person saw.
func blockPress(act *slackapi.BlockAction) (*bot.Press, string) {
	if act.ActionID == overflowActionID {
		id, value, _ := strings.Cut(act.SelectedOption.Value, ":")
		return &bot.Press{ID: id, Value: value}, act.SelectedOption.Text.Text
	}
	return &bot.Press{ID: pressID(act.ActionID), Value: act.Value}, act.Text.Text
}

// buttonElement is the button of action a, the i-th of the message.
func buttonElement(w channel.Words, m bot.Message, a bot.Action, i int) slackapi.BlockElement {
	text := label(a)
	b := slackapi.NewButtonBlockElement(a.ID+actionSep+strconv.Itoa(i), truncate(a.Value, maxButtonValue), plain(text, maxButtonText))
	switch a.Style {
	case bot.StylePrimary:
		b = b.WithStyle(slackapi.StylePrimary)
	case bot.StyleDanger:
		b = b.WithStyle(slackapi.StyleDanger)
	}
	if c := strings.TrimSpace(a.Confirm); c != "" {
		conf := slackapi.NewConfirmationBlockObject(
			plain(w.Say(m.Lang, channel.ConfirmTitle), maxConfirmTitle),
			plain(c, maxConfirmText),
			plain(text, maxConfirmButton),
			plain(w.Say(m.Lang, channel.ConfirmDeny), maxConfirmButton),
		)
		if a.Style == bot.StyleDanger {
			conf = conf.WithStyle(slackapi.StyleDanger)
		}
		b = b.WithConfirm(conf)
	}
	return b
}

// pressID recovers the Action.ID from a button's action_id by removing
// the "/index" suffix Render added.
func pressID(actionID string) string {
	i := strings.LastIndex(actionID, actionSep)
	if i < 0 {
		return actionID
	}
	if _, err := strconv.Atoi(actionID[i+1:]); err != nil {
		return actionID
	}
	return actionID[:i]
}

// mrkdwn is a verbatim mrkdwn text object: verbatim stops Slack from
// turning bare channel names, URLs or @words into links and mentions.
// text must already be escaped.
func mrkdwn(text string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, true)
}

// plain is a plain_text object; Slack shows plain text as is (no
// mentions, no links), so it needs no escaping, only the length limit.
func plain(text string, limit int) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(text, limit), true, false)
}

// escapeMrkdwn escapes the three characters Slack's mrkdwn gives meaning
// to. Our markdown subset (*bold*, _italic_, "• " bullets, line breaks)
// is Slack's own, so nothing else needs converting.
func escapeMrkdwn(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteString(escRune(r))
	}
	return b.String()
}

func escRune(r rune) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	}
	return string(r)
}

// escTrunc escapes s and cuts it to at most limit characters (counted
// after escaping, as Slack counts), never inside an entity, ending with
// "…" when cut.
func escTrunc(s string, limit int) string {
	esc := escapeMrkdwn(s)
	if utf8.RuneCountInString(esc) <= limit {
		return esc
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		e := escRune(r)
		k := utf8.RuneCountInString(e)
		if n+k > limit-1 {
			break
		}
		b.WriteString(e)
		n += k
	}
	b.WriteString("…")
	return b.String()
}

// truncate cuts s to limit characters, ending with "…" when cut.
func truncate(s string, limit int) string { return channel.Truncate(s, limit) }

// textChunks escapes text and splits it into pieces of at most limit
// characters, at line breaks where possible.
func textChunks(text string, limit int) []string {
	text = strings.Trim(text, "\n")
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var out []string
	var cur strings.Builder
	// Usually one chunk: one allocation for it rather than doubling.
	cur.Grow(min(len(text)+len(text)/8, 4*limit))
	n := 0
	for _, line := range strings.Split(text, "\n") {
		esc := escTrunc(line, limit)
		k := utf8.RuneCountInString(esc)
		if n > 0 && n+1+k > limit {
			out = append(out, cur.String())
			cur.Reset()
			n = 0
		}
		if n > 0 {
			cur.WriteByte('\n')
			n++
		}
		cur.WriteString(esc)
		n += k
	}
	if n > 0 {
		out = append(out, cur.String())
	}
	return out
}
