package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// changeSummary is one line saying what a change does: "add 2 seats to
// Microsoft 365 Business Standard".
func (e *Engine) changeSummary(lang string, c csp.Change, r workflows.Request) string {
	data := map[string]any{
		"Name":   r.SubscriptionName,
		"Target": r.TargetOfferName,
		"Line":   r.TargetLineName,
		"From":   r.Decision.FromQuantity,
		"To":     r.Decision.ToQuantity,
	}
	switch c.Kind {
	case csp.ChangeAddSeats:
		return e.tr.N(lang, "change.add_seats", r.Decision.ToQuantity-r.Decision.FromQuantity, data)
	case csp.ChangeRemoveSeats:
		return e.tr.N(lang, "change.remove_seats", r.Decision.FromQuantity-r.Decision.ToQuantity, data)
	case csp.ChangeSetRenewalQuantity:
		return e.tr.N(lang, "change.set_renewal_quantity", r.Decision.ToQuantity, data)
	case csp.ChangeUpgrade:
		n := r.Decision.FromQuantity - r.Decision.ToQuantity
		if r.TargetLineName != "" {
			return e.tr.N(lang, "change.upgrade_merge", n, data)
		}
		return e.tr.N(lang, "change.upgrade_new", n, data)
	}
	return e.tr.T(lang, "change."+string(c.Kind), data)
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
func (e *Engine) costFields(lang string, r workflows.Request, loc string) []Field {
	c := r.Decision.Cost
	var f []Field
	if c.MonthlyBefore != c.MonthlyAfter {
		f = append(f, Field{e.tr.T(lang, "field.monthly_cost", nil), e.tr.Money(lang, c.MonthlyBefore) + " → " + e.tr.Money(lang, c.MonthlyAfter)})
	}
	if c.AnnualBefore != c.AnnualAfter {
		f = append(f, Field{e.tr.T(lang, "field.annual_cost", nil), e.tr.Money(lang, c.AnnualBefore) + " → " + e.tr.Money(lang, c.AnnualAfter)})
	}
	if !c.ProratedCharge.IsZero() {
		f = append(f, Field{e.tr.T(lang, "field.charged_now", nil), e.tr.Money(lang, c.ProratedCharge)})
	}
	if !c.ProratedRefund.IsZero() {
		f = append(f, Field{e.tr.T(lang, "field.refund", nil), e.tr.Money(lang, c.ProratedRefund)})
	}
	return f
}

func (e *Engine) warningLines(lang string, d rules.Decision, loc *time.Location) []string {
	var out []string
	said := false
	for _, w := range d.Warnings {
		if w.Code == rules.CodeApprovalDeadlineNear {
			continue // the deadline is a field of its own
		}
		said = said || w.Code == rules.CodeIrreversible
		out = append(out, "⚠️ "+e.tr.T(lang, "warning."+string(w.Code), e.paramData(lang, w.Params, loc, nil)))
	}
	if d.Irreversible && !said {
		out = append(out, "⚠️ "+e.tr.T(lang, "warning.irreversible_change", nil))
	}
	return out
}

// paramData turns rules params (snake_case, RFC 3339 instants, ISO dates)
// into template data (CamelCase, dates in the reader's language).
func (e *Engine) paramData(lang string, params map[string]string, loc *time.Location, into map[string]any) map[string]any {
	if into == nil {
		into = map[string]any{}
	}
	for k, v := range params {
		val := any(v)
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			val = e.tr.DateTime(lang, t, loc)
		} else if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
			val = e.tr.Date(lang, t, loc)
		} else if k == rules.ParamStatus {
			val = e.tr.T(lang, "status."+v, nil)
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

func (e *Engine) approverName(lang string, role rules.Role) string {
	return e.tr.T(lang, "role."+string(role), nil)
}

func (e *Engine) previewMessage(tc *turnCtx, dr *draft, ev workflows.Evaluation) Message {
	l := tc.lang
	r := evalRequest(ev)
	d := ev.Decision
	var lines []string
	lines = append(lines, e.tr.T(l, "preview.intro", map[string]any{"Summary": e.changeSummary(l, dr.Change, r)}))
	f := e.quantityFields(l, r)
	f = append(f, e.costFields(l, r, "")...)
	switch d.Outcome {
	case rules.NeedsApproval:
		f = append(f, Field{e.tr.T(l, "field.approval", nil), e.tr.T(l, "approval.by", map[string]any{
			"Role": e.approverName(l, d.Approver), "Why": e.reason(l, string(d.Reason), nil)})})
		if !d.Deadline.IsZero() {
			f = append(f, Field{e.tr.T(l, "field.deadline", nil), e.tr.DateTime(l, d.Deadline, e.locOf(dr.CustomerID))})
		}
	default:
		f = append(f, Field{e.tr.T(l, "field.approval", nil), e.tr.T(l, "approval.none", nil)})
	}
	lines = append(lines, e.warningLines(l, d, e.locOf(dr.CustomerID))...)
	confirm := ""
	if d.Irreversible {
		confirm = e.tr.T(l, "confirm.irreversible", nil)
	}
	return Message{
		Kind: KindPreview, Title: e.tr.T(l, "preview.title", nil), Text: strings.Join(lines, "\n"), Fields: f,
		Actions: []Action{
			{ID: ActConfirm, Label: e.tr.T(l, "btn.confirm", nil), Style: StylePrimary, Value: dr.ID, Confirm: confirm},
			{ID: ActCancel, Label: e.tr.T(l, "btn.cancel", nil), Value: dr.ID},
		},
	}
}

func (e *Engine) quantityFields(l string, r workflows.Request) []Field {
	d := r.Decision
	switch r.Change.Kind {
	case csp.ChangeAddSeats, csp.ChangeRemoveSeats:
		return []Field{{e.tr.T(l, "field.seats", nil), strconv.Itoa(d.FromQuantity) + " → " + strconv.Itoa(d.ToQuantity)}}
	case csp.ChangeSetRenewalQuantity:
		return []Field{{e.tr.T(l, "field.renewal_quantity", nil), strconv.Itoa(d.FromQuantity) + " → " + strconv.Itoa(d.ToQuantity)}}
	case csp.ChangeUpgrade:
		f := []Field{{r.SubscriptionName, strconv.Itoa(d.FromQuantity) + " → " + strconv.Itoa(d.ToQuantity)}}
		name := r.TargetLineName
		if name == "" {
			name = r.TargetOfferName + " (" + e.tr.T(l, "merge.new_short", nil) + ")"
		}
		f = append(f, Field{name, strconv.Itoa(d.TargetFrom) + " → " + strconv.Itoa(d.TargetTo)})
		return f
	}
	return nil
}

// refusalMessage explains why not, in a sentence or two, and offers the
// legal alternatives as buttons.
func (e *Engine) refusalMessage(tc *turnCtx, dr *draft, ev workflows.Evaluation) Message {
	l := tc.lang
	d := ev.Decision
	loc := e.locOf(dr.CustomerID)
	data := map[string]any{
		"Name":      ev.Subscription.Name,
		"Quantity":  ev.Subscription.Quantity,
		"Removable": ev.Subscription.RemovableAt(e.opt.Clock.Now()),
		"End":       e.endDate(tc, ev.Subscription),
		"Renewal":   e.tr.Date(l, ev.Subscription.TermEnd, loc),
		"Cap":       capOf(e.catalogOf(dr.CustomerID), ev.Subscription.OfferID),
		"Window":    e.window(l, dr.CustomerID),
	}
	if ev.TargetOffer != nil {
		data["Target"] = ev.TargetOffer.Name
	}
	if ev.Target != nil {
		data["Line"] = ev.Target.Name
		data["LineEnd"] = e.endDate(tc, *ev.Target)
	}
	e.paramData(l, d.Params, loc, data)
	text := e.reason(l, string(d.Reason), data)
	m := Message{Kind: KindRefusal, Text: text}
	dr.Alternatives = nil
	subs := map[string]csp.Subscription{}
	for _, o := range ev.Others {
		subs[o.ID] = o
	}
	for _, a := range d.Alternatives {
		label := e.altLabel(l, a, ev, subs)
		if label == "" {
			continue
		}
		dr.Alternatives = append(dr.Alternatives, altChoice{Change: a.Change, Remind: a.At})
		m.Actions = append(m.Actions, Action{ID: ActAlt, Label: label, Value: fmt.Sprintf("%s:%d", dr.ID, len(dr.Alternatives)-1)})
	}
	if len(m.Actions) > 0 {
		m.Text += "\n" + e.tr.T(l, "refusal.instead", nil)
	}
	return m
}

func capOf(cat *csp.Catalog, offerID string) int {
	if o, ok := cat.Offer(offerID); ok {
		return o.MaxSeats
	}
	return 0
}

func (e *Engine) altLabel(l string, a rules.Alternative, ev workflows.Evaluation, subs map[string]csp.Subscription) string {
	data := map[string]any{}
	if a.Change != nil {
		data["Quantity"] = a.Change.Quantity
		if o, ok := e.catalogOf(ev.Subscription.CustomerID).Offer(a.Change.TargetOfferID); ok {
			data["Target"] = o.Name
		}
		if t, ok := subs[a.Change.TargetSubscriptionID]; ok {
			data["Line"] = t.Name
		}
	}
	if !a.At.IsZero() {
		data["At"] = e.tr.Date(l, a.At, e.locOf(ev.Subscription.CustomerID))
	}
	s := e.tr.T(l, "alt."+string(a.Code), data)
	if s == "alt."+string(a.Code) {
		return ""
	}
	return s
}

// requestCard is the requester's view of a request.
func (e *Engine) requestCard(lang string, r workflows.Request) Message {
	loc := e.locOf(r.CustomerID)
	data := map[string]any{
		"ID":      r.ID,
		"Summary": e.changeSummary(lang, r.Change, r),
		"By":      r.NameOf(r.Approver),
		"Role":    e.approverName(lang, r.ApproverRole),
		"Reason":  r.Comment,
		"Failure": e.failure(lang, r),
	}
	if !r.Deadline.IsZero() {
		data["Deadline"] = e.tr.DateTime(lang, r.Deadline, loc)
	}
	id := "card." + string(r.State)
	if r.State == workflows.StateRejected && r.Comment != "" {
		id = "card.rejected_reason"
	}
	if r.State == workflows.StatePendingApproval && r.Deadline.IsZero() {
		id = "card.pending_approval_nodeadline"
	}
	m := Message{Kind: KindRequest, Title: e.tr.T(lang, "card.title", data), Text: e.tr.T(lang, id, data),
		Key: "request:" + r.ID, RequestID: r.ID, CustomerID: r.CustomerID}
	if r.State == workflows.StateCompleted || r.State == workflows.StateExecuting {
		m.Fields = e.quantityFields(lang, r)
	}
	if r.State == workflows.StatePendingApproval {
		m.Actions = []Action{{ID: ActWithdraw, Label: e.tr.T(lang, "btn.withdraw", nil), Value: r.CustomerID + ":" + r.ID}}
	}
	if r.State == workflows.StateCompleted {
		// A mid-term change deleted the scheduled renewal: offer to set it
		// again, as the rules promised in the preview's warning.
		for _, a := range r.Decision.Alternatives {
			if a.Code == rules.CodeReapplyRenewal && a.Change != nil && a.Change.Quantity > 0 {
				sub := csp.Subscription{ID: r.Change.SubscriptionID, CustomerID: r.CustomerID}
				m.Actions = append(m.Actions, Action{ID: ActStart, Style: StylePrimary,
					Label: e.tr.T(lang, "alt.reapply_renewal", map[string]any{"Quantity": a.Change.Quantity}),
					Value: startValue(csp.ChangeSetRenewalQuantity, sub, a.Change.Quantity)})
			}
		}
	}
	return m
}

// approvalCard is the approver's card; once decided it shows who, when and
// the outcome, without buttons.
func (e *Engine) approvalCard(lang string, r workflows.Request, viewer workflows.Person) Message {
	if r.State == workflows.StateNeedsAttention && workflows.CanResolve(viewer, r) == nil {
		return e.attentionCard(lang, r)
	}
	loc := e.locOf(r.CustomerID)
	cust := e.customers[r.CustomerID]
	requester := r.NameOf(r.Requester)
	data := map[string]any{"ID": r.ID, "Requester": requester, "Customer": cust.Name, "Summary": e.changeSummary(lang, r.Change, r)}
	var lines []string
	lines = append(lines, e.tr.T(lang, "approval.ask", data))
	f := []Field{
		{e.tr.T(lang, "field.requester", nil), requester + " <" + r.Requester + ">"},
		{e.tr.T(lang, "field.customer", nil), cust.Name},
		{e.tr.T(lang, "field.subscription", nil), r.SubscriptionName},
	}
	f = append(f, e.quantityFields(lang, r)...)
	f = append(f, e.costFields(lang, r, "")...)
	f = append(f, Field{e.tr.T(lang, "field.why_approval", nil), e.reason(lang, string(r.Decision.Reason), nil)})
	if !r.Deadline.IsZero() {
		f = append(f, Field{e.tr.T(lang, "field.deadline", nil), e.tr.DateTime(lang, r.Deadline, loc)})
	}
	if r.Justification != "" {
		f = append(f, Field{e.tr.T(lang, "field.justification", nil), r.Justification})
	}
	lines = append(lines, e.warningLines(lang, r.Decision, loc)...)
	m := Message{Kind: KindApproval, Title: e.tr.T(lang, "approval.title", data), Text: strings.Join(lines, "\n"), Fields: f,
		Key: "approval:" + r.ID, RequestID: r.ID, CustomerID: r.CustomerID}
	if r.State == workflows.StatePendingApproval {
		confirm := ""
		if r.Decision.Irreversible {
			confirm = e.tr.T(lang, "confirm.approve_irreversible", data)
		}
		m.Actions = []Action{
			{ID: ActApprove, Label: e.tr.T(lang, "btn.approve", nil), Style: StylePrimary, Value: r.CustomerID + ":" + r.ID, Confirm: confirm},
			{ID: ActReject, Label: e.tr.T(lang, "btn.reject", nil), Style: StyleDanger, Value: r.CustomerID + ":" + r.ID},
		}
		return m
	}
	at := r.UpdatedAt
	if !r.DecidedAt.IsZero() {
		at = r.DecidedAt
	}
	m.Context = e.tr.T(lang, "decided."+string(r.State), map[string]any{
		"By": r.NameOf(r.Approver), "At": e.tr.DateTime(lang, at, loc), "Reason": r.Comment,
		"Failure": e.failure(lang, r)})
	return m
}

// reason is the sentence for a rules or portal code. A code we have no
// sentence for (a portal's own refusal code, say), or one whose values are
// missing, reads as a generic sentence: people never see a code, a Go
// error or a template hole.
func (e *Engine) reason(lang, code string, data map[string]any) string {
	if code == "" || !e.tr.Has(lang, "reason."+code) {
		return e.tr.T(lang, "reason.provider_error", nil)
	}
	s := e.tr.T(lang, "reason."+code, data)
	if strings.Contains(s, "<no value>") {
		return e.tr.T(lang, "reason.provider_error", nil)
	}
	return s
}

// failure says why a request could not be carried out, with the values
// the rules gave when they refused it at execution time.
func (e *Engine) failure(lang string, r workflows.Request) string {
	data := map[string]any{"Name": r.SubscriptionName, "Target": r.TargetOfferName, "Line": r.TargetLineName,
		"Quantity": r.Decision.FromQuantity}
	e.paramData(lang, r.FailureParams, e.locOf(r.CustomerID), data)
	return e.reason(lang, r.Failure, data)
}
