package slack

import (
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// The install kit must ask for what the adapter uses: these scopes,
// events and endpoints.
func TestManifestMatchesAdapter(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/slack/manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Display struct {
			Name string `yaml:"name"`
		} `yaml:"display_information"`
		Features struct {
			AppHome struct {
				Home     bool `yaml:"home_tab_enabled"`
				Messages bool `yaml:"messages_tab_enabled"`
				ReadOnly bool `yaml:"messages_tab_read_only_enabled"`
			} `yaml:"app_home"`
			BotUser struct {
				Name string `yaml:"display_name"`
			} `yaml:"bot_user"`
			Commands []struct {
				Command, URL, Description string
				Hint                      string `yaml:"usage_hint"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Redirects []string `yaml:"redirect_urls"`
			Scopes    struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				URL    string   `yaml:"request_url"`
				Events []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool   `yaml:"is_enabled"`
				URL     string `yaml:"request_url"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Display.Name != "licensebot" || m.Features.BotUser.Name != "licensebot" {
		t.Errorf("names %q %q", m.Display.Name, m.Features.BotUser.Name)
	}
	for _, s := range []string{"chat:write", "im:history", "im:write", "app_mentions:read", "users:read", "users:read.email", "commands"} {
		if !slices.Contains(m.OAuth.Scopes.Bot, s) {
			t.Errorf("scope %s missing", s)
		}
	}
	// The install link asks for exactly the manifest's scopes.
	got, want := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot)), slices.Sorted(slices.Values(BotScopes))
	if !slices.Equal(got, want) {
		t.Errorf("manifest scopes %v, install link scopes %v", got, want)
	}
	if !slices.Equal(m.OAuth.Redirects, []string{"https://YOUR-HOST" + CallbackPath}) {
		t.Errorf("redirect urls %v", m.OAuth.Redirects)
	}
	for _, e := range []string{"message.im", "app_mention", "app_home_opened", "app_uninstalled", "tokens_revoked"} {
		if !slices.Contains(m.Settings.Events.Events, e) {
			t.Errorf("event %s missing", e)
		}
	}
	if len(m.Features.Commands) != 1 || m.Features.Commands[0].Command != "/licences" ||
		m.Features.Commands[0].URL != "https://YOUR-HOST/slack/commands" ||
		m.Features.Commands[0].Description != "Manage Microsoft 365 licences" || m.Features.Commands[0].Hint != "[add 2 E3 seats]" {
		t.Errorf("command %+v", m.Features.Commands)
	}
	if m.Settings.Events.URL != "https://YOUR-HOST/slack/events" || m.Settings.Interactivity.URL != "https://YOUR-HOST/slack/interactions" {
		t.Errorf("request urls %q %q", m.Settings.Events.URL, m.Settings.Interactivity.URL)
	}
	if !m.Settings.Interactivity.Enabled || !m.Settings.SocketMode || !m.Features.AppHome.Home || !m.Features.AppHome.Messages || m.Features.AppHome.ReadOnly {
		t.Errorf("settings %+v, app home %+v", m.Settings, m.Features.AppHome)
	}
}
