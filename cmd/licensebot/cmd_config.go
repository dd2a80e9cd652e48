package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licensebot/licensebot/config"
)

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check or print the configuration"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and say which store and portal will be used and whether they answer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(g.config)
			if err != nil {
				return fmt.Errorf("configuration is invalid:\n%w", err)
			}
			src := g.config
			if src == "" {
				src = "embedded demo configuration"
			}
			fmt.Fprintf(g.out, "configuration: %s — OK (%s, %s)\n", src,
				plural(len(cfg.Customers), "customer", "customers"), plural(len(cfg.People), "person", "people"))
			if err := channelProblems(); err != nil {
				return fmt.Errorf("chat platforms are half configured:\n%w", err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
			defer cancel()
			a, err := openApp(ctx, g, appOptions{})
			if err != nil {
				return fmt.Errorf("cannot open what the configuration names: %w", err)
			}
			defer a.Close()
			if err := a.store.Ping(ctx); err != nil {
				return fmt.Errorf("store %s: not reachable: %w", a.store.Name(), err)
			}
			fmt.Fprintf(g.out, "store: %s — reachable\n", a.store.Name())
			if _, err := a.provider.Customers(ctx); err != nil {
				return fmt.Errorf("portal %s: not reachable: %w", a.provider.Name(), err)
			}
			fmt.Fprintf(g.out, "portal: %s — reachable\n", a.provider.Name())
			if a.partnerCenter != nil {
				printPartnerCenterAccess(g.out, a.partnerCenter)
			}
			for _, v := range []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APPROVALS_CHANNEL",
				"TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID", "TEAMS_APPROVALS_CONVERSATION", "REDIS_URL"} {
				state := "not set"
				if os.Getenv(v) != "" {
					state = "set"
				}
				fmt.Fprintf(g.out, "%s: %s\n", v, state)
			}
			return nil
		},
	})
	var provider string
	demo := &cobra.Command{
		Use:   "demo",
		Short: "Print the embedded demo configuration (a starting point for your own)",
		Long: `Print the demo configuration. With --provider cloudcockpit or partnercenter it
is set up for that portal: its section, and customer ids of the form the
portal wants, to replace with your own. What it prints passes
"licensebot config check" but for the credentials, which come from the
environment.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := demoFor(provider)
			if err != nil {
				return &usageError{err}
			}
			_, err = g.out.Write(out)
			return err
		},
	}
	demo.Flags().StringVar(&provider, "provider", "sandbox", "the portal: "+strings.Join(demoProviders, ", "))
	cmd.AddCommand(demo)
	return cmd
}

// demoProviders are the portals `config demo --provider` writes a
// configuration for; the demo's provider line lists the same.
var demoProviders = []string{"sandbox", "cloudcockpit", "partnercenter"}

// demoFor is the demo configuration set up for a provider.
func demoFor(provider string) ([]byte, error) {
	demo := string(config.Demo())
	lines := strings.Split(demo, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "provider:") {
			lines[i] = "provider: " + provider + "    # " + strings.Join(demoProviders, " | ") +
				" (licensebot config demo --provider NAME writes a file for each)"
		}
	}
	demo = strings.Join(lines, "\n")
	switch provider {
	case "sandbox":
		return []byte(demo), nil
	case "cloudcockpit":
		return []byte(withSection(demo, `
# The reseller's CloudCockpit portal. Its client id and secret come from
# the environment (CLOUDCOCKPIT_CLIENT_ID, CLOUDCOCKPIT_CLIENT_SECRET); the
# customer ids below must be CloudCockpit's customer ids.
cloudcockpit:
  tenant: csp.example.fr       # your portal domain (sent as X-Tenant)
  # provider_instance_id: 00000000-0000-0000-0000-000000000000  # licence usage and GDAP need it
`)), nil
	case "partnercenter":
		// Partner Center names customers by their tenant id.
		ids := strings.NewReplacer(
			"- id: contoso", "- id: 0b5f3a2e-1c4d-4e6f-8a9b-0c1d2e3f4a5b   # Contoso's tenant id: replace with your customer's",
			"- id: fabrikam", "- id: 6d2e8f10-3b4c-4d5e-9f60-718293a4b5c6   # Fabrikam's tenant id",
			"customer: contoso", "customer: 0b5f3a2e-1c4d-4e6f-8a9b-0c1d2e3f4a5b",
			"customer: fabrikam", "customer: 6d2e8f10-3b4c-4d5e-9f60-718293a4b5c6",
			"customers: [contoso, fabrikam]", "customers: [0b5f3a2e-1c4d-4e6f-8a9b-0c1d2e3f4a5b, 6d2e8f10-3b4c-4d5e-9f60-718293a4b5c6]")
		return []byte(withSection(ids.Replace(demo), `
# Microsoft Partner Center. The application's id and secret come from the
# environment (PARTNERCENTER_CLIENT_ID, PARTNERCENTER_CLIENT_SECRET, and
# PARTNERCENTER_REFRESH_TOKEN for App+User access); customers are named
# by their tenant id.
partnercenter:
  tenant_id: your-partner-tenant.onmicrosoft.com
`)), nil
	}
	return nil, fmt.Errorf("--provider %q: want one of %s", provider, strings.Join(demoProviders, ", "))
}

// withSection puts a provider's section after the store line.
func withSection(demo, section string) string {
	i := strings.Index(demo, "\nstore:")
	if i < 0 {
		return demo + section
	}
	end := strings.Index(demo[i+1:], "\n")
	if end < 0 {
		return demo + section
	}
	at := i + 1 + end + 1
	return demo[:at] + section + demo[at:]
}

// plural is "1 customer", "2 customers".
func plural(n int, one, other string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, other)
}
