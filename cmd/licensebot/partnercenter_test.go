package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp/partnercenter"
)

func TestPartnerCenterWithoutSecretsSaysWhatIsMissing(t *testing.T) {
	for _, v := range []string{"PARTNERCENTER_TENANT_ID", "PARTNERCENTER_CLIENT_ID", "PARTNERCENTER_CLIENT_SECRET", "PARTNERCENTER_REFRESH_TOKEN", "REDIS_URL"} {
		t.Setenv(v, "")
	}
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("provider: partnercenter\ncustomers:\n  - id: 0b5f3a2e-1c4d-4e6f-8a9b-0c1d2e3f4a5b\n"), 0o600)
	_, _, err := run(t, "", "subscriptions", "--config", p, "--data", t.TempDir())
	if err == nil {
		t.Fatal("subscriptions ran against Partner Center with no credentials")
	}
	for _, want := range []string{"PARTNERCENTER_TENANT_ID", "PARTNERCENTER_CLIENT_ID", "PARTNERCENTER_CLIENT_SECRET and/or PARTNERCENTER_REFRESH_TOKEN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s: %v", want, err)
		}
	}
}

func TestConfigCheckListsWhatPartnerCenterCredentialsAllow(t *testing.T) {
	c, err := partnercenter.New(partnercenter.Options{TenantID: "t", ClientID: "id", ClientSecret: "s", Clock: clock.NewManual(time.Unix(0, 0))})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	printPartnerCenterAccess(&b, c)
	out := b.String()
	if !strings.Contains(out, "app-only (client credentials)") || strings.Contains(out, "App+User (refresh") ||
		!strings.Contains(out, "buy (cart, checkout, orders): allowed") {
		t.Errorf("config check output:\n%s", out)
	}
}
