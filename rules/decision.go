package rules

import (
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Role is what a person may do for a customer.
type Role string

// Roles, from the configuration.
const (
	RoleMember         Role = "member"
	RoleLicenceAdmin   Role = "licence_admin"
	RoleAccountManager Role = "account_manager"
)

// Policy is a customer's configurable rules. DefaultPolicy gives the
// defaults of licence-rules.md.
type Policy struct {
	// Location is the customer's time zone; dates are computed in it.
	Location *time.Location
	// RemovalWindow is how long after a purchase its seats can be removed
	// (72h per the guide, 168h per Microsoft since March 2022).
	RemovalWindow time.Duration
	// MemberAddSeatsLimit: a member's seat addition runs without approval
	// when the added monthly cost is below this.
	MemberAddSeatsLimit csp.Money
	// ApprovalLead is how long before a deadline the backup approver is
	// involved.
	ApprovalLead time.Duration
	// PurchaseApprovalAbove: a purchase whose first term costs more than
	// this goes to the account manager, whoever asks; zero means no
	// such limit (purchase.go).
	PurchaseApprovalAbove csp.Money
}

// Outcome is the verdict of a Decision.
type Outcome string

// Outcomes.
const (
	Allowed       Outcome = "allowed"
	NeedsApproval Outcome = "needs_approval"
	Refused       Outcome = "refused"
)

// Code is a stable, language-free reason. The bot turns codes into
// sentences in the user's language; Detail strings are for logs only.
type Code string

// Input is everything a decision depends on. Evaluate does no I/O.
type Input struct {
	Subscription csp.Subscription
	Change       csp.Change
	// Role is the requester's; an empty or unknown role counts as a
	// member.
	Role   Role
	Policy Policy
	// Catalog is needed for seat additions and renewal increases (seat
	// caps) and for upgrades; without it those are refused.
	Catalog *csp.Catalog
	// Others are the customer's other subscriptions: merge targets,
	// alignment targets, and the per-customer seat cap. An entry with
	// the Subscription's own id is ignored.
	Others []csp.Subscription
	Now    time.Time
}

// Alternative is a legal change the user can take instead of a refused
// one, or a follow-up such as a reminder.
type Alternative struct {
	Code Code `json:"code"`
	// Change is set when the alternative is a change (e.g. schedule the
	// renewal at N seats); nil for "remind me when the window opens".
	Change *csp.Change `json:"change,omitempty"`
	// At is when a reminder alternative would fire.
	At time.Time `json:"at,omitempty"`
}

// Warning is something the user must see before confirming.
type Warning struct {
	Code Code `json:"code"`
	// Params carry values for the sentence (a quantity, a date).
	Params map[string]string `json:"params,omitempty"`
}

// Cost is the money impact of a change, in the subscription's currency.
type Cost struct {
	MonthlyBefore Money `json:"monthly_before"`
	MonthlyAfter  Money `json:"monthly_after"`
	AnnualBefore  Money `json:"annual_before"`
	AnnualAfter   Money `json:"annual_after"`
	// ProratedCharge is charged now for seats added mid-term, prorated
	// daily to the end of the term.
	ProratedCharge Money `json:"prorated_charge"`
	// ProratedRefund is refunded for seats removed in the window.
	ProratedRefund Money `json:"prorated_refund"`
	// FirstTerm is a purchase's first term, prorated daily when its end
	// is aligned with another subscription's (purchase.go).
	FirstTerm Money `json:"first_term,omitzero"`
}

// Money is csp.Money, re-exported for brevity in this package's API.
type Money = csp.Money

// Decision is what the rules say about a change now.
type Decision struct {
	Outcome Outcome `json:"outcome"`
	// Reason explains a refusal (Outcome Refused) or why approval is
	// needed (NeedsApproval).
	Reason Code   `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Approver is the role that must approve (NeedsApproval).
	Approver Role `json:"approver,omitempty"`
	// Deadline is when the change stops being legal (the removal or
	// cancellation window closes, the term ends); zero when it stays legal.
	Deadline time.Time `json:"deadline,omitempty"`
	// Irreversible is true for upgrades, cancellations and removals.
	Irreversible bool          `json:"irreversible"`
	Alternatives []Alternative `json:"alternatives,omitempty"`
	Warnings     []Warning     `json:"warnings,omitempty"`
	Cost         Cost          `json:"cost"`
	// FromQuantity and ToQuantity are the subscription's quantity before
	// and after. They are set on every decision, refusals included, as
	// absolute numbers ("add 2" on 10 seats is 10 → 12). For the changes
	// that act on the next term they are renewal quantities: for
	// set_renewal_quantity the scheduled quantity; for auto_renew_off and
	// auto_renew_on the seats that would renew (0 when auto-renew is off).
	// A cancellation goes to 0; an upgrade of all seats leaves the source
	// at 0; alignment leaves the quantity as it is.
	FromQuantity int `json:"from_quantity"`
	ToQuantity   int `json:"to_quantity"`
	// TargetFrom and TargetTo are an upgrade's target line quantities:
	// an existing line's before and after, or 0 and the seats moved for
	// a new line.
	TargetFrom int `json:"target_from,omitempty"`
	TargetTo   int `json:"target_to,omitempty"`
	// Params carry values for the Reason sentence; keys are the Param*
	// constants, documented with each Code.
	Params map[string]string `json:"params,omitempty"`
	// CustomTermEnd is the end of the next term for align_end_date: the
	// workflow puts it in the Operation. Zero for other changes.
	CustomTermEnd time.Time `json:"custom_term_end,omitzero"`
}
