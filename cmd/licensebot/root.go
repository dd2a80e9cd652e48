package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

// version and commit are set at build time:
// -ldflags "-X main.version=v1.2.3 -X main.commit=0123abc" (the Dockerfile
// does).
var (
	version = "dev"
	commit  = ""
)

// globals are the flags every command shares.
type globals struct {
	data     string
	config   string
	now      string
	logLevel string
	in       io.Reader
	out      io.Writer
	errOut   io.Writer
}

// fixedNow parses --now; zero time when unset.
func (g *globals) fixedNow() (time.Time, error) {
	if g.now == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, g.now)
	if err != nil {
		return time.Time{}, &usageError{fmt.Errorf("--now %q is not an RFC 3339 time like 2026-11-26T10:00:00+01:00", g.now)}
	}
	return t, nil
}

func newRootCmd(in io.Reader, out, errOut io.Writer) *cobra.Command {
	g := &globals{in: in, out: out, errOut: errOut}
	root := &cobra.Command{
		Use:           "licensebot",
		Short:         "Manage Microsoft 365 licences by chatting, from Slack, Teams or a terminal",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	f := root.PersistentFlags()
	f.StringVar(&g.data, "data", "./licensebot-data", "data directory (embedded store and sandbox portal)")
	f.StringVar(&g.config, "config", "", "configuration file (YAML); default: the embedded demo configuration")
	f.StringVar(&g.now, "now", "", "fix the clock at this RFC 3339 time (tests and demos)")
	f.StringVar(&g.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	root.AddCommand(
		newVersionCmd(g),
		newSubscriptionsCmd(g),
		newChatCmd(g),
		newRequestsCmd(g),
		newAuditCmd(g),
		newConfigCmd(g),
		newServeCmd(g),
		newRemindersCmd(g),
		newTeamsCmd(g),
		newHealthcheckCmd(g),
		newBackupCmd(g),
		newRestoreCmd(g),
		newCustomersCmd(g),
		newPeopleCmd(g),
	)
	return root
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if commit != "" {
				fmt.Fprintf(g.out, "licensebot %s (commit %s)\n", version, commit)
				return nil
			}
			fmt.Fprintf(g.out, "licensebot %s\n", version)
			return nil
		},
	}
}

// printJSON writes v as indented JSON: the --json output of the listing
// commands.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
