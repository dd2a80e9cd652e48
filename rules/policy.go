package rules

import (
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Removal windows. The guide (and so the default) says 72 hours; Microsoft
// widened the NCE window to 7 days on 18 March 2022.
const (
	DefaultRemovalWindow   = 72 * time.Hour
	MicrosoftRemovalWindow = 168 * time.Hour
)

// DefaultPolicy returns the defaults of licence-rules.md for a customer in
// loc (UTC when nil): a 72-hour removal window, members add seats without
// approval while the added monthly cost stays under 50.00 EUR, and the
// backup approver is involved 12 hours before a deadline. A customer
// billed in another currency needs its own MemberAddSeatsLimit: amounts
// of different currencies are never compared, they route to approval.
func DefaultPolicy(loc *time.Location) Policy {
	if loc == nil {
		loc = time.UTC
	}
	return Policy{
		Location:            loc,
		RemovalWindow:       DefaultRemovalWindow,
		MemberAddSeatsLimit: csp.Money{Minor: 5000, Currency: "EUR"},
		ApprovalLead:        12 * time.Hour,
	}
}
