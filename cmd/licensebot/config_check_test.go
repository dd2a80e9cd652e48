package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licensebot/licensebot/config"
)

// `config check` must say what serve will refuse or silently skip.
func TestConfigCheckRefusesHalfConfiguredChannels(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-1") // neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET: serve refuses to start
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_SIGNING_SECRET", "")
	t.Setenv("TEAMS_APP_ID", "00000000-0000-0000-0000-000000000001") // no password: serve silently runs without Teams
	t.Setenv("TEAMS_APP_PASSWORD", "")
	out, _, err := run(t, "", "config", "check", "--data", t.TempDir())
	if err == nil {
		t.Fatalf("config check passed a configuration serve cannot run:\n%s", out)
	}
}

// Only English and French exist: another language is a configuration
// error, said at load, not a silent fallback.
func TestConfigRefusesAnUnsupportedPersonLanguage(t *testing.T) {
	y := `customers:
  - id: contoso
people:
  - {email: marc@erp-cloud.example, role: account_manager, customer: contoso}
  - {email: alice@contoso.example, role: member, customer: contoso, language: german}
serve:
  addr: "127.0.0.1:9999"
`
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte(y), 0o600)
	cfg, err := config.Load(p)
	if err == nil {
		t.Fatalf("accepted: person language %q (only en/fr exist)", strings.TrimSpace(cfg.People[1].Language))
	}
}

// The real portal needs its secrets from the environment; without them
// the error names every missing one, and nothing else runs.
func TestCloudCockpitWithoutSecretsSaysWhatIsMissing(t *testing.T) {
	for _, v := range []string{"CLOUDCOCKPIT_CLIENT_ID", "CLOUDCOCKPIT_CLIENT_SECRET", "CLOUDCOCKPIT_TENANT", "REDIS_URL"} {
		t.Setenv(v, "")
	}
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("provider: cloudcockpit\ncustomers:\n  - id: 6f1c0d2e-contoso\n"), 0o600)
	_, _, err := run(t, "", "subscriptions", "--config", p, "--data", t.TempDir())
	if err == nil {
		t.Fatal("subscriptions ran against CloudCockpit with no credentials")
	}
	for _, want := range []string{"CLOUDCOCKPIT_CLIENT_ID", "CLOUDCOCKPIT_CLIENT_SECRET", "CLOUDCOCKPIT_TENANT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s: %v", want, err)
		}
	}
}
