package config

import (
	"strings"
	"testing"
)

func TestPartnerCenterIsAProviderWithItsChecks(t *testing.T) {
	c := Config{Provider: "partnercenter", Customers: []Customer{{ID: "0b5f3a2e-1c4d-4e6f-8a9b-0c1d2e3f4a5b", Name: "Contoso"}}}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid partnercenter configuration refused: %v", err)
	}
	c.Customers[0].ID = "contoso"
	c.PartnerCenter = PartnerCenter{BaseURL: "ftp://x", Currency: "EURO", TenantID: "a b"}
	err := c.Validate()
	if err == nil {
		t.Fatal("bad partnercenter settings accepted")
	}
	for _, want := range []string{"partnercenter.base_url", "partnercenter.currency", "partnercenter.tenant_id", "tenant id (a GUID)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
