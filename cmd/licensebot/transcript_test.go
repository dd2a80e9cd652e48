package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot/console"
)

// Transcript tests: testdata/*.chat are scripts for `licensebot chat
// --script`, with expectation lines the CLI ignores as comments:
//
//	#expect EMAIL ~ text       a message to EMAIL from the last step contains text
//	#expect-not EMAIL ~ text   no message to EMAIL from the last step contains text
//	#buttons EMAIL ~ label     the newest message to EMAIL has a button with that label
//	#quantity SUB N            subscription SUB has N seats
//	#renewal SUB N             subscription SUB renews with N seats
//	#autorenew SUB on|off
//	#status SUB active|cancelled|expired
//	#enddate SUB YYYY-MM-DD    the commitment end date (the day before TermEnd, Paris)
//	#request ID STATE          request ID is in STATE
//	#requests N                N requests exist
//	#fails                     the last step is refused by the runner
//
// Text comparisons fold case. Every step runs through the same Runner the
// CLI uses, on a fresh data directory.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.chat")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no transcripts in testdata")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".chat"), func(t *testing.T) {
			t.Parallel()
			runTranscript(t, f)
		})
	}
}

type shown struct {
	To      string `json:"to"`
	Text    string `json:"text"`
	Title   string `json:"title"`
	Context string `json:"context"`
	Status  string `json:"status"`
	Top     string `json:"top"`
	Fields  []struct {
		Label string `json:"label"`
		Value string `json:"value"`
	} `json:"fields"`
	Actions []struct {
		ID    string `json:"id"`
		Label string `json:"label"`
	} `json:"actions"`
}

func (s shown) all() string {
	var b strings.Builder
	b.WriteString(s.Title + "\n" + s.Status + "\n" + s.Top + "\n" + s.Text + "\n" + s.Context + "\n")
	for _, f := range s.Fields {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	for _, a := range s.Actions {
		b.WriteString("[" + a.Label + "]\n")
	}
	return strings.ToLower(b.String())
}

func runTranscript(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g := &globals{data: t.TempDir(), now: "2026-11-26T10:00:00+01:00", logLevel: "error", errOut: &bytes.Buffer{}}
	ctx := context.Background()
	a, err := openApp(ctx, g, appOptions{withEngine: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out bytes.Buffer
	r := &console.Runner{Engine: a.engine, Outbox: a.outbox, Store: a.store, People: a.people,
		Clock: a.clock, Tick: a.tick, Out: &out, JSON: true}

	var last []shown
	var lastErr error
	var transcript strings.Builder
	for n, line := range strings.Split(string(data), "\n") {
		n++
		line = strings.TrimSpace(line)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("%s:%d: %s\n%s\n--- transcript so far ---\n%s", path, n, line, fmt.Sprintf(format, args...), transcript.String())
		}
		switch {
		case line == "" || (strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "#expect") && !isCheck(line)):
			continue
		case strings.HasPrefix(line, "#"):
			checkLine(ctx, t, a, line, last, lastErr, fail)
			continue
		}
		out.Reset()
		lastErr = r.RunScript(ctx, strings.NewReader(line))
		last = nil
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if l == "" {
				continue
			}
			var s shown
			if err := json.Unmarshal([]byte(l), &s); err != nil {
				fail("bad JSON from the runner: %v: %s", err, l)
			}
			last = append(last, s)
		}
		transcript.WriteString("» " + line + "\n")
		for _, s := range last {
			transcript.WriteString("  → " + s.To + ": " + strings.ReplaceAll(strings.TrimSpace(s.all()), "\n", " | ") + "\n")
		}
		if lastErr != nil {
			transcript.WriteString("  ! " + lastErr.Error() + "\n")
		}
	}
	if testing.Verbose() {
		t.Log("\n" + transcript.String())
	}
}

func isCheck(line string) bool {
	for _, p := range []string{"#expect", "#buttons", "#quantity", "#renewal", "#autorenew", "#status", "#enddate", "#request ", "#requests", "#fails"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

func checkLine(ctx context.Context, t *testing.T, a *app, line string, last []shown, lastErr error, fail func(string, ...any)) {
	t.Helper()
	if lastErr != nil && line != "#fails" {
		fail("the step before failed: %v", lastErr)
	}
	f := strings.Fields(line)
	switch f[0] {
	case "#fails":
		if lastErr == nil {
			fail("the step before should have failed")
		}
	case "#expect", "#expect-not", "#buttons":
		who, text, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, f[0])), "~")
		if !ok {
			fail("want %s EMAIL ~ text", f[0])
		}
		who, text = strings.TrimSpace(who), strings.ToLower(strings.TrimSpace(text))
		found := false
		for _, s := range last {
			if !strings.EqualFold(s.To, who) {
				continue
			}
			if f[0] == "#buttons" {
				for _, b := range s.Actions {
					if strings.EqualFold(b.Label, text) || strings.Contains(strings.ToLower(b.Label), text) {
						found = true
					}
				}
				continue
			}
			if strings.Contains(s.all(), text) {
				found = true
			}
		}
		if f[0] == "#expect-not" && found {
			fail("a message to %s contains %q", who, text)
		}
		if f[0] != "#expect-not" && !found {
			fail("no message to %s contains %q", who, text)
		}
	case "#quantity", "#renewal", "#autorenew", "#status", "#enddate":
		if len(f) != 3 {
			fail("want %s SUB VALUE", f[0])
		}
		s, err := a.provider.Subscription(ctx, "contoso", f[1])
		if err != nil {
			fail("%v", err)
		}
		var got string
		switch f[0] {
		case "#quantity":
			got = strconv.Itoa(s.Quantity)
		case "#renewal":
			got = strconv.Itoa(s.RenewalQuantity())
		case "#autorenew":
			got = map[bool]string{true: "on", false: "off"}[s.AutoRenew]
		case "#status":
			got = string(s.Status)
		case "#enddate":
			got = s.TermEnd.In(a.cfg.Customers[0].Location()).AddDate(0, 0, -1).Format(time.DateOnly)
		}
		if got != f[2] {
			fail("%s of %s is %s, want %s", f[0][1:], f[1], got, f[2])
		}
	case "#request":
		if len(f) != 3 {
			fail("want #request ID STATE")
		}
		r, err := a.svc.Find(ctx, f[1], a.cfg.CustomerIDs())
		if err != nil {
			fail("%v", err)
		}
		if string(r.State) != f[2] {
			fail("request %s is %s, want %s", f[1], r.State, f[2])
		}
	case "#requests":
		reqs, err := a.svc.List(ctx, "contoso")
		if err != nil {
			fail("%v", err)
		}
		if strconv.Itoa(len(reqs)) != f[1] {
			fail("%d requests, want %s", len(reqs), f[1])
		}
	default:
		fail("unknown check %q", f[0])
	}
}
