package slack

import (
	"net/http"
	"testing"
)

// A reply is posted as a JSON body with the bot token as a Bearer
// header (no form, no token in the body), its blocks an array and link
// unfurling off.
func TestRepliesPostedAsJSON(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.event(dmEvent("Ev1", "UALICE", "hello")), http.StatusOK)
	posts := e.api.callsOf("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	p := posts[0]
	if p.JSON == nil || p.Token != "xoxb-test" || p.JSON["token"] != nil {
		t.Fatalf("post not JSON with a Bearer token: %+v", p)
	}
	if _, ok := p.JSON["blocks"].([]any); !ok || p.JSON["channel"] != "DUALICE" || p.JSON["unfurl_links"] != false {
		t.Fatalf("post body %+v", p.JSON)
	}
}
