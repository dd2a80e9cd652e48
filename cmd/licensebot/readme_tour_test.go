package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// tourStep is one `who> command   → what happens` line of the README's
// tour, with the quoted phrases the answer must contain.
type tourStep struct {
	line    string
	command string
	expect  []string
}

// readmeTour extracts the tour from README.md: every `who> …` line of
// the text blocks between the tour:start and tour:end markers.
func readmeTour(t *testing.T) []tourStep {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	start, end := strings.Index(s, "<!-- tour:start"), strings.Index(s, "<!-- tour:end -->")
	if start < 0 || end < start {
		t.Fatal("README.md has no tour between <!-- tour:start and <!-- tour:end --> markers")
	}
	prompt := regexp.MustCompile(`^[a-z]+> (.*)$`)
	quoted := regexp.MustCompile(`"([^"]+)"`)
	var steps []tourStep
	in := false
	for _, l := range strings.Split(s[start:end], "\n") {
		switch {
		case strings.HasPrefix(l, "```text"):
			in = true
			continue
		case strings.HasPrefix(l, "```"):
			in = false
			continue
		}
		m := prompt.FindStringSubmatch(l)
		if !in || m == nil {
			continue
		}
		cmd, comment, _ := strings.Cut(m[1], "→")
		st := tourStep{line: l, command: strings.TrimSpace(cmd)}
		for _, q := range quoted.FindAllStringSubmatch(comment, -1) {
			st.expect = append(st.expect, q[1])
		}
		steps = append(steps, st)
	}
	return steps
}

// TestReadmeTour runs the README's tour as a reader would type it: the
// real CLI, a fresh data directory, today's clock (the demo data is
// seeded relative to it, and the tour only moves the clock with +Nd).
// Each quoted phrase must appear, in order; no step may be misread.
func TestReadmeTour(t *testing.T) {
	steps := readmeTour(t)
	if len(steps) < 20 {
		t.Fatalf("only %d tour steps found in README.md", len(steps))
	}
	var in strings.Builder
	for _, st := range steps {
		in.WriteString(st.command + "\n")
	}
	in.WriteString("/quit\n")
	dir := t.TempDir()
	out, errOut, err := run(t, in.String(), "chat", "--data", dir, "--log-level", "error")
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, errOut, out)
	}
	rest := out
	for _, st := range steps {
		for _, want := range st.expect {
			i := strings.Index(rest, want)
			if i < 0 {
				t.Fatalf("README tour step %q: %q does not appear (in order) in the answers.\n--- output from there ---\n%s", st.line, want, rest)
			}
			rest = rest[i+len(want):]
		}
	}
	for _, bad := range []string{"didn't get that", "pas compris", "Please answer yes or no", "Not moved", "unknown person", "OK, not done", "no longer applies", "Which subscription?"} {
		if strings.Contains(out, bad) {
			t.Errorf("the tour hits %q:\n%s", bad, out)
		}
	}
	// The upgrade approved in the tour took effect.
	js, _, err := run(t, "", "subscriptions", "--json", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	var subs []struct {
		ID       string `json:"id"`
		Quantity int    `json:"quantity"`
	}
	if err := json.Unmarshal([]byte(js), &subs); err != nil {
		t.Fatalf("%v: %s", err, js)
	}
	got := map[string]int{}
	for _, s := range subs {
		got[s.ID] = s.Quantity
	}
	if got["sub-1"] != 12 || got["sub-3"] != 20 || got["sub-4"] != 10 {
		t.Errorf("after the tour: Business Standard %d (want 12), E1 %d (want 20), E3 %d (want 10)", got["sub-1"], got["sub-3"], got["sub-4"])
	}
}
