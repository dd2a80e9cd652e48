package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

func newPeopleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "people",
		Short: "Grant, withdraw and list roles (member, licence_admin, account_manager)",
	}
	cmd.AddCommand(newPeopleGrantCmd(g, true), newPeopleGrantCmd(g, false), newPeopleListCmd(g), newPeoplePreferCmd(g), newPeopleRepairCmd(g))
	return cmd
}

// newPeoplePreferCmd is `prefer`: where a person's cards and reminders
// go when the bot writes first.
func newPeoplePreferCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "prefer EMAIL slack|teams|auto",
		Short: "Choose where the bot writes to a person first (auto: where they last talked to it)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			platform := args[1]
			if platform == "auto" {
				platform = ""
			}
			a, err := openApp(cmd.Context(), g, appOptions{})
			if err != nil {
				return err
			}
			defer a.Close()
			changed, err := a.people.SetPlatform(cmd.Context(), args[0], platform)
			if errors.Is(err, workflows.ErrUnknownPlatform) || errors.Is(err, workflows.ErrUnknownPerson) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g.out, map[string]any{"email": args[0], "prefers": args[1], "changed": changed})
			}
			if platform == "" {
				fmt.Fprintf(g.out, "the bot writes to %s where they last talked to it\n", args[0])
			} else {
				fmt.Fprintf(g.out, "the bot writes to %s on %s first\n", args[0], platform)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// newPeopleGrantCmd is `grant` (grant true) or `withdraw`.
func newPeopleGrantCmd(g *globals, grant bool) *cobra.Command {
	var customer, name string
	var backup, asJSON bool
	use, short := "grant EMAIL ROLE --customer ID [--backup]", "Give a role at a customer (account_manager: serve it; --backup: as its backup)"
	if !grant {
		use, short = "withdraw EMAIL ROLE --customer ID", "Take a role at a customer away"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if customer == "" {
				return &usageError{errors.New("--customer is required")}
			}
			gr := workflows.Grant{Email: args[0], Role: rules.Role(args[1]), CustomerID: customer, Backup: backup, Name: name}
			a, err := openApp(cmd.Context(), g, appOptions{})
			if err != nil {
				return err
			}
			defer a.Close()
			changed := true
			if grant {
				changed, err = a.people.Grant(cmd.Context(), cliActor, gr)
			} else {
				err = a.people.Withdraw(cmd.Context(), cliActor, gr.Email, gr.Role, customer)
			}
			if err != nil {
				return asUsage(err)
			}
			if asJSON {
				return printJSON(g.out, map[string]any{"email": gr.Email, "role": gr.Role, "customer_id": customer,
					"backup": backup, "granted": grant, "changed": changed})
			}
			switch {
			case !grant:
				fmt.Fprintf(g.out, "%s is no longer %s at %s\n", args[0], gr.Role, customer)
			case !changed:
				fmt.Fprintf(g.out, "%s already is %s at %s; nothing changed\n", args[0], gr.Role, customer)
			default:
				fmt.Fprintf(g.out, "%s is now %s at %s\n", args[0], roleWords(gr.Role, backup), customer)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&customer, "customer", "", "the customer id")
	if grant {
		f.BoolVar(&backup, "backup", false, "account_manager only: the backup, brought in when an approval deadline nears")
		f.StringVar(&name, "name", "", "the person's display name")
	}
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func roleWords(r rules.Role, backup bool) string {
	if backup {
		return string(r) + " (backup)"
	}
	return string(r)
}

func newPeopleListCmd(g *globals) *cobra.Command {
	var customer string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--customer ID]",
		Short: "List who may use the bot, customer by customer: roles granted and members seen",
		Args:  cobra.NoArgs,
		RunE: withApp(g, func(cmd *cobra.Command, _ []string, a *app) error {
			custs, err := a.people.Customers(cmd.Context())
			if err != nil {
				return err
			}
			type row struct {
				CustomerID string     `json:"customer_id"`
				Email      string     `json:"email"`
				Name       string     `json:"name,omitempty"`
				Role       rules.Role `json:"role"`
				Backup     bool       `json:"backup,omitempty"`
				Source     string     `json:"source"`
			}
			rows := []row{}
			found := customer == ""
			for _, c := range custs {
				if customer != "" && c.ID != customer {
					continue
				}
				found = true
				ro, err := a.people.CustomerRoster(cmd.Context(), c.ID)
				if err != nil {
					return err
				}
				for _, gr := range ro.Grants {
					rows = append(rows, row{c.ID, gr.Email, gr.Name, gr.Role, gr.Backup, "granted by " + gr.GrantedBy})
				}
				for _, m := range ro.Members {
					rows = append(rows, row{c.ID, m.Email, m.Name, m.Role, false, "wrote from " + orgKeys(m.Orgs)})
				}
			}
			if !found {
				return &usageError{fmt.Errorf("%s: %w", customer, workflows.ErrUnknownCustomer)}
			}
			if asJSON {
				return printJSON(g.out, rows)
			}
			tw := tabwriter.NewWriter(g.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "CUSTOMER\tEMAIL\tROLE\tHOW")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.CustomerID, r.Email, roleWords(r.Role, r.Backup), r.Source)
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVar(&customer, "customer", "", "only this customer id")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// newPeopleRepairCmd is `repair`: serve does the same at start.
func newPeopleRepairCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "repair",
		Short: "Rebuild the people index from the customers' rosters (after a crash; serve does it at start)",
		Args:  cobra.NoArgs,
		RunE: withApp(g, func(cmd *cobra.Command, _ []string, a *app) error {
			n, err := a.people.Repair(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(g.out, "%d people's entries rebuilt from the rosters\n", n)
			return nil
		}),
	}
}
