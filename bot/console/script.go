package console

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// A script is read whole and checked before its first line runs: a typo
// on line 30 must not leave lines 1–29 done in the portal. Parsing is
// pure (no store, no people); Runner.RunParsed checks what needs them.

// stepKind is what one script line does.
type stepKind int

const (
	stepNow   stepKind = iota // @now TIME or @now +30d
	stepSay                   // EMAIL: text
	stepPress                 // EMAIL: [Label]
	stepCheck                 // #expect …, #quantity …, #fails
)

// step is one line of a script that does something.
type step struct {
	line  int
	kind  stepKind
	when  string // @now's argument, as written
	email string
	text  string // what is said, or the button's label
	check Check
}

// Check is one expectation line of a script: "#expect EMAIL ~ text",
// "#quantity SUB N"… Verb is the word after "#"; Email and Text are set
// for the message checks, Args for the others.
type Check struct {
	Line  int
	Verb  string
	Email string
	Text  string
	Args  []string
}

func (c Check) String() string {
	if c.Email != "" {
		return fmt.Sprintf("#%s %s ~ %s", c.Verb, c.Email, c.Text)
	}
	return strings.TrimSpace("#" + c.Verb + " " + strings.Join(c.Args, " "))
}

// Message checks are carried out by the runner on what the last step
// showed; state checks by the Checker the caller gives (the CLI reads
// the portal and the requests).
var (
	messageChecks = map[string]bool{"expect": true, "expect-not": true, "buttons": true}
	// stateChecks maps each state check to its number of arguments.
	stateChecks = map[string]int{"quantity": 2, "renewal": 2, "autorenew": 2, "status": 2, "enddate": 2,
		"request": 2, "requests": 1}
)

// knownChecks lists the check verbs for error messages.
const knownChecks = "#expect, #expect-not, #buttons, #fails, #quantity, #renewal, #autorenew, #status, #enddate, #request, #requests"

// Script is a parsed transcript.
type Script struct {
	steps []step
}

// Start is the first @now of the script when it is an absolute time (the
// demo data of a fresh data directory is created then), or zero.
func (s *Script) Start() time.Time {
	for _, st := range s.steps {
		if st.kind == stepNow {
			t, err := time.Parse(time.RFC3339, st.when)
			if err != nil {
				return time.Time{}
			}
			return t
		}
	}
	return time.Time{}
}

// ParseScript reads a whole transcript and reports every line it cannot
// read, numbered, as a *ScriptErrors; nothing has run then. Each line is
// "# comment", "@now TIME" (RFC 3339, or +30d, +2h… from the clock),
// "EMAIL: text", "EMAIL: [Label]" or a check (see knownChecks).
func ParseScript(in io.Reader) (*Script, error) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	s := &Script{}
	var errs ScriptErrors
	n := 0
	for sc.Scan() {
		n++
		st, ok, err := parseLine(n, strings.TrimSpace(sc.Text()))
		if err != nil {
			errs = append(errs, err.(*ScriptError))
			continue
		}
		if !ok {
			continue
		}
		if st.kind == stepCheck && st.check.Verb == "fails" {
			if len(s.steps) == 0 || (s.steps[len(s.steps)-1].kind != stepSay && s.steps[len(s.steps)-1].kind != stepPress) {
				errs = append(errs, &ScriptError{n, "#fails must follow a line said or pressed by someone"})
				continue
			}
		}
		s.steps = append(s.steps, st)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read script: %w", err)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// parseLine reads one line; ok is false for blank lines and comments.
func parseLine(n int, line string) (step, bool, error) {
	switch {
	case line == "" || line == "#" || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "#\t") || strings.HasPrefix(line, "##"):
		return step{}, false, nil
	case strings.HasPrefix(line, "#"):
		c, err := parseCheck(n, line)
		if err != nil {
			return step{}, false, err
		}
		return step{line: n, kind: stepCheck, check: c}, true, nil
	case strings.HasPrefix(line, "@now"):
		arg := strings.TrimSpace(strings.TrimPrefix(line, "@now"))
		if _, _, err := parseRelative(arg); err != nil {
			if _, err := time.Parse(time.RFC3339, arg); err != nil {
				return step{}, false, &ScriptError{n, fmt.Sprintf("@now wants an RFC 3339 time like 2026-11-26T10:00:00+01:00 or a move forward like +30d, got %q", arg)}
			}
		}
		return step{line: n, kind: stepNow, when: arg}, true, nil
	case strings.HasPrefix(line, "@"):
		return step{}, false, &ScriptError{n, fmt.Sprintf("unknown directive %q: the only one is @now", strings.Fields(line)[0])}
	}
	who, said, ok := strings.Cut(line, ":")
	who, said = strings.TrimSpace(who), strings.TrimSpace(said)
	if !ok || !strings.Contains(who, "@") || strings.ContainsAny(who, " \t") {
		return step{}, false, &ScriptError{n, "expected \"EMAIL: text\", \"EMAIL: [Label]\", \"@now TIME\", a check (" + knownChecks + ") or \"# comment\""}
	}
	if strings.HasPrefix(said, "[") && strings.HasSuffix(said, "]") {
		label := strings.TrimSpace(said[1 : len(said)-1])
		if label == "" {
			return step{}, false, &ScriptError{n, "[] names no button"}
		}
		return step{line: n, kind: stepPress, email: who, text: label}, true, nil
	}
	return step{line: n, kind: stepSay, email: who, text: said}, true, nil
}

func parseCheck(n int, line string) (Check, error) {
	verb, rest, _ := strings.Cut(strings.TrimPrefix(line, "#"), " ")
	rest = strings.TrimSpace(rest)
	c := Check{Line: n, Verb: verb}
	switch {
	case messageChecks[verb]:
		who, text, ok := strings.Cut(rest, "~")
		who, text = strings.TrimSpace(who), strings.TrimSpace(text)
		if !ok || who == "" || text == "" {
			return c, &ScriptError{n, fmt.Sprintf("#%s wants \"#%s EMAIL ~ text\"", verb, verb)}
		}
		c.Email, c.Text = who, text
	case verb == "fails":
		if rest != "" {
			return c, &ScriptError{n, "#fails takes nothing after it"}
		}
	case stateChecks[verb] > 0:
		c.Args = strings.Fields(rest)
		if len(c.Args) != stateChecks[verb] {
			want := "SUB VALUE"
			switch verb {
			case "request":
				want = "ID STATE"
			case "requests":
				want = "N"
			}
			return c, &ScriptError{n, fmt.Sprintf("#%s wants \"#%s %s\"", verb, verb, want)}
		}
	default:
		return c, &ScriptError{n, fmt.Sprintf("unknown check #%s (known: %s; a comment starts with \"# \")", verb, knownChecks)}
	}
	return c, nil
}

// parseRelative reads a move forward such as "+30d", "+1w", "+2h",
// "+1d12h" or "+90m".
func parseRelative(s string) (days int, dur time.Duration, err error) {
	if !strings.HasPrefix(s, "+") || len(s) < 3 {
		return 0, 0, errNotRelative
	}
	s = s[1:]
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 6 {
			return 0, 0, errNotRelative
		}
		var v int
		fmt.Sscanf(s[:i], "%d", &v)
		switch s[i] {
		case 'w':
			days += 7 * v
		case 'd':
			days += v
		case 'h':
			dur += time.Duration(v) * time.Hour
		case 'm':
			dur += time.Duration(v) * time.Minute
		default:
			return 0, 0, errNotRelative
		}
		s = s[i+1:]
	}
	return days, dur, nil
}

var errNotRelative = errors.New("not a relative time")

// ScriptError names the line of a script that could not be read or
// carried out.
type ScriptError struct {
	Line int
	Msg  string
}

func (e *ScriptError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ScriptErrors are all the lines of a script that could not be read.
type ScriptErrors []*ScriptError

func (es ScriptErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(e.Error())
	}
	if len(es) > 1 {
		return fmt.Sprintf("%d lines cannot be run, nothing was done:\n%s", len(es), b.String())
	}
	return b.String() + " (nothing was done)"
}
