package teams

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestConnectorOriginPatterns(t *testing.T) {
	l, err := parseOrigins(append([]string{"https://*.teams.microsoft.us", "http://127.0.0.1:8081"}, DefaultConnectorOrigins...))
	if err != nil {
		t.Fatal(err)
	}
	for url, want := range map[string]bool{
		"https://smba.trafficmanager.net/emea/":                   true,
		"https://SMBA.trafficmanager.net/amer/":                   true,
		"https://smba.trafficmanager.net:443/teams/":              true,
		"https://smba.infra.gcc.teams.microsoft.com/teams":        true,
		"https://smba.infra.gov.teams.microsoft.us/":              true,
		"http://127.0.0.1:8081/":                                  true,
		"http://smba.trafficmanager.net/emea/":                    false, // not https
		"https://smba.trafficmanager.net:8443/emea/":              false, // another port
		"https://evil.trafficmanager.net/emea/":                   false, // a neighbour on a shared Azure domain
		"https://smba.trafficmanager.net.evil.example/":           false,
		"https://teams.microsoft.us/":                             false, // the wildcard's domain itself
		"https://user@smba.trafficmanager.net/emea/":              false,
		"http://127.0.0.1:8082/":                                  false,
		"https://127.0.0.1:8081/":                                 false,
		"not a url at all":                                        false,
		"https://smba.infra.gov.teams.microsoft.us.evil.example/": false,
	} {
		if got := l.allows(url); got != want {
			t.Errorf("allows(%q) = %v, want %v", url, got, want)
		}
	}
	for _, bad := range []string{"smba.trafficmanager.net", "ftp://x.example", "https://x.example/path", "https://*.com", "https://a.*.example", "https://u@x.example"} {
		if _, err := parseOrigins([]string{bad}); err == nil {
			t.Errorf("parseOrigins(%q) accepted", bad)
		}
	}
}

// A correctly signed activity whose serviceUrl is not an allowed Bot
// Connector host is refused with 403: no turn runs and nothing is
// posted there with the bot's token.
func TestActivityFromAnotherConnectorOriginRefused(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ConnectorOrigins = nil }) // Microsoft's public cloud only
	w := e.post(e.message(alice, "m1", "hello"), "")
	if w.Code != http.StatusForbidden {
		t.Fatalf("answered %d, want 403", w.Code)
	}
	if got := e.h.got(); len(got) != 0 {
		t.Fatalf("turns ran: %+v", got)
	}
	if c := e.bf.callsOf("send", "reply", "update", "member", "create"); len(c) != 0 {
		t.Fatalf("connector called: %+v", c)
	}
	if got := e.metrics.get("dropped:connector_origin"); got != 1 {
		t.Fatalf("dropped:connector_origin counted %d times, want 1", got)
	}

	allowed := newEnv(t) // the fake connector's origin is listed
	if w := allowed.post(allowed.message(alice, "m1", "hello"), ""); w.Code != http.StatusOK {
		t.Fatalf("allowed origin answered %d", w.Code)
	}
}

// The connector never sends the bot's token to a host outside the list,
// whatever asks it to (a stored conversation, a configured service URL).
func TestConnectorDoesNotCallOtherOrigins(t *testing.T) {
	e := newEnv(t)
	other := newFakeBF(t)
	_, err := e.a.conn.send(context.Background(), "r1", other.URL(), "a:conv", "", &Activity{Type: ActivityMessage, Text: "hi"})
	if !errors.Is(err, errOriginNotAllowed) {
		t.Fatalf("send to another origin: %v, want errOriginNotAllowed", err)
	}
	if c := other.callsOf("send", "reply", "update", "member", "create"); len(c) != 0 {
		t.Fatalf("other connector called: %+v", c)
	}
	if _, _, tokens := other.counts(); tokens != 0 {
		t.Fatal("a token was asked for")
	}
}

// A sovereign cloud's tokens have their own issuer: with TokenIssuer set,
// those are accepted and the public cloud's refused.
func TestTokenIssuerFromOptions(t *testing.T) {
	const gov = "https://api.botframework.us"
	e := newEnv(t, func(o *Options) { o.TokenIssuer = gov })
	if w := e.post(e.message(alice, "m1", "hello"), ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("public cloud issuer answered %d, want 401", w.Code)
	}
	tok := e.signed(func(c jwt.MapClaims) { c["iss"] = gov })
	if w := e.post(e.message(alice, "m2", "hello"), "Bearer "+tok); w.Code != http.StatusOK {
		t.Fatalf("configured issuer answered %d, want 200", w.Code)
	}
}
