package slack

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// slackDeliveries is how often Slack delivers one event that keeps
// failing: once, then three retries (at once, after about a minute, after
// about five minutes); then it gives up.
const slackDeliveries = 4

// Offered twice what it can hold, the adapter degrades rather than
// collapses: what it cannot queue it refuses at once with 503, Slack
// delivers it again later, and every event gets exactly one answer —
// none lost, none twice. The workers are held while the flood arrives, so
// what fits is exact and the test does not depend on the machine's speed;
// between Slack's deliveries the queue drains, as it does in the minutes
// between Slack's retries.
func TestOverloadAnswersEveryEventOnce(t *testing.T) {
	const users, perUser, workers, queue = 16, 5, 2, 32
	var people []workflows.Person
	for u := 0; u < users; u++ {
		people = append(people, workflows.Person{Email: fmt.Sprintf("u%d@contoso.example", u), Role: rules.RoleMember, CustomerID: "C1"})
	}
	e := newEnv(t, func(o *Options) {
		o.Config.People = workflows.NewDirectory(people)
		o.Config.Workers = workers
		o.Config.QueueSize = queue
	})
	for u := 0; u < users; u++ {
		e.api.addUser(fmt.Sprintf("UL%d", u), fmt.Sprintf("u%d@contoso.example", u), "en-US")
	}
	e.h.reply = func(tr bot.Turn) []bot.Message {
		return []bot.Message{{To: tr.Person.Email, Kind: bot.KindText, Text: "answer " + tr.EventID}}
	}
	if users*perUser < 2*(workers+queue) {
		t.Fatal("the flood must be at least twice what the adapter holds")
	}

	waiting := map[string][]byte{}
	for u := 0; u < users; u++ {
		for i := 0; i < perUser; i++ {
			id := fmt.Sprintf("Ev%d-%d", u, i)
			waiting[id] = []byte(dmEvent(id, fmt.Sprintf("UL%d", u), "hello"))
		}
	}
	refused := 0
	for delivery := 0; delivery < slackDeliveries && len(waiting) > 0; delivery++ {
		gate := make(chan struct{})
		e.h.mu.Lock()
		e.h.gate = gate
		e.h.mu.Unlock()
		for id, body := range waiting {
			// Each delivery is a new request: a new timestamp, so a new
			// signature, and Slack's retry headers.
			hdr := sign(testSecret, e.clk.Now().Unix()+int64(delivery), body)
			if delivery > 0 {
				hdr.Set("X-Slack-Retry-Num", strconv.Itoa(delivery))
				hdr.Set("X-Slack-Retry-Reason", "http_error")
			}
			r := httptest.NewRequest(http.MethodPost, "/slack/events", strings.NewReader(string(body)))
			for k, v := range hdr {
				r.Header[k] = v
			}
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			e.mux.ServeHTTP(w, r)
			switch w.Code {
			case http.StatusOK:
				delete(waiting, id)
			case http.StatusServiceUnavailable:
				refused++
			default:
				t.Fatalf("%s: status %d", id, w.Code)
			}
		}
		close(gate)
		e.a.run.Idle()
	}
	if refused == 0 {
		t.Fatal("no delivery was refused: the flood did not exceed capacity, so this proves nothing")
	}
	if len(waiting) != 0 {
		t.Fatalf("%d events lost after Slack's last retry", len(waiting))
	}
	answers := map[string]int{}
	for _, c := range e.api.callsOf("chat.postMessage") {
		text := c.Form.Get("text")
		if text == "" {
			text, _ = c.JSON["text"].(string)
		}
		answers[strings.TrimPrefix(text, "answer ")]++
	}
	for u := 0; u < users; u++ {
		for i := 0; i < perUser; i++ {
			if id := fmt.Sprintf("Ev%d-%d", u, i); answers[id] != 1 {
				t.Errorf("%s answered %d times, want 1", id, answers[id])
			}
		}
	}
	t.Logf("%d events, %d deliveries refused with 503 and delivered again", users*perUser, refused)
}
