package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot/channel"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/console"
	"github.com/licensebot/licensebot/bot/slack"
	"github.com/licensebot/licensebot/bot/teams"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/workflows"
)

// Marc is on Slack only. Teams is also configured, with an approvals
// conversation for approvers Teams cannot reach. His approval card must
// reach his Slack DM.
func TestRouterSendsASlackOnlyApproverTheirCardOnSlack(t *testing.T) {
	var mu sync.Mutex
	var hits []string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/token"):
			io.WriteString(w, `{"access_token":"t","expires_in":3600}`)
		case strings.Contains(r.URL.Path, "/v3/conversations/"):
			io.WriteString(w, `{"id":"act-1"}`)
		case strings.HasSuffix(r.URL.Path, "users.lookupByEmail"):
			io.WriteString(w, `{"ok":true,"user":{"id":"UMARC"}}`)
		case strings.HasSuffix(r.URL.Path, "conversations.open"):
			io.WriteString(w, `{"ok":true,"channel":{"id":"DMARC"}}`)
		case strings.HasSuffix(r.URL.Path, "chat.postMessage"):
			io.WriteString(w, `{"ok":true,"channel":"DMARC","ts":"1.1"}`)
		default:
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	defer fake.Close()
	clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	st, err := bolt.Open(t.TempDir()+"/db", bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	marc := workflows.Person{Email: "marc@erp-cloud.example", Role: rules.RoleAccountManager, Customers: []string{"contoso"}}
	dir := workflows.NewDirectory([]workflows.Person{marc})
	sl, err := slack.New(slack.Options{BotToken: "xoxb", APIURL: fake.URL + "/api/", Config: channel.Config{People: dir, Store: st, Clock: clk}})
	if err != nil {
		t.Fatal(err)
	}
	tm, err := teams.New(teams.Options{AppID: "app", AppPassword: "pw", TokenURL: fake.URL + "/token", Config: channel.Config{People: dir, Store: st, Clock: clk},
		ApprovalsConversation: "19:approvals@thread.tacv2", ApprovalsServiceURL: fake.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	rt := &router{slack: sl, teams: tm, outbox: &console.Outbox{Store: st}, log: slog.New(slog.DiscardHandler)}
	m := bot.Message{Kind: bot.KindApproval, Key: "approval:R-1", RequestID: "R-1", Title: "Approval needed: R-1", Text: "x"}
	if err := rt.Deliver(context.Background(), marc, m); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, h := range hits {
		if strings.HasSuffix(h, "chat.postMessage") {
			return
		}
	}
	t.Fatalf("approval card for a Slack-only approver never reached Slack; calls: %v", hits)
}

// A person's cards go first to the platform they last talked to the bot
// from: an account manager who works in the reseller's Slack gets a
// customer's Teams request there, and a Teams user gets theirs in Teams.
func TestRouterTriesWherePeopleLastTalkedFirst(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	st, err := bolt.Open(t.TempDir()+"/db", bolt.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := workflows.NewDirectory(nil)
	sl, err := slack.New(slack.Options{BotToken: "xoxb", APIURL: "http://127.0.0.1:1/api/", Config: channel.Config{People: dir, Store: st, Clock: clk}})
	if err != nil {
		t.Fatal(err)
	}
	tm, err := teams.New(teams.Options{AppID: "app", AppPassword: "pw", Config: channel.Config{People: dir, Store: st, Clock: clk}})
	if err != nil {
		t.Fatal(err)
	}
	rt := &router{slack: sl, teams: tm, outbox: &console.Outbox{Store: st}, log: slog.New(slog.DiscardHandler)}
	first := func(p workflows.Person) error { return rt.routes(p)[0].unreachable }
	onSlack := workflows.Person{Email: "marc@erp-cloud.example", Orgs: []workflows.Org{{Platform: "slack", ID: "T-ERP"}}}
	onTeams := workflows.Person{Email: "alice@contoso.example", Orgs: []workflows.Org{{Platform: "teams", ID: "tenant-contoso"}}}
	if first(onSlack) != slack.ErrNotOnSlack {
		t.Error("someone who last talked from Slack is tried on Teams first")
	}
	if first(onTeams) != teams.ErrNoConversation {
		t.Error("someone who last talked from Teams is tried on Slack first")
	}
	// A choice wins over where they last talked.
	if onSlack.Prefers = "teams"; first(onSlack) != teams.ErrNoConversation {
		t.Error("someone who chose Teams is tried on Slack first")
	}
	if onTeams.Prefers = "slack"; first(onTeams) != slack.ErrNotOnSlack {
		t.Error("someone who chose Slack is tried on Teams first")
	}
	if n := len(rt.routes(onSlack)); n != 3 {
		t.Errorf("%d routes, want Slack, Teams personal, Teams approvals channel", n)
	}
}
