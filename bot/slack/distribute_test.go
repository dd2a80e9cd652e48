package slack

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/internal/chantest"
	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/internal/secretbox"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store/bolt"
	"github.com/licensebot/licensebot/workflows"
)

// The tokens of the distributed app's workspaces; the test scans the
// store's file for them.
const (
	tokContoso  = "xoxb-contoso-0123456789abcdef"
	tokContoso2 = "xoxb-contoso-reinstalled-fedcba"
	tokReseller = "xoxb-reseller-0123456789abcdef"
	tokFabrikam = "xoxb-fabrikam-0123456789abcdef"
)

// dist is a distributed Slack app: no single-workspace token, every
// workspace installed through OAuth, with the real engine, the sandbox
// portal and a bbolt store behind it.
type dist struct {
	*env
	sb     *sandbox.Sandbox
	dbPath string
}

func testBox(t testing.TB, b byte, old ...byte) *secretbox.Box {
	t.Helper()
	var olds [][]byte
	for _, o := range old {
		olds = append(olds, bytes.Repeat([]byte{o}, 32))
	}
	box, err := secretbox.New(bytes.Repeat([]byte{b}, 32), olds...)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func newDist(t *testing.T) *dist {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "data.db")
	people := []workflows.Person{
		{Email: "alice@contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: "contoso",
			Orgs: []workflows.Org{{Platform: "slack", ID: "TCONTOSO"}}},
		{Email: "marc@reseller.example", Name: "Marc", Role: rules.RoleAccountManager, Customers: []string{"contoso"},
			Orgs: []workflows.Org{{Platform: "slack", ID: "TRESELLER"}}},
		{Email: "eve@fabrikam.example", Name: "Eve", Role: rules.RoleLicenceAdmin, CustomerID: "fabrikam",
			Orgs: []workflows.Org{{Platform: "slack", ID: "TFABRIKAM"}}},
	}
	e := newEnv(t, func(o *Options) {
		st, err := bolt.Open(dbPath, bolt.Options{Clock: o.Clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		o.BotToken = ""
		o.Secrets = testBox(t, 7)
		o.OAuth = OAuthOptions{ClientID: "cid", ClientSecret: "csecret", PublicURL: "https://bot.example",
			AuthorizeURL: "https://slack.example/oauth/v2/authorize"}
		o.Store, o.People, o.Handler = st, workflows.NewDirectory(people), nil
	})
	e.api.addTeamUser("TCONTOSO", "UALICE", "alice@contoso.example", "en-US")
	e.api.addTeamUser("TRESELLER", "UMARC", "marc@reseller.example", "en-GB")
	e.api.addTeamUser("TFABRIKAM", "UEVE", "eve@fabrikam.example", "en-US")
	// Someone in Contoso's workspace with a Fabrikam address.
	e.api.addTeamUser("TCONTOSO", "UMALLORY", "eve@fabrikam.example", "en-US")
	e.api.install("code-contoso", "TCONTOSO", "Contoso", tokContoso)
	e.api.install("code-reseller", "TRESELLER", "ERP Cloud", tokReseller)
	e.api.install("code-fabrikam", "TFABRIKAM", "Fabrikam", tokFabrikam)
	b := chantest.NewBackend(t, e.a.opt.Store, e.a.opt.People.(*workflows.Directory), e.clk, e.a)
	e.a.SetHandler(b.Engine)
	return &dist{env: e, sb: b.Sandbox, dbPath: dbPath}
}

// subsSummary is what a change would alter of Contoso's subscriptions.
func (d *dist) subsSummary(t *testing.T) string {
	t.Helper()
	subs, err := d.sb.Subscriptions(context.Background(), "contoso")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range subs {
		fmt.Fprintf(&b, "%s %d %s %v\n", s.ID, s.Quantity, s.Status, s.AutoRenew)
	}
	return b.String()
}

// get serves a GET with cookies and an Accept-Language.
func (d *dist) get(target string, cookies []*http.Cookie, lang string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	if lang != "" {
		r.Header.Set("Accept-Language", lang)
	}
	w := httptest.NewRecorder()
	d.mux.ServeHTTP(w, r)
	return w
}

// startInstall follows the install link and returns the state and the
// browser's cookies.
func (d *dist) startInstall(t *testing.T) (string, []*http.Cookie) {
	t.Helper()
	w := d.get(InstallPath, nil, "")
	wantStatus(t, w, http.StatusFound)
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if loc.Host != "slack.example" || q.Get("client_id") != "cid" || q.Get("redirect_uri") != "https://bot.example/slack/oauth/callback" ||
		q.Get("scope") != strings.Join(BotScopes, ",") || q.Get("state") == "" {
		t.Fatalf("authorize redirect %s", loc)
	}
	return q.Get("state"), w.Result().Cookies()
}

// install runs the whole OAuth flow for code and returns the page.
func (d *dist) install(t *testing.T, code, lang string) *httptest.ResponseRecorder {
	t.Helper()
	state, cookies := d.startInstall(t)
	return d.get(CallbackPath+"?code="+code+"&state="+url.QueryEscape(state), cookies, lang)
}

func teamDM(eventID, team, user, text string) string {
	return fmt.Sprintf(`{"type":"event_callback","team_id":%q,"event_id":%q,"authorizations":[{"team_id":%q,"is_enterprise_install":false}],"event":{"type":"message","channel_type":"im","channel":"D%s","user":%q,"text":%q,"ts":"1772445600.000100"}}`,
		team, eventID, team, user, user, text)
}

// pressIn presses the newest button id in channel, from team.
func (d *dist) pressIn(t *testing.T, team, user, channel, id string) {
	t.Helper()
	aid, value := d.button(t, channel, id)
	d.pressValue(t, team, user, channel, aid, value)
}

func (d *dist) pressValue(t *testing.T, team, user, channel, aid, value string) {
	t.Helper()
	wantStatus(t, d.interaction(map[string]any{
		"type": "block_actions", "trigger_id": "TRIG", "user": map[string]any{"id": user}, "team": map[string]any{"id": team},
		"container": map[string]any{"type": "message", "channel_id": channel, "message_ts": "1.1"},
		"channel":   map[string]any{"id": channel},
		"actions":   []map[string]any{{"block_id": "b", "action_id": aid, "value": value}},
	}), http.StatusOK)
}

// button is e2e.button for a dist.
func (d *dist) button(t *testing.T, channel, id string) (string, string) {
	t.Helper()
	return (&e2e{env: d.env}).button(t, channel, id)
}

func (d *dist) lastText(channel string) string { return (&e2e{env: d.env}).lastText(channel) }

// tokensUsed lists the tokens of the calls made since from.
func (d *dist) tokensUsed(from int) []string {
	var out []string
	for _, c := range d.api.allCalls()[from:] {
		if !slices.Contains(out, c.Token) {
			out = append(out, c.Token)
		}
	}
	return out
}

// Install two workspaces through OAuth, then a request made in the
// customer's workspace is approved by the account manager in the
// reseller's, each side answered with its own workspace's token.
func TestDistributedInstallEventApprovalAcrossWorkspaces(t *testing.T) {
	d := newDist(t)
	page := d.install(t, "code-contoso", "fr-FR,fr;q=0.9,en;q=0.5")
	wantStatus(t, page, http.StatusOK)
	if body := page.Body.String(); !strings.Contains(body, "licensebot est installé") || !strings.Contains(body, "« Contoso »") ||
		!strings.Contains(body, "revendeur") || page.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("install page: %s", body)
	}
	wantStatus(t, d.install(t, "code-reseller", "en"), http.StatusOK)

	in, _, err := d.a.Installations().Get(context.Background(), "TCONTOSO")
	if err != nil || in.Status != StatusInstalled || in.BotUserID != "UBOTTCONTOSO" || in.InstalledBy != "UADMINTCONTOSO" ||
		!strings.HasPrefix(in.Token, "v1.") || strings.Contains(in.Token, "xoxb") {
		t.Fatalf("installation %+v, %v", in, err)
	}

	before := len(d.api.allCalls())
	wantStatus(t, d.event(teamDM("Ev1", "TCONTOSO", "UALICE", "upgrade 5 E1 to E3 into the existing line")), http.StatusOK)
	if txt := d.lastText("DUALICE"); !strings.Contains(txt, "25 → 20") {
		t.Fatalf("no preview in Alice's DM: %s", txt)
	}
	if got := d.tokensUsed(before); !slices.Equal(got, []string{tokContoso}) {
		t.Fatalf("Alice's turn used tokens %v, want only Contoso's", got)
	}
	d.pressIn(t, "TCONTOSO", "UALICE", "DUALICE", bot.ActConfirm)
	if txt := d.lastText("DUMARC"); !strings.Contains(txt, "Approval needed") {
		t.Fatalf("no approval card for Marc: %s", txt)
	}
	for _, c := range d.api.allCalls() {
		if c.Form.Get("channel") == "DUMARC" && c.Token != tokReseller {
			t.Fatalf("Marc's card went through %q, not the reseller's workspace", c.Token)
		}
	}
	from := len(d.api.allCalls())
	d.pressIn(t, "TRESELLER", "UMARC", "DUMARC", bot.ActApprove)
	for _, c := range d.api.allCalls()[from:] {
		ch := c.Form.Get("channel")
		if ch == "DUALICE" && c.Token != tokContoso || ch == "DUMARC" && c.Token != tokReseller {
			t.Fatalf("%s in %s went through the wrong workspace (%q)", c.Method, ch, c.Token)
		}
	}
	if txt := d.lastText("DUALICE"); !strings.Contains(txt, "done") {
		t.Fatalf("Alice was not told: %s", txt)
	}
	e1, _ := d.sb.Subscription(context.Background(), "contoso", "sub-3")
	e3, _ := d.sb.Subscription(context.Background(), "contoso", "sub-4")
	if e1.Quantity != 20 || e3.Quantity != 10 {
		t.Fatalf("E1 %d E3 %d, want 20 and 10", e1.Quantity, e3.Quantity)
	}

	// No token is in the store's file in clear (nor base64-encoded).
	raw, err := os.ReadFile(d.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{tokContoso, tokReseller} {
		for _, form := range []string{tok, base64.StdEncoding.EncodeToString([]byte(tok)), base64.RawURLEncoding.EncodeToString([]byte(tok))} {
			if bytes.Contains(raw, []byte(form)) {
				t.Fatalf("the store holds a token in clear (%q)", form[:12])
			}
		}
	}
	if !bytes.Contains(raw, []byte(`"team_id":"TCONTOSO"`)) {
		t.Fatal("the scan read nothing of the store: the installation record is not in the file")
	}
}

// Requests from workspaces that may not act are refused, and nothing
// changes: a workspace not installed, a team id that does not match the
// user, an e-mail of another customer, a button naming another
// customer's request.
func TestDistributedIsolation(t *testing.T) {
	d := newDist(t)
	wantStatus(t, d.install(t, "code-contoso", ""), http.StatusOK)
	wantStatus(t, d.install(t, "code-reseller", ""), http.StatusOK)
	wantStatus(t, d.install(t, "code-fabrikam", ""), http.StatusOK)
	subsBefore := d.subsSummary(t)

	// A workspace where the app is not installed: signed by Slack, but
	// refused before any API call (there is no token to answer with).
	before := len(d.api.allCalls())
	wantStatus(t, d.event(teamDM("Ev-x1", "TNOTINSTALLED", "UALICE", "add 2 business standard seats")), http.StatusOK)
	if n := len(d.api.allCalls()) - before; n != 0 {
		t.Fatalf("%d API calls for a workspace not installed", n)
	}
	if d.metrics.get("dropped:not_installed") != 1 {
		t.Fatal("the refusal was not counted")
	}

	// A forged team: Alice's user id said to come from the reseller's
	// workspace. The reseller's token does not know her: no turn runs.
	before = len(d.api.allCalls())
	wantStatus(t, d.event(teamDM("Ev-x2", "TRESELLER", "UALICE", "add 2 business standard seats")), http.StatusOK)
	for _, c := range d.api.allCalls()[before:] {
		if c.Method != "users.info" {
			t.Fatalf("a forged team led to %s", c.Method)
		}
	}

	// An e-mail of another customer, from Contoso's workspace: not set
	// up here (Eve talks from Fabrikam's), told so in one sentence.
	wantStatus(t, d.event(teamDM("Ev-x3", "TCONTOSO", "UMALLORY", "my subscriptions")), http.StatusOK)
	if txt := d.lastText("DUMALLORY"); !strings.Contains(txt, "not set up") {
		t.Fatalf("someone with another customer's e-mail got: %s", txt)
	}

	// Alice asks for an upgrade; Eve, of Fabrikam, presses Approve and
	// Confirm with the value of Contoso's request.
	wantStatus(t, d.event(teamDM("Ev-x4", "TCONTOSO", "UALICE", "upgrade 5 E1 to E3 into the existing line")), http.StatusOK)
	d.pressIn(t, "TCONTOSO", "UALICE", "DUALICE", bot.ActConfirm)
	aid, value := d.button(t, "DUMARC", bot.ActApprove)
	d.pressValue(t, "TFABRIKAM", "UEVE", "DUEVE", aid, value)
	cid, cvalue := d.button(t, "DUALICE", bot.ActCancel)
	d.pressValue(t, "TFABRIKAM", "UEVE", "DUEVE", cid, cvalue)
	subsAfter := d.subsSummary(t)
	if txt := d.lastText("DUEVE"); !strings.Contains(txt, "earlier conversation") {
		t.Fatalf("Eve's press got no clear answer: %s", txt)
	}
	if subsBefore != subsAfter {
		t.Fatalf("another customer's press changed Contoso's subscriptions:\n%v\n%v\nEve saw: %s", subsBefore, subsAfter, d.lastText("DUEVE"))
	}
	if txt := d.lastText("DUMARC"); !strings.Contains(txt, "Approval needed") {
		t.Fatalf("Marc's card no longer waits for him: %s", txt)
	}
	for _, c := range d.api.allCalls() {
		if (c.Form.Get("channel") == "DUALICE" || c.Form.Get("channel") == "DUMARC") && c.Token == tokFabrikam {
			t.Fatalf("Fabrikam's token touched Contoso's or the reseller's messages (%s)", c.Method)
		}
	}
}

// app_uninstalled deletes the token and refuses the workspace; a new
// install brings it back with a new token.
func TestDistributedUninstallAndReinstall(t *testing.T) {
	d := newDist(t)
	wantStatus(t, d.install(t, "code-contoso", ""), http.StatusOK)
	wantStatus(t, d.event(teamDM("Ev-u1", "TCONTOSO", "UALICE", "my subscriptions")), http.StatusOK)

	wantStatus(t, d.event(`{"type":"event_callback","team_id":"TCONTOSO","event_id":"Ev-u2","event":{"type":"app_uninstalled"}}`), http.StatusOK)
	in, _, err := d.a.Installations().Get(context.Background(), "TCONTOSO")
	if err != nil || in.Status != StatusUninstalled || in.Token != "" || in.Reason != "app_uninstalled" || in.UninstalledAt.IsZero() {
		t.Fatalf("after app_uninstalled: %+v %v", in, err)
	}
	d.api.revoke(tokContoso)
	before := len(d.api.allCalls())
	wantStatus(t, d.event(teamDM("Ev-u3", "TCONTOSO", "UALICE", "my subscriptions")), http.StatusOK)
	if n := len(d.api.allCalls()) - before; n != 0 {
		t.Fatalf("%d API calls for an uninstalled workspace", n)
	}
	// Deliveries to Alice now fail clearly, so a router can try another
	// platform.
	err = d.a.Deliver(context.Background(), workflows.Person{Email: "alice@contoso.example",
		Orgs: []workflows.Org{{Platform: "slack", ID: "TCONTOSO"}}}, bot.Message{Kind: bot.KindText, Text: "hello"})
	if !errorsIs(err, ErrNotOnSlack) {
		t.Fatalf("deliver to an uninstalled workspace: %v", err)
	}

	d.api.install("code-contoso-2", "TCONTOSO", "Contoso", tokContoso2)
	page := d.install(t, "code-contoso-2", "en")
	wantStatus(t, page, http.StatusOK)
	before = len(d.api.allCalls())
	wantStatus(t, d.event(teamDM("Ev-u4", "TCONTOSO", "UALICE", "my subscriptions")), http.StatusOK)
	if got := d.tokensUsed(before); !slices.Equal(got, []string{tokContoso2}) {
		t.Fatalf("after re-install the turn used %v", got)
	}

	// tokens_revoked naming the bot token ends the installation too.
	wantStatus(t, d.event(`{"type":"event_callback","team_id":"TCONTOSO","event_id":"Ev-u5","event":{"type":"tokens_revoked","tokens":{"bot":["UBOTTCONTOSO"]}}}`), http.StatusOK)
	if in, _, _ := d.a.Installations().Get(context.Background(), "TCONTOSO"); in.Status != StatusUninstalled || in.Reason != "tokens_revoked" {
		t.Fatalf("after tokens_revoked: %+v", in)
	}
}

// The callback refuses a state that is forged, expired, replayed or
// from another browser, and installs nothing.
func TestInstallStateRefused(t *testing.T) {
	d := newDist(t)
	state, cookies := d.startInstall(t)
	forged := []byte(state)
	forged[3] ^= 1
	cases := []struct {
		name    string
		state   string
		cookies []*http.Cookie
	}{
		{"forged", string(forged), cookies},
		{"no cookie", state, nil},
		{"another browser's cookie", state, []*http.Cookie{{Name: stateCookie, Value: "x.y"}}},
	}
	for _, c := range cases {
		w := d.get(CallbackPath+"?code=code-contoso&state="+url.QueryEscape(c.state), c.cookies, "fr")
		wantStatus(t, w, http.StatusBadRequest)
		if !strings.Contains(w.Body.String(), "Ce lien d’installation a expiré") {
			t.Fatalf("%s: page %s", c.name, w.Body.String())
		}
	}
	if n := len(d.api.callsOf("oauth.v2.access")); n != 0 {
		t.Fatalf("%d code exchanges for refused states", n)
	}
	// The good one works once.
	wantStatus(t, d.get(CallbackPath+"?code=code-contoso&state="+url.QueryEscape(state), cookies, ""), http.StatusOK)
	w := d.get(CallbackPath+"?code=code-contoso&state="+url.QueryEscape(state), cookies, "")
	wantStatus(t, w, http.StatusBadRequest)
	// Expired: 10 minutes after the link.
	state, cookies = d.startInstall(t)
	d.clk.Advance(DefaultStateTTL + 1)
	wantStatus(t, d.get(CallbackPath+"?code=code-reseller&state="+url.QueryEscape(state), cookies, ""), http.StatusBadRequest)
	if _, _, err := d.a.Installations().Get(context.Background(), "TRESELLER"); !errorsIs(err, ErrNotInstalled) {
		t.Fatalf("an expired state installed: %v", err)
	}
	// Cancelled on Slack's page, and a code Slack refuses.
	w = d.get(CallbackPath+"?error=access_denied&state=x", nil, "en")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Installation cancelled") {
		t.Fatalf("cancelled: %d %s", w.Code, w.Body.String())
	}
	state, cookies = d.startInstall(t)
	w = d.get(CallbackPath+"?code=bogus&state="+url.QueryEscape(state), cookies, "en")
	if w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "did not finish") {
		t.Fatalf("refused code: %d %s", w.Code, w.Body.String())
	}
}

// A key rotation: a token sealed with the previous key still works with
// LICENSEBOT_SECRET_KEY_OLD, and is sealed again with the new key.
func TestTokenKeyRotation(t *testing.T) {
	d := newDist(t)
	old := &Installations{Store: d.a.opt.Store, Box: testBox(t, 1), Clock: d.clk, Log: d.a.log}
	if _, err := old.Save(context.Background(), Installation{ID: "TCONTOSO", TeamID: "TCONTOSO"}, tokContoso); err != nil {
		t.Fatal(err)
	}
	d.a.installs.Box = testBox(t, 2, 1)
	before := len(d.api.allCalls())
	wantStatus(t, d.event(teamDM("Ev-r1", "TCONTOSO", "UALICE", "my subscriptions")), http.StatusOK)
	if got := d.tokensUsed(before); !slices.Equal(got, []string{tokContoso}) {
		t.Fatalf("with the old key as LICENSEBOT_SECRET_KEY_OLD the turn used %v", got)
	}
	in, _, _ := d.a.Installations().Get(context.Background(), "TCONTOSO")
	if secretbox.KeyIDOf(in.Token) != d.a.installs.Box.KeyID() {
		t.Fatal("the token was not sealed again with the current key")
	}
	// Rotate re-seals what is left; nothing to do now.
	if n, err := d.a.Installations().Rotate(context.Background()); n != 0 || err != nil {
		t.Fatalf("rotate: %d %v", n, err)
	}
	// Without the old key, a token sealed with it is reported, not used.
	if _, err := old.Save(context.Background(), Installation{ID: "TRESELLER", TeamID: "TRESELLER"}, tokReseller); err != nil {
		t.Fatal(err)
	}
	d.a.installs.Box = testBox(t, 3)
	if n, err := d.a.Installations().Rotate(context.Background()); n != 0 || err == nil {
		t.Fatalf("rotate without the old key: %d %v", n, err)
	}
}
