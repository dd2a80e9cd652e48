package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/licensebot/licensebot/bot/console"
)

func newChatCmd(g *globals) *cobra.Command {
	var as, script string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "chat",
		Short: "Talk to the bot in the terminal (or run a transcript with --script)",
		Long: `Talk to the bot as a configured person. /as EMAIL switches person and shows
their unread messages (that is how the account manager sees approval cards),
/now TIME moves the clock, /help lists the commands.

With --script FILE (or - for standard input) each line is one of:
  # comment
  @now 2026-11-26T10:00:00+01:00
  alice@contoso.example: add 2 Business Standard seats
  marc@erp-cloud.example: [Approve]`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := openApp(cmd.Context(), g, appOptions{withEngine: true})
			if err != nil {
				return err
			}
			defer a.Close()
			r := &console.Runner{
				Engine: a.engine, Outbox: a.outbox, Store: a.store, People: a.people,
				Clock: a.clock, Tick: a.tick, Out: g.out, JSON: asJSON,
			}
			if err := a.tick(cmd.Context()); err != nil {
				return err
			}
			if script == "" {
				return r.Interactive(cmd.Context(), g.in, as)
			}
			var in io.Reader = g.in
			if script != "-" {
				f, err := os.Open(script)
				if err != nil {
					return &usageError{fmt.Errorf("open script: %w", err)}
				}
				defer f.Close()
				in = f
			}
			err = r.RunScript(cmd.Context(), in)
			var se *console.ScriptError
			if errors.As(err, &se) {
				return fmt.Errorf("script %s: %w", script, se)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&as, "as", "alice@contoso.example", "who you are (a configured e-mail)")
	cmd.Flags().StringVar(&script, "script", "", "run a transcript file (- for standard input)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each bot message as a JSON object per line")
	return cmd
}
