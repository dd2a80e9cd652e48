package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/licensebot/licensebot/csp/partnercenter"
)

// openPartnerCenter builds the Partner Center client. Secrets come from
// the environment only: the application id, and a client secret
// (app-only), a refresh token (App+User), or both.
func (a *app) openPartnerCenter() error {
	cat, err := a.catalog()
	if err != nil {
		return err
	}
	cfg := a.cfg.PartnerCenter
	tenant := firstEnv(partnercenter.EnvTenantID, cfg.TenantID)
	id := os.Getenv(partnercenter.EnvClientID)
	secret := os.Getenv(partnercenter.EnvClientSecret)
	refresh := os.Getenv(partnercenter.EnvRefreshToken)
	var missing []string
	if tenant == "" {
		missing = append(missing, partnercenter.EnvTenantID+" (or partnercenter.tenant_id)")
	}
	if id == "" {
		missing = append(missing, partnercenter.EnvClientID)
	}
	if secret == "" && refresh == "" {
		missing = append(missing, partnercenter.EnvClientSecret+" and/or "+partnercenter.EnvRefreshToken)
	}
	if len(missing) > 0 {
		return fmt.Errorf("provider partnercenter needs %s", strings.Join(missing, ", "))
	}
	c, err := partnercenter.New(partnercenter.Options{
		BaseURL: cfg.BaseURL, TenantID: tenant, ClientID: id, ClientSecret: secret, RefreshToken: refresh,
		OnRefreshToken: func(string) {
			a.log.Warn("Partner Center rotated the refresh token; the new one is kept in memory only — " +
				"renew " + partnercenter.EnvRefreshToken + " before 90 days of disuse")
		},
		CustomerIDs: a.cfg.CustomerIDs(), Clock: a.clock, Logger: a.log, Catalog: cat,
		Customers: a.customerSettings(), Currency: cfg.Currency,
	})
	if err != nil {
		return fmt.Errorf("partnercenter: %w", err)
	}
	a.partnerCenter, a.provider = c, c
	return nil
}

func firstEnv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// printPartnerCenterAccess says, for `config check`, which credentials are
// configured and which operations they allow.
func printPartnerCenterAccess(w io.Writer, c *partnercenter.Client) {
	fmt.Fprintf(w, "partner center credentials: %s\n", strings.Join(c.Credentials(), ", "))
	for _, op := range c.Access() {
		state := "allowed"
		if !op.Allowed {
			state = "NOT allowed (needs " + string(op.Needs) + ")"
		}
		fmt.Fprintf(w, "  %s: %s\n", op.Operation, state)
	}
}
