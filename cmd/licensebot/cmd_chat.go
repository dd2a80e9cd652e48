package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

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
/now +30d moves the clock forward, /help lists the commands. The clock never
goes back over the life of a data directory: a new session carries on from
where the last one left it.

With --script FILE (or - for standard input) the whole file is read and
checked first (people, times, checks); nothing runs if a line is wrong.
Each line is one of:
  # comment
  @now 2026-11-26T10:00:00+01:00      (or @now +30d)
  alice@contoso.example: add 2 Business Standard seats
  marc@erp-cloud.example: [Approve]
  #expect EMAIL ~ text        a message to EMAIL from the line before contains text
  #expect-not EMAIL ~ text    none does
  #buttons EMAIL ~ label      one of them has a button with that label
  #fails                      the line before is refused
  #quantity SUB N, #renewal SUB N, #autorenew SUB on|off,
  #status SUB STATE, #enddate SUB YYYY-MM-DD    (SUB of the first customer,
                              or CUSTOMER/SUB)
  #request ID STATE, #requests N
On a fresh data directory the demo data is created at the script's first @now.
The shipped transcripts are in cmd/licensebot/testdata.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var parsed *console.Script
			if script != "" {
				var in io.Reader = g.in
				if script != "-" {
					f, err := os.Open(script)
					if err != nil {
						return &usageError{fmt.Errorf("open script: %w", err)}
					}
					defer f.Close()
					in = f
				}
				s, err := console.ParseScript(in)
				if err != nil {
					return fmt.Errorf("script %s: %w", script, err)
				}
				parsed = s
				// The demo data of a fresh data directory is created at
				// the script's own time, and the script's clock moves
				// only with @now.
				if start := s.Start(); g.now == "" && !start.IsZero() {
					g.now = start.Format(time.RFC3339)
				}
			}
			a, err := openApp(ctx, g, appOptions{withEngine: true})
			if err != nil {
				return err
			}
			defer a.Close()
			a.outbox.Clock = a.clock // unread messages say when they were sent
			zones := map[string]*time.Location{}
			for _, c := range a.cfg.Customers {
				zones[c.ID] = c.Location()
			}
			r := &console.Runner{
				Engine: a.engine, Outbox: a.outbox, Store: a.store, People: a.people,
				Clock: a.clock, Tick: a.tick, Out: g.out, JSON: asJSON,
				Zones: zones, Check: a.scriptCheck,
			}
			if len(a.cfg.Customers) > 0 {
				r.DefaultZone = a.cfg.Customers[0].Location()
			}
			fixed := g.now != ""
			if parsed != nil {
				// A script's times are checked against the data
				// directory's clock with the rest of the script.
				fixed = false
			}
			resumed, err := r.Resume(ctx, fixed)
			if err != nil {
				return &usageError{fmt.Errorf("--now: %w", err)}
			}
			// A script that sets its clock runs what is due at its first
			// @now, after the lines written before it.
			if parsed == nil || parsed.Start().IsZero() {
				if err := a.tick(ctx); err != nil {
					return err
				}
			}
			if parsed == nil {
				if !resumed.IsZero() {
					fmt.Fprintf(g.out, "The clock carries on from where the last session left it: %s.\n", console.ShowTime(resumed, r.DefaultZone))
				}
				return r.Interactive(ctx, g.in, as)
			}
			if err := r.RunParsed(ctx, parsed); err != nil {
				return fmt.Errorf("script %s: %w", script, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "alice@contoso.example", "who you are (a configured e-mail)")
	cmd.Flags().StringVar(&script, "script", "", "run a transcript file (- for standard input)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each bot message as a JSON object per line")
	return cmd
}

// scriptCheck carries out a script's state checks against the portal
// and the requests. A subscription is of the first configured customer
// unless written CUSTOMER/SUB.
func (a *app) scriptCheck(ctx context.Context, c console.Check) error {
	if len(a.cfg.Customers) == 0 {
		return errors.New("no customer is configured")
	}
	first := a.cfg.Customers[0]
	switch c.Verb {
	case "request":
		r, err := a.svc.Find(ctx, c.Args[0], a.cfg.CustomerIDs())
		if err != nil {
			return fmt.Errorf("find request %s: %w", c.Args[0], err)
		}
		if string(r.State) != c.Args[1] {
			return fmt.Errorf("request %s is %s, want %s", c.Args[0], r.State, c.Args[1])
		}
		return nil
	case "requests":
		reqs, err := a.svc.List(ctx, first.ID)
		if err != nil {
			return fmt.Errorf("list requests: %w", err)
		}
		if strconv.Itoa(len(reqs)) != c.Args[0] {
			return fmt.Errorf("%d requests, want %s", len(reqs), c.Args[0])
		}
		return nil
	}
	cust, sub := first.ID, c.Args[0]
	loc := first.Location()
	if cu, su, ok := strings.Cut(sub, "/"); ok {
		cust, sub = cu, su
		for _, cc := range a.cfg.Customers {
			if cc.ID == cu {
				loc = cc.Location()
			}
		}
	}
	s, err := a.provider.Subscription(ctx, cust, sub)
	if err != nil {
		return fmt.Errorf("read subscription %s: %w", c.Args[0], err)
	}
	var got string
	switch c.Verb {
	case "quantity":
		got = strconv.Itoa(s.Quantity)
	case "renewal":
		got = strconv.Itoa(s.RenewalQuantity())
	case "autorenew":
		got = map[bool]string{true: "on", false: "off"}[s.AutoRenew]
	case "status":
		got = string(s.Status)
	case "enddate":
		// The commitment end date: the day before the term ends.
		got = s.TermEnd.In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
	default:
		return fmt.Errorf("unknown check #%s", c.Verb)
	}
	if got != c.Args[1] {
		return fmt.Errorf("%s of %s is %s, want %s", c.Verb, c.Args[0], got, c.Args[1])
	}
	return nil
}
