package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/licensebot/licensebot/workflows"
)

// The CLI acts as the reseller's operator: its actor in the audit log.
const cliActor = "cli"

// asUsage turns the directory's bad-input errors into usage errors (one
// line, exit status 2); the rest stay as they are.
func asUsage(err error) error {
	var taken *workflows.OrgTakenError
	if errors.Is(err, workflows.ErrInvalid) || errors.Is(err, workflows.ErrUnknownCustomer) ||
		errors.Is(err, workflows.ErrCustomerExists) || errors.Is(err, workflows.ErrNoSuchGrant) ||
		errors.Is(err, workflows.ErrNotLinked) || errors.As(err, &taken) {
		return &usageError{err}
	}
	return err
}

func newCustomersCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "customers",
		Short: "List, add and link the customers the bot serves (their Slack workspaces and Teams tenants)",
	}
	cmd.AddCommand(newCustomersListCmd(g), newCustomersAddCmd(g), newCustomersLinkCmd(g, true),
		newCustomersLinkCmd(g, false), newCustomersImportCmd(g))
	return cmd
}

type customerJSON struct {
	workflows.Customer
	Links []workflows.Org `json:"links"`
}

func newCustomersListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the customers and the workspaces and tenants linked to each",
		Args:  cobra.NoArgs,
		RunE: withApp(g, func(cmd *cobra.Command, _ []string, a *app) error {
			custs, err := a.people.Customers(cmd.Context())
			if err != nil {
				return err
			}
			links, err := a.people.Links(cmd.Context())
			if err != nil {
				return err
			}
			out := make([]customerJSON, 0, len(custs)+1)
			reseller := customerJSON{Customer: workflows.Customer{Name: "(the reseller)"}, Links: []workflows.Org{}}
			for _, c := range custs {
				cj := customerJSON{Customer: c, Links: []workflows.Org{}}
				for _, l := range links {
					if l.CustomerID == c.ID {
						cj.Links = append(cj.Links, l.Org)
					}
				}
				out = append(out, cj)
			}
			for _, l := range links {
				if l.Reseller {
					reseller.Links = append(reseller.Links, l.Org)
				}
			}
			if asJSON {
				return printJSON(g.out, map[string]any{"customers": out, "reseller_links": reseller.Links})
			}
			tw := tabwriter.NewWriter(g.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tMEMBERS\tLINKS")
			for _, c := range append(out, reseller) {
				members := c.MemberMode()
				if members == workflows.MembersDomains {
					members = strings.Join(c.Domains, ",")
				}
				if c.ID == "" {
					members = "account managers"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Name, members, orgKeys(c.Links))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func orgKeys(orgs []workflows.Org) string {
	if len(orgs) == 0 {
		return "-"
	}
	keys := make([]string, len(orgs))
	for i, o := range orgs {
		keys[i] = o.Key()
	}
	return strings.Join(keys, " ")
}

func newCustomersAddCmd(g *globals) *cobra.Command {
	var c workflows.Customer
	var domains []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add ID --name NAME",
		Short: "Record a customer (its id is the portal's customer id)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c.ID, c.Domains = args[0], domains
			if c.Members == "" && len(domains) > 0 {
				c.Members = workflows.MembersDomains
			}
			if strings.TrimSpace(c.Name) == "" {
				return &usageError{errors.New("--name is required")}
			}
			if err := c.Check(); err != nil {
				return &usageError{err}
			}
			a, err := openApp(cmd.Context(), g, appOptions{})
			if err != nil {
				return err
			}
			defer a.Close()
			got, err := a.people.AddCustomer(cmd.Context(), cliActor, c)
			if err != nil {
				return asUsage(err)
			}
			if asJSON {
				return printJSON(g.out, got)
			}
			fmt.Fprintf(g.out, "customer %s (%s) added; link its workspace or tenant with `licensebot customers link %s --slack-team T… | --teams-tenant GUID`\n", got.ID, got.Name, got.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.Name, "name", "", "the customer's name")
	f.StringVar(&c.Language, "language", "", "default language of its people: en or fr")
	f.StringVar(&c.TimeZone, "time-zone", "", "IANA time zone, like Europe/Paris")
	f.StringSliceVar(&domains, "domains", nil, "only these e-mail domains become members by writing from its workspaces (comma-separated)")
	f.StringVar(&c.Members, "members", "", "who becomes a member by writing from its workspaces: anyone (default), domains or off")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// newCustomersLinkCmd is `link` (link true) or `unlink`.
func newCustomersLinkCmd(g *globals, link bool) *cobra.Command {
	var team, tenant string
	var reseller, asJSON bool
	use, short := "link CUSTOMER (--slack-team T… | --teams-tenant GUID) | link --reseller (--slack-team T… | --teams-tenant GUID)",
		"Link a Slack workspace or Teams tenant to a customer, or to the reseller (exactly one owner each)"
	if !link {
		use, short = "unlink (--slack-team T… | --teams-tenant GUID)", "Unlink a Slack workspace or Teams tenant (after an uninstall)"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			org, err := orgFromFlags(team, tenant)
			if err != nil {
				return err
			}
			customer := ""
			switch {
			case !link && (len(args) > 0 || reseller):
				return &usageError{errors.New("unlink takes only --slack-team or --teams-tenant")}
			case link && reseller && len(args) > 0:
				return &usageError{errors.New("give a customer or --reseller, not both")}
			case link && !reseller && len(args) == 0:
				return &usageError{errors.New("name the customer to link to (or --reseller)")}
			case len(args) == 1:
				customer = args[0]
			}
			a, err := openApp(cmd.Context(), g, appOptions{})
			if err != nil {
				return err
			}
			defer a.Close()
			var l workflows.OrgLink
			if link {
				l, err = a.people.Link(cmd.Context(), cliActor, org, customer)
			} else {
				l, err = a.people.Unlink(cmd.Context(), cliActor, org)
			}
			if err != nil {
				return asUsage(err)
			}
			if asJSON {
				return printJSON(g.out, l)
			}
			if link {
				fmt.Fprintf(g.out, "%s linked to %s\n", org.Key(), l.Owner())
			} else {
				fmt.Fprintf(g.out, "%s unlinked from %s; its people are no longer recognized\n", org.Key(), l.Owner())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&team, "slack-team", "", "Slack team id (T…) or Enterprise Grid id (E…)")
	f.StringVar(&tenant, "teams-tenant", "", "Microsoft Teams (Entra) tenant id, a GUID")
	if link {
		f.BoolVar(&reseller, "reseller", false, "link to the reseller (its account managers' workspace or tenant)")
	}
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func orgFromFlags(team, tenant string) (workflows.Org, error) {
	if (team == "") == (tenant == "") {
		return workflows.Org{}, &usageError{errors.New("give exactly one of --slack-team or --teams-tenant")}
	}
	var org workflows.Org
	var err error
	if team != "" {
		org, err = workflows.ParseOrg("slack", team)
	} else {
		org, err = workflows.ParseOrg("teams", tenant)
	}
	if err != nil {
		return org, &usageError{err}
	}
	return org, nil
}

func newCustomersImportCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Record every customer the licence portal lists (those already recorded are left as they are)",
		Args:  cobra.NoArgs,
		RunE: withApp(g, func(cmd *cobra.Command, _ []string, a *app) error {
			custs, err := a.provider.Customers(cmd.Context())
			if err != nil {
				return fmt.Errorf("read the portal's customers: %w", err)
			}
			type row struct {
				ID     string `json:"id"`
				Name   string `json:"name"`
				Action string `json:"action"`
			}
			rows := []row{}
			for _, pc := range custs {
				c := workflows.Customer{ID: pc.ID, Name: pc.Name, TimeZone: pc.TimeZone}
				if c.Check() != nil {
					c.TimeZone = "" // an unknown zone from the portal: the default
				}
				_, err := a.people.AddCustomer(cmd.Context(), cliActor, c)
				switch {
				case err == nil:
					rows = append(rows, row{c.ID, c.Name, "added"})
				case errors.Is(err, workflows.ErrCustomerExists):
					rows = append(rows, row{c.ID, c.Name, "already recorded"})
				default:
					return fmt.Errorf("import %s: %w", c.ID, err)
				}
			}
			if asJSON {
				return printJSON(g.out, rows)
			}
			tw := tabwriter.NewWriter(g.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tIMPORT")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Name, r.Action)
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
