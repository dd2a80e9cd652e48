package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

type requestJSON struct {
	ID             string          `json:"id"`
	CustomerID     string          `json:"customer_id"`
	Kind           csp.ChangeKind  `json:"kind"`
	SubscriptionID string          `json:"subscription_id"`
	Status         workflows.State `json:"status"`
	Requester      string          `json:"requester"`
	Approver       *string         `json:"approver"`
	Quantity       *int            `json:"quantity"`
	TargetOffer    *string         `json:"target_offer"`
	TargetLine     *string         `json:"target_subscription_id"`
	Deadline       *time.Time      `json:"deadline"`
	CreatedAt      time.Time       `json:"created_at"`
	DecidedAt      *time.Time      `json:"decided_at"`
	Comment        string          `json:"comment,omitempty"`
	Failure        string          `json:"failure,omitempty"`
}

func requestToJSON(r workflows.Request) requestJSON {
	j := requestJSON{ID: r.ID, CustomerID: r.CustomerID, Kind: r.Change.Kind, SubscriptionID: r.Change.SubscriptionID,
		Status: r.State, Requester: r.Requester, CreatedAt: r.CreatedAt, Comment: r.Comment, Failure: r.Failure}
	if r.Approver != "" {
		a := r.Approver
		j.Approver = &a
	}
	switch r.Change.Kind {
	case csp.ChangeAddSeats, csp.ChangeRemoveSeats, csp.ChangeSetRenewalQuantity:
		q := r.Decision.ToQuantity
		j.Quantity = &q
	case csp.ChangeUpgrade:
		q := r.Operation.Quantity
		j.Quantity = &q
	}
	if r.Change.TargetOfferID != "" {
		t := r.Change.TargetOfferID
		j.TargetOffer = &t
	}
	if r.Change.TargetSubscriptionID != "" {
		t := r.Change.TargetSubscriptionID
		j.TargetLine = &t
	}
	if !r.Deadline.IsZero() {
		d := r.Deadline
		j.Deadline = &d
	}
	if !r.DecidedAt.IsZero() {
		d := r.DecidedAt
		j.DecidedAt = &d
	}
	return j
}

func newRequestsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "requests",
		Short: "List change requests and their state",
		Args:  cobra.NoArgs,
		RunE: withApp(g, func(cmd *cobra.Command, _ []string, a *app) error {
			out := []requestJSON{}
			for _, c := range a.cfg.CustomerIDs() {
				reqs, err := a.svc.List(cmd.Context(), c)
				if err != nil {
					return err
				}
				for i := len(reqs) - 1; i >= 0; i-- { // oldest first
					out = append(out, requestToJSON(reqs[i]))
				}
			}
			if asJSON {
				return printJSON(g.out, out)
			}
			tw := tabwriter.NewWriter(g.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tSUBSCRIPTION\tQUANTITY\tSTATUS\tREQUESTER\tAPPROVER\tCREATED")
			for _, r := range out {
				q, ap := "-", "-"
				if r.Quantity != nil {
					q = fmt.Sprint(*r.Quantity)
				}
				if r.Approver != nil {
					ap = *r.Approver
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.SubscriptionID, q, r.Status, r.Requester, ap, r.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAuditCmd(g *globals) *cobra.Command {
	var asJSON bool
	var since string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Print the audit log",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var from time.Time
			if since != "" {
				t, err := time.Parse(time.RFC3339, since)
				if err != nil {
					return &usageError{fmt.Errorf("--since %q is not an RFC 3339 time", since)}
				}
				from = t
			}
			a, err := openApp(cmd.Context(), g, appOptions{})
			if err != nil {
				return err
			}
			defer a.Close()
			var all []store.AuditEntry
			// Customers of the file and of the store, then the reseller's
			// own log (customers added, workspaces linked).
			scopes := a.cfg.CustomerIDs()
			if custs, err := a.people.Customers(cmd.Context()); err == nil {
				for _, c := range custs {
					if !slices.Contains(scopes, c.ID) {
						scopes = append(scopes, c.ID)
					}
				}
			}
			for _, c := range append(scopes, "") {
				es, err := a.store.ReadAudit(cmd.Context(), c, from, 0)
				if err != nil {
					return err
				}
				all = append(all, es...)
			}
			if asJSON {
				enc := json.NewEncoder(g.out)
				for _, e := range all {
					if err := enc.Encode(auditJSON(e)); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(g.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "AT\tACTOR\tACTION\tSUBJECT\tDETAIL")
			for _, e := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Actor, e.Action, e.Subject, e.Detail)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per line")
	cmd.Flags().StringVar(&since, "since", "", "only entries at or after this RFC 3339 time")
	return cmd
}

func auditJSON(e store.AuditEntry) map[string]any {
	m := map[string]any{"seq": e.Seq, "customer_id": e.Scope, "at": e.At, "actor": e.Actor, "action": e.Action, "subject": e.Subject}
	if len(e.Detail) > 0 {
		m["detail"] = json.RawMessage(e.Detail)
	}
	return m
}
