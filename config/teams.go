package config

import (
	"fmt"
	"net/url"
	"strings"
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
	// TokenIssuer is the issuer of inbound tokens (public cloud:
	// https://api.botframework.com).
	TokenIssuer string `yaml:"token_issuer"`
	// TokenScope is the scope of the bot's outbound token (public cloud:
	// https://api.botframework.com/.default).
	TokenScope string `yaml:"token_scope"`
	// ConnectorOrigins are the Bot Connector hosts (an activity's
	// serviceUrl) the bot accepts activities from and posts replies to,
	// with its token: "https://host", "https://host:port" or
	// "https://*.domain". Empty means Microsoft's public cloud.
	ConnectorOrigins []string `yaml:"connector_origins"`
}

// validateTeams lists the Teams settings' problems.
func (c *Config) validateTeams() []error {
	var errs []error
	for _, f := range []struct{ key, v string }{
		{"teams.openid_metadata_url", c.Teams.OpenIDMetadataURL},
		{"teams.token_url", c.Teams.TokenURL},
		{"teams.token_issuer", c.Teams.TokenIssuer},
	} {
		if f.v == "" {
			continue
		}
		if u, err := url.Parse(f.v); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", f.key, f.v))
		}
	}
	for i, o := range c.Teams.ConnectorOrigins {
		if err := CheckOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("teams.connector_origins[%d]: %w", i, err))
		}
	}
	return errs
}

// CheckOrigin says whether o is an origin pattern: http or https, a host
// (or "*." and a domain of at least two labels), an optional port, and
// nothing else.
func CheckOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an origin like https://smba.trafficmanager.net", o)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: an origin has no user, path or query (like https://smba.trafficmanager.net)", o)
	}
	host := u.Hostname()
	if rest, wild := strings.CutPrefix(host, "*."); wild {
		if strings.Contains(rest, "*") || strings.Count(rest, ".") < 1 {
			return fmt.Errorf("%q: a wildcard covers the subdomains of a domain of two labels or more (https://*.teams.microsoft.us)", o)
		}
	} else if strings.Contains(host, "*") {
		return fmt.Errorf("%q: \"*.\" may only start the host", o)
	}
	return nil
}
