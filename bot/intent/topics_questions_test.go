package intent

import "testing"

// questionCases are the questions a member, a licence admin and an
// account manager ask about their licences, requests and approvers, with
// the near misses that must keep their reading. They join the main table
// (so TestParseTable and TestEveryRuleDecides read them too).
var questionCases = []tcase{
	// What the customer pays, from its subscriptions.
	{text: "how much do we pay per month in total?", kind: KindTotalCost, lang: "en"},
	{text: "combien on paie par mois ?", kind: KindTotalCost, lang: "fr"},
	{text: "what's our monthly bill?", kind: KindTotalCost, lang: "en"},
	{text: "combien payons-nous au total ?", kind: KindTotalCost, lang: "fr"},
	{text: "how much do we spend each month", kind: KindTotalCost, lang: "en"},
	{text: "how much does E3 cost us per month?", kind: KindTotalCost, offers: offers("o365-e3")},
	// …but list prices stay the catalog.
	{text: "how much does E3 cost?", kind: KindCatalog, offers: offers("o365-e3")},
	{text: "prices", kind: KindCatalog},
	// One-line dates.
	{text: "when does my office subscription renew?", kind: KindWhen, lang: "en"},
	{text: "when does the trial end?", kind: KindWhen, lang: "en"},
	{text: "quand se termine l'essai ?", kind: KindWhen, lang: "fr"},
	{text: "when does E3 expire?", kind: KindWhen, offers: offers("o365-e3")},
	{text: "quand est-ce que teams se renouvelle ?", kind: KindWhen, lang: "fr", offers: offers("teams-essentials")},
	{text: "when can I remove E3 seats?", kind: KindWhen, offers: offers("o365-e3")},
	{text: "quand se ferme la fenêtre de retrait ?", kind: KindWhen, lang: "fr"},
	// …and the changes they sit next to keep their reading.
	{text: "turn off auto-renew on the trial", kind: KindAutoRenewOff},
	{text: "stop the trial", kind: KindAutoRenewOff},
	{text: "cancel the renewal of E3", kind: KindAutoRenewOff, offers: offers("o365-e3")},
	// Requests by id.
	{text: "reject R-1", kind: KindReject, lang: "en", req: "R-1"},
	{text: "rejette la demande 2", kind: KindReject, lang: "fr", req: "R-2"},
	{text: "refuse R-3", kind: KindReject, req: "R-3"},
	{text: "where is R-2?", kind: KindRequestStatus, req: "R-2"},
	{text: "où en est la demande 4 ?", kind: KindRequestStatus, lang: "fr", req: "R-4"},
	{text: "cancel R-2", kind: KindWithdraw, req: "R-2"},
	{text: "approve R-1", kind: KindPendingApprovals, req: "R-1"},
	// Roles and limits.
	{text: "what's my role?", kind: KindMyRole, lang: "en"},
	{text: "am I an admin?", kind: KindMyRole, lang: "en"},
	{text: "what is my limit?", kind: KindMyRole, lang: "en"},
	{text: "how much can I add without approval?", kind: KindMyRole, lang: "en"},
	{text: "quel est mon rôle ?", kind: KindMyRole, lang: "fr"},
	{text: "quelle est ma limite ?", kind: KindMyRole, lang: "fr"},
	{text: "which customers do I look after?", kind: KindMyRole, lang: "en"},
	{text: "make Alice a licence admin", kind: KindMakeAdmin, lang: "en"},
}

func init() { table = append(table, questionCases...) }

func TestQuestionNamesTrial(t *testing.T) {
	p := NewParser(testCatalog(t))
	for text, want := range map[string]Question{
		"turn off auto-renew on the trial":        {Trial: true},
		"when does the trial end?":                {Trial: true},
		"quand se termine l'essai ?":              {Trial: true},
		"when can I remove E3 seats?":             {Window: true},
		"when does my office subscription renew?": {},
	} {
		if got := p.Parse(text).Question; got != want {
			t.Errorf("%q: question %+v, want %+v", text, got, want)
		}
	}
}

func TestLeftoversNameSubscriptionWords(t *testing.T) {
	p := NewParser(testCatalog(t))
	got := p.Leftovers("when does my office subscription renew?")
	if len(got) != 1 || got[0] != "office" {
		t.Errorf("leftovers %v, want [office]", got)
	}
	if got := p.Leftovers("when does E3 renew?"); len(got) != 0 {
		t.Errorf("leftovers %v, want none (E3 is a product)", got)
	}
}
