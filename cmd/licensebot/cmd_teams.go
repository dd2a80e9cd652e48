package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	teamskit "github.com/licensebot/licensebot/deploy/teams"
)

// newTeamsCmd is `licensebot teams`, the Microsoft Teams install kit.
func newTeamsCmd(g *globals) *cobra.Command {
	teams := &cobra.Command{
		Use:   "teams",
		Short: "Microsoft Teams install kit (see docs/TEAMS.md)",
		Args:  cobra.NoArgs,
	}
	var appID, out string
	pkg := &cobra.Command{
		Use:   "package",
		Short: "Write the Teams app package (manifest.json and icons) to upload in Teams",
		Long: `Writes the Teams app package: a zip of the app manifest, with the Azure
bot's Microsoft App ID filled in, and its two icons. Upload it in Teams
(Apps → Manage your apps → Upload an app), or in the Teams admin center
for the whole organisation.`,
		Example: "  licensebot teams package --app-id 00000000-0000-0000-0000-000000000000",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if appID == "" {
				appID = os.Getenv("TEAMS_APP_ID")
			}
			if appID == "" {
				return &usageError{fmt.Errorf("--app-id is required (the Azure bot's Microsoft App ID, also read from TEAMS_APP_ID)")}
			}
			id, err := teamskit.NormalizeAppID(appID)
			if err != nil {
				return &usageError{fmt.Errorf("--app-id: %w", err)}
			}
			if err := writePackage(out, id); err != nil {
				return err
			}
			fmt.Fprintf(g.out, "wrote %s for app id %s\nupload it in Teams: Apps → Manage your apps → Upload an app\n", out, id)
			return nil
		},
	}
	pkg.Flags().StringVar(&appID, "app-id", "", "the Azure bot's Microsoft App ID, a GUID (default: TEAMS_APP_ID)")
	pkg.Flags().StringVar(&out, "out", "licensebot-teams.zip", "file to write")
	teams.AddCommand(pkg)
	return teams
}

// writePackage writes the package next to out, then renames it into
// place, so a failure never leaves half a zip behind.
func writePackage(out, appID string) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".licensebot-teams-*.zip")
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	if err := teamskit.Package(tmp, appID); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}
