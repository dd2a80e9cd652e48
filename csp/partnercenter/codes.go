package partnercenter

import (
	"fmt"
	"strings"

	"github.com/licensebot/licensebot/csp"
)

// Refusal codes of *csp.RefusedError returned by this package. Where the
// sandbox or CloudCockpit already has a code for the same situation, the
// same string is used, so the bot has one sentence for it.
const (
	// Shared with the other providers.
	CodeNotActive                = "subscription_not_active"
	CodeQuantityMin              = csp.CodeQuantityMin
	CodeNotAnIncrease            = "not_an_increase"
	CodeNotADecrease             = "not_a_decrease"
	CodeAutoRenewOff             = "auto_renew_off"
	CodeMaxSeats                 = "max_seats_exceeded"
	CodeRemovalWindowClosed      = "removal_window_closed"
	CodeCancellationWindowClosed = "cancellation_window_closed"
	CodeUpgradeNotEligible       = "upgrade_not_eligible"
	CodeUpgradeQuantity          = "upgrade_quantity_exceeds_subscription"
	CodePortalRefused            = "portal_refused"

	// New with Partner Center.

	// CodePermissionDenied: Partner Center answered 403, or the operation
	// needs App+User credentials and only app-only ones are configured.
	CodePermissionDenied = "portal_permission_denied"
	// CodeRenewalChangeRefused: Partner Center refused the scheduled
	// next-term instructions (an unavailable product, term or quantity).
	CodeRenewalChangeRefused = "renewal_change_refused"
	// CodeNoAlignmentDate: Partner Center offers no custom term end date
	// that co-terms with the chosen subscription.
	CodeNoAlignmentDate = "no_alignment_date"
	// CodeOfferNotAvailable: the offer cannot be bought for this customer
	// (not in the market's catalog, no availability).
	CodeOfferNotAvailable = "offer_not_available"
	// CodePurchaseRefused: the checkout returned order errors.
	CodePurchaseRefused = "purchase_refused"
)

// knownCodes maps Partner Center error codes to refusal codes. The
// numeric codes of new-commerce refusals are not all published; the ones
// here are those the fake server answers with and are listed in
// docs/PARTNERCENTER.md as unverified. Anything else falls back to the
// description (classify).
var knownCodes = map[string]string{
	"SeatLimitExceeded":            CodeMaxSeats,
	"CancellationWindowExpired":    CodeCancellationWindowClosed,
	"RefundWindowExpired":          CodeRemovalWindowClosed,
	"TransitionNotEligible":        CodeUpgradeNotEligible,
	"InvalidScheduledInstructions": CodeRenewalChangeRefused,
	"AutoRenewDisabled":            CodeAutoRenewOff,
}

// classify picks the refusal code for a 400/422 from Partner Center's code
// and description. Descriptions are matched on a few stable words because
// the numeric codes of new-commerce refusals are not documented.
func classify(pcCode, description string) string {
	if c, ok := knownCodes[pcCode]; ok {
		return c
	}
	d := strings.ToLower(description)
	has := func(words ...string) bool { return containsAll(d, words) }
	switch {
	case has("300") && (has("seat") || has("license") || has("licence")),
		has("seat", "limit"), has("maximum", "quantity"):
		return CodeMaxSeats
	case has("cancel") && (has("window") || has("allowed") || has("no longer")):
		return CodeCancellationWindowClosed
	case (has("reduc") || has("decrease") || has("refund")) && (has("window") || has("no longer")):
		return CodeRemovalWindowClosed
	case has("transition") || has("eligib"):
		return CodeUpgradeNotEligible
	case has("auto", "renew"):
		return CodeAutoRenewOff
	case has("scheduled") || has("next term"):
		return CodeRenewalChangeRefused
	}
	return CodePortalRefused
}

// containsAll reports whether s contains every one of words.
func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

func refuse(code, format string, args ...any) error {
	return &csp.RefusedError{Code: code, Detail: fmt.Sprintf(format, args...)}
}
