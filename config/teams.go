package config

import (
	"fmt"
	"net/url"
)

// Teams settings point the Bot Framework endpoints elsewhere: Microsoft
// runs separate ones for its US Government and China clouds, and a load
// test runs its own. Empty means Microsoft's public cloud. The bot's id
// and password come from the environment (TEAMS_APP_ID,
// TEAMS_APP_PASSWORD).
type Teams struct {
	// OpenIDMetadataURL locates the keys that sign inbound requests.
	OpenIDMetadataURL string `yaml:"openid_metadata_url"`
	// TokenURL is where the bot gets its outbound token.
	TokenURL string `yaml:"token_url"`
}

// validateTeams lists the Teams settings' problems.
func (c *Config) validateTeams() []error {
	var errs []error
	for key, v := range map[string]string{"teams.openid_metadata_url": c.Teams.OpenIDMetadataURL, "teams.token_url": c.Teams.TokenURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", key, v))
		}
	}
	return errs
}
