package slack

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// SLACK.md: "no replays". The same captured request with the signature's
// hex digits upper-cased is the same MAC, and must be refused too.
func TestReplayWithReCasedSignatureIsRefused(t *testing.T) {
	e := newEnv(t)
	body := []byte(url.Values{"user_id": {"UALICE"}, "command": {"/licences"}, "text": {"add 2 E3 seats"}}.Encode())
	hdr := sign(testSecret, e.clk.Now().Unix(), body)
	wantStatus(t, e.do("/slack/commands", "application/x-www-form-urlencoded", body, hdr), http.StatusOK)
	e.clk.Advance(time.Minute)
	replay := hdr.Clone()
	replay.Set("X-Slack-Signature", "v0="+strings.ToUpper(strings.TrimPrefix(hdr.Get("X-Slack-Signature"), "v0=")))
	w := e.do("/slack/commands", "application/x-www-form-urlencoded", body, replay)
	if w.Code != http.StatusUnauthorized || len(e.h.got()) != 1 {
		t.Fatalf("replayed command accepted: status %d, handler ran %d times", w.Code, len(e.h.got()))
	}
}
