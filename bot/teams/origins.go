package teams

import (
	"fmt"
	"net/url"
	"strings"
)

// DefaultConnectorOrigins are the Bot Connector hosts of Microsoft's
// public cloud: smba.trafficmanager.net, whose path names the region
// (/amer/, /emea/, /apac/, /teams/…), and the one of GCC tenants, which
// use the public cloud's Bot Framework. US Government (GCC High, DoD)
// and China have their own (docs/TEAMS.md).
var DefaultConnectorOrigins = []string{
	"https://smba.trafficmanager.net",
	"https://smba.infra.gcc.teams.microsoft.com",
}

// origins is the allow-list of Bot Connector hosts. An activity's
// serviceUrl is where the bot posts its replies with its own bearer
// token, so a host outside the list is refused at the door and never
// called: a signing key the bot should not have trusted (a wrong
// openid_metadata_url) then still cannot send the bot's token elsewhere.
type origins []origin

type origin struct {
	scheme string
	host   string // lower case; for a wildcard, the suffix with its dot
	port   string // "" is the scheme's default
	wild   bool
}

// parseOrigins reads patterns: "https://host", "https://host:port" or
// "https://*.domain" (any host under domain, not domain itself).
func parseOrigins(patterns []string) (origins, error) {
	var out origins
	for _, p := range patterns {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("connector origin %q is not like https://smba.trafficmanager.net", p)
		}
		o := origin{scheme: u.Scheme, host: strings.ToLower(u.Hostname()), port: u.Port()}
		if rest, ok := strings.CutPrefix(o.host, "*."); ok {
			if rest == "" || strings.Contains(rest, "*") || !strings.Contains(rest, ".") {
				return nil, fmt.Errorf("connector origin %q: a wildcard needs a domain of two labels or more", p)
			}
			o.host, o.wild = "."+rest, true
		} else if strings.Contains(o.host, "*") {
			return nil, fmt.Errorf("connector origin %q: \"*.\" may only start the host", p)
		}
		out = append(out, o)
	}
	return out, nil
}

// allows says whether serviceURL is on a listed host. A URL with a user
// part, another scheme or another port never is.
func (l origins) allows(serviceURL string) bool {
	u, err := url.Parse(serviceURL)
	if err != nil || u.User != nil || u.Host == "" {
		return false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == defaultPort(u.Scheme) {
		port = ""
	}
	for _, o := range l {
		if o.scheme != u.Scheme || o.port != port && !(o.port == defaultPort(o.scheme) && port == "") {
			continue
		}
		if o.wild && strings.HasSuffix(host, o.host) && len(host) > len(o.host) || !o.wild && host == o.host {
			return true
		}
	}
	return false
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// hostOf is the host of a URL, for messages (never its path: it names
// conversations).
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return "?"
}
