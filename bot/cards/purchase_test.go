package cards_test

import (
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
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
		for _, m := range []string{fields(rd.Request(lang, r).Fields), fields(rd.Approval(lang, r, workflows.Person{}).Fields)} {
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
