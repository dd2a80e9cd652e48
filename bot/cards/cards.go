// Package cards is what the bot's cards look like: the requester's and
// the approver's view of a request (with the needs-attention card), the
// preview of a change, a refusal with its legal alternatives, the list
// and card of subscriptions, the catalog, help, reminders and the App
// Home. It renders neutral chat.Messages in the reader's language.
//
// Rendering does no I/O: everything a card shows comes in as arguments
// (the request, the evaluation, the subscriptions) or was fixed when the
// Renderer was made (catalogs, customers, policies). Which card is shown,
// when and to whom is the dialogue's decision, in package bot.
package cards

import (
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/bot/i18n"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// Customer is what the bot needs to know of a customer beyond the portal.
type Customer struct {
	ID       string
	Name     string
	Lang     string // default language
	Location *time.Location
}

// Options configure a Renderer. Only the Translator is needed for the
// request and approval cards; help, refusals and subscription cards also
// need the Clock, the Catalogs and the Policy.
type Options struct {
	Translator *i18n.Translator
	// Clock says what "now" is for removal windows shown on cards.
	Clock     clock.Clock
	Customers []Customer
	// Catalogs are per customer id, "" being the default.
	Catalogs map[string]*csp.Catalog
	// Policy returns a customer's policy (its removal window).
	Policy func(customerID string) rules.Policy
	// SettleTime is how long the portal may take to show a write (the
	// needs-attention card says it).
	SettleTime time.Duration
}

// Renderer renders cards. It is immutable after New and safe for
// concurrent use.
type Renderer struct {
	opt       Options
	tr        *i18n.Translator
	customers map[string]Customer
}

// New returns a Renderer.
func New(opt Options) *Renderer {
	r := &Renderer{opt: opt, tr: opt.Translator, customers: map[string]Customer{}}
	for _, c := range opt.Customers {
		if c.Location == nil {
			c.Location = time.UTC
		}
		r.customers[c.ID] = c
	}
	return r
}

// Draft names the draft a preview or a refusal belongs to; its buttons
// carry the ID.
type Draft struct {
	ID         string
	CustomerID string
}

// Loc is the time zone a customer's dates are shown in.
func (rd *Renderer) Loc(customerID string) *time.Location {
	if c, ok := rd.customers[customerID]; ok && c.Location != nil {
		return c.Location
	}
	return time.UTC
}

// catalogOf returns the catalog customerID buys from.
func (rd *Renderer) catalogOf(customerID string) *csp.Catalog {
	if c, ok := rd.opt.Catalogs[customerID]; ok {
		return c
	}
	return rd.opt.Catalogs[""]
}

func (rd *Renderer) now() time.Time { return rd.opt.Clock.Now() }

// Summary is one line saying what a request does: "add 2 seats to
// Microsoft 365 Business Standard".
func (rd *Renderer) Summary(lang string, r workflows.Request) string {
	data := map[string]any{
		"Name":   r.SubscriptionName,
		"Target": r.TargetOfferName,
		"Line":   r.TargetLineName,
		"From":   r.Decision.FromQuantity,
		"To":     r.Decision.ToQuantity,
	}
	switch c := r.Change; c.Kind {
	case csp.ChangeAddSeats:
		return rd.tr.N(lang, "change.add_seats", r.Decision.ToQuantity-r.Decision.FromQuantity, data)
	case csp.ChangeRemoveSeats:
		return rd.tr.N(lang, "change.remove_seats", r.Decision.FromQuantity-r.Decision.ToQuantity, data)
	case csp.ChangeSetRenewalQuantity:
		return rd.tr.N(lang, "change.set_renewal_quantity", r.Decision.ToQuantity, data)
	case csp.ChangeUpgrade:
		n := r.Decision.FromQuantity - r.Decision.ToQuantity
		if r.TargetLineName != "" {
			return rd.tr.N(lang, "change.upgrade_merge", n, data)
		}
		return rd.tr.N(lang, "change.upgrade_new", n, data)
	default:
		return rd.tr.T(lang, "change."+string(c.Kind), data)
	}
}

// evalRequest makes a request-shaped view of an evaluation, so previews
// and cards share one summary.
func evalRequest(ev workflows.Evaluation) workflows.Request {
	r := workflows.Request{Change: ev.Change, Decision: ev.Decision, SubscriptionName: ev.Subscription.Name, CustomerID: ev.Subscription.CustomerID}
	if ev.TargetOffer != nil {
		r.TargetOfferName = ev.TargetOffer.Name
	}
	if ev.Target != nil {
		r.TargetLineName = ev.Target.Name
	}
	return r
}

// costFields shows the money of a decision, only the lines that matter.
func (rd *Renderer) costFields(lang string, r workflows.Request) []chat.Field {
	if r.Change.Kind == csp.ChangePurchase {
		return nil // purchaseFields shows a purchase's money
	}
	c := r.Decision.Cost
	var f []chat.Field
	if c.MonthlyBefore != c.MonthlyAfter {
		f = append(f, chat.Field{Label: rd.tr.T(lang, "field.monthly_cost", nil), Value: rd.tr.Money(lang, c.MonthlyBefore) + " → " + rd.tr.Money(lang, c.MonthlyAfter)})
	}
	if c.AnnualBefore != c.AnnualAfter {
		f = append(f, chat.Field{Label: rd.tr.T(lang, "field.annual_cost", nil), Value: rd.tr.Money(lang, c.AnnualBefore) + " → " + rd.tr.Money(lang, c.AnnualAfter)})
	}
	if !c.ProratedCharge.IsZero() {
		f = append(f, chat.Field{Label: rd.tr.T(lang, "field.charged_now", nil), Value: rd.tr.Money(lang, c.ProratedCharge)})
	}
	if !c.ProratedRefund.IsZero() {
		f = append(f, chat.Field{Label: rd.tr.T(lang, "field.refund", nil), Value: rd.tr.Money(lang, c.ProratedRefund)})
	}
	return f
}

// warningLines are the decision's warnings, one "⚠️" line each.
// whyIrreversible: the reason for approval already says the change
// cannot be undone, so it is not said again.
func (rd *Renderer) warningLines(lang string, d rules.Decision, loc *time.Location, whyIrreversible bool) []string {
	var out []string
	said := whyIrreversible
	for _, w := range d.Warnings {
		if w.Code == rules.CodeApprovalDeadlineNear || (whyIrreversible && w.Code == rules.CodeIrreversible) {
			continue // the deadline is on the top line; the why row says it
		}
		said = said || w.Code == rules.CodeIrreversible
		out = append(out, "⚠️ "+rd.tr.T(lang, "warning."+string(w.Code), rd.paramData(lang, w.Params, loc, nil)))
	}
	if d.Irreversible && !said {
		out = append(out, "⚠️ "+rd.tr.T(lang, "warning.irreversible_change", nil))
	}
	return out
}

// paramData turns rules params (snake_case, RFC 3339 instants, ISO dates)
// into template data (CamelCase, dates in the reader's language).
func (rd *Renderer) paramData(lang string, params map[string]string, loc *time.Location, into map[string]any) map[string]any {
	if into == nil {
		into = map[string]any{}
	}
	for k, v := range params {
		val := any(v)
		if t, err := time.Parse(time.RFC3339, v); err == nil && (k == rules.ParamDeadline || k == rules.ParamExpiresAt) {
			val = rd.until(lang, t, loc) // the last moment of a period
		} else if err == nil {
			val = rd.tr.DateTime(lang, t, loc)
		} else if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
			val = rd.tr.Date(lang, t, loc)
		} else if k == rules.ParamStatus {
			val = rd.tr.T(lang, "status."+v, nil)
		}
		into[camel(k)] = val
	}
	return into
}

func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up {
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (rd *Renderer) approverName(lang string, role rules.Role) string {
	return rd.tr.T(lang, "role."+string(role), nil)
}

func (rd *Renderer) quantityFields(l string, r workflows.Request) []chat.Field {
	d := r.Decision
	arrow := func(from, to int) string { return strconv.Itoa(from) + " → " + strconv.Itoa(to) }
	switch r.Change.Kind {
	case csp.ChangeAddSeats, csp.ChangeRemoveSeats:
		return []chat.Field{{Label: rd.tr.T(l, "field.seats", nil), Value: arrow(d.FromQuantity, d.ToQuantity)}}
	case csp.ChangeSetRenewalQuantity:
		return []chat.Field{{Label: rd.tr.T(l, "field.renewal_quantity", nil), Value: arrow(d.FromQuantity, d.ToQuantity)}}
	case csp.ChangeUpgrade:
		// Labels read alone: the seats of the subscription named above,
		// then where the upgraded seats go.
		f := []chat.Field{{Label: rd.tr.T(l, "field.seats", nil), Value: arrow(d.FromQuantity, d.ToQuantity)}}
		name := r.TargetLineName
		if name == "" {
			name = r.TargetOfferName + " (" + rd.tr.T(l, "merge.new_short", nil) + ")"
		}
		return append(f, chat.Field{Label: rd.tr.T(l, "field.upgrade_into", nil),
			Value: rd.tr.T(l, "field.upgrade_into_value", map[string]any{"Line": name, "Seats": arrow(d.TargetFrom, d.TargetTo)})})
	case csp.ChangePurchase:
		return rd.purchaseFields(l, r) // purchase.go
	}
	return nil
}

// reason is the sentence for a rules or portal code. A code we have no
// sentence for (a portal's own refusal code, say), or one whose values are
// missing, reads as a generic sentence: people never see a code, a Go
// error or a template hole.
func (rd *Renderer) reason(lang, code string, data map[string]any) string {
	if code == "" || !rd.tr.Has(lang, "reason."+code) {
		return rd.tr.T(lang, "reason.provider_error", nil)
	}
	s := rd.tr.T(lang, "reason."+code, data)
	if strings.Contains(s, "<no value>") {
		return rd.tr.T(lang, "reason.provider_error", nil)
	}
	return s
}

// failure says why a request could not be carried out, with the values
// the rules gave when they refused it at execution time.
func (rd *Renderer) failure(lang string, r workflows.Request) string {
	data := map[string]any{"Name": r.SubscriptionName, "Target": r.TargetOfferName, "Line": r.TargetLineName,
		"Quantity": r.Decision.FromQuantity}
	rd.paramData(lang, r.FailureParams, rd.Loc(r.CustomerID), data)
	return rd.reason(lang, r.Failure, data)
}

// window says the customer's removal window in words: "72 hours", or
// "7 days" for Microsoft's 168 hours.
func (rd *Renderer) window(lang, customerID string) string {
	h := int(rd.opt.Policy(customerID).RemovalWindow.Hours())
	if h > 72 && h%24 == 0 {
		return rd.tr.N(lang, "window.days", h/24, nil)
	}
	return rd.tr.N(lang, "window.hours", h, nil)
}

// EndDate is the commitment end date people see: the day before the
// term's end instant.
func (rd *Renderer) EndDate(lang string, s csp.Subscription) string {
	loc := rd.Loc(s.CustomerID)
	return rd.tr.Date(lang, s.TermEnd.In(loc).AddDate(0, 0, -1), loc)
}
