package teams

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// Two customer tenants besides the bot's home tenant (the reseller's).
const (
	tenantContoso  = "11111111-1111-1111-1111-111111111111"
	tenantFabrikam = "22222222-2222-2222-2222-222222222222"
	tenantUnlinked = "33333333-3333-3333-3333-333333333333"
)

// linkedDir is a directory that links organizations, as the store-backed
// one does.
type linkedDir struct {
	*workflows.Directory
	mu     sync.Mutex
	linked map[string]bool
	err    error
}

func (d *linkedDir) OrgLinked(_ context.Context, org workflows.Org) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.linked[org.Key()], d.err
}

func newTenantsEnv(t *testing.T) (*env, *linkedDir) {
	t.Helper()
	dir := &linkedDir{Directory: workflows.NewDirectory([]workflows.Person{
		{Email: "alice@contoso.example", Name: "Alice", Role: rules.RoleMember, CustomerID: "C1",
			Orgs: []workflows.Org{{Platform: "teams", ID: tenantContoso}}},
		{Email: "marc@reseller.example", Name: "Marc", Role: rules.RoleAccountManager,
			Orgs: []workflows.Org{{Platform: "teams", ID: testTenant}}},
	}), linked: map[string]bool{
		workflows.Org{Platform: "teams", ID: tenantContoso}.Key():  true,
		workflows.Org{Platform: "teams", ID: tenantFabrikam}.Key(): true,
	}}
	e := newEnv(t, func(o *Options) { o.People = dir })
	return e, dir
}

func inTenant(act Activity, tenant string) Activity {
	c := *act.Conversation
	c.TenantID = tenant
	act.Conversation = &c
	act.ChannelData = json.RawMessage(`{"tenant":{"id":"` + tenant + `"}}`)
	return act
}

// A tenant nobody linked is refused (403) before anything is read or
// run, messages and installs alike; a linked one is served.
func TestTenantNotLinkedRefused(t *testing.T) {
	e, _ := newTenantsEnv(t)
	msg := inTenant(e.message(alice, "t1", "my subscriptions"), tenantUnlinked)
	if w := e.post(msg, ""); w.Code != http.StatusForbidden {
		t.Fatalf("unlinked tenant answered %d", w.Code)
	}
	install := inTenant(e.message(alice, "t2", ""), tenantUnlinked)
	install.Type, install.MembersAdded = ActivityConversationUpdate, []ChannelAccount{{ID: botMRI}}
	if w := e.post(install, ""); w.Code != http.StatusForbidden {
		t.Fatalf("install from an unlinked tenant answered %d", w.Code)
	}
	if len(e.h.got()) != 0 || len(e.bf.callsOf("member", "send", "reply")) != 0 {
		t.Fatal("an unlinked tenant's activity was acted on")
	}
	if docs, _ := e.store.List(context.Background(), "", refsCollection); len(docs) != 0 {
		t.Fatalf("references kept for an unlinked tenant: %d", len(docs))
	}
	if e.metrics.get("dropped:other_tenant") != 2 {
		t.Fatal("refusals not counted")
	}

	// Alice, from her own (linked) tenant: served, her reference kept
	// under that tenant.
	if w := e.post(inTenant(e.message(alice, "t3", "my subscriptions"), tenantContoso), ""); w.Code != http.StatusOK {
		t.Fatalf("linked tenant answered %d", w.Code)
	}
	if got := e.h.got(); len(got) != 1 || got[0].Org.ID != tenantContoso || got[0].Person.Email != "alice@contoso.example" {
		t.Fatalf("turns %+v", got)
	}
	if _, found, _ := e.a.loadRef(context.Background(), personRef(tenantContoso, "alice@contoso.example")); !found {
		t.Fatal("reference not kept under Alice's tenant")
	}
}

// Someone with Alice's address writing from another customer's tenant
// is not Alice: told they are not set up, no turn runs, and the
// reference her cards go to is untouched.
func TestForgedTenantForAnotherCustomersPerson(t *testing.T) {
	e, _ := newTenantsEnv(t)
	e.post(inTenant(e.message(alice, "f1", "hello"), tenantContoso), "")
	before, _, _ := e.a.loadRef(context.Background(), personRef(tenantContoso, "alice@contoso.example"))
	turns := len(e.h.got())

	forged := inTenant(e.message(alice, "f2", "cancel business standard"), tenantFabrikam)
	forged.Conversation.ID = "a:chat-forged"
	if w := e.post(forged, ""); w.Code != http.StatusOK {
		t.Fatalf("answered %d", w.Code)
	}
	if len(e.h.got()) != turns {
		t.Fatal("a turn ran for someone writing from another customer's tenant")
	}
	posts := e.bf.posts()
	if len(posts) == 0 || !strings.Contains(cardText(t, cardOf(t, posts[len(posts)-1].Activity)), "not set up") {
		t.Fatal("no clear answer to the person from the other tenant")
	}
	after, _, _ := e.a.loadRef(context.Background(), personRef(tenantContoso, "alice@contoso.example"))
	if after.Ref.Conversation.ID != before.Ref.Conversation.ID {
		t.Fatal("Alice's reference was replaced from another tenant")
	}
	if _, found, _ := e.a.loadRef(context.Background(), personRef(tenantFabrikam, "alice@contoso.example")); found {
		t.Fatal("a reference was kept for the refused person")
	}
}

// Proactive messages go to each person's tenant conversation, on its
// stored service URL, with the bot's own token (one token, from the
// home tenant's authority, for every tenant).
func TestDeliverAcrossTenants(t *testing.T) {
	e, _ := newTenantsEnv(t)
	e.post(inTenant(e.message(alice, "d1", "hello"), tenantContoso), "")
	e.installed(marc)
	alicePerson, _ := e.a.opt.People.ByEmail(context.Background(), "alice@contoso.example")
	marcP, _ := e.a.opt.People.ByEmail(context.Background(), "marc@reseller.example")
	for _, p := range []workflows.Person{alicePerson, marcP} {
		if err := e.a.Deliver(context.Background(), p, bot.Message{Kind: bot.KindText, Text: "hi " + p.Name}); err != nil {
			t.Fatalf("deliver to %s: %v", p.Email, err)
		}
	}
	sends := e.bf.callsOf("send")
	var gotAlice, gotMarc bool
	for _, c := range sends {
		switch c.Conv {
		case personalConv(alice):
			gotAlice = true
		case personalConv(marc):
			gotMarc = true
		}
		if c.Auth == "" {
			t.Fatalf("a proactive send without the bot's token: %+v", c)
		}
	}
	if !gotAlice || !gotMarc {
		t.Fatalf("sends %+v", sends)
	}
	e.bf.mu.Lock()
	n := e.bf.tokenHits
	e.bf.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d token fetches: the bot's one token should serve every tenant", n)
	}
	// Someone the directory binds to a tenant never gets a reference
	// of another tenant: none is stored, so delivery says so.
	err := e.a.Deliver(context.Background(), workflows.Person{Email: "alice@contoso.example",
		Orgs: []workflows.Org{{Platform: "teams", ID: tenantFabrikam}}}, bot.Message{Kind: bot.KindText, Text: "x"})
	if !errors.Is(err, ErrNoConversation) {
		t.Fatalf("deliver into a tenant she never wrote from: %v", err)
	}
}

// When the links cannot be read, the activity is deferred (503), not
// accepted on faith.
func TestTenantLinksUnreadable(t *testing.T) {
	e, dir := newTenantsEnv(t)
	dir.mu.Lock()
	dir.err = store.ErrUnavailable
	dir.mu.Unlock()
	if w := e.post(inTenant(e.message(alice, "u1", "hello"), tenantContoso), ""); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("answered %d", w.Code)
	}
	if len(e.h.got()) != 0 {
		t.Fatal("a turn ran")
	}
}
