package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/licensebot/licensebot/workflows"
	"github.com/licensebot/licensebot/workflows/reminders"
)

// openReminders builds the reminders engine. With the bot engine it
// sends through it and hears about every request change (chained after
// the bot, which registered itself as the workflow's notifier); without
// it, it can only sync and list.
func (a *app) openReminders() error {
	spec := ""
	if t := a.cfg.Reminders.Tick; t != "" {
		spec = "@every " + t
	}
	opt := reminders.Options{
		Store: a.store, Provider: a.provider, Service: a.svc, Clock: a.clock, Logger: a.log,
		Customers: a.cfg.CustomerIDs(), Spec: spec,
		Policy: func(c string) reminders.Policy { return reminders.PolicyFor(a.cfg.Policy(c)) },
	}
	r, err := reminders.New(opt)
	if err != nil {
		return err
	}
	a.reminders = r
	a.attachReminders()
	return nil
}

// attachReminders connects the reminders engine and the bot engine once
// both exist (in either order): reminders are sent through the bot, and
// request changes reach the reminders after the bot.
func (a *app) attachReminders() {
	if a.reminders == nil || a.engine == nil {
		return
	}
	a.reminders.SetSender(a.engine)
	a.svc.SetNotifier(notifiers{a.engine, a.reminders})
}

// tickReminders runs what is due (syncing first when the last sync is
// older than an hour of clock time). Only an engine that can send ticks.
func (a *app) tickReminders(ctx context.Context) error {
	if a.reminders == nil || a.engine == nil {
		return nil
	}
	rep, err := a.reminders.Tick(ctx)
	if rep.Sent+rep.Dropped+rep.Retry > 0 {
		a.log.InfoContext(ctx, "reminders tick", "sent", rep.Sent, "dropped", rep.Dropped, "muted", rep.Muted,
			"retry", rep.Retry, "busy", rep.Busy)
	}
	if err != nil {
		return fmt.Errorf("reminders: %w", err)
	}
	return nil
}

// notifiers fans a workflow notification out, in order.
type notifiers []workflows.Notifier

func (ns notifiers) RequestChanged(ctx context.Context, r workflows.Request, pending []workflows.Transition) error {
	var errs []error
	for _, n := range ns {
		if err := n.RequestChanged(ctx, r, pending); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// reminderJSON is the stable JSON shape of `reminders --json`: one object
// per reminder and due instant, with all its recipients.
type reminderJSON struct {
	Kind           reminders.Kind `json:"kind"`
	CustomerID     string         `json:"customer_id"`
	SubscriptionID *string        `json:"subscription_id"`
	RequestID      *string        `json:"request_id"`
	LeadDays       *int           `json:"lead_days"`
	Recipients     []string       `json:"recipients"`
	Due            time.Time      `json:"due"`
	State          string         `json:"state"`
	HandledAt      *time.Time     `json:"handled_at,omitempty"`
	Why            string         `json:"why,omitempty"`
	IDs            []string       `json:"ids"`
}

func newRemindersCmd(g *globals) *cobra.Command {
	var asJSON, history, noSync bool
	var customer string
	cmd := &cobra.Command{
		Use:   "reminders",
		Short: "List the scheduled reminders (kind, subscription, recipients, due, state)",
		Long: `List the reminders in the store, earliest first. The schedule is derived
from the subscriptions and pending requests, so it is synced first (as a
running bot does every hour); --no-sync shows the store as it is.

States: scheduled (due later), due (the next tick sends it), muted (the
recipient stopped these reminders); with --history also sent, dropped
(no longer useful) and muted ones already handled.`,
		Args: cobra.NoArgs,
		RunE: withApp(g, func(cmd *cobra.Command, _ []string, a *app) error {
			var all []reminderJSON
			for _, c := range a.cfg.Customers {
				if customer != "" && c.ID != customer {
					continue
				}
				if !noSync {
					if err := a.reminders.Sync(cmd.Context(), c.ID); err != nil {
						return err
					}
				}
				entries, err := a.reminders.List(cmd.Context(), c.ID, history)
				if err != nil {
					return err
				}
				all = append(all, groupReminders(entries, c.Location())...)
			}
			// Several customers: one schedule, in due order.
			sort.SliceStable(all, func(i, j int) bool { return all[i].Due.Before(all[j].Due) })
			if asJSON {
				if all == nil {
					all = []reminderJSON{}
				}
				return printJSON(g.out, all)
			}
			printReminders(g.out, all)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&history, "history", false, "also list reminders already sent or dropped (still in the ledger)")
	cmd.Flags().BoolVar(&noSync, "no-sync", false, "do not derive the schedule from the subscriptions first")
	cmd.Flags().StringVar(&customer, "customer", "", "only this customer id")
	return cmd
}

// groupReminders merges the per-recipient entries of one reminder.
func groupReminders(entries []reminders.Entry, loc *time.Location) []reminderJSON {
	var out []reminderJSON
	index := map[string]int{}
	for _, e := range entries {
		k := strings.Join([]string{string(e.Kind), e.SubscriptionID, e.RequestID, fmt.Sprint(e.LeadDays), e.Due.String(), e.State, e.Why}, "|")
		if i, ok := index[k]; ok {
			out[i].Recipients = append(out[i].Recipients, e.To)
			out[i].IDs = append(out[i].IDs, e.ID)
			continue
		}
		j := reminderJSON{Kind: e.Kind, CustomerID: e.CustomerID, Recipients: []string{e.To}, Due: e.Due.In(loc),
			State: e.State, Why: e.Why, IDs: []string{e.ID}}
		if e.SubscriptionID != "" {
			s := e.SubscriptionID
			j.SubscriptionID = &s
		}
		if e.RequestID != "" {
			r := e.RequestID
			j.RequestID = &r
		}
		if e.LeadDays > 0 {
			n := e.LeadDays
			j.LeadDays = &n
		}
		if !e.At.IsZero() {
			at := e.At.In(loc)
			j.HandledAt = &at
		}
		index[k] = len(out)
		out = append(out, j)
	}
	return out
}

func printReminders(w io.Writer, all []reminderJSON) {
	if len(all) == 0 {
		fmt.Fprintln(w, "No reminders scheduled.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tSUBJECT\tRECIPIENTS\tDUE\tSTATE")
	for _, r := range all {
		kind := string(r.Kind)
		if r.LeadDays != nil {
			kind = fmt.Sprintf("%s (%dd)", kind, *r.LeadDays)
		}
		subject := "-"
		switch {
		case r.RequestID != nil:
			subject = *r.RequestID
		case r.SubscriptionID != nil:
			subject = *r.SubscriptionID
		}
		state := r.State
		if r.Why != "" {
			state += " (" + r.Why + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", kind, subject, strings.Join(r.Recipients, ", "),
			r.Due.Format("2006-01-02 15:04 MST"), state)
	}
	tw.Flush()
}
