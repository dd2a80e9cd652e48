package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type listedReminder struct {
	Kind           string    `json:"kind"`
	CustomerID     string    `json:"customer_id"`
	SubscriptionID *string   `json:"subscription_id"`
	RequestID      *string   `json:"request_id"`
	LeadDays       *int      `json:"lead_days"`
	Recipients     []string  `json:"recipients"`
	Due            time.Time `json:"due"`
	State          string    `json:"state"`
	IDs            []string  `json:"ids"`
}

func listReminders(t *testing.T, args ...string) []listedReminder {
	t.Helper()
	out, _, err := run(t, "", append([]string{"reminders", "--json"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var got []listedReminder
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return got
}

func findReminder(list []listedReminder, kind, sub string, lead int) *listedReminder {
	for i, r := range list {
		if r.Kind == kind && r.SubscriptionID != nil && *r.SubscriptionID == sub && (lead == 0 || r.LeadDays != nil && *r.LeadDays == lead) {
			return &list[i]
		}
	}
	return nil
}

// `licensebot reminders` shows what is scheduled: kind, subscription,
// recipients, due instant (customer time) and state; after a chat ran
// them, --history shows them sent.
func TestRemindersCommandListsTheSchedule(t *testing.T) {
	dir := t.TempDir()
	t0 := []string{"--now", "2026-11-26T10:00:00+01:00", "--data", dir}
	list := listReminders(t, t0...)
	r := findReminder(list, "renewal", "sub-2", 30)
	if r == nil {
		t.Fatalf("no 30-day renewal reminder for sub-2 in %+v", list)
	}
	if r.State != "due" || !r.Due.Equal(time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)) || r.Due.Format("-07:00") != "+01:00" ||
		strings.Join(r.Recipients, ",") != "claire@contoso.example" || r.CustomerID != "contoso" || len(r.IDs) != 1 {
		t.Errorf("30-day reminder: %+v", *r)
	}
	if r := findReminder(list, "window_closing", "sub-2", 0); r == nil || r.State != "scheduled" ||
		!r.Due.Equal(time.Date(2026, 12, 29, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("window closing of sub-2: %+v", r)
	}
	if r := findReminder(list, "renewal", "sub-6", 0); r != nil {
		t.Errorf("a monthly subscription has renewal reminders by default: %+v", *r)
	}
	for i := 1; i < len(list); i++ {
		if list[i].Due.Before(list[i-1].Due) {
			t.Fatalf("not in due order at %d", i)
		}
	}

	script := filepath.Join(t.TempDir(), "s.chat")
	if err := os.WriteFile(script, []byte("@now 2026-11-26T10:00:00+01:00\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "", append([]string{"chat", "--script", script}, t0...)...); err != nil {
		t.Fatal(err)
	}
	hist := listReminders(t, append([]string{"--history"}, t0...)...)
	if r := findReminder(hist, "renewal", "sub-2", 30); r == nil || r.State != "sent" {
		t.Errorf("after the chat ticked: %+v", r)
	}
	out, _, err := run(t, "", append([]string{"reminders"}, t0...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "KIND") || !strings.Contains(out, "renewal (7d)") || !strings.Contains(out, "2026-12-19 09:00 CET") {
		t.Errorf("table:\n%s", out)
	}
}
