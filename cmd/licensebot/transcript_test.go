package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Transcript tests: testdata/*.chat are scripts for `licensebot chat
// --script`, with their own checks (#expect, #quantity, … — see `licensebot
// chat --help`). Each runs exactly as a user would run it: the real CLI,
// a fresh data directory, no --now (the demo data is created at the
// script's first @now, so they pass on any day), every check carried out
// by the CLI itself.
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
			out, errOut, err := run(t, "", "chat", "--script", f, "--data", t.TempDir(), "--log-level", "error")
			if err != nil {
				t.Fatalf("%v\n--- stderr ---\n%s\n--- transcript ---\n%s", err, errOut, out)
			}
			if testing.Verbose() {
				t.Log("\n" + out)
			}
		})
	}
}

// A script is read and checked whole before anything runs: a bad line 3
// leaves lines 1 and 2 undone, and every bad line is named.
func TestScriptCheckedBeforeItRuns(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(t.TempDir(), "bad.chat")
	writeFile(t, script, `@now 2026-11-26T10:00:00+01:00
claire@contoso.example: add 2 Business Standard seats
bob@nowhere.example: hello
#quantty sub-1 12
#expect claire@contoso.example
`)
	_, _, err := run(t, "", "chat", "--script", script, "--data", dir)
	if err == nil {
		t.Fatal("a script with bad lines ran")
	}
	for _, want := range []string{"line 4: unknown check #quantty", "line 5: #expect wants", "nothing was done"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// A line that parses but names someone unknown is refused before
	// line 2 runs.
	writeFile(t, script, `@now 2026-11-26T10:00:00+01:00
claire@contoso.example: add 2 Business Standard seats
claire@contoso.example: [Confirm]
bob@nowhere.example: hello
`)
	if _, _, err := run(t, "", "chat", "--script", script, "--data", dir); err == nil || !strings.Contains(err.Error(), `line 4: unknown person "bob@nowhere.example"`) {
		t.Fatalf("unknown person: %v", err)
	}
	out, _, err := run(t, "", "subscriptions", "--data", dir, "--now", "2026-11-26T10:00:00+01:00")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "sub-1" && !strings.Contains(l, "  10  ") {
			t.Fatalf("lines 2–3 ran although line 4 was bad:\n%s", out)
		}
	}
}

// #expect lines are carried out: one that does not hold fails the
// script, naming the line and what was shown.
func TestScriptExpectationsAreChecked(t *testing.T) {
	script := filepath.Join(t.TempDir(), "expect.chat")
	writeFile(t, script, `@now 2026-11-26T10:00:00+01:00
alice@contoso.example: my subscriptions
#expect alice@contoso.example ~ subscriptions of contoso sas
#expect alice@contoso.example ~ a sentence the bot never says
`)
	_, _, err := run(t, "", "chat", "--script", script, "--data", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), `line 4: #expect alice@contoso.example ~ a sentence the bot never says: no message to alice@contoso.example contains`) {
		t.Fatalf("a false expectation passed: %v", err)
	}
}

// The clock never goes back over the life of a data directory: a second
// session starts where the first left it, sends no reminder twice, and
// refuses /now to an earlier time with a sentence.
func TestChatClockNeverGoesBack(t *testing.T) {
	dir := t.TempDir()
	first, _, err := run(t, "/now +30d\n/as claire@contoso.example\n/quit\n", "chat", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first, "Renewal coming") {
		t.Fatalf("no reminder after /now +30d:\n%s", first)
	}
	if !strings.Contains(first, "it is now") || !strings.Contains(first, "(Europe/Paris)") {
		t.Fatalf("the moved clock is not shown in the customer's time zone:\n%s", first)
	}
	second, _, err := run(t, "/now\n/now 2026-01-01T09:00\n/as claire@contoso.example\n/now +1h\n/as claire@contoso.example\n/quit\n", "chat", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(second, "The clock carries on from where the last session left it") {
		t.Errorf("the second session did not resume the clock:\n%s", second)
	}
	if !strings.Contains(second, "Not moved: the clock is already at") {
		t.Errorf("/now to the past was not refused:\n%s", second)
	}
	// An hour later new reminders may fall due (a renewal at midnight,
	// depending on the hour the test runs); none of the first session's
	// may come again.
	sent := map[string]bool{}
	for _, l := range strings.Split(first, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "== ") {
			sent[l] = true
		}
	}
	for _, l := range strings.Split(second, "\n") {
		if l = strings.TrimSpace(l); sent[l] {
			t.Errorf("a reminder was sent again (%s):\n%s", l, second)
		}
	}
	// --now before the directory's clock is refused too.
	if _, _, err := run(t, "/quit\n", "chat", "--data", dir, "--now", "2026-01-01T09:00:00+01:00"); err == nil || !strings.Contains(err.Error(), "cannot go back") {
		t.Errorf("--now to the past: %v", err)
	}
}

// Unread messages read much later say when they were sent, and a
// reminder whose date has passed has its buttons retired.
func TestUnreadRemindersSayWhenTheyWereSent(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(t.TempDir(), "s.chat")
	writeFile(t, script, "@now 2026-11-26T10:00:00+01:00\n")
	if _, _, err := run(t, "", "chat", "--script", script, "--data", dir); err != nil {
		t.Fatal(err)
	}
	// The script showed Claire her reminders; a new one waits unread
	// from a session in which she was not at the keyboard.
	if _, _, err := run(t, "/now 2026-11-30T10:00\n/quit\n", "chat", "--data", dir); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "/now 2026-12-27T10:00\n/as claire@contoso.example\n/quit\n", "chat", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Sent Mon 30 Nov 2026") {
		t.Errorf("an old unread reminder does not say when it was sent:\n%s", out)
	}
	if !strings.Contains(out, "its buttons are retired") {
		t.Errorf("an old reminder kept its stale buttons:\n%s", out)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
