package cards_test

import (
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/cards"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/catalog"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// A portal refusal code we have no sentence for must never reach the
// person as a code.
func TestFailedCardNeverShowsACode(t *testing.T) {
	rd, tr := newRenderer(t)
	r := workflows.Request{ID: "R-9", CustomerID: "c", State: workflows.StateFailed, Failure: "portal_code_we_never_heard_of",
		Change: csp.Change{Kind: csp.ChangeCancel}, SubscriptionName: "Office 365 E1", History: []workflows.Transition{{By: "licensebot"}}}
	for _, lang := range bot.Languages {
		m := rd.Request(lang, r, workflows.Person{})
		shown := m.Status.Text + "\n" + m.Text
		if strings.Contains(shown, "portal_code_we_never_heard_of") || strings.Contains(shown, "reason.") {
			t.Errorf("%s: the code leaked: %s", lang, shown)
		}
		if !strings.Contains(m.Status.Text, tr.T(lang, "reason.provider_error", nil)) || m.Status.Tone != bot.ToneAttention {
			t.Errorf("%s: no generic sentence in a red status line: %+v", lang, m.Status)
		}
	}
}

// A request refused by the rules at execution time names what it was
// about, and never shows a template hole.
func TestFailedCardUsesTheRulesValues(t *testing.T) {
	rd, _ := newRenderer(t)
	r := workflows.Request{ID: "R-2", CustomerID: "c", State: workflows.StateFailed, Failure: "not_active",
		FailureParams: map[string]string{"status": "cancelled"}, Change: csp.Change{Kind: csp.ChangeCancel},
		SubscriptionName: "Office 365 E1"}
	m := rd.Request("en", r, workflows.Person{})
	if !strings.Contains(m.Status.Text, "Office 365 E1 is cancelled") || strings.Contains(m.Status.Text, "<no value>") {
		t.Fatalf("card: %+v", m.Status)
	}
	// A sentence whose values are missing falls back to the generic one.
	r.Failure = "over_seat_cap"
	if m := rd.Request("fr", r, workflows.Person{}); strings.Contains(m.Status.Text+m.Text, "<no value>") {
		t.Fatalf("template hole: %+v %s", m.Status, m.Text)
	}
}

func newRenderer(t *testing.T) (*cards.Renderer, *bot.Translator) {
	t.Helper()
	tr, err := bot.NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	return cards.New(cards.Options{Translator: tr, Customers: []cards.Customer{{ID: "c", Location: time.UTC}}}), tr
}

// A refusal offers as buttons only the alternatives it has words for, and
// says which ones, in button order, so the dialogue reads a press right.
func TestRefusalReportsTheAlternativesItOffers(t *testing.T) {
	tr, err := bot.NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	rd := cards.New(cards.Options{Translator: tr, Clock: clock.NewManual(now), Catalogs: map[string]*csp.Catalog{"": cat},
		Customers: []cards.Customer{{ID: "c", Name: "Contoso", Location: time.UTC}},
		Policy:    func(string) rules.Policy { return rules.DefaultPolicy(time.UTC) }})
	renew := &csp.Change{Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "s1", Quantity: 8}
	ev := workflows.Evaluation{
		Subscription: csp.Subscription{ID: "s1", CustomerID: "c", Name: "Office 365 E1", Quantity: 10, TermEnd: now.AddDate(0, 6, 0)},
		Change:       csp.Change{Kind: csp.ChangeRemoveSeats, SubscriptionID: "s1", Quantity: 2},
		Decision: rules.Decision{Outcome: rules.Refused, Reason: rules.CodeWindowClosed, Alternatives: []rules.Alternative{
			{Code: "no_words_for_this"},
			{Code: rules.CodeScheduleRenewal, Change: renew},
		}},
	}
	m, offered := rd.Refusal("en", cards.Draft{ID: "d1", CustomerID: "c"}, ev)
	if len(offered) != 1 || offered[0].Change != renew {
		t.Fatalf("offered %+v", offered)
	}
	if len(m.Actions) != 1 || m.Actions[0].ID != bot.ActAlt || m.Actions[0].Value != "d1:0" ||
		m.Actions[0].Label != "Renew at 8 seats" {
		t.Fatalf("buttons %+v", m.Actions)
	}
}

// A decided approval card does not look pending: its title says what was
// decided, its sentence is in the past tense, and a rejection's reason is
// quoted — in both languages.
func TestDecidedApprovalCardSaysSo(t *testing.T) {
	rd, _ := newRenderer(t)
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	r := workflows.Request{ID: "R-1", CustomerID: "c", State: workflows.StateRejected, Requester: "alice@c.example",
		Approver: "marc@r.example", DecidedAt: at, UpdatedAt: at, Comment: " we don't need more seats this year ",
		Names:  map[string]string{"alice@c.example": "Alice", "marc@r.example": "Marc"},
		Change: csp.Change{Kind: csp.ChangeCancel}, SubscriptionName: "Office 365 E1"}
	marc := workflows.Person{Email: "marc@r.example", Role: rules.RoleAccountManager}
	want := map[string][]string{
		"en": {"Rejected: R-1", "Alice", "asked to", "Rejected by Marc", "“we don't need more seats this year”"},
		"fr": {"Refusée : R-1", "a demandé de", "Refusée par Marc", "« we don't need more seats this year »"},
	}
	for lang, words := range want {
		m := rd.Approval(lang, r, marc)
		shown := m.Title + "\n" + m.Status.Text + "\n" + m.Text + "\n" + m.Context
		if m.Status.Tone != bot.ToneAttention {
			t.Errorf("%s: a rejection's status line is %q, not red", lang, m.Status.Tone)
		}
		for _, w := range words {
			if !strings.Contains(shown, w) {
				t.Errorf("%s: %q missing from\n%s", lang, w, shown)
			}
		}
		if strings.Contains(shown, "Approval needed") || strings.Contains(shown, "Approbation requise") || len(m.Actions) != 0 {
			t.Errorf("%s: a decided card still looks pending:\n%s %+v", lang, shown, m.Actions)
		}
	}
	r.State, r.Comment = workflows.StatePendingApproval, ""
	if m := rd.Approval("en", r, marc); !strings.HasPrefix(m.Title, "Approval needed") || len(m.Actions) != 2 {
		t.Errorf("a pending card: %q %+v", m.Title, m.Actions)
	}
}
