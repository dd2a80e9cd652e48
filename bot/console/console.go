package console

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// Runner drives the engine from a terminal or a script.
type Runner struct {
	Engine *bot.Engine
	Outbox *Outbox
	Store  store.Store
	// People are who one may be (/as, script lines): the terminal
	// trusts the e-mail typed.
	People workflows.People
	Clock  clock.Setter
	// Tick runs what falls due at the clock's time (rollovers, expiries,
	// reminders); called after the clock moves.
	Tick func(ctx context.Context) error
	Out  io.Writer
	// JSON prints each bot message as one JSON object per line.
	JSON bool

	scriptMode bool
	// lastHadButtons: the newest message shown had buttons, so a bare
	// number at the prompt presses one rather than answering a question.
	lastHadButtons bool
}

// press is a found button with its confirmation text, if any.
type press struct {
	bot.Press
	Confirm string
}

// ScriptError names the line of a script that could not be carried out.
type ScriptError struct {
	Line int
	Msg  string
}

func (e *ScriptError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// RunScript runs a transcript. Each line is "# comment", "@now RFC3339",
// "EMAIL: text" or "EMAIL: [Label]". The first line that cannot be carried
// out stops the script with a *ScriptError.
func (r *Runner) RunScript(ctx context.Context, in io.Reader) error {
	r.scriptMode = true
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "@now"); ok {
			t, err := time.Parse(time.RFC3339, strings.TrimSpace(rest))
			if err != nil {
				return &ScriptError{n, fmt.Sprintf("@now wants an RFC 3339 time like 2026-11-26T10:00:00+01:00, got %q", strings.TrimSpace(rest))}
			}
			if err := r.setNow(ctx, t); err != nil {
				return &ScriptError{n, err.Error()}
			}
			if err := r.flushAll(ctx); err != nil {
				return &ScriptError{n, err.Error()}
			}
			continue
		}
		who, said, ok := strings.Cut(line, ":")
		if !ok {
			return &ScriptError{n, "expected \"EMAIL: text\", \"EMAIL: [Label]\", \"@now TIME\" or \"# comment\""}
		}
		p, err := r.lookup(ctx, strings.TrimSpace(who))
		if err != nil {
			return &ScriptError{n, fmt.Sprintf("unknown person %q (not in the configuration): %v", strings.TrimSpace(who), err)}
		}
		said = strings.TrimSpace(said)
		turn := bot.Turn{Person: p, Platform: "console", Org: workflows.Org{Platform: "console"}, Conversation: "console:" + p.Email, Text: said}
		if strings.HasPrefix(said, "[") && strings.HasSuffix(said, "]") {
			press, err := r.findButton(ctx, p.Email, strings.TrimSpace(said[1:len(said)-1]))
			if err != nil {
				return &ScriptError{n, err.Error()}
			}
			turn.Text, turn.Press = "", &press.Press
		}
		if err := r.turn(ctx, turn); err != nil {
			return &ScriptError{n, err.Error()}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read script: %w", err)
	}
	return nil
}

// findButton finds a button by label (case-insensitive) or action id on
// the newest message shown to email that had buttons.
func (r *Runner) findButton(ctx context.Context, email, label string) (*press, error) {
	actions, err := buttons{r.Store}.load(ctx, email)
	if err != nil {
		return nil, err
	}
	if len(actions) == 0 {
		return nil, fmt.Errorf("no button %q: nothing with buttons was shown to %s", label, email)
	}
	if i, err := strconv.Atoi(label); err == nil && i >= 1 && i <= len(actions) {
		a := actions[i-1]
		return &press{Press: bot.Press{ID: a.ID, Value: a.Value}, Confirm: a.Confirm}, nil
	}
	for _, a := range actions {
		if strings.EqualFold(a.Label, label) {
			return &press{Press: bot.Press{ID: a.ID, Value: a.Value}, Confirm: a.Confirm}, nil
		}
	}
	for _, a := range actions {
		if strings.EqualFold(a.ID, label) {
			return &press{Press: bot.Press{ID: a.ID, Value: a.Value}, Confirm: a.Confirm}, nil
		}
	}
	// A unique prefix is enough: "[Remind me when the window opens]" for
	// a label that goes on with a date.
	var found *bot.Action
	for i, a := range actions {
		if strings.HasPrefix(strings.ToLower(a.Label), strings.ToLower(label)) {
			if found != nil {
				found = nil
				break
			}
			found = &actions[i]
		}
	}
	if found != nil && label != "" {
		return &press{Press: bot.Press{ID: found.ID, Value: found.Value}, Confirm: found.Confirm}, nil
	}
	var labels []string
	for _, a := range actions {
		labels = append(labels, "["+a.Label+"]")
	}
	return nil, fmt.Errorf("no button %q on the newest message for %s (it has %s)", label, email, strings.Join(labels, " "))
}

func (r *Runner) setNow(ctx context.Context, t time.Time) error {
	r.Clock.Set(t)
	if r.Tick != nil {
		if err := r.Tick(ctx); err != nil {
			return fmt.Errorf("run due work: %w", err)
		}
	}
	return nil
}

// turn runs one turn and prints its replies, then what others received.
func (r *Runner) turn(ctx context.Context, t bot.Turn) error {
	msgs, err := r.Engine.Handle(ctx, t)
	if err := r.show(ctx, t.Person.Email, msgs); err != nil {
		return err
	}
	if err != nil && len(msgs) == 0 {
		return err
	}
	return r.flushOthers(ctx, t.Person.Email)
}

// flushOthers prints what was delivered to other people during a turn,
// in script mode, so a transcript shows the whole exchange.
func (r *Runner) flushOthers(ctx context.Context, except string) error {
	if !r.script() {
		return nil
	}
	everyone, err := r.People.Everyone(ctx)
	if err != nil {
		return err
	}
	for _, p := range everyone {
		if strings.EqualFold(p.Email, except) {
			continue
		}
		if err := r.flush(ctx, p.Email); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) flushAll(ctx context.Context) error { return r.flushOthers(ctx, "") }

func (r *Runner) script() bool { return r.scriptMode }

func (r *Runner) flush(ctx context.Context, email string) error {
	msgs, err := r.Outbox.Take(ctx, email)
	if err != nil {
		return err
	}
	return r.show(ctx, email, msgs)
}

// show prints messages for email and remembers the newest buttons.
func (r *Runner) show(ctx context.Context, email string, msgs []bot.Message) error {
	var last []bot.Action
	for _, m := range msgs {
		if r.JSON {
			if err := writeJSON(r.Out, m); err != nil {
				return err
			}
		} else {
			fmt.Fprint(r.Out, RenderText(m, r.scriptMode))
		}
		if len(m.Actions) > 0 {
			last = m.Actions
		}
		r.lastHadButtons = len(m.Actions) > 0
	}
	if last != nil {
		return buttons{r.Store}.save(ctx, email, last)
	}
	return nil
}

type jsonAction struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

type jsonMessage struct {
	To      string       `json:"to"`
	Text    string       `json:"text"`
	Title   string       `json:"title,omitempty"`
	Fields  []bot.Field  `json:"fields"`
	Actions []jsonAction `json:"actions"`
	Request *string      `json:"request"`
	Kind    bot.Kind     `json:"kind"`
	Context string       `json:"context,omitempty"`
	Status  string       `json:"status,omitempty"`
	Top     string       `json:"top,omitempty"`
}

func writeJSON(w io.Writer, m bot.Message) error {
	jm := jsonMessage{To: m.To, Text: m.Text, Title: m.Title, Fields: m.Fields, Kind: m.Kind, Context: m.Context,
		Top: m.TopLine(), Actions: []jsonAction{}}
	if m.Status != nil {
		jm.Status = m.Status.Text
	}
	if jm.Fields == nil {
		jm.Fields = []bot.Field{}
	}
	for _, a := range m.Actions {
		jm.Actions = append(jm.Actions, jsonAction{ID: a.ID, Label: a.Label})
	}
	if m.RequestID != "" {
		id := m.RequestID
		jm.Request = &id
	}
	b, err := json.Marshal(jm)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// RenderText lays a message out for a terminal.
func RenderText(m bot.Message, withRecipient bool) string {
	var b strings.Builder
	if withRecipient {
		fmt.Fprintf(&b, "→ %s\n", m.To)
	}
	if m.Title != "" {
		fmt.Fprintf(&b, "  == %s ==\n", m.Title)
	}
	if m.Status != nil && m.Status.Text != "" {
		fmt.Fprintf(&b, "  [%s]\n", m.Status.Text)
	}
	if top := m.TopLine(); top != "" {
		fmt.Fprintf(&b, "  %s\n", top)
	}
	// *bold* is for chat platforms; a terminal shows the words.
	for _, l := range strings.Split(strings.ReplaceAll(m.Text, "*", ""), "\n") {
		if l != "" {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	for _, f := range m.Fields {
		fmt.Fprintf(&b, "    %s: %s\n", f.Label, f.Value)
	}
	if m.Context != "" {
		fmt.Fprintf(&b, "  (%s)\n", m.Context)
	}
	if len(m.Actions) > 0 {
		b.WriteString("  ")
		for i, a := range m.Actions {
			fmt.Fprintf(&b, "[%d] %s  ", i+1, a.Label)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Interactive runs the prompt as the person with email `as`.
func (r *Runner) Interactive(ctx context.Context, in io.Reader, as string) error {
	p, err := r.lookup(ctx, as)
	if err != nil {
		return fmt.Errorf("unknown person %q: use one of the configured e-mails", as)
	}
	fmt.Fprintf(r.Out, "licensebot — you are %s. Type /help for commands, /quit to leave.\n", who(p))
	if err := r.flush(ctx, p.Email); err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	// next is a line typed at a yes/no question that was a command
	// rather than an answer: it runs as if typed at the prompt.
	next := ""
	for {
		line := next
		if next != "" {
			next = ""
		} else {
			fmt.Fprintf(r.Out, "%s> ", p.DisplayName())
			if !sc.Scan() {
				fmt.Fprintln(r.Out)
				return sc.Err()
			}
			line = strings.TrimSpace(sc.Text())
		}
		switch {
		case line == "":
			continue
		case line == "/quit" || line == "/exit":
			return nil
		case line == "/help":
			fmt.Fprint(r.Out, consoleHelp)
			continue
		case strings.HasPrefix(line, "/as"):
			email := strings.TrimSpace(strings.TrimPrefix(line, "/as"))
			if email == "" {
				fmt.Fprint(r.Out, r.people(ctx))
				continue
			}
			np, err := r.lookup(ctx, email)
			if err != nil {
				fmt.Fprintf(r.Out, "  unknown person %q. People:\n%s", email, r.people(ctx))
				continue
			}
			p = np
			fmt.Fprintf(r.Out, "  you are now %s\n", who(p))
			if err := r.flush(ctx, p.Email); err != nil {
				return err
			}
			continue
		case strings.HasPrefix(line, "/now"):
			arg := strings.TrimSpace(strings.TrimPrefix(line, "/now"))
			if arg == "" {
				fmt.Fprintf(r.Out, "  it is %s\n", r.Clock.Now().Format(time.RFC3339))
				continue
			}
			t, err := time.Parse(time.RFC3339, arg)
			if err != nil {
				fmt.Fprintln(r.Out, "  /now wants an RFC 3339 time like 2026-12-27T09:00:00+01:00")
				continue
			}
			if err := r.setNow(ctx, t); err != nil {
				fmt.Fprintf(r.Out, "  %v\n", err)
			}
			fmt.Fprintf(r.Out, "  it is now %s\n", r.Clock.Now().In(t.Location()).Format(time.RFC3339))
			if err := r.flush(ctx, p.Email); err != nil {
				return err
			}
			continue
		case strings.HasPrefix(line, "/"):
			fmt.Fprint(r.Out, consoleHelp)
			continue
		}
		turn := bot.Turn{Person: p, Platform: "console", Org: workflows.Org{Platform: "console"}, Conversation: "console:" + p.Email, Text: line}
		if press, err := r.findButton(ctx, p.Email, strings.Trim(line, "[]")); err == nil && r.isButtonish(line, press) {
			turn.Text, turn.Press = "", &press.Press
			if press.Confirm != "" {
				yes, cmd := r.ask(sc, press.Confirm)
				if !yes {
					fmt.Fprintln(r.Out, "  OK, not done.")
					next = cmd
					continue
				}
			}
		}
		// The engine has already answered in a sentence and logged the
		// error; a Go error string is not for the person at the prompt.
		_ = r.turn(ctx, turn)
	}
}

// isButtonish: "[Label]" always presses; a bare number or a label typed
// as is ("Confirm") presses only when the newest message had buttons, so
// "2" still answers "how many seats?".
func (r *Runner) isButtonish(line string, _ *press) bool {
	if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
		return true
	}
	return r.lastHadButtons
}

// ask shows an irreversible action's confirmation and reads yes or no,
// as Slack's and Teams' confirm dialogs do. A command typed instead
// ("/as …") is not taken as "no" silently: the action is not done and the
// command is handed back to run; anything else asks again.
func (r *Runner) ask(sc *bufio.Scanner, question string) (yes bool, command string) {
	fmt.Fprintf(r.Out, "  %s [yes/no] ", question)
	for sc.Scan() {
		answer := strings.TrimSpace(sc.Text())
		switch strings.ToLower(answer) {
		case "y", "yes", "o", "oui":
			return true, ""
		case "n", "no", "non":
			return false, ""
		}
		if strings.HasPrefix(answer, "/") {
			return false, answer
		}
		fmt.Fprintf(r.Out, "  Please answer yes or no (oui ou non). %s [yes/no] ", question)
	}
	return false, ""
}

// lookup finds who one may be in the terminal.
func (r *Runner) lookup(ctx context.Context, email string) (workflows.Person, error) {
	return r.People.Person(ctx, workflows.Org{Platform: "console"}, email)
}

// who is "claire@contoso.example (licence_admin, contoso)".
func who(p workflows.Person) string {
	at := p.CustomerID
	if p.Role == rules.RoleAccountManager {
		at = strings.Join(p.Customers, ", ")
		if p.Backup {
			at = "backup for " + at
		}
	}
	return fmt.Sprintf("%s (%s, %s)", p.Email, p.Role, at)
}

// people lists who one may be, one a line.
func (r *Runner) people(ctx context.Context) string {
	everyone, err := r.People.Everyone(ctx)
	if err != nil {
		return fmt.Sprintf("  (the people directory did not answer: %v)\n", err)
	}
	var b strings.Builder
	for _, p := range everyone {
		fmt.Fprintf(&b, "    /as %s\n", who(p))
	}
	return b.String()
}

const consoleHelp = `  /as EMAIL     talk as someone else (and see their unread messages)
  /as           list the people you can be, of every customer
  /now TIME     move the clock (RFC 3339); renewals and due work run
  /now          show the clock
  /quit         leave
  Buttons show as [1] Label: type the number or the label to press one.
`
