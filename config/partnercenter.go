package config

import (
	"net/url"
	"strings"

	"github.com/licensebot/licensebot/csp"
)

// PartnerCenter is Microsoft Partner Center's non-secret settings. The
// secrets come from the environment: PARTNERCENTER_CLIENT_ID,
// PARTNERCENTER_CLIENT_SECRET (app-only) and/or
// PARTNERCENTER_REFRESH_TOKEN (App+User); PARTNERCENTER_TENANT_ID
// overrides tenant_id.
type PartnerCenter struct {
	// TenantID is the partner's Entra tenant (a GUID or its
	// .onmicrosoft.com domain).
	TenantID string `yaml:"tenant_id"`
	// BaseURL of the API (default https://api.partnercenter.microsoft.com).
	BaseURL string `yaml:"base_url"`
	// Currency of the customers' prices (default EUR).
	Currency string `yaml:"currency"`
}

// validatePartnerCenter checks the partnercenter section when it is the
// provider.
func (c *Config) validatePartnerCenter(add func(string, ...any)) {
	if c.Provider != "partnercenter" {
		return
	}
	pc := c.PartnerCenter
	if pc.BaseURL != "" {
		if u, err := url.Parse(pc.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("partnercenter.base_url: %q is not an http(s) URL", pc.BaseURL)
		}
	}
	if pc.Currency != "" && len(strings.TrimSpace(pc.Currency)) != 3 {
		add("partnercenter.currency: %q is not a three-letter currency code", pc.Currency)
	}
	if strings.ContainsAny(pc.TenantID, " /") {
		add("partnercenter.tenant_id: %q is not a tenant id or domain", pc.TenantID)
	}
	for i, cu := range c.Customers {
		if cu.ID != "" && !csp.IsGUID(cu.ID) {
			add("customers[%d] (%s): with provider partnercenter the id is the customer's tenant id (a GUID)", i, cu.ID)
		}
	}
}
