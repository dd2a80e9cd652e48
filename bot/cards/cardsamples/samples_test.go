package cardsamples_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/licensebot/licensebot/bot/cards/cardsamples"
	"github.com/licensebot/licensebot/bot/chat"
)

func all(t *testing.T) []cardsamples.Sample {
	t.Helper()
	s, err := cardsamples.All()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every label of every action fits a button on a phone, in both
// languages: short in a row, up to a line for a choice shown alone.
func TestLabelsAreShort(t *testing.T) {
	for _, s := range all(t) {
		limit := chat.MaxButtonLabel
		if s.Message.Stacked() {
			limit = chat.MaxChoiceLabel
		}
		for _, a := range s.Message.Actions {
			if n := utf8.RuneCountInString(a.Label); n == 0 || n > limit {
				t.Errorf("%s: %q is %d characters (1..%d)", s.File(), a.Label, n, limit)
			}
		}
	}
}

// At most three buttons in a row, "More…" included; nothing is lost.
func TestAtMostThreeInARow(t *testing.T) {
	for _, s := range all(t) {
		row, more := chat.SplitActions(s.Message.Actions)
		buttons := len(row)
		if len(more) > 0 {
			buttons++
		}
		if buttons > chat.MaxRowButtons {
			t.Errorf("%s: %d buttons in the row", s.File(), buttons)
		}
		if len(row)+len(more) != len(s.Message.Actions) {
			t.Errorf("%s: %d+%d of %d actions", s.File(), len(row), len(more), len(s.Message.Actions))
		}
	}
}

// shown is everything a sample says.
func shown(m chat.Message) string {
	var b strings.Builder
	b.WriteString(m.Title + "\n" + m.TopLine() + "\n" + m.Text + "\n" + m.Context + "\n")
	if m.Status != nil {
		b.WriteString(m.Status.Text + "\n")
	}
	for _, f := range m.Fields {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	for _, a := range m.Actions {
		b.WriteString(a.Label + "\n" + a.Confirm + "\n")
	}
	return b.String()
}

// A deadline or a window that ends at midnight reads as the last minute
// of the day before, in both languages: "until Fri 27 Nov 2026, 23:59",
// never "Sat 28 Nov 2026, 00:00", which reads as a day more.
func TestMidnightReadsAsTheDayBefore(t *testing.T) {
	want := map[string]string{"en": "Fri 27 Nov 2026, 23:59", "fr": "ven. 27 nov. 2026, 23:59"}
	for _, s := range all(t) {
		text := shown(s.Message)
		if strings.Contains(text, "28 Nov 2026, 00:00") || strings.Contains(text, "28 nov. 2026, 00:00") {
			t.Errorf("%s says midnight as the next day:\n%s", s.File(), text)
		}
		switch s.Name {
		case "approval_pending", "request_pending", "reminder_window_open", "reminder_window_closing", "preview_cancel", "request_expired":
			if !strings.Contains(text, want[s.Lang]) {
				t.Errorf("%s lacks %q:\n%s", s.File(), want[s.Lang], text)
			}
		}
	}
}

// The deadline sits on the top line of a pending approval card and the
// requester's pending card.
func TestDeadlineNearTheTop(t *testing.T) {
	for _, s := range all(t) {
		switch s.Name {
		case "approval_pending", "request_pending", "reminder_approval_waiting":
			if !strings.Contains(s.Message.Deadline, "23:59") {
				t.Errorf("%s: deadline %q", s.File(), s.Message.Deadline)
			}
		case "approval_approved", "approval_rejected", "request_completed":
			if s.Message.Deadline != "" {
				t.Errorf("%s: a decided card shows a deadline %q", s.File(), s.Message.Deadline)
			}
		}
	}
}

// A confirmation asks "are you sure?" once: the dialog's title says it,
// so the text does not.
func TestAreYouSureOnce(t *testing.T) {
	for _, s := range all(t) {
		for _, a := range s.Message.Actions {
			for _, q := range []string{"sure", "sûr"} {
				if strings.Contains(strings.ToLower(a.Confirm), q) {
					t.Errorf("%s: %q asks %q again", s.File(), a.Confirm, q)
				}
			}
		}
	}
}

// A preview that goes for approval says so on its button; one that runs
// at once says Confirm.
func TestSendForApproval(t *testing.T) {
	want := map[string]map[string]string{
		"preview_upgrade": {"en": "Send for approval", "fr": "Demander l'accord"},
		"preview_cancel":  {"en": "Send for approval", "fr": "Demander l'accord"},
		"preview_add":     {"en": "Confirm", "fr": "Confirmer"},
	}
	for _, s := range all(t) {
		if w, ok := want[s.Name]; ok && s.Message.Actions[0].Label != w[s.Lang] {
			t.Errorf("%s: first button %q, want %q", s.File(), s.Message.Actions[0].Label, w[s.Lang])
		}
	}
}

// Decided cards, for the approver and the requester, name who decided
// and when in the status line, and the reason of a rejection in quotes.
func TestDecidedCardsNameTheDeciderAndTheDate(t *testing.T) {
	for _, s := range all(t) {
		switch s.Name {
		case "approval_approved", "approval_rejected", "request_approved", "request_completed", "request_rejected":
		default:
			continue
		}
		st := s.Message.Status
		if st == nil || !strings.Contains(st.Text, "Marc Dubois") || !strings.Contains(st.Text, "26") || !strings.Contains(st.Text, "09:40") {
			t.Errorf("%s: status %+v", s.File(), st)
		}
		if strings.HasSuffix(s.Name, "rejected") {
			q := map[string]string{"en": "“we don't need more seats this year”", "fr": "« we don't need more seats this year »"}[s.Lang]
			if !strings.Contains(st.Text, q) || st.Tone != chat.ToneAttention {
				t.Errorf("%s: status %+v", s.File(), st)
			}
		}
	}
}

// Facts read alone: no label is a product name, and an approval card
// has one "why" row.
func TestFactsReadAlone(t *testing.T) {
	for _, s := range all(t) {
		why := 0
		for _, f := range s.Message.Fields {
			if strings.Contains(f.Label, "365") || strings.Contains(f.Label, "Exchange") {
				t.Errorf("%s: label %q names a product", s.File(), f.Label)
			}
			if f.Label == "Why approval" || f.Label == "Pourquoi une approbation" || f.Label == "Approval" || f.Label == "Approbation" {
				why++
			}
		}
		if why > 1 {
			t.Errorf("%s: %d why rows", s.File(), why)
		}
		if strings.HasPrefix(s.Name, "approval_pending") {
			fs := s.Message.Fields
			if len(fs) < 2 || !strings.Contains(fs[1].Value, "New hires") {
				t.Errorf("%s: the justification is not next to Requested by: %+v", s.File(), fs)
			}
		}
	}
}
