package main

import (
	"context"
	"fmt"
	"os"
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
			fmt.Fprintf(g.out, "configuration: %s — OK (%d customers, %d people)\n", src, len(cfg.Customers), len(cfg.People))
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
	cmd.AddCommand(&cobra.Command{
		Use:   "demo",
		Short: "Print the embedded demo configuration (a starting point for your own)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := g.out.Write(config.Demo())
			return err
		},
	})
	return cmd
}
