package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the CLI as main does and returns stdout, stderr and the
// error.
func run(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCmd(strings.NewReader(stdin), &out, &errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestSubscriptionsJSONHasTheDemoCustomer(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, "", "subscriptions", "--json", "--now", "2026-11-26T10:00:00+01:00", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	var subs []map[string]any
	if err := json.Unmarshal([]byte(out), &subs); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	perCustomer := map[string]int{}
	for _, s := range subs {
		perCustomer[s["customer_id"].(string)]++
	}
	if len(subs) != 10 || perCustomer["contoso"] != 7 || perCustomer["fabrikam"] != 3 {
		t.Fatalf("%d subscriptions (%v), want Contoso's 7 and Fabrikam's 3", len(subs), perCustomer)
	}
	for _, k := range []string{"id", "offer", "name", "segment", "quantity", "renewal_quantity", "auto_renew", "status", "term", "billing", "term_start", "term_end", "trial"} {
		if _, ok := subs[0][k]; !ok {
			t.Errorf("field %q missing", k)
		}
	}
	byID := map[string]map[string]any{}
	for _, s := range subs {
		byID[s["id"].(string)] = s
	}
	if byID["sub-7"]["renewal_quantity"] != float64(6) || byID["sub-1"]["renewal_quantity"] != nil {
		t.Errorf("renewal_quantity: sub-7 %v sub-1 %v, want 6 and null", byID["sub-7"]["renewal_quantity"], byID["sub-1"]["renewal_quantity"])
	}
	if byID["sub-5"]["trial"] != true || byID["sub-2"]["billing"] != "annual" {
		t.Errorf("sub-5 trial %v, sub-2 billing %v", byID["sub-5"]["trial"], byID["sub-2"]["billing"])
	}
}

// 40 days later: Apps for business renewed (new term 27 Dec), the trial
// converted to a paid monthly subscription, Teams Essentials renewed on
// its monthly term, Business Standard unchanged.
func TestTermsRollOverFortyDaysLater(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := run(t, "", "subscriptions", "--now", "2026-11-26T10:00:00+01:00", "--data", dir); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "", "subscriptions", "--json", "--now", "2027-01-05T10:00:00+01:00", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	var subs []subscriptionJSON
	if err := json.Unmarshal([]byte(out), &subs); err != nil {
		t.Fatal(err)
	}
	get := func(id string) subscriptionJSON {
		for _, s := range subs {
			if s.ID == id {
				return s
			}
		}
		t.Fatalf("no %s", id)
		return subscriptionJSON{}
	}
	if s := get("sub-2"); s.TermStart.Format("2006-01-02T15:04") != "2026-12-27T00:00" || s.Removable != 0 {
		t.Errorf("sub-2: term start %v removable %d, want 2026-12-27 00:00 and 0", s.TermStart, s.Removable)
	}
	if s := get("sub-5"); s.Trial || s.Status != "active" || s.Term != "P1M" {
		t.Errorf("sub-5: trial %v status %s term %s, want a paid active monthly subscription", s.Trial, s.Status, s.Term)
	}
	if s := get("sub-6"); s.TermStart.Format("2006-01-02") != "2026-12-07" {
		t.Errorf("sub-6 term start %v, want 2026-12-07", s.TermStart)
	}
	if s := get("sub-1"); s.TermStart.Format("2006-01-02") != "2026-11-25" || s.Quantity != 10 {
		t.Errorf("sub-1 changed: %+v", s)
	}
}

func TestBadFlagsSayOneClearLine(t *testing.T) {
	_, _, err := run(t, "", "subscriptions", "--now", "yesterday", "--data", t.TempDir())
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "RFC 3339") {
		t.Fatalf("bad --now: %v", err)
	}
	_, _, err = run(t, "", "subscriptions", "--frobnicate")
	if !errors.As(err, &ue) {
		t.Fatalf("unknown flag: %v, want a usage error", err)
	}
}

func TestScriptErrorsNameTheLine(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "s.chat")
	os.WriteFile(script, []byte("# hello\nalice@contoso.example: help\nbob@nowhere.example: hi\n"), 0o600)
	_, _, err := run(t, "", "chat", "--script", script, "--data", dir, "--now", "2026-11-26T10:00:00+01:00")
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "unknown person") {
		t.Fatalf("err = %v, want line 3: unknown person", err)
	}
	_, _, err = run(t, "alice@contoso.example: [Approve]\n", "chat", "--script", "-", "--data", t.TempDir(), "--now", "2026-11-26T10:00:00+01:00")
	if err == nil || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), "no button") {
		t.Fatalf("err = %v, want line 1: no button", err)
	}
}

func TestScriptJSONShape(t *testing.T) {
	out, _, err := run(t, "alice@contoso.example: add 2 business standard seats\n", "chat", "--script", "-", "--json",
		"--data", t.TempDir(), "--now", "2026-11-26T10:00:00+01:00")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		To      string            `json:"to"`
		Text    string            `json:"text"`
		Fields  []json.RawMessage `json:"fields"`
		Actions []struct{ ID, Label string }
		Request *string `json:"request"`
	}
	// The first line is Alice's answer; reminders that fell due for the
	// licence admin may follow.
	first, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(first), &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if m.To != "alice@contoso.example" || len(m.Actions) != 2 || m.Actions[0].Label != "Confirm" || m.Request != nil || len(m.Fields) == 0 {
		t.Fatalf("unexpected message %+v", m)
	}
}

// A person trying it cold: the interactive prompt, a change, a press by
// number, and the confirmation asked before an irreversible action.
func TestInteractiveChat(t *testing.T) {
	dir := t.TempDir()
	in := strings.Join([]string{
		"add 2 business standard seats",
		"1",
		"cancel business standard",
		"confirm",
		"no",
		"/as marc@erp-cloud.example",
		"/quit",
	}, "\n")
	out, _, err := run(t, in, "chat", "--data", dir, "--now", "2026-11-26T10:00:00+01:00")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"you are alice@contoso.example", "[1] Confirm", "Done on", "cannot be undone. Send it for approval? [yes/no]", "OK, not done.", "you are now marc@erp-cloud.example"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Approval needed") {
		t.Errorf("the cancellation was submitted although the confirmation said no:\n%s", out)
	}
}

// At the "are you sure?" of an irreversible press, a command still works
// (it is not taken as "no" and swallowed) and a line that is neither yes
// nor no asks again; "yes" then submits, as the README's tour does.
func TestInteractiveConfirmationTakesCommandsAndReasks(t *testing.T) {
	in := strings.Join([]string{
		"upgrade 5 E1 to E3 into the existing line",
		"confirm",
		"hmm",
		"/as marc@erp-cloud.example", // a command: not done, and Marc now
		"/as alice@contoso.example",
		"upgrade 5 E1 to E3 into the existing line",
		"confirm",
		"yes",
		"/as marc@erp-cloud.example",
		"/quit",
	}, "\n")
	out, _, err := run(t, in, "chat", "--data", t.TempDir(), "--now", "2026-11-26T10:00:00+01:00")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Please answer yes or no", "OK, not done.", "you are now marc@erp-cloud.example", "Approval needed: R-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "Approval needed:") != 1 || strings.Contains(out, "R-2") {
		t.Errorf("want exactly one request submitted (after the yes):\n%s", out)
	}
}
