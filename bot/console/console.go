package console

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/cards"
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

	// Check carries out the state checks of scripts (#quantity …).
	Check Checker
	// Zones are the customers' time zones, by customer id: the clock is
	// shown in the zone of the person at the keyboard. DefaultZone is
	// for messages about no one in particular.
	Zones       map[string]*time.Location
	DefaultZone *time.Location

	scriptMode bool
	// lastShown are the messages shown by the last script step, for its
	// checks.
	lastShown []bot.Message
	// lastHadButtons: the newest message shown had buttons, so a bare
	// number at the prompt presses one rather than answering a question.
	lastHadButtons bool
}

// press is a found button with its confirmation text, if any.
type press struct {
	bot.Press
	Confirm string
}

// Checker carries out a state check of a script ("#quantity sub-3 20",
// "#request R-1 approved"): the caller knows the portal and the requests.
type Checker func(ctx context.Context, c Check) error

// RunScript reads a whole transcript, checks it, then runs it (see
// ParseScript and RunParsed).
func (r *Runner) RunScript(ctx context.Context, in io.Reader) error {
	s, err := ParseScript(in)
	if err != nil {
		return err
	}
	return r.RunParsed(ctx, s)
}

// RunParsed checks every line that needs the store (people, the clock)
// and only then runs the script. The first line that cannot be carried
// out, or a check that does not hold, stops it with a *ScriptError.
func (r *Runner) RunParsed(ctx context.Context, s *Script) error {
	r.scriptMode = true
	if err := r.validate(ctx, s); err != nil {
		return err
	}
	var lastErr error
	for i, st := range s.steps {
		if st.kind != stepCheck {
			r.lastShown, lastErr = nil, nil
		}
		switch st.kind {
		case stepNow:
			t, err := when(st.when, r.Clock.Now(), r.zone(workflows.Person{}))
			if err == nil {
				err = r.setNow(ctx, t)
			}
			if err == nil {
				err = r.flushAll(ctx)
			}
			if err != nil {
				return &ScriptError{st.line, err.Error()}
			}
		case stepSay, stepPress:
			lastErr = r.runStep(ctx, st)
			if lastErr != nil && !(i+1 < len(s.steps) && s.steps[i+1].kind == stepCheck && s.steps[i+1].check.Verb == "fails") {
				return &ScriptError{st.line, lastErr.Error()}
			}
		case stepCheck:
			if err := r.check(ctx, st.check, lastErr); err != nil {
				return &ScriptError{st.line, st.check.String() + ": " + err.Error()}
			}
		}
	}
	return nil
}

// validate checks what parsing could not: that everyone named may be
// met here, that the clock never goes back, that state checks can be
// carried out. Every line in error is reported; nothing has run.
func (r *Runner) validate(ctx context.Context, s *Script) error {
	var errs ScriptErrors
	known := map[string]bool{}
	person := func(line int, email string) {
		e := strings.ToLower(email)
		if ok, seen := known[e]; seen {
			if !ok {
				errs = append(errs, &ScriptError{line, fmt.Sprintf("unknown person %q (not in the configuration)", email)})
			}
			return
		}
		_, err := r.lookup(ctx, email)
		known[e] = err == nil
		if err != nil {
			errs = append(errs, &ScriptError{line, fmt.Sprintf("unknown person %q (not in the configuration)", email)})
		}
	}
	last, err := LastClock(ctx, r.Store)
	if err != nil {
		return err
	}
	for _, st := range s.steps {
		switch st.kind {
		case stepSay, stepPress:
			person(st.line, st.email)
		case stepCheck:
			if st.check.Email != "" {
				person(st.line, st.check.Email)
			}
			if stateChecks[st.check.Verb] > 0 && r.Check == nil {
				errs = append(errs, &ScriptError{st.line, fmt.Sprintf("#%s cannot be checked here (no portal to read)", st.check.Verb)})
			}
		case stepNow:
			t, err := time.Parse(time.RFC3339, st.when)
			if err != nil {
				continue // a move forward
			}
			if t.Before(last) {
				errs = append(errs, &ScriptError{st.line, (&BackwardsError{Want: t, Last: last, Loc: r.zone(workflows.Person{})}).Error()})
				continue
			}
			last = t
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// runStep says a line or presses a button as someone.
func (r *Runner) runStep(ctx context.Context, st step) error {
	p, err := r.lookup(ctx, st.email)
	if err != nil {
		return fmt.Errorf("unknown person %q (not in the configuration): %w", st.email, err)
	}
	turn := bot.Turn{Person: p, Platform: "console", Org: workflows.Org{Platform: "console"}, Conversation: "console:" + p.Email, Text: st.text}
	if st.kind == stepPress {
		press, err := r.findButton(ctx, p.Email, st.text)
		if err != nil {
			return err
		}
		turn.Text, turn.Press = "", &press.Press
	}
	return r.turn(ctx, turn)
}

// check carries out one expectation line against the last step.
func (r *Runner) check(ctx context.Context, c Check, lastErr error) error {
	if c.Verb == "fails" {
		if lastErr == nil {
			return errors.New("the line before was carried out, but should have been refused")
		}
		return nil
	}
	if lastErr != nil {
		return fmt.Errorf("the line before failed: %w", lastErr)
	}
	if !messageChecks[c.Verb] {
		return r.Check(ctx, c)
	}
	// Bold markers are not what a reader sees: "*14 Jun 2027*" and
	// "14 Jun 2027" both match.
	text := foldCheck(c.Text)
	found := false
	var seen []string
	for _, m := range r.lastShown {
		if !strings.EqualFold(m.To, c.Email) {
			continue
		}
		seen = append(seen, strings.ReplaceAll(strings.TrimSpace(messageText(m)), "\n", " | "))
		if c.Verb == "buttons" {
			for _, a := range m.Actions {
				if strings.Contains(strings.ToLower(a.Label), text) {
					found = true
				}
			}
			continue
		}
		if strings.Contains(messageText(m), text) {
			found = true
		}
	}
	switch {
	case c.Verb == "expect-not" && found:
		return fmt.Errorf("a message to %s contains %q", c.Email, c.Text)
	case c.Verb != "expect-not" && !found:
		if len(seen) == 0 {
			return fmt.Errorf("nothing was shown to %s by the line before", c.Email)
		}
		return fmt.Errorf("no message to %s contains %q; shown:\n  %s", c.Email, c.Text, strings.Join(seen, "\n  "))
	}
	return nil
}

// messageText is everything a message shows, lower-cased, for checks.
func messageText(m bot.Message) string {
	var b strings.Builder
	status := ""
	if m.Status != nil {
		status = m.Status.Text
	}
	b.WriteString(m.Title + "\n" + status + "\n" + m.TopLine() + "\n" + m.Text + "\n" + m.Context + "\n")
	for _, f := range m.Fields {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	for _, a := range m.Actions {
		b.WriteString("[" + a.Label + "]\n")
	}
	return foldCheck(b.String())
}

// foldCheck is what a check compares: lower case, without bold markers,
// with the no-break spaces of French numbers ("516,22 €") as spaces.
func foldCheck(s string) string {
	return strings.ToLower(strings.NewReplacer("*", "", "\u00a0", " ", "\u202f", " ").Replace(s))
}

// zone is the time zone a person reads the clock in: their customer's,
// an account manager's first customer's, or the default.
func (r *Runner) zone(p workflows.Person) *time.Location {
	if l := r.Zones[p.CustomerID]; l != nil {
		return l
	}
	for _, c := range p.Customers {
		if l := r.Zones[c]; l != nil {
			return l
		}
	}
	if r.DefaultZone != nil {
		return r.DefaultZone
	}
	return time.UTC
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

// setNow moves the clock to t, never back past a time already reached,
// and runs what falls due.
func (r *Runner) setNow(ctx context.Context, t time.Time) error {
	last, err := LastClock(ctx, r.Store)
	if err != nil {
		return err
	}
	if t.Before(last) {
		return &BackwardsError{Want: t, Last: last, Loc: r.zone(workflows.Person{})}
	}
	r.Clock.Set(t)
	if err := saveClock(ctx, r.Store, t); err != nil {
		return err
	}
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

// flush shows email's unread messages. One read well after it was sent
// says when it was sent, and loses the buttons that no longer make sense
// (a reminder about a date now past).
func (r *Runner) flush(ctx context.Context, email string) error {
	qs, err := r.Outbox.TakeQueued(ctx, email)
	if err != nil {
		return err
	}
	now := r.Clock.Now()
	loc := r.zoneOf(ctx, email)
	msgs := make([]bot.Message, 0, len(qs))
	for _, q := range qs {
		m := q.Message
		if tr := r.translator(); tr != nil {
			if !q.SentAt.IsZero() && now.Sub(q.SentAt) >= shownLater {
				m.Context = strings.TrimSpace(cards.SentNote(tr, m.Lang, q.SentAt, loc) + " " + m.Context)
			}
			cards.Retire(tr, &m, now, loc)
		}
		msgs = append(msgs, m)
	}
	return r.show(ctx, email, msgs)
}

// shownLater is how old an unread message is when it says when it was
// sent.
const shownLater = time.Hour

func (r *Runner) translator() *bot.Translator {
	if r.Engine == nil {
		return nil
	}
	return r.Engine.Translator()
}

// zoneOf is the time zone of the person with email, or the default.
func (r *Runner) zoneOf(ctx context.Context, email string) *time.Location {
	p, err := r.lookup(ctx, email)
	if err != nil {
		return r.zone(workflows.Person{})
	}
	return r.zone(p)
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
		if r.scriptMode {
			r.lastShown = append(r.lastShown, m)
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
				fmt.Fprintf(r.Out, "  it is %s\n", ShowTime(r.Clock.Now(), r.zone(p)))
				continue
			}
			t, err := when(arg, r.Clock.Now(), r.zone(p))
			if err != nil {
				fmt.Fprintf(r.Out, "  /now wants a move forward such as /now +30d or /now +2h, or a time such as /now 2026-12-27T09:00 (%s): %s\n", r.zone(p), err)
				continue
			}
			if err := r.setNow(ctx, t); err != nil {
				var back *BackwardsError
				if errors.As(err, &back) {
					back.Loc = r.zone(p)
					fmt.Fprintf(r.Out, "  Not moved: %s.\n", back)
					continue
				}
				fmt.Fprintf(r.Out, "  %v\n", err)
			}
			fmt.Fprintf(r.Out, "  it is now %s\n", ShowTime(r.Clock.Now(), r.zone(p)))
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
	// The question comes in the person's language; French typography puts
	// a space before "?", which is how the prompt knows to say oui/non.
	choices, again := "[yes/no]", "Please answer yes or no."
	if strings.HasSuffix(strings.TrimSpace(question), " ?") {
		choices, again = "[oui/non]", "Répondez oui ou non."
	}
	fmt.Fprintf(r.Out, "  %s %s ", question, choices)
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
		fmt.Fprintf(r.Out, "  %s %s %s ", again, question, choices)
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
  /now +30d     move the clock forward (+2h, +1w, +1d12h…); renewals and due work run
  /now TIME     move the clock to a time (2026-12-27T09:00 in your time zone, or RFC 3339);
                never backwards: what fell due has already run
  /now          show the clock
  /quit         leave
  Buttons show as [1] Label: type the number or the label to press one.
`
