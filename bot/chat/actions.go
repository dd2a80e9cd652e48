package chat

import (
	"strconv"
	"strings"

	"github.com/licensebot/licensebot/csp"
)

// Action ids. A button carries one of these and, in Value, only ids.
const (
	ActConfirm  = "confirm"  // value: draft id
	ActCancel   = "cancel"   // value: draft id
	ActChoose   = "choose"   // value: draft id ":" choice id
	ActAlt      = "alt"      // value: draft id ":" index
	ActApprove  = "approve"  // value: customer ":" request id
	ActReject   = "reject"   // value: customer ":" request id
	ActWithdraw = "withdraw" // value: customer ":" request id
	ActStart    = "start"    // value: StartValue (kind, customer, subscription, quantity)
)

// Action ids of a request that needs attention; the value is
// "customer:request id".
const (
	ActCheckAgain = "check_again"
	ActMarkDone   = "mark_done"
	ActSendAgain  = "send_again"
)

// Reminder actions. Values carry only ids; the server decides the rest.
const (
	ActKeep   = "keep"   // value: KeepValue: customer ":" subscription ":" term end (Unix seconds)
	ActMute   = "mute"   // value: customer ":" subscription
	ActUnmute = "unmute" // value: customer ":" subscription
)

// RequestValue is the value of a button on a request's card.
func RequestValue(customerID, requestID string) string { return customerID + ":" + requestID }

// StartValue is the value of a button that starts a change on a
// subscription: "kind:customer:subscription[:quantity]". It names the
// customer because an account manager's buttons may concern any of the
// customers they serve.
func StartValue(kind csp.ChangeKind, s csp.Subscription, quantity int) string {
	v := string(kind) + ":" + s.CustomerID + ":" + s.ID
	if quantity > 0 {
		v += ":" + strconv.Itoa(quantity)
	}
	return v
}

// ParseStart reads StartValue, and the older "kind:subscription".
func ParseStart(v string) (kind csp.ChangeKind, customer, sub string, quantity int, ok bool) {
	parts := strings.Split(v, ":")
	switch len(parts) {
	case 2:
		kind, sub = csp.ChangeKind(parts[0]), parts[1]
	case 3, 4:
		kind, customer, sub = csp.ChangeKind(parts[0]), parts[1], parts[2]
		if len(parts) == 4 {
			n, err := strconv.Atoi(parts[3])
			if err != nil || n < 1 {
				return "", "", "", 0, false
			}
			quantity = n
		}
	default:
		return "", "", "", 0, false
	}
	return kind, customer, sub, quantity, kind.Valid() && sub != ""
}

// KeepValue is the value of a reminder's [Keep as is]: the term it is
// about, so a press after the renewal is recognised as stale.
func KeepValue(customerID string, s csp.Subscription) string {
	return customerID + ":" + s.ID + ":" + strconv.FormatInt(s.TermEnd.Unix(), 10)
}
