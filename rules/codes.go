package rules

// The codes below are the whole, closed vocabulary of Evaluate. The bot
// maps each to a sentence in English and French, so a code is never
// renamed once shipped (it is stored with requests), and a new one is
// added here and to AllCodes together. The comment of each says what it
// means and which Params (or Warning.Params) come with it.

// Reasons for a refusal (Decision.Reason when Outcome is Refused).
const (
	// CodeUnknownChange: the change kind is not one the bot knows.
	CodeUnknownChange Code = "unknown_change"
	// CodeSubscriptionMismatch: the change names another subscription
	// than the one it is evaluated against (a caller bug; never guess).
	CodeSubscriptionMismatch Code = "subscription_mismatch"
	// CodeNotActive: the subscription is suspended, expired, cancelled
	// or still pending; no change is possible. Params: status.
	CodeNotActive Code = "not_active"
	// CodeTermEnded: the data says the current term is over but the
	// subscription has not rolled over yet; read it again later.
	CodeTermEnded Code = "term_ended"
	// CodeUnknownOffer: the subscription's offer is not in the catalog,
	// so the seat cap or the upgrade ladder cannot be checked.
	CodeUnknownOffer Code = "unknown_offer"
	// CodeInvalidQuantity: the number of seats asked for is zero or
	// negative (add, remove, upgrade) or negative (renewal quantity).
	CodeInvalidQuantity Code = "invalid_quantity"
	// CodeQuantityBelowOne: the change would leave fewer than one seat;
	// going to zero is a cancellation (alternatives: cancel_now when the
	// cancellation window is open, turn_off_auto_renew).
	CodeQuantityBelowOne Code = "quantity_below_one"
	// CodeQuantityAboveCurrent: an upgrade asks for more seats than the
	// subscription has.
	CodeQuantityAboveCurrent Code = "quantity_above_current"
	// CodeOverSeatCap: the customer would hold more seats of the offer
	// than its cap (300 for Microsoft 365 Business plans). Params:
	// max_seats, seats_after.
	CodeOverSeatCap Code = "over_seat_cap"
	// CodeWindowClosed: no seat of the subscription is removable now;
	// seats can be removed only within the window after their purchase
	// or after the commitment date. Params: removable (0), and
	// window_opens_at + commitment_date when auto-renew is on, or
	// expires_at when it is off. Alternatives: schedule_renewal,
	// remind_window_opens.
	CodeWindowClosed Code = "window_closed"
	// CodeFewerRemovable: some seats are removable now, but fewer than
	// asked. Params as window_closed, removable > 0. Alternatives:
	// remove_removable_seats, schedule_renewal, remind_window_opens.
	CodeFewerRemovable Code = "fewer_removable"
	// CodeBeforeCommitment: a cancellation outside the cancellation
	// window; a subscription can be cancelled only at its anniversary.
	// Params: window_opens_at + commitment_date when auto-renew is on,
	// expires_at when it is off. Alternatives: turn_off_auto_renew,
	// remind_window_opens.
	CodeBeforeCommitment Code = "before_commitment"
	// CodeNothingToChange: the subscription already is as asked (same
	// renewal quantity, auto-renew already in that state, end date
	// already aligned). Params: renewal_quantity where it applies.
	CodeNothingToChange Code = "nothing_to_change"
	// CodeNeedsAutoRenew: renewal instructions (renewal quantity, end
	// date alignment) need auto-renew on. Alternative: turn_on_auto_renew.
	CodeNeedsAutoRenew Code = "needs_auto_renew"
	// CodeNoUpgradePath: the offer cannot be upgraded at all (Teams
	// Essentials, or the top of its segment).
	CodeNoUpgradePath Code = "no_upgrade_path"
	// CodeUnknownTargetOffer: the upgrade names no offer or one that is
	// not in the catalog. Alternatives: upgrade_to each eligible offer.
	CodeUnknownTargetOffer Code = "unknown_target_offer"
	// CodeCrossSegmentUpgrade: the target offer is in another segment
	// (Business Standard → E3). Alternatives: upgrade_to each eligible
	// offer.
	CodeCrossSegmentUpgrade Code = "cross_segment_upgrade"
	// CodeNotHigherTier: the target is the same or a lower tier.
	// Alternatives: upgrade_to each eligible offer.
	CodeNotHigherTier Code = "not_higher_tier"
	// CodeTargetTermUnavailable: the target offer is not sold with the
	// subscription's term and billing cycle (the end date must not move).
	CodeTargetTermUnavailable Code = "target_term_unavailable"
	// CodeMergeTargetNotFound: the line to merge an upgrade into is not
	// one of the customer's other subscriptions. Params: subscription_id.
	// Alternatives (for every merge_target_* code): upgrade_new_line,
	// merge_into each eligible existing line.
	CodeMergeTargetNotFound Code = "merge_target_not_found"
	// CodeMergeTargetWrongOffer: the merge line is not of the target
	// offer. Params: subscription_id.
	CodeMergeTargetWrongOffer Code = "merge_target_wrong_offer"
	// CodeMergeTargetNotActive: the merge line is not active. Params:
	// subscription_id, status.
	CodeMergeTargetNotActive Code = "merge_target_not_active"
	// CodeMergeTargetTrial: the merge line is a trial; paid seats cannot
	// go into it (the portal refuses). Params: subscription_id.
	CodeMergeTargetTrial Code = "merge_target_trial"
	// CodeMergeTargetInWindow: the merge line is itself inside its
	// cancellation window (Microsoft refuses the merge then). Params:
	// subscription_id.
	CodeMergeTargetInWindow Code = "merge_target_in_window"
	// CodeMergeTargetEndsEarlier: the merge line's commitment ends before
	// the upgraded subscription's. Params: subscription_id.
	CodeMergeTargetEndsEarlier Code = "merge_target_ends_earlier"
	// CodeMergeTargetTermShorter: the merge line's term is shorter than
	// the upgraded subscription's. Params: subscription_id.
	CodeMergeTargetTermShorter Code = "merge_target_term_shorter"
	// CodeAlignTargetNotFound: end-date alignment names no other
	// subscription of the customer. Params: subscription_id.
	CodeAlignTargetNotFound Code = "align_target_not_found"
	// CodeAlignTargetNotActive: the subscription to align with is not
	// active. Params: subscription_id, status.
	CodeAlignTargetNotActive Code = "align_target_not_active"
	// CodeAlignEndTooEarly: the other subscription ends (and, auto-renew
	// off, will not renew) before the next term could start.
	CodeAlignEndTooEarly Code = "align_end_too_early"
	// CodeAlignEndTooLate: the other subscription's next end date is
	// after the end of this subscription's next term; alignment can only
	// shorten a term.
	CodeAlignEndTooLate Code = "align_end_too_late"
)

// Reasons for an approval (Decision.Reason when Outcome is NeedsApproval).
const (
	// CodeNeedsLicenceAdmin: a member asked for a change that a licence
	// admin approves (remove seats, renewal quantity, auto-renew on,
	// end-date alignment).
	CodeNeedsLicenceAdmin Code = "needs_licence_admin"
	// CodeOverMemberLimit: a member's seat addition costs at least the
	// customer's threshold per month; a licence admin approves.
	CodeOverMemberLimit Code = "over_member_limit"
	// CodeAutoRenewOffNeedsAccountManager: turning auto-renew off ends the
	// subscription at term end; the account manager approves.
	CodeAutoRenewOffNeedsAccountManager Code = "auto_renew_off_needs_account_manager"
	// CodeCancellationNeedsAccountManager: cancelling is irreversible; the
	// account manager always approves.
	CodeCancellationNeedsAccountManager Code = "cancellation_needs_account_manager"
	// CodeUpgradeNeedsAccountManager: an upgrade is irreversible; the
	// account manager always approves (guide IV).
	CodeUpgradeNeedsAccountManager Code = "upgrade_needs_account_manager"
)

// Warnings (Warning.Code): shown before the user confirms.
const (
	// CodeWipesScheduledRenewal: a mid-term change deletes every change
	// scheduled for the renewal. Params: subscription_id, and
	// renewal_quantity when a quantity was scheduled (then a
	// reapply_renewal alternative is offered).
	CodeWipesScheduledRenewal Code = "wipes_scheduled_renewal"
	// CodeTrialConverts: a trial with auto-renew on becomes a paid
	// subscription at the end of the trial. Params: converts_at.
	CodeTrialConverts Code = "trial_converts"
	// CodeIrreversible: the change cannot be undone (seat removal,
	// cancellation, upgrade).
	CodeIrreversible Code = "irreversible"
	// CodeExpiresAtTermEnd: with auto-renew off the subscription expires
	// when the term ends. Params: expires_at.
	CodeExpiresAtTermEnd Code = "expires_at_term_end"
	// CodeApprovalDeadlineNear: the change stops being legal within the
	// policy's ApprovalLead; the approval must land before. Params:
	// deadline.
	CodeApprovalDeadlineNear Code = "approval_deadline_near"
)

// Alternatives (Alternative.Code): what the user can do instead, or next.
const (
	// CodeScheduleRenewal: schedule the renewal at fewer seats
	// (Change set_renewal_quantity).
	CodeScheduleRenewal Code = "schedule_renewal"
	// CodeRemindWindowOpens: a reminder when the window opens, at the
	// commitment end instant (At; no Change).
	CodeRemindWindowOpens Code = "remind_window_opens"
	// CodeRemoveRemovableSeats: remove only the seats removable now
	// (Change remove_seats).
	CodeRemoveRemovableSeats Code = "remove_removable_seats"
	// CodeTurnOffAutoRenew: let the subscription end at term end
	// (Change auto_renew_off).
	CodeTurnOffAutoRenew Code = "turn_off_auto_renew"
	// CodeTurnOnAutoRenew: turn auto-renew on first (Change auto_renew_on).
	CodeTurnOnAutoRenew Code = "turn_on_auto_renew"
	// CodeCancelNow: cancel the whole subscription, inside its window
	// (Change cancel).
	CodeCancelNow Code = "cancel_now"
	// CodeUpgradeTo: upgrade to an eligible offer instead (Change upgrade
	// with TargetOfferID).
	CodeUpgradeTo Code = "upgrade_to"
	// CodeUpgradeNewLine: do the same upgrade into a new line (Change
	// upgrade without TargetSubscriptionID).
	CodeUpgradeNewLine Code = "upgrade_new_line"
	// CodeMergeInto: merge the upgrade into this existing line (Change
	// upgrade with TargetSubscriptionID); the guide prefers merging.
	CodeMergeInto Code = "merge_into"
	// CodeReapplyRenewal: after a change that wipes the schedule, set the
	// renewal quantity again (Change set_renewal_quantity).
	CodeReapplyRenewal Code = "reapply_renewal"
)

// Keys of Decision.Params and Warning.Params. Instants are RFC 3339 in
// the customer's time zone, dates are YYYY-MM-DD, numbers are decimal.
const (
	ParamStatus          = "status"
	ParamRemovable       = "removable"
	ParamMaxSeats        = "max_seats"
	ParamSeatsAfter      = "seats_after"
	ParamWindowOpensAt   = "window_opens_at"
	ParamCommitmentDate  = "commitment_date"
	ParamExpiresAt       = "expires_at"
	ParamConvertsAt      = "converts_at"
	ParamDeadline        = "deadline"
	ParamSubscriptionID  = "subscription_id"
	ParamRenewalQuantity = "renewal_quantity"
)

// AllCodes returns every code Evaluate can produce, reasons first, then
// approval reasons, warnings and alternatives. The bot tests that each has
// a sentence in every language. The slice is new on each call.
func AllCodes() []Code {
	codes := []Code{
		CodeUnknownChange, CodeSubscriptionMismatch, CodeNotActive, CodeTermEnded,
		CodeUnknownOffer, CodeInvalidQuantity, CodeQuantityBelowOne, CodeQuantityAboveCurrent,
		CodeOverSeatCap, CodeWindowClosed, CodeFewerRemovable, CodeBeforeCommitment,
		CodeNothingToChange, CodeNeedsAutoRenew, CodeNoUpgradePath, CodeUnknownTargetOffer,
		CodeCrossSegmentUpgrade, CodeNotHigherTier, CodeTargetTermUnavailable,
		CodeMergeTargetNotFound, CodeMergeTargetWrongOffer, CodeMergeTargetNotActive,
		CodeMergeTargetTrial, CodeMergeTargetInWindow, CodeMergeTargetEndsEarlier, CodeMergeTargetTermShorter,
		CodeAlignTargetNotFound, CodeAlignTargetNotActive, CodeAlignEndTooEarly, CodeAlignEndTooLate,

		CodeNeedsLicenceAdmin, CodeOverMemberLimit, CodeAutoRenewOffNeedsAccountManager,
		CodeCancellationNeedsAccountManager, CodeUpgradeNeedsAccountManager,

		CodeWipesScheduledRenewal, CodeTrialConverts, CodeIrreversible, CodeExpiresAtTermEnd,
		CodeApprovalDeadlineNear,

		CodeScheduleRenewal, CodeRemindWindowOpens, CodeRemoveRemovableSeats, CodeTurnOffAutoRenew,
		CodeTurnOnAutoRenew, CodeCancelNow, CodeUpgradeTo, CodeUpgradeNewLine, CodeMergeInto,
		CodeReapplyRenewal,
	}
	return append(codes, purchaseCodes()...)
}
