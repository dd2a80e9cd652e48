package teams

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Every failure is a 401 and nothing is processed: no turn, no call to
// the Connector.
func TestAuthRejects(t *testing.T) {
	e := newEnv(t)
	other := newFakeBF(t) // another service: its URL is not the activity's
	cases := map[string]func() string{
		"no token":   func() string { return "-" },
		"not bearer": func() string { return "Basic " + e.signed(nil) },
		"garbage":    func() string { return "Bearer not.a.jwt" },
		"wrong audience": func() string {
			return "Bearer " + e.signed(func(c jwt.MapClaims) { c["aud"] = "someone-else" })
		},
		"wrong issuer": func() string {
			return "Bearer " + e.signed(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/x/" })
		},
		"expired beyond skew": func() string {
			return "Bearer " + e.signed(func(c jwt.MapClaims) { c["exp"] = e.clk.Now().Add(-6 * time.Minute).Unix() })
		},
		"not yet valid beyond skew": func() string {
			return "Bearer " + e.signed(func(c jwt.MapClaims) { c["nbf"] = e.clk.Now().Add(6 * time.Minute).Unix() })
		},
		"issued in the future beyond skew": func() string {
			return "Bearer " + e.signed(func(c jwt.MapClaims) { c["iat"] = e.clk.Now().Add(6 * time.Minute).Unix() })
		},
		"no expiry": func() string {
			return "Bearer " + e.signed(func(c jwt.MapClaims) { delete(c, "exp") })
		},
		"mismatched serviceUrl": func() string {
			return "Bearer " + e.signed(func(c jwt.MapClaims) { c["serviceurl"] = other.URL() })
		},
		"no serviceurl claim": func() string {
			return "Bearer " + e.signed(func(c jwt.MapClaims) { delete(c, "serviceurl") })
		},
		"unknown kid": func() string {
			return "Bearer " + e.bf.token("k9", testKeys()[1], e.clk.Now(), nil)
		},
		"published kid, other key": func() string {
			return "Bearer " + e.bf.token("k1", testKeys()[1], e.clk.Now(), nil)
		},
		"HS256": func() string {
			tk := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": botFrameworkIssuer, "aud": testAppID,
				"serviceurl": e.bf.URL(), "exp": e.clk.Now().Add(time.Hour).Unix()})
			tk.Header["kid"] = "k1"
			s, _ := tk.SignedString([]byte(testPassword))
			return "Bearer " + s
		},
		"alg none": func() string {
			tk := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": botFrameworkIssuer, "aud": testAppID,
				"serviceurl": e.bf.URL(), "exp": e.clk.Now().Add(time.Hour).Unix()})
			tk.Header["kid"] = "k1"
			s, _ := tk.SignedString(jwt.UnsafeAllowNoneSignatureType)
			return "Bearer " + s
		},
	}
	n := 0
	for name, auth := range cases {
		t.Run(name, func(t *testing.T) {
			n++
			w := e.post(e.message(alice, "m-"+name, "hello"), auth())
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("answered %d, want 401", w.Code)
			}
			if strings.Contains(w.Body.String(), "token") {
				t.Fatalf("the answer explains too much: %q", w.Body)
			}
		})
	}
	if got := e.h.got(); len(got) != 0 {
		t.Fatalf("turns ran: %+v", got)
	}
	if c := e.bf.callsOf("send", "reply", "update", "member", "create"); len(c) != 0 {
		t.Fatalf("connector called: %+v", c)
	}
	if got := e.metrics.get("dropped:unauthorized"); got != n {
		t.Fatalf("unauthorized counted %d times, want %d", got, n)
	}
	// Tokens never reach the logs.
	if strings.Contains(e.logs.String(), "eyJ") {
		t.Fatal("a token was logged")
	}
}

func TestAuthAcceptsWithinSkew(t *testing.T) {
	e := newEnv(t)
	tok := e.signed(func(c jwt.MapClaims) {
		c["exp"] = e.clk.Now().Add(-4 * time.Minute).Unix()
		c["nbf"] = e.clk.Now().Add(4 * time.Minute).Unix()
	})
	if w := e.post(e.message(alice, "m1", "hello"), "Bearer "+tok); w.Code != http.StatusOK {
		t.Fatalf("answered %d", w.Code)
	}
	if len(e.h.got()) != 1 {
		t.Fatal("turn not run")
	}
}

func TestEndorsementMustMatchChannel(t *testing.T) {
	e := newEnv(t)
	act := e.message(alice, "m1", "hello")
	act.ChannelID = "webchat" // the key is endorsed for msteams only
	if w := e.post(act, ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("answered %d", w.Code)
	}
}

// An unknown kid makes the validator fetch the key set again (once a
// minute at most); when the set gains the key, tokens signed with it are
// accepted.
func TestUnknownKidRefreshesKeys(t *testing.T) {
	e := newEnv(t)
	if w := e.post(e.message(alice, "m0", "hello"), ""); w.Code != http.StatusOK {
		t.Fatalf("answered %d", w.Code)
	}
	// Just after a fetch, an unknown kid causes none (rate limit).
	_, keys0, _ := e.bf.counts()
	if w := e.post(e.message(alice, "m00", "hello"), "Bearer "+e.bf.token("k2", testKeys()[2], e.clk.Now(), nil)); w.Code != http.StatusUnauthorized {
		t.Fatalf("unpublished key accepted: %d", w.Code)
	}
	if _, k, _ := e.bf.counts(); k != keys0 {
		t.Fatalf("refresh not rate-limited: %d fetches", k-keys0)
	}
	e.clk.Advance(2 * time.Minute)
	rotated := func() string { return "Bearer " + e.bf.token("k2", testKeys()[2], e.clk.Now(), nil) }
	if w := e.post(e.message(alice, "m1", "hello"), rotated()); w.Code != http.StatusUnauthorized {
		t.Fatalf("unpublished key accepted: %d", w.Code)
	}
	_, keys1, _ := e.bf.counts()
	if keys1 != keys0+1 {
		t.Fatalf("key set fetched %d times for an unknown kid, want 1", keys1-keys0)
	}
	e.bf.publish("k2", testKeys()[2])
	// Within the minute: no new fetch, still refused.
	if w := e.post(e.message(alice, "m2", "hello"), rotated()); w.Code != http.StatusUnauthorized {
		t.Fatalf("answered %d", w.Code)
	}
	if _, k, _ := e.bf.counts(); k != keys1 {
		t.Fatalf("refresh not rate-limited: %d fetches", k-keys1)
	}
	e.clk.Advance(2 * time.Minute)
	if w := e.post(e.message(alice, "m3", "hello"), rotated()); w.Code != http.StatusOK {
		t.Fatalf("rotated key refused after refresh: %d", w.Code)
	}
	// The old key still works, and no fetch happens for known keys.
	_, k2, _ := e.bf.counts()
	for i := range 5 {
		if w := e.post(e.message(alice, "m4-"+string(rune('a'+i)), "hello"), ""); w.Code != http.StatusOK {
			t.Fatalf("answered %d", w.Code)
		}
	}
	if _, k, _ := e.bf.counts(); k != k2 {
		t.Fatalf("key set fetched for known keys")
	}
	if len(e.h.got()) != 7 { // m0, m3 and five more
		t.Fatalf("%d turns", len(e.h.got()))
	}
}

// Metadata and keys are fetched once, not per request; they are fetched
// again after a day.
func TestKeysCached(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		e.post(e.message(alice, "m"+string(rune('0'+i)), "hi"), "")
	}
	if meta, keys, _ := e.bf.counts(); meta != 1 || keys != 1 {
		t.Fatalf("metadata fetched %d times, keys %d times", meta, keys)
	}
	e.clk.Advance(25 * time.Hour)
	e.post(e.message(alice, "m9", "hi"), "")
	if meta, keys, _ := e.bf.counts(); meta != 2 || keys != 2 {
		t.Fatalf("after a day: metadata fetched %d times, keys %d times", meta, keys)
	}
}

func TestOtherTenantRefused(t *testing.T) {
	e := newEnv(t)
	act := e.message(alice, "m1", "hello")
	act.Conversation.TenantID = "00000000-0000-0000-0000-000000000000"
	if w := e.post(act, ""); w.Code != http.StatusForbidden {
		t.Fatalf("answered %d", w.Code)
	}
	if len(e.h.got()) != 0 {
		t.Fatal("turn ran")
	}
}

// An activity that names no channel is not endorsed for any: an empty
// channelId must not skip the endorsement check.
func TestEmptyChannelIDFailsEndorsement(t *testing.T) {
	e := newEnv(t)
	act := e.message(alice, "m1", "hello")
	act.ChannelID = ""
	if w := e.post(act, ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("answered %d", w.Code)
	}
	if len(e.h.got()) != 0 {
		t.Fatal("turn ran")
	}
}

// A single-tenant bot refuses an activity that names no tenant; a
// multi-tenant bot takes it.
func TestActivityWithoutTenant(t *testing.T) {
	e := newEnv(t)
	act := e.message(alice, "m1", "hello")
	act.Conversation.TenantID, act.ChannelData = "", nil
	if w := e.post(act, ""); w.Code != http.StatusForbidden {
		t.Fatalf("single-tenant bot answered %d", w.Code)
	}
	if len(e.h.got()) != 0 {
		t.Fatal("turn ran")
	}
	multi := newEnv(t, func(o *Options) { o.TenantID = "" })
	act = multi.message(alice, "m1", "hello")
	act.Conversation.TenantID, act.ChannelData = "", nil
	if w := multi.post(act, ""); w.Code != http.StatusOK || len(multi.h.got()) != 1 {
		t.Fatalf("multi-tenant bot answered %d, %d turns", w.Code, len(multi.h.got()))
	}
}

// A token issued a little in the future (clocks differ) is accepted.
func TestIssuedAtWithinSkewAccepted(t *testing.T) {
	e := newEnv(t)
	tok := e.signed(func(c jwt.MapClaims) { c["iat"] = e.clk.Now().Add(4 * time.Minute).Unix() })
	if w := e.post(e.message(alice, "m1", "hello"), "Bearer "+tok); w.Code != http.StatusOK {
		t.Fatalf("answered %d", w.Code)
	}
}
