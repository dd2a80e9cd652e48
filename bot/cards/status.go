package cards

import (
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// toneOf is the colour of a request's state: green once approved, red
// when refused or failed, amber when it ran out of time or needs a
// person, blue while it waits.
func toneOf(s workflows.State) chat.Tone {
	switch s {
	case workflows.StateApproved, workflows.StateExecuting, workflows.StateCompleted:
		return chat.ToneGood
	case workflows.StateRejected, workflows.StateFailed:
		return chat.ToneAttention
	case workflows.StateExpired, workflows.StateNeedsAttention:
		return chat.ToneWarning
	case workflows.StatePendingApproval:
		return chat.ToneInfo
	}
	return chat.ToneNeutral
}

// decidedAt is when a request reached its state.
func decidedAt(r workflows.Request) time.Time {
	if !r.DecidedAt.IsZero() && r.State != workflows.StateNeedsAttention && r.State != workflows.StateWithdrawn {
		return r.DecidedAt
	}
	return r.UpdatedAt
}

// status is a request's coloured line: who decided, when, and a
// rejection's reason quoted. waitingFor says who a pending request waits
// for, in the reader's words ("your decision", "your account manager").
func (rd *Renderer) status(lang string, r workflows.Request, waitingFor string) *chat.Status {
	loc := rd.Loc(r.CustomerID)
	at := rd.tr.DateTime(lang, decidedAt(r), loc)
	if r.State == workflows.StateExpired {
		at = rd.until(lang, decidedAt(r), loc) // it expired at the end of the deadline's day
	}
	data := map[string]any{
		"By": r.NameOf(r.Approver), "At": at,
		"Reason": strings.TrimSpace(r.Comment), "Failure": rd.failure(lang, r), "Who": waitingFor,
	}
	id := "decided." + string(r.State)
	switch {
	case r.State == workflows.StatePendingApproval:
		id = "status_line.pending"
	case r.State == workflows.StateSubmitted:
		id = "status_line.submitted"
	case r.State == workflows.StateRejected && data["Reason"] != "":
		id = "decided.rejected_reason"
	case r.State == workflows.StateCompleted && r.Approver == "":
		id = "status_line.done"
	}
	return &chat.Status{Tone: toneOf(r.State), Text: rd.tr.T(lang, id, data)}
}

// until formats the last moment of a period, so that one ending at
// midnight reads "Fri 27 Nov 2026, 23:59" rather than the next day's
// "Sat 28 Nov 2026, 00:00", which people take for a day more.
func (rd *Renderer) until(lang string, t time.Time, loc *time.Location) string {
	l := t.In(loc)
	if l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 {
		t = t.Add(-time.Minute)
	}
	return rd.tr.DateTime(lang, t, loc)
}

// deadline is the "Decide by …" phrase of a request waiting for approval.
func (rd *Renderer) deadline(lang string, t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return rd.tr.T(lang, "summary.decide_by", map[string]any{"At": rd.until(lang, t, loc)})
}

// moneySummary is the money of a decision in one line: "€148.50 more a
// month · €74.25 charged now".
func (rd *Renderer) moneySummary(lang string, c rules.Cost) string {
	var parts []string
	delta := func(id string, before, after csp.Money) {
		switch d := after.Sub(before); {
		case d.Minor > 0:
			parts = append(parts, rd.tr.T(lang, id+"_more", map[string]any{"Amount": rd.tr.Money(lang, d)}))
		case d.Minor < 0:
			parts = append(parts, rd.tr.T(lang, id+"_less", map[string]any{"Amount": rd.tr.Money(lang, before.Sub(after))}))
		}
	}
	delta("summary.monthly", c.MonthlyBefore, c.MonthlyAfter)
	if c.MonthlyBefore == c.MonthlyAfter {
		delta("summary.annual", c.AnnualBefore, c.AnnualAfter)
	}
	if !c.ProratedCharge.IsZero() {
		parts = append(parts, rd.tr.T(lang, "summary.charged_now", map[string]any{"Amount": rd.tr.Money(lang, c.ProratedCharge)}))
	}
	if !c.ProratedRefund.IsZero() {
		parts = append(parts, rd.tr.T(lang, "summary.refund", map[string]any{"Amount": rd.tr.Money(lang, c.ProratedRefund)}))
	}
	if len(parts) == 0 {
		return rd.tr.T(lang, "summary.no_cost", nil)
	}
	return strings.Join(parts, " · ")
}

// irreversibleWhy reports whether the reason for approval already says
// the change cannot be undone, so the card does not say it twice.
func irreversibleWhy(code rules.Code) bool {
	return code == rules.CodeUpgradeNeedsAccountManager || code == rules.CodeCancellationNeedsAccountManager
}
