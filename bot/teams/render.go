package teams

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
)

// Adaptive Card layout. Every message, even a one-line answer, is sent
// as a card: cards are what Teams can update in place and what
// Action.Execute presses answer with.
const (
	cardSchema  = "http://adaptivecards.io/schemas/adaptive-card.json"
	cardVersion = "1.5" // Universal Actions (Action.Execute, refresh)
	// verbRefresh is the verb of the card's refresh action and of the
	// confirmation step's [No]: both show the stored card again.
	verbRefresh = "refresh"
	// inputReason is the id of the approval card's reason box; its text
	// arrives in the press's data under this name.
	inputReason = "reason"
	maxReason   = 500

	maxTitleText   = 300
	maxLineText    = 2000
	maxFactTitle   = 200
	maxFactValue   = 1000
	maxButtonText  = 80
	maxSummaryText = 300
	// maxRefreshUsers is how many users Teams refreshes a card for
	// automatically (Universal Actions); it ignores a longer list.
	maxRefreshUsers = 60
	// wordMore and wordRejectReason are the layout's own words
	// (locales/cards.*.yaml, read through channel.Words).
	wordMore         = "more"
	wordRejectReason = "reject_reason_label"
	// maxCardBytes keeps a card, once wrapped in its activity, under
	// Teams' message size limit (about 28 KB).
	maxCardBytes = 24 << 10
)

// card is an Adaptive Card, with only the properties we use; field order
// is the JSON order (the golden files rely on it).
type card struct {
	Type    string       `json:"type"`
	Schema  string       `json:"$schema,omitempty"`
	Version string       `json:"version,omitempty"`
	Refresh *cardRefresh `json:"refresh,omitempty"`
	Body    []element    `json:"body"`
	Actions []cardAction `json:"actions,omitempty"`
	MSTeams *cardMSTeams `json:"msteams,omitempty"`
}

// cardRefresh makes Teams ask the bot for the current card (verb
// "refresh") when the listed users see it.
type cardRefresh struct {
	Action  cardAction `json:"action"`
	UserIDs []string   `json:"userIds,omitempty"`
}

type cardMSTeams struct {
	Width string `json:"width"`
}

// element is any body element (TextBlock, FactSet, Container,
// ActionSet, Input.Text); unused properties are omitted.
type element struct {
	Type        string       `json:"type"`
	ID          string       `json:"id,omitempty"`
	Text        string       `json:"text,omitempty"`
	Label       string       `json:"label,omitempty"`
	Placeholder string       `json:"placeholder,omitempty"`
	IsMultiline bool         `json:"isMultiline,omitempty"`
	MaxLength   int          `json:"maxLength,omitempty"`
	Style       string       `json:"style,omitempty"`
	Weight      string       `json:"weight,omitempty"`
	Size        string       `json:"size,omitempty"`
	IsSubtle    bool         `json:"isSubtle,omitempty"`
	Wrap        bool         `json:"wrap,omitempty"`
	Spacing     string       `json:"spacing,omitempty"`
	Separator   bool         `json:"separator,omitempty"`
	Facts       []fact       `json:"facts,omitempty"`
	Items       []element    `json:"items,omitempty"`
	Actions     []cardAction `json:"actions,omitempty"`
}

type fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// cardAction is a button: an Action.Execute (its data carries only ids;
// the server decides the rest from stored state when it is pressed),
// its Action.Submit fallback for clients without Universal Actions, or
// an Action.ShowCard that opens a card below ("More…", the reason box
// of [Reject]).
type cardAction struct {
	Type     string      `json:"type"`
	Title    string      `json:"title,omitempty"`
	Verb     string      `json:"verb,omitempty"`
	Data     actionData  `json:"data,omitzero"`
	Style    string      `json:"style,omitempty"`
	Card     *card       `json:"card,omitempty"`
	Fallback *cardAction `json:"fallback,omitempty"`
}

// actionData is what a press sends back. Inputs of the card (the reason
// box) are merged into it by Teams.
type actionData struct {
	// Action and Value are the neutral bot.Action's ID and Value.
	Action string `json:"action"`
	Value  string `json:"value,omitempty"`
	// Key is the message's Key, so a press can find the card it was
	// made on.
	Key string `json:"key,omitempty"`
	// Confirm "1": the action asks "are you sure?" first; Confirmed "1":
	// this is the confirmation step's yes.
	Confirm   string `json:"confirm,omitempty"`
	Confirmed string `json:"confirmed,omitempty"`
	// Reason is the reason box's text (only read for a rejection).
	Reason string `json:"reason,omitempty"`
}

// renderOptions vary a card by viewer and step.
type renderOptions struct {
	// userIDs are the Teams user ids (MRIs) whose clients refresh the card
	// automatically; empty lets Teams refresh it for everyone in a
	// conversation of up to 60 people.
	userIDs []string
	// confirm, when set, renders the confirmation step of this action in
	// place of the buttons.
	confirm *bot.Action
	// words are the card's own sentences (refresh, confirmation, reason
	// box), from the locale catalogs.
	words channel.Words
}

// render lays a neutral message out as an Adaptive Card 1.5: a heading
// for the title, the status line as a coloured container, the summary
// and deadline in bold, wrapped TextBlocks for the text (one per line,
// our *bold* turned into **bold**), a FactSet for the fields, a small
// subtle TextBlock for the context, and the buttons.
//
// Buttons follow chat.SplitActions: at most three in the card's action
// bar, the rest behind an Action.ShowCard "More…" whose card holds them
// one per row; the choices of a question or a refusal are one per row
// in the body. A button that asks for a reason ([Reject]) is an
// Action.ShowCard opening the reason box and its own [Reject], so the
// box never sits above [Approve]. Every Action.Execute carries an
// Action.Submit fallback with the same data, for clients without
// Universal Actions.
//
// Text that comes from the message is escaped for Teams' markdown
// (render escapes \ * _ [ ] and breaks "{{"), so a subscription name or a
// rejection reason cannot make a link, bold text or a DATE()/TIME()
// function. "<at>" needs a mention entity on the card to become a
// mention, and cards carry none, so angle brackets are left as typed.
//
// Cards with a Key get a refresh action, so each viewer's client asks
// for the current version (see Adapter.onInvoke); Teams honours at most
// 60 userIds. Adaptive Cards have no confirm dialog: an action with
// Confirm text is marked in its data, and its first press answers with
// opts.confirm's step, whose [Yes, …] sends the press again, confirmed.
func render(m bot.Message, o renderOptions) *card {
	c := &card{Type: "AdaptiveCard", Schema: cardSchema, Version: cardVersion, Body: []element{},
		MSTeams: &cardMSTeams{Width: "Full"}}
	if m.Key != "" {
		c.Refresh = &cardRefresh{
			Action:  cardAction{Type: "Action.Execute", Title: o.words.Say(m.Lang, channel.RefreshTitle), Verb: verbRefresh, Data: actionData{Action: verbRefresh, Key: m.Key}},
			UserIDs: o.userIDs[:min(len(o.userIDs), maxRefreshUsers)],
		}
	}
	content := contentElements(m)
	var tail []element
	var actions []cardAction
	switch {
	case o.confirm != nil:
		a := *o.confirm
		if a.ID == bot.ActReject {
			tail = append(tail, reasonInput(o.words, m.Lang))
		}
		tail = append(tail, element{Type: "Container", Style: "warning", Spacing: "Medium", Items: []element{
			{Type: "TextBlock", Text: md(o.words.Say(m.Lang, channel.ConfirmTitle)), Weight: "Bolder", Wrap: true},
			{Type: "TextBlock", Text: md(truncate(strings.TrimSpace(a.Confirm), maxLineText)), Wrap: true, Spacing: "Small"},
		}})
		yes := button(m, a)
		yes.Title = truncate(o.words.Sayf(m.Lang, channel.ConfirmYes, map[string]any{"Action": lowerFirst(label(a))}), maxButtonText)
		yes.Data.Confirm, yes.Data.Confirmed = "", "1"
		yes.Fallback = submitFallback(yes)
		no := execute(cardAction{Title: o.words.Say(m.Lang, channel.ConfirmNo), Verb: verbRefresh,
			Data: actionData{Action: verbRefresh, Key: m.Key}})
		actions = []cardAction{yes, no}
	case m.Stacked():
		// Choices carry names: one per row, full width.
		for _, a := range m.Actions {
			tail = append(tail, element{Type: "ActionSet", Actions: []cardAction{actionFor(m, a, o.words)}})
		}
	default:
		row, more := narrowRow(bot.SplitActions(m.Actions))
		for _, a := range row {
			actions = append(actions, actionFor(m, a, o.words))
		}
		if len(more) > 0 {
			inner := &card{Type: "AdaptiveCard", Body: []element{}}
			for _, a := range more {
				inner.Body = append(inner.Body, element{Type: "ActionSet", Actions: []cardAction{actionFor(m, a, o.words)}})
			}
			actions = append(actions, cardAction{Type: "Action.ShowCard", Title: o.words.Say(m.Lang, wordMore), Card: inner})
		}
	}
	c.Actions = actions
	c.Body = fit(c, o.words, m.Lang, content, tail)
	return c
}

// rowOfThreeLabels is how many characters the labels of the buttons
// beside "More…" may take when three buttons share the action bar:
// Teams gives each about a third of a phone's card (360 px), so two
// 14-character labels and "More…" do not fit ("Reduce renewal", "Stop
// auto-renew"), while 27 characters in all do (measured with
// tools/cardcheck in both themes and languages).
const rowOfThreeLabels = 27

// narrowRow moves the last buttons of a full action bar behind "More…"
// until the bar fits a phone in Teams: chat.SplitActions counts a row's
// characters in all, Teams splits its width between the buttons.
func narrowRow(row, more []bot.Action) ([]bot.Action, []bot.Action) {
	for len(row) > 1 {
		n, runes := len(row), 0
		if len(more) > 0 {
			n++
		}
		for _, a := range row {
			runes += utf8.RuneCountInString(label(a))
		}
		if n < 3 || runes <= rowOfThreeLabels {
			break
		}
		more = append([]bot.Action{row[len(row)-1]}, more...)
		row = row[:len(row)-1]
	}
	return row, more
}

// contentElements are the message's title, status, top line, text,
// fields and context.
func contentElements(m bot.Message) []element {
	var out []element
	if t := strings.TrimSpace(m.Title); t != "" {
		// Teams' host configuration makes "Medium" the body size: a
		// heading needs "Large" to read as one.
		out = append(out, element{Type: "TextBlock", Text: md(truncate(t, maxTitleText)), Style: "heading",
			Weight: "Bolder", Size: "Large", Wrap: true})
	}
	if st := m.Status; st != nil && strings.TrimSpace(st.Text) != "" {
		out = append(out, element{Type: "Container", Style: containerStyle(st.Tone), Spacing: "Small", Items: []element{
			{Type: "TextBlock", Text: md(truncate(strings.TrimSpace(st.Text), maxLineText)), Weight: "Bolder", Wrap: true},
		}})
	}
	if top := strings.TrimSpace(m.TopLine()); top != "" {
		out = append(out, element{Type: "TextBlock", Text: md(truncate(top, maxLineText)), Weight: "Bolder", Wrap: true, Spacing: "Small"})
	}
	text := textBlocks(m.Text)
	if len(text) > 0 && len(out) > 0 {
		text[0].Spacing = "Medium"
	}
	out = append(out, text...)
	var facts []fact
	for _, f := range m.Fields {
		l, v := strings.TrimSpace(f.Label), strings.TrimSpace(f.Value)
		if l == "" && v == "" {
			continue
		}
		facts = append(facts, fact{Title: md(truncate(l, maxFactTitle)), Value: md(truncate(v, maxFactValue))})
	}
	if len(facts) > 0 {
		out = append(out, element{Type: "FactSet", Facts: facts, Spacing: "Medium"})
	}
	if ctx := strings.TrimSpace(m.Context); ctx != "" {
		out = append(out, element{Type: "TextBlock", Text: md(truncate(ctx, maxLineText)), Size: "Small",
			IsSubtle: true, Wrap: true, Spacing: "Medium"})
	}
	return out
}

// containerStyle is the Adaptive Card container style of a tone.
func containerStyle(t bot.Tone) string {
	switch t {
	case bot.ToneGood:
		return "good"
	case bot.ToneAttention:
		return "attention"
	case bot.ToneWarning:
		return "warning"
	case bot.ToneInfo:
		return "accent"
	}
	return "emphasis"
}

// textBlocks renders each line as its own TextBlock: Teams' markdown
// needs a blank line for a line break, and separate blocks keep lines
// (and "• " bullets) tight. A blank line becomes a wider gap; leading
// spaces (an indented sub-line) are kept as no-break spaces.
func textBlocks(text string) []element {
	var out []element
	gap := false
	for _, line := range strings.Split(strings.Trim(text, "\n"), "\n") {
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		if strings.TrimSpace(line) == "" {
			gap = len(out) > 0
			continue
		}
		trimmed := strings.TrimLeft(line, " ")
		indent := strings.Repeat("\u00a0", min(len(line)-len(trimmed), 8))
		el := element{Type: "TextBlock", Text: indent + md(truncate(trimmed, maxLineText)), Wrap: true}
		switch {
		case gap:
			el.Spacing = "Medium"
		case len(out) > 0:
			el.Spacing = "None"
		}
		gap = false
		out = append(out, el)
	}
	return out
}

func reasonInput(w channel.Words, lang string) element {
	return element{Type: "Input.Text", ID: inputReason, Label: w.Say(lang, channel.ReasonLabel),
		Placeholder: w.Say(lang, channel.ReasonHint), IsMultiline: true, MaxLength: maxReason, Spacing: "Medium"}
}

// actionFor is the button of an action: an Action.Execute, or for an
// action that asks for a reason an Action.ShowCard with the reason box
// and the Action.Execute that sends it.
func actionFor(m bot.Message, a bot.Action, w channel.Words) cardAction {
	b := button(m, a)
	if !a.Reason {
		return b
	}
	box := element{Type: "Input.Text", ID: inputReason, Label: w.Say(m.Lang, wordRejectReason),
		IsMultiline: true, MaxLength: maxReason}
	return cardAction{Type: "Action.ShowCard", Title: b.Title, Style: b.Style,
		Card: &card{Type: "AdaptiveCard", Body: []element{box}, Actions: []cardAction{b}}}
}

// button is the Action.Execute of an action, with its fallback.
func button(m bot.Message, a bot.Action) cardAction {
	b := cardAction{Title: truncate(label(a), maxButtonText), Verb: a.ID,
		Data: actionData{Action: a.ID, Value: a.Value, Key: m.Key}}
	switch a.Style {
	case bot.StylePrimary:
		b.Style = "positive"
	case bot.StyleDanger:
		b.Style = "destructive"
	}
	if strings.TrimSpace(a.Confirm) != "" {
		b.Data.Confirm = "1"
	}
	return execute(b)
}

// execute makes b an Action.Execute with its Action.Submit fallback.
func execute(b cardAction) cardAction {
	b.Type = "Action.Execute"
	b.Fallback = submitFallback(b)
	return b
}

// submitFallback is what a client without Universal Actions shows in
// place of an Action.Execute: an Action.Submit sending the same data as
// a message activity.
func submitFallback(b cardAction) *cardAction {
	return &cardAction{Type: "Action.Submit", Title: b.Title, Data: b.Data, Style: b.Style}
}

func label(a bot.Action) string {
	if l := strings.TrimSpace(a.Label); l != "" {
		return l
	}
	return a.ID
}

// fit drops content from the end until the card is under maxCardBytes,
// keeping the inputs and buttons (what the reader acts on) and saying
// that the card was shortened. Each element is measured once.
func fit(c *card, w channel.Words, lang string, content, tail []element) []element {
	c.Body = []element{}
	total := cardSize(c) // with an empty body
	for _, el := range tail {
		total += elementSize(el) + 1 // the element and a comma
	}
	sizes := make([]int, len(content))
	all := total
	for i, el := range content {
		sizes[i] = elementSize(el) + 1
		all += sizes[i]
	}
	if all <= maxCardBytes {
		return append(append([]element{}, content...), tail...)
	}
	note := element{Type: "TextBlock", Text: md(w.Say(lang, channel.CardTruncated)), Size: "Small", IsSubtle: true, Wrap: true}
	total += elementSize(note) + 1
	n := 0
	for n < len(content) && total+sizes[n] <= maxCardBytes {
		total += sizes[n]
		n++
	}
	return append(append(append([]element{}, content[:n]...), note), tail...)
}

func elementSize(el element) int {
	b, err := json.Marshal(el)
	if err != nil {
		return 0
	}
	return len(b)
}

func cardSize(c *card) int {
	b, err := json.Marshal(c)
	if err != nil {
		return 0
	}
	return len(b)
}

// summary is the message's notification text (plain, no markdown).
func summary(m bot.Message) string {
	var parts []string
	if t := strings.TrimSpace(m.Title); t != "" {
		parts = append(parts, plain(t))
	}
	for _, line := range strings.Split(m.Text, "\n") {
		if l := strings.TrimSpace(line); l != "" {
			parts = append(parts, plain(l))
			break
		}
	}
	if len(parts) == 0 && len(m.Fields) > 0 {
		parts = append(parts, m.Fields[0].Label+": "+m.Fields[0].Value)
	}
	return truncate(strings.Join(parts, " — "), maxSummaryText)
}

// md turns one line of our markdown subset into Teams' Adaptive Card
// markdown: *bold* becomes **bold**, _italic_ stays, and every other
// character markdown gives meaning to is escaped.
func md(s string) string { return convert(s, true) }

// plain removes our *bold* and _italic_ markers, for plain-text places.
func plain(s string) string { return convert(s, false) }

func convert(s string, markdown bool) string {
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if (r == '*' || r == '_') && canOpen(rs, i) {
			if j := closer(rs, i); j > 0 {
				inner := string(rs[i+1 : j])
				switch {
				case !markdown:
					b.WriteString(inner)
				case r == '*':
					b.WriteString("**" + escapeMarkdown(inner) + "**")
				default:
					b.WriteString("_" + escapeMarkdown(inner) + "_")
				}
				i = j
				continue
			}
		}
		if markdown {
			b.WriteString(escapeMarkdown(string(r)))
		} else {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if markdown {
		// "{{DATE(…)}}" and "{{TIME(…)}}" are functions in a TextBlock;
		// a zero-width space keeps typed braces literal.
		for strings.Contains(out, "{{") {
			out = strings.ReplaceAll(out, "{{", "{\u200b{")
		}
		out = escapeBlocks(out)
	}
	return out
}

// blockStart matches what Teams' markdown turns into a list, a heading
// or a quote at the start of a line: "- ", "+ ", "1. ", "2) ", "# ", ">".
var blockStart = regexp.MustCompile(`(?m)^(\s*)([-+]|#{1,6}|\d{1,9}[.)]|>)(\s|$)`)

// escapeBlocks keeps a line people typed ("- item", "# Title", "1. a")
// from becoming a list, heading or quote: the marker is backslash-escaped.
// Our own text never starts a line so ("• " is our bullet).
func escapeBlocks(s string) string {
	return blockStart.ReplaceAllStringFunc(s, func(m string) string {
		p := blockStart.FindStringSubmatch(m)
		marker := p[2]
		if last := len(marker) - 1; marker[last] == '.' || marker[last] == ')' {
			return p[1] + marker[:last] + "\\" + marker[last:] + p[3]
		}
		return p[1] + "\\" + marker + p[3]
	})
}

// canOpen: a marker opens an emphasis at the start or after a space or
// an opening punctuation, before a non-space.
func canOpen(rs []rune, i int) bool {
	if i+1 >= len(rs) || unicode.IsSpace(rs[i+1]) || rs[i+1] == rs[i] {
		return false
	}
	if i == 0 {
		return true
	}
	p := rs[i-1]
	return unicode.IsSpace(p) || strings.ContainsRune("([{\"'«“‘-–—/", p)
}

// closer finds the marker closing the one at i on the same line: after a
// non-space, before the end, a space or a punctuation.
func closer(rs []rune, i int) int {
	for j := i + 2; j < len(rs); j++ {
		if rs[j] != rs[i] || unicode.IsSpace(rs[j-1]) {
			continue
		}
		if j+1 == len(rs) || unicode.IsSpace(rs[j+1]) || strings.ContainsRune(".,;:!?)]}\"'»”’-–—/", rs[j+1]) {
			return j
		}
	}
	return -1
}

// escapeMarkdown backslash-escapes what Teams' markdown reads as syntax:
// emphasis, links and the escape itself.
func escapeMarkdown(s string) string {
	if !strings.ContainsAny(s, "\\*_[]") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\*_[]", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// truncate cuts s to limit characters, ending with "…" when cut.
func truncate(s string, limit int) string { return channel.Truncate(s, limit) }

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
