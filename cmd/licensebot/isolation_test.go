package main

import (
	"context"
	"strings"
	"testing"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/workflows"
)

// TestButtonsCannotReachAnotherCustomer: a press whose value names a
// request of another customer (forged, or a card forwarded across
// companies) is refused with a sentence, and the request is unchanged.
func TestButtonsCannotReachAnotherCustomer(t *testing.T) {
	g := &globals{data: t.TempDir(), now: "2026-11-26T10:00:00+01:00", logLevel: "error", errOut: &strings.Builder{}}
	ctx := context.Background()
	a, err := openApp(ctx, g, appOptions{withEngine: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	say := func(email, text string, press *bot.Press) []bot.Message {
		t.Helper()
		p, err := a.people.Person(ctx, workflows.Org{Platform: "console"}, email)
		if err != nil {
			t.Fatal(err)
		}
		msgs, _ := a.engine.Handle(ctx, bot.Turn{Person: p, Platform: "console", Org: workflows.Org{Platform: "console"},
			Conversation: "console:" + email, Text: text, Press: press})
		return msgs
	}
	say("hugo@fabrikam.example", "upgrade 2 E3 to E5", nil)
	msgs := say("hugo@fabrikam.example", "confirm", nil)
	if len(msgs) == 0 {
		t.Fatal("no answer to confirm")
	}
	// Léa (member) adds seats above her limit: Fabrikam's licence admin
	// decides — a licence admin, but not Contoso's.
	say("lea@fabrikam.example", "add 10 business premium seats", nil)
	say("lea@fabrikam.example", "confirm", nil)
	reqs, err := a.svc.List(ctx, "fabrikam")
	if err != nil || len(reqs) != 2 || reqs[0].State != workflows.StatePendingApproval || reqs[1].State != workflows.StatePendingApproval {
		t.Fatalf("fabrikam's requests: %+v, %v", reqs, err)
	}
	if reqs[0].Requester == "lea@fabrikam.example" {
		reqs[0], reqs[1] = reqs[1], reqs[0]
	}
	if reqs[1].ApproverRole != "licence_admin" {
		t.Fatalf("R-2 goes to %s: %+v %+v", reqs[1].ApproverRole, reqs[1].Change, reqs[1].Decision)
	}
	id := reqs[0].ID
	history := map[string]int{reqs[0].ID: len(reqs[0].History), reqs[1].ID: len(reqs[1].History)}
	id2 := reqs[1].ID
	for _, c := range []struct {
		who   string
		press bot.Press
	}{
		{"claire@contoso.example", bot.Press{ID: bot.ActApprove, Value: "fabrikam:" + id}},
		{"claire@contoso.example", bot.Press{ID: bot.ActReject, Value: "fabrikam:" + id}},
		{"alice@contoso.example", bot.Press{ID: bot.ActWithdraw, Value: "fabrikam:" + id}},
		{"claire@contoso.example", bot.Press{ID: bot.ActApprove, Value: "contoso:" + id}},
		{"claire@contoso.example", bot.Press{ID: bot.ActApprove, Value: "fabrikam:" + id2}},
		{"claire@contoso.example", bot.Press{ID: bot.ActApprove, Value: "contoso:" + id2}},
		{"claire@contoso.example", bot.Press{ID: bot.ActReject, Value: "fabrikam:" + id2}},
	} {
		out := say(c.who, "", &c.press)
		if len(out) == 0 || out[0].Text == "" || strings.Contains(out[0].Text, "error") {
			t.Errorf("%s pressing %+v: no clear refusal: %+v", c.who, c.press, out)
		}
		for _, m := range out {
			if strings.Contains(strings.ToLower(m.Text), "fabrikam") && strings.Contains(strings.ToLower(m.Text), "office 365") {
				t.Errorf("%s saw Fabrikam's request: %q", c.who, m.Text)
			}
		}
	}
	reqs, _ = a.svc.List(ctx, "fabrikam")
	for _, r := range reqs {
		if r.State != workflows.StatePendingApproval || len(r.History) != history[r.ID] {
			t.Errorf("%s changed by forged presses: %s, %+v", r.ID, r.State, r.History)
		}
	}
	if cr, _ := a.svc.List(ctx, "contoso"); len(cr) != 0 {
		t.Errorf("contoso has requests: %+v", cr)
	}
}
