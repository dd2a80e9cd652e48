package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/workflows"
)

// A portal refusal code we have no sentence for must never reach the
// person as a code.
func TestFailedCardNeverShowsACode(t *testing.T) {
	tr := mustTranslator(t)
	e := &Engine{tr: tr, customers: map[string]Customer{"c": {ID: "c", Location: time.UTC}}}
	r := workflows.Request{ID: "R-9", CustomerID: "c", State: workflows.StateFailed, Failure: "portal_code_we_never_heard_of",
		Change: csp.Change{Kind: csp.ChangeCancel}, SubscriptionName: "Office 365 E1", History: []workflows.Transition{{By: "licensebot"}}}
	for _, lang := range Languages {
		m := e.requestCard(lang, r)
		if strings.Contains(m.Text, "portal_code_we_never_heard_of") || strings.Contains(m.Text, "reason.") {
			t.Errorf("%s: the code leaked: %s", lang, m.Text)
		}
		if !strings.Contains(m.Text, e.tr.T(lang, "reason.provider_error", nil)) {
			t.Errorf("%s: no generic sentence: %s", lang, m.Text)
		}
	}
}

// A request refused by the rules at execution time names what it was
// about, and never shows a template hole.
func TestFailedCardUsesTheRulesValues(t *testing.T) {
	tr := mustTranslator(t)
	e := &Engine{tr: tr, customers: map[string]Customer{"c": {ID: "c", Location: time.UTC}}}
	r := workflows.Request{ID: "R-2", CustomerID: "c", State: workflows.StateFailed, Failure: "not_active",
		FailureParams: map[string]string{"status": "cancelled"}, Change: csp.Change{Kind: csp.ChangeCancel},
		SubscriptionName: "Office 365 E1"}
	m := e.requestCard("en", r)
	if !strings.Contains(m.Text, "Office 365 E1 is cancelled") || strings.Contains(m.Text, "<no value>") {
		t.Fatalf("card: %s", m.Text)
	}
	// A sentence whose values are missing falls back to the generic one.
	r.Failure = "over_seat_cap"
	if m := e.requestCard("fr", r); strings.Contains(m.Text, "<no value>") {
		t.Fatalf("template hole: %s", m.Text)
	}
}
