package cards_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/cards"
	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// A purchase's cards say, from the request alone and in both languages,
// what is bought, the term and billing, the alignment, the price now and
// per month — for the requester while it waits, and for the approver.
func TestPurchaseCardsShowWhatIsBought(t *testing.T) {
	rd, _ := newRenderer(t)
	end := time.Date(2027, 8, 4, 0, 0, 0, 0, time.UTC)
	r := workflows.Request{ID: "R-1", CustomerID: "c", State: workflows.StatePendingApproval, Requester: "alice@c.example",
		ApproverRole: rules.RoleLicenceAdmin, SubscriptionName: "Office 365 E5", TargetLineName: "Office 365 E3",
		Change: csp.Change{Kind: csp.ChangePurchase, TargetOfferID: "o365-e5", Quantity: 5, Term: csp.TermAnnual,
			Billing: csp.BillingMonthly, TargetSubscriptionID: "sub-4"},
		Decision: rules.Decision{Outcome: rules.NeedsApproval, Reason: rules.CodePurchaseNeedsLicenceAdmin, ToQuantity: 5,
			CustomTermEnd: end, Params: map[string]string{rules.ParamEnd: end.Format(time.RFC3339)},
			Cost: rules.Cost{MonthlyAfter: csp.NewMoney(184, "EUR"), FirstTerm: csp.NewMoney(1518.38, "EUR")}}}
	want := map[string][]string{
		"en": {"Office 365 E5", "Annual, billed monthly", "3 Aug 2027 (aligned with Office 365 E3)", "€184.00", "€1,518.38"},
		"fr": {"Office 365 E5", "Annuel, facturé mensuellement", "3 août 2027 (aligné sur Office 365 E3)", "184,00", "1 518,38"},
	}
	for _, lang := range bot.Languages {
		for _, m := range []string{fields(rd.Request(lang, r, workflows.Person{}).Fields), fields(rd.Approval(lang, r, workflows.Person{}).Fields)} {
			for _, w := range want[lang] {
				if !strings.Contains(m, w) {
					t.Errorf("%s: %q missing from %s", lang, w, m)
				}
			}
			if strings.Contains(m, "0 → 0") || strings.Contains(m, "<no value>") {
				t.Errorf("%s: %s", lang, m)
			}
		}
	}
}

// fields is a card's fields as text, with the spaces money formatting
// uses between groups read as plain spaces.
func fields(fs []chat.Field) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	return strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(b.String())
}

// The approver's card of a purchase names what is bought once: as the
// product, not again as a subscription (there is none yet).
func TestPurchaseApprovalNamesTheProductOnce(t *testing.T) {
	rd, _ := newRenderer(t)
	r := workflows.Request{ID: "R-1", CustomerID: "c", State: workflows.StatePendingApproval, Requester: "alice@c.example",
		ApproverRole: rules.RoleLicenceAdmin, SubscriptionName: "Office 365 E5",
		Change:   csp.Change{Kind: csp.ChangePurchase, TargetOfferID: "o365-e5", Quantity: 5, Term: csp.TermAnnual, Billing: csp.BillingMonthly},
		Decision: rules.Decision{Outcome: rules.NeedsApproval, Reason: rules.CodePurchaseNeedsLicenceAdmin, ToQuantity: 5}}
	for _, lang := range bot.Languages {
		f := fields(rd.Approval(lang, r, workflows.Person{}).Fields)
		if n := strings.Count(f, "Office 365 E5"); n != 1 {
			t.Errorf("%s: the product is named %d times:\n%s", lang, n, f)
		}
	}
}

// The purchase's choices keep their buttons short (a phone's row) and
// say the rest in the text: each subscription's name, end date and
// first-term price, and each plan's price.
func TestPurchaseChoicesShortLabelsDetailInText(t *testing.T) {
	rd, _ := newRenderer(t)
	loc := time.UTC
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, loc)
	natural := csp.TermEnd(now, csp.TermAnnual)
	mk := func(name string, end time.Time) rules.Alignment {
		return rules.Alignment{Subscription: csp.Subscription{ID: name, Name: name}, End: end, OK: true, FirstTerm: csp.NewMoney(66.54, "EUR")}
	}
	as := []rules.Alignment{mk("Microsoft Teams Essentials", now.AddDate(0, 0, 11)), mk("Office 365 E1", now.AddDate(0, 0, 11))}
	for _, lang := range bot.Languages {
		m := rd.PurchaseAlignments(lang, cards.Draft{ID: "d", CustomerID: "c"}, csp.TermAnnual, as, natural, csp.NewMoney(2208, "EUR"))
		if len(m.Actions) != 2 { // one end date, then "no alignment"
			t.Fatalf("%s: %d choices for one end date: %+v", lang, len(m.Actions), m.Actions)
		}
		for _, a := range m.Actions {
			if n := utf8.RuneCountInString(a.Label); n > chat.MaxChoiceLabel || strings.Contains(a.Label, "Teams Essentials") {
				t.Errorf("%s: label %q (%d characters) carries the detail", lang, a.Label, n)
			}
		}
		if !strings.Contains(m.Text, "Microsoft Teams Essentials") || !strings.Contains(m.Text, "Office 365 E1") ||
			!strings.Contains(strings.ReplaceAll(m.Text, "\u00a0", " "), "66") {
			t.Errorf("%s: the text lacks the detail:\n%s", lang, m.Text)
		}
	}
}
