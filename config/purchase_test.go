package config

import (
	"strings"
	"testing"

	"github.com/licensebot/licensebot/csp"
)

// The demo sends Contoso's purchases above 2,000 € to the account
// manager and sets no such limit for Fabrikam.
func TestPurchaseApprovalAbove(t *testing.T) {
	c, err := Load(write(t, string(Demo())))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Policy("contoso").PurchaseApprovalAbove; got != csp.NewMoney(2000, "EUR") {
		t.Errorf("contoso: %v", got)
	}
	if got := c.Policy("fabrikam").PurchaseApprovalAbove; !got.IsZero() {
		t.Errorf("fabrikam: %v, want none", got)
	}
	_, err = Load(write(t, "customers:\n  - id: contoso\n    policy:\n      purchase_approval_above: -1\n"))
	if err == nil || !strings.Contains(err.Error(), "purchase_approval_above") {
		t.Errorf("a negative limit: %v", err)
	}
}
