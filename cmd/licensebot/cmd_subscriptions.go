package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/licensebot/licensebot/csp"
)

// subscriptionJSON is the stable JSON shape of `subscriptions --json`.
type subscriptionJSON struct {
	ID              string     `json:"id"`
	Offer           string     `json:"offer"`
	Name            string     `json:"name"`
	Segment         string     `json:"segment"`
	Quantity        int        `json:"quantity"`
	RenewalQuantity *int       `json:"renewal_quantity"`
	AutoRenew       bool       `json:"auto_renew"`
	Status          csp.Status `json:"status"`
	Term            csp.Term   `json:"term"`
	Billing         string     `json:"billing"`
	TermStart       time.Time  `json:"term_start"`
	TermEnd         time.Time  `json:"term_end"`
	CommitmentEnd   string     `json:"commitment_end_date"`
	Trial           bool       `json:"trial"`
	UnitPrice       csp.Money  `json:"unit_price"`
	Cost            csp.Money  `json:"cost"`
	Removable       int        `json:"removable_now"`
	RemovableUntil  *time.Time `json:"removable_until"`
	CustomerID      string     `json:"customer_id"`
}

func newSubscriptionsCmd(g *globals) *cobra.Command {
	var asJSON bool
	var customer string
	cmd := &cobra.Command{
		Use:   "subscriptions",
		Short: "List the customers' subscriptions as the portal shows them",
		Args:  cobra.NoArgs,
		RunE: withApp(g, func(cmd *cobra.Command, _ []string, a *app) error {
			var all []subscriptionJSON
			now := a.clock.Now()
			for _, c := range a.cfg.Customers {
				if customer != "" && c.ID != customer {
					continue
				}
				subs, err := a.provider.Subscriptions(cmd.Context(), c.ID)
				if err != nil {
					return fmt.Errorf("list subscriptions of %s: %w", c.ID, err)
				}
				loc := c.Location()
				cat, err := a.provider.Catalog(cmd.Context(), c.ID)
				if err != nil {
					return err
				}
				for _, s := range subs {
					all = append(all, toJSON(s, cat, loc, now))
				}
			}
			if asJSON {
				if all == nil {
					all = []subscriptionJSON{}
				}
				return printJSON(g.out, all)
			}
			printTable(g.out, all)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&customer, "customer", "", "only this customer id")
	return cmd
}

func toJSON(s csp.Subscription, cat *csp.Catalog, loc *time.Location, now time.Time) subscriptionJSON {
	j := subscriptionJSON{
		ID: s.ID, Offer: s.OfferID, Name: s.Name, Quantity: s.Quantity, AutoRenew: s.AutoRenew, Status: s.Status,
		Term: s.Term, Billing: string(s.Billing), TermStart: s.TermStart.In(loc), TermEnd: s.TermEnd.In(loc),
		CommitmentEnd: s.TermEnd.In(loc).AddDate(0, 0, -1).Format(time.DateOnly),
		Trial:         s.Trial, UnitPrice: s.UnitPrice, Cost: s.UnitPrice.Mul(s.Quantity), CustomerID: s.CustomerID,
		Removable: s.RemovableAt(now),
	}
	if o, ok := cat.Offer(s.OfferID); ok {
		j.Segment = o.Segment
	}
	if s.HasScheduledRenewal() && s.Renewal.Quantity > 0 {
		q := s.Renewal.Quantity
		j.RenewalQuantity = &q
	}
	if until, ok := s.NextWindowCloses(now); ok {
		u := until.In(loc)
		j.RemovableUntil = &u
	}
	return j
}

// printTable lays subscriptions out like the portal's table.
func printTable(w io.Writer, subs []subscriptionJSON) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tSTART DATE\tEND DATE\tTERM\tQUANTITY\tRENEWAL QTY\tCOST")
	for _, s := range subs {
		end := s.TermEnd.AddDate(0, 0, -1).Format("Jan 2, 2006")
		switch {
		case s.Status != csp.StatusActive:
			end = string(s.Status) + " " + end
		case s.Trial && s.AutoRenew:
			end = "Trial, converts after " + end
		case s.AutoRenew:
			end = "Auto-renews on " + end
		default:
			end = "Ends on " + end
		}
		renewal := "-"
		if s.RenewalQuantity != nil {
			renewal = fmt.Sprint(*s.RenewalQuantity)
		}
		term := map[csp.Term]string{csp.TermMonthly: "Monthly", csp.TermAnnual: "Annual", csp.TermTriennial: "3 years"}[s.Term]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s %s\n", s.ID, s.Name, title(string(s.Status)),
			s.TermStart.Format("Jan 2, 2006"), end, term, s.Quantity, renewal, portalMoney(s.Cost), title(s.Billing))
	}
	tw.Flush()
}

// portalMoney writes an amount as the portal does: "105.60 €".
func portalMoney(m csp.Money) string {
	sym := map[string]string{"EUR": "€", "USD": "$", "GBP": "£"}[m.Currency]
	if sym == "" {
		sym = m.Currency
	}
	return fmt.Sprintf("%d.%02d %s", m.Minor/100, m.Minor%100, sym)
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
