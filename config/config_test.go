package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/rules"
)

func TestDemoConfigurationLoads(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Customers) != 2 || c.Customers[0].ID != "contoso" || c.Customers[1].ID != "fabrikam" || len(c.People) != 6 {
		t.Fatalf("demo: %+v", c)
	}
	p := c.Policy("contoso")
	if p.RemovalWindow != 72*time.Hour || p.MemberAddSeatsLimit.Minor != 5000 || p.MemberAddSeatsLimit.Currency != "EUR" {
		t.Fatalf("policy %+v", p)
	}
	if p.Location.String() != "Europe/Paris" {
		t.Fatalf("location %v", p.Location)
	}
	marc, ok := c.Directory().Lookup("MARC@erp-cloud.example")
	if !ok || marc.Role != rules.RoleAccountManager || !marc.Serves("contoso") || !marc.Serves("fabrikam") {
		t.Fatalf("marc %+v", marc)
	}
}

func TestPeopleSeed(t *testing.T) {
	c, err := Load(write(t, `
customers:
  - id: contoso
    email_domains: [contoso.example]
    slack_teams: [T0CONTOSO]
  - id: fabrikam
    members: off
    teams_tenants: [8A6F7A3E-0D1C-4B8E-9F00-2B1F3C4D5E6F]
reseller:
  slack_teams: [T0ERP]
people:
  - {email: marc@erp.example, role: account_manager, customers: [contoso, fabrikam], backup: true}
  - {email: olga@erp.example, role: account_manager}
  - {email: claire@contoso.example, role: licence_admin, customer: contoso}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.PeopleSeed()
	if len(s.Customers) != 2 || s.Customers[0].Members != "domains" || s.Customers[1].Members != "off" {
		t.Errorf("customers %+v", s.Customers)
	}
	if len(s.Links) != 3 || !s.Links[0].Reseller || s.Links[2].Org.ID != "8a6f7a3e-0d1c-4b8e-9f00-2b1f3c4d5e6f" || s.Links[2].CustomerID != "fabrikam" {
		t.Errorf("links %+v", s.Links)
	}
	// Marc twice (one grant per customer, both backup); Olga lists no
	// customer and serves none.
	if len(s.Grants) != 3 || !s.Grants[0].Backup || s.Grants[1].CustomerID != "fabrikam" || s.Grants[2].Email != "claire@contoso.example" {
		t.Errorf("grants %+v", s.Grants)
	}
}

func TestOrgsValidated(t *testing.T) {
	_, err := Load(write(t, `
customers:
  - id: contoso
    slack_teams: [T0SAME, "not a team"]
    members: some
  - id: fabrikam
    slack_teams: [T0SAME]
    teams_tenants: [nope]
    members: domains
`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`"not a team" is not a Slack team`, `slack:t0same is already linked to customers[0] (contoso)`,
		`"nope" is not a Teams tenant id`, `members "some" is not anyone, domains or off`, `members restricted to domains, but no domain given`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Every problem is reported at once, each naming where it is.
func TestValidationListsEveryProblem(t *testing.T) {
	_, err := Load(write(t, `
provider: partnerzentrum
customers:
  - id: acme
    time_zone: Mars/Olympus
    language: de
    policy:
      removal_window: forever
people:
  - email: not-an-email
    role: member
    customer: acme
  - email: bob@acme.example
    role: boss
  - email: amy@acme.example
    role: member
    customer: nobody
`))
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	for _, want := range []string{
		`provider: unknown "partnerzentrum"`,
		`time_zone "Mars/Olympus"`,
		`language "de"`,
		`removal_window: "forever"`,
		`a valid email is required`,
		`role "boss" is unknown`,
		`customer "nobody" is not a configured customer`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestUnknownFieldsAreRefused(t *testing.T) {
	_, err := Load(write(t, "customers:\n  - id: a\n    timezone: Europe/Paris\n"))
	if err == nil || !strings.Contains(err.Error(), "timezone") {
		t.Fatalf("a misspelt key went unnoticed: %v", err)
	}
}

func TestMicrosoftWindowIsAccepted(t *testing.T) {
	c, err := Load(write(t, "customers:\n  - id: a\n    policy:\n      removal_window: 168h\n      member_add_seats_limit: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Policy("a"); p.RemovalWindow != 168*time.Hour || !p.MemberAddSeatsLimit.IsZero() {
		t.Fatalf("policy %+v", p)
	}
}

func TestRedisWaitSettings(t *testing.T) {
	c, err := Load(write(t, `
customers: [{id: acme}]
redis: {wait_replicas: 2, wait_timeout: 250ms}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.WaitReplicas != 2 || c.Redis.WaitTimeoutDuration() != 250*time.Millisecond {
		t.Fatalf("redis settings %+v", c.Redis)
	}
	_, err = Load(write(t, `
customers: [{id: acme}]
redis: {wait_replicas: -2, wait_timeout: soon}
`))
	if err == nil {
		t.Fatal("invalid redis wait settings accepted")
	}
	for _, want := range []string{`redis.wait_timeout: "soon"`, `redis.wait_replicas: -2`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestSandboxSettings(t *testing.T) {
	base := func() *Config {
		c, err := Load("")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := base()
	c.Sandbox = Sandbox{AcceptDelay: "2m", FailAfterWrite: 0.25}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid settings refused: %v", err)
	}
	if c.Sandbox.Delay() != 2*time.Minute {
		t.Errorf("delay %v", c.Sandbox.Delay())
	}
	for _, tc := range []struct {
		s    Sandbox
		prov string
		want string
	}{
		{Sandbox{AcceptDelay: "soon"}, "", "sandbox.accept_delay"},
		{Sandbox{AcceptDelay: "-1m"}, "", "sandbox.accept_delay"},
		{Sandbox{FailAfterWrite: 1.5}, "", "sandbox.fail_after_write"},
		{Sandbox{FailAfterWrite: -0.1}, "sandbox", "sandbox.fail_after_write"},
		{Sandbox{AcceptDelay: "1m"}, "cloudcockpit", "sandbox provider only"},
	} {
		c := base()
		c.Sandbox, c.Provider = tc.s, tc.prov
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.s, err, tc.want)
		}
	}
}

func TestSandboxSettingsFromYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	body := string(Demo()) + "\nsandbox:\n  accept_delay: 90s\n  fail_after_write: 0.2\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Sandbox.Delay() != 90*time.Second || c.Sandbox.FailAfterWrite != 0.2 {
		t.Errorf("sandbox settings %+v", c.Sandbox)
	}
}

// The Bot Framework endpoints can point at a sovereign cloud or a load
// test; anything that is not an http(s) URL is refused with its key.
func TestTeamsEndpoints(t *testing.T) {
	c, err := Load(write(t, `
customers:
  - id: contoso
teams:
  openid_metadata_url: https://login.botframework.azure.us/v1/.well-known/openidconfiguration
  token_url: https://login.microsoftonline.us/tenant/oauth2/v2.0/token
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Teams.OpenIDMetadataURL == "" || c.Teams.TokenURL == "" {
		t.Fatalf("teams settings not read: %+v", c.Teams)
	}
	_, err = Load(write(t, `
teams:
  openid_metadata_url: "not a url"
  token_url: ftp://example.com/token
`))
	for _, want := range []string{`teams.openid_metadata_url: "not a url"`, `teams.token_url: "ftp://example.com/token"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

// The pool settings and the connector allow-list are read, and wrong
// values are refused with their key.
func TestServePoolAndConnectorOrigins(t *testing.T) {
	c, err := Load(write(t, `
customers:
  - id: contoso
serve:
  workers: 32
  queue_size: 2048
  idle_conns_per_host: 16
teams:
  token_issuer: https://api.botframework.us
  token_scope: https://api.botframework.us/.default
  connector_origins: [https://smba.infra.gov.teams.microsoft.us, "https://*.teams.microsoft.us", "http://127.0.0.1:8081"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Serve.Workers != 32 || c.Serve.QueueSize != 2048 || c.Serve.IdleConnsPerHost != 16 {
		t.Errorf("serve settings %+v", c.Serve)
	}
	if len(c.Teams.ConnectorOrigins) != 3 || c.Teams.TokenIssuer == "" || c.Teams.TokenScope == "" {
		t.Errorf("teams settings %+v", c.Teams)
	}
	_, err = Load(write(t, `
customers:
  - id: contoso
serve:
  workers: -1
  queue_size: 99999999
teams:
  connector_origins: [smba.trafficmanager.net, "https://smba.trafficmanager.net/emea/", "https://*.net"]
`))
	for _, want := range []string{"serve.workers: -1", "serve.queue_size: 99999999", "teams.connector_origins[0]", "teams.connector_origins[1]", "teams.connector_origins[2]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

// The licence usage and GDAP endpoints of CloudCockpit need the
// reseller's provider instance id: it is read from the file.
func TestCloudCockpitProviderInstanceID(t *testing.T) {
	c, err := Load(write(t, `
provider: cloudcockpit
customers:
  - id: contoso
cloudcockpit:
  tenant: csp.example.fr
  provider_instance_id: 5d8c2f1a-0000-4000-8000-000000000001
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.CloudCockpit.ProviderInstanceID != "5d8c2f1a-0000-4000-8000-000000000001" {
		t.Fatalf("provider instance id %q", c.CloudCockpit.ProviderInstanceID)
	}
}

// The runtime settings of serve: the collector's target, a memory limit
// in GOMEMLIMIT's units, and a profiler address that must be loopback.
func TestServeRuntimeSettings(t *testing.T) {
	c, err := Load(write(t, `
customers:
  - id: contoso
serve:
  gc_percent: 200
  memory_limit: 768MiB
  debug_addr: 127.0.0.1:6060
`))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.Serve.MemoryLimitBytes(); err != nil || n != 768<<20 || c.Serve.GCPercent != 200 || c.Serve.DebugAddr != "127.0.0.1:6060" {
		t.Errorf("serve settings %+v (limit %d, %v)", c.Serve, n, err)
	}
	for _, v := range []string{"", "1073741824", "2GiB", "512 MiB"} {
		if _, err := (Serve{MemoryLimit: v}).MemoryLimitBytes(); err != nil {
			t.Errorf("memory limit %q: %v", v, err)
		}
	}
	_, err = Load(write(t, `
customers:
  - id: contoso
serve:
  gc_percent: -2
  memory_limit: 2 gigs
  debug_addr: 0.0.0.0:6060
`))
	for _, want := range []string{"serve.gc_percent: -2", `serve.memory_limit: "2 gigs"`, `serve.debug_addr: "0.0.0.0:6060"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	_, err = Load(write(t, `
customers:
  - id: contoso
serve:
  gc_percent: -1
  debug_addr: ":6060"
`))
	for _, want := range []string{"serve.gc_percent: -1 turns the collector off", `serve.debug_addr: ":6060"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
