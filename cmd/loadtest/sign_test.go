package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSlackSignatureVerifies(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"event_callback"}`)
	h := slackHeaders("secret", now.Unix(), body)
	// Slack's documented example: v0= and 64 hex digits.
	if sig := h.Get("X-Slack-Signature"); !strings.HasPrefix(sig, "v0=") || len(sig) != 67 {
		t.Fatalf("signature %q", sig)
	}
	if err := slackVerify("secret", h, body, now.Add(time.Minute)); err != nil {
		t.Fatalf("own signature refused: %v", err)
	}
	for name, c := range map[string]struct {
		secret string
		body   string
		now    time.Time
	}{
		"other secret":  {"other", string(body), now},
		"changed body":  {"secret", `{"type":"x"}`, now},
		"stale request": {"secret", string(body), now.Add(6 * time.Minute)},
	} {
		if err := slackVerify(c.secret, h, []byte(c.body), c.now); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	if err := slackVerify("secret", http.Header{}, body, now); err == nil {
		t.Error("no headers: verified")
	}
}

func TestBotFrameworkTokenVerifiesAndIsReused(t *testing.T) {
	k, err := newBFKey("app")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	tok, err := k.bearer("http://127.0.0.1:1/", now)
	if err != nil {
		t.Fatal(err)
	}
	if service, err := k.verify(tok, now.Add(10*time.Minute)); err != nil || service != "http://127.0.0.1:1/" {
		t.Fatalf("verify: %q, %v", service, err)
	}
	if again, _ := k.bearer("http://127.0.0.1:1/", now.Add(30*time.Minute)); again != tok {
		t.Error("a token with half an hour left was signed again")
	}
	if renewed, _ := k.bearer("http://127.0.0.1:1/", now.Add(55*time.Minute)); renewed == tok {
		t.Error("a token about to expire was reused")
	}
	if other, _ := k.bearer("http://127.0.0.1:2/", now); other == tok {
		t.Error("a token for another service URL was reused")
	}
	if _, err := k.verify(tok, now.Add(2*time.Hour)); err == nil {
		t.Error("expired token verified")
	}
	stranger, _ := newBFKey("app")
	if _, err := stranger.verify(tok, now); err == nil {
		t.Error("token verified with another key")
	}
	// The key set carries the key id and the endorsement serve checks.
	keys := k.jwks()["keys"].([]map[string]any)
	if len(keys) != 1 || keys[0]["kid"] != bfKid || keys[0]["endorsements"].([]string)[0] != "msteams" {
		t.Errorf("jwks %+v", keys)
	}
}
