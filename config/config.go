// Package config loads licensebot's YAML configuration (customers, their
// policies, people and roles, the provider and the store) and checks it,
// saying precisely what is missing or wrong. Secrets never live here:
// they come from the environment.
package config

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // customers' zones must load on machines without tzdata

	"gopkg.in/yaml.v3"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

//go:embed demo.yaml
var demoYAML []byte

// Demo returns the embedded demo configuration's text.
func Demo() []byte { return append([]byte(nil), demoYAML...) }

// Config is the whole configuration file.
type Config struct {
	Provider  string     `yaml:"provider"`
	Store     string     `yaml:"store"`
	Customers []Customer `yaml:"customers"`
	People    []Person   `yaml:"people"`
	Redis     Redis      `yaml:"redis"`
	// CloudCockpit settings; its client id and secret come from the
	// environment (CLOUDCOCKPIT_CLIENT_ID, CLOUDCOCKPIT_CLIENT_SECRET).
	CloudCockpit CloudCockpit `yaml:"cloudcockpit"`
	// PartnerCenter settings; its secrets come from the environment.
	PartnerCenter PartnerCenter `yaml:"partnercenter"`
	// Catalog is a catalog file (YAML) replacing the embedded demo one:
	// the reseller's offers with their portal ids and aliases.
	Catalog   string    `yaml:"catalog"`
	Reminders Reminders `yaml:"reminders"`
	Serve     Serve     `yaml:"serve"`
	// Sandbox makes the embedded portal slow or flaky on purpose.
	Sandbox Sandbox `yaml:"sandbox"`
	// Teams points the Bot Framework endpoints elsewhere (sovereign
	// clouds, load tests).
	Teams Teams `yaml:"teams"`
	// Reseller is the reseller's own workspaces and tenants, where its
	// account managers talk to the bot.
	Reseller Orgs `yaml:"reseller"`
}

// Orgs are Slack workspaces (team or Enterprise Grid ids) and Teams
// tenants (GUIDs) linked to a customer or to the reseller; each belongs
// to exactly one.
type Orgs struct {
	SlackTeams   []string `yaml:"slack_teams"`
	TeamsTenants []string `yaml:"teams_tenants"`
}

// Customer is one customer's settings.
type Customer struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	TimeZone string `yaml:"time_zone"`
	Language string `yaml:"language"`
	Policy   Policy `yaml:"policy"`
	Orgs     `yaml:",inline"`
	// Members says who, writing from the customer's workspaces and
	// tenants, may use the bot without being listed: anyone (default),
	// domains (only e-mails of EmailDomains) or off (only listed people).
	Members      string   `yaml:"members"`
	EmailDomains []string `yaml:"email_domains"`
}

// Policy is a customer's rule settings; zero values take the defaults.
type Policy struct {
	RemovalWindow       string   `yaml:"removal_window"`
	MemberAddSeatsLimit *float64 `yaml:"member_add_seats_limit"`
	ApprovalLead        string   `yaml:"approval_lead"`
	Currency            string   `yaml:"currency"`
	// PurchaseApprovalAbove: a new subscription whose first term costs
	// more than this goes to the account manager; unset: no such limit.
	PurchaseApprovalAbove *float64 `yaml:"purchase_approval_above"`
}

// Person as written in the file.
type Person struct {
	Email     string   `yaml:"email"`
	Name      string   `yaml:"name"`
	Role      string   `yaml:"role"`
	Customer  string   `yaml:"customer"`
	Customers []string `yaml:"customers"`
	Backup    bool     `yaml:"backup"`
	Language  string   `yaml:"language"`
}

// Redis settings beyond REDIS_URL.
type Redis struct {
	URL           string   `yaml:"url"`
	Prefix        string   `yaml:"prefix"`
	MasterName    string   `yaml:"master_name"`
	SentinelAddrs []string `yaml:"sentinel_addrs"`
	ClusterAddrs  []string `yaml:"cluster_addrs"`
	// WaitReplicas is how many replicas the writes that decide money
	// wait for (Redis WAIT): 0 (default) one when the master has a
	// replica, none otherwise; -1 never waits.
	WaitReplicas int `yaml:"wait_replicas"`
	// WaitTimeout bounds that wait, like "500ms" (the default).
	WaitTimeout string `yaml:"wait_timeout"`
}

// WaitTimeoutDuration is WaitTimeout parsed (0 when unset or invalid;
// Validate reports an invalid one).
func (r Redis) WaitTimeoutDuration() time.Duration {
	d, err := time.ParseDuration(r.WaitTimeout)
	if err != nil || d <= 0 {
		return 0
	}
	return d
}

// CloudCockpit is the reseller portal's non-secret settings.
type CloudCockpit struct {
	// BaseURL of the API (default
	// https://app-cloudcockpitapi-prod-01.azurewebsites.net).
	BaseURL string `yaml:"base_url"`
	// Tenant is the portal domain sent as X-Tenant (csp.example.fr);
	// CLOUDCOCKPIT_TENANT overrides it.
	Tenant string `yaml:"tenant"`
	// ProviderInstanceID is the reseller's Microsoft provider instance in
	// CloudCockpit: the licences (usage) and GDAP endpoints need it.
	// Without it the bot says the portal cannot tell.
	ProviderInstanceID string `yaml:"provider_instance_id"`
}

// Reminders settings.
type Reminders struct {
	Tick string `yaml:"tick"`
}

// Serve settings. The pool sizes default from the number of processors
// (GOMAXPROCS) when zero: see docs/OPERATIONS.md for the values on 2 and
// 16 cores.
type Serve struct {
	Addr string `yaml:"addr"`
	// Workers is the number of turns handled at once per chat platform
	// (default 4 per processor: a turn mostly waits on the store, the
	// portal and the platform). One person's turns always run in order.
	Workers int `yaml:"workers"`
	// QueueSize is how many turns may wait for a worker, across workers
	// (default 64 per worker); past it a request is refused at once with
	// 503 and the platform delivers it again later.
	QueueSize int `yaml:"queue_size"`
	// IdleConnsPerHost is how many idle connections are kept to each
	// platform API host (Slack's Web API, the Bot Connector), so busy
	// workers do not open a new TLS connection per reply (default: one
	// per worker; Go's own default is 2).
	IdleConnsPerHost int `yaml:"idle_conns_per_host"`
	// GCPercent is the garbage collector's target for serve, as GOGC:
	// a collection starts when the heap has grown by this percentage of
	// what was live after the last one. 0 means the default, 400: a turn
	// allocates about 100 KB and keeps almost none of it, so at Go's 100
	// a busy serve collects several times a second for a small live heap;
	// 400 collects a quarter as often, for a heap up to five times the
	// live one (tens of MB). -1 turns the collector off (only with
	// MemoryLimit). The GOGC environment variable, when set, wins.
	GCPercent int `yaml:"gc_percent"`
	// MemoryLimit is a soft limit on serve's memory, as GOMEMLIMIT
	// ("768MiB", "2GiB"): near it the collector runs more often, whatever
	// GCPercent says. Empty means none. Set it a little under the
	// container's memory limit. The GOMEMLIMIT environment variable,
	// when set, wins.
	MemoryLimit string `yaml:"memory_limit"`
	// DebugAddr, when set, serves Go's profiler (net/http/pprof, under
	// /debug/pprof/) on this loopback address, so CPU and memory profiles
	// can be taken from a running serve. Off by default; only a loopback
	// address is accepted (profiles show internals, and a CPU profile
	// costs CPU while it runs).
	DebugAddr string `yaml:"debug_addr"`
}

// DefaultGCPercent is serve's GCPercent when the configuration leaves
// it at 0.
const DefaultGCPercent = 400

// MemoryLimitBytes parses MemoryLimit: a number of bytes with an
// optional unit B, KiB, MiB, GiB or TiB, as GOMEMLIMIT takes it; 0 when
// empty.
func (s Serve) MemoryLimitBytes() (int64, error) {
	v := strings.TrimSpace(s.MemoryLimit)
	if v == "" {
		return 0, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = n, u.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is not a size such as 768MiB or 2GiB", s.MemoryLimit)
	}
	return n * mult, nil
}

// Bounds of the pool settings: beyond them a typo (an extra zero) would
// cost memory or file descriptors rather than help.
const (
	maxWorkers   = 4096
	maxQueueSize = 1 << 20
	maxIdleConns = 4096
)

// validateServe checks the pool sizes.
func (c *Config) validateServe(pr *problems) {
	for _, f := range []struct {
		key    string
		v, max int
	}{
		{"serve.workers", c.Serve.Workers, maxWorkers},
		{"serve.queue_size", c.Serve.QueueSize, maxQueueSize},
		{"serve.idle_conns_per_host", c.Serve.IdleConnsPerHost, maxIdleConns},
	} {
		if f.v < 0 || f.v > f.max {
			pr.add("%s: %d is not between 0 (the default for this machine) and %d", f.key, f.v, f.max)
		}
	}
	if g := c.Serve.GCPercent; g < -1 || g > 10000 {
		pr.add("serve.gc_percent: %d is not between -1 (off) and 10000 (0 is the default, %d)", g, DefaultGCPercent)
	}
	limit, err := c.Serve.MemoryLimitBytes()
	switch {
	case err != nil:
		pr.add("serve.memory_limit: %v", err)
	case c.Serve.GCPercent == -1 && limit == 0:
		pr.add("serve.gc_percent: -1 turns the collector off; it needs serve.memory_limit")
	}
	if a := c.Serve.DebugAddr; a != "" {
		host, _, err := net.SplitHostPort(a)
		ip := net.ParseIP(host)
		if err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			pr.add("serve.debug_addr: %q is not a loopback address such as 127.0.0.1:6060", a)
		}
	}
}

// Load reads a file, or the embedded demo configuration when path is "".
func Load(path string) (*Config, error) {
	data := demoYAML
	name := "embedded demo configuration"
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		data, name = b, path
	}
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

// Validate reports every problem at once, one per line.
func (c *Config) Validate() error {
	var pr problems
	c.validateBackends(&pr)
	ids := c.validateCustomers(&pr)
	c.validatePeople(&pr, ids)
	c.validateOrgs(&pr)
	if c.Reminders.Tick != "" {
		if d, err := time.ParseDuration(c.Reminders.Tick); err != nil || d < time.Second {
			pr.add("reminders.tick: %q is not a duration of at least 1s, like 1m", c.Reminders.Tick)
		}
	}
	c.validateRedis(&pr)
	c.validateServe(&pr)
	pr = append(pr, c.validateSandbox()...)
	pr = append(pr, c.validateTeams()...)
	return errors.Join(pr...)
}

// validateRedis checks the replica-wait settings.
func (c *Config) validateRedis(pr *problems) {
	if c.Redis.WaitTimeout != "" {
		if d, err := time.ParseDuration(c.Redis.WaitTimeout); err != nil || d < time.Millisecond {
			pr.add("redis.wait_timeout: %q is not a duration of at least 1ms, like 500ms", c.Redis.WaitTimeout)
		}
	}
	if c.Redis.WaitReplicas < -1 {
		pr.add("redis.wait_replicas: %d is not -1 (never wait), 0 (one when the master has a replica) or a number of replicas", c.Redis.WaitReplicas)
	}
}

// problems collects what Validate finds, in file order.
type problems []error

func (pr *problems) add(format string, args ...any) { *pr = append(*pr, fmt.Errorf(format, args...)) }

// validLanguage: the languages the bot speaks ("" takes the default).
func validLanguage(l string) bool { return l == "" || l == "en" || l == "fr" }

// validateBackends checks the provider and store names.
func (c *Config) validateBackends(pr *problems) {
	switch c.Provider {
	case "", "sandbox", "cloudcockpit", "partnercenter":
	default:
		pr.add("provider: unknown %q (want sandbox, cloudcockpit or partnercenter)", c.Provider)
	}
	c.validatePartnerCenter(pr.add)
	switch c.Store {
	case "", "bolt", "redis":
	default:
		pr.add("store: unknown %q (want bolt or redis)", c.Store)
	}
}

// validateCustomers checks each customer and returns the ids configured.
func (c *Config) validateCustomers(pr *problems) map[string]bool {
	if len(c.Customers) == 0 {
		pr.add("customers: at least one customer is required")
	}
	ids := map[string]bool{}
	for i, cu := range c.Customers {
		if cu.ID == "" {
			pr.add("customers[%d]: id is required", i)
		}
		if ids[cu.ID] {
			pr.add("customers[%d]: duplicate id %q", i, cu.ID)
		}
		ids[cu.ID] = true
		if cu.TimeZone != "" {
			if _, err := time.LoadLocation(cu.TimeZone); err != nil {
				pr.add("customers[%d] (%s): time_zone %q is not a known IANA zone", i, cu.ID, cu.TimeZone)
			}
		}
		if !validLanguage(cu.Language) {
			pr.add("customers[%d] (%s): language %q is not supported (en or fr)", i, cu.ID, cu.Language)
		}
		if _, err := cu.policy(); err != nil {
			pr.add("customers[%d] (%s): %v", i, cu.ID, err)
		}
	}
	return ids
}

// validatePeople checks each person: a unique email, a language, a role,
// and customers among ids.
func (c *Config) validatePeople(pr *problems, ids map[string]bool) {
	emails := map[string]bool{}
	for i, p := range c.People {
		e := strings.ToLower(strings.TrimSpace(p.Email))
		if e == "" || !strings.Contains(e, "@") {
			pr.add("people[%d]: a valid email is required (got %q)", i, p.Email)
		}
		if emails[e] {
			pr.add("people[%d]: duplicate email %q", i, p.Email)
		}
		emails[e] = true
		if !validLanguage(p.Language) {
			pr.add("people[%d] (%s): language %q is not supported (en or fr)", i, p.Email, p.Language)
		}
		p.validateRole(pr, i, ids)
	}
}

// validateRole checks the person's role and the customers it names.
func (p Person) validateRole(pr *problems, i int, ids map[string]bool) {
	switch rules.Role(p.Role) {
	case rules.RoleMember, rules.RoleLicenceAdmin:
		if !ids[p.Customer] {
			pr.add("people[%d] (%s): customer %q is not a configured customer", i, p.Email, p.Customer)
		}
	case rules.RoleAccountManager:
		for _, cu := range p.Customers {
			if !ids[cu] {
				pr.add("people[%d] (%s): customers: %q is not a configured customer", i, p.Email, cu)
			}
		}
	default:
		pr.add("people[%d] (%s): role %q is unknown (member, licence_admin or account_manager)", i, p.Email, p.Role)
	}
}

// Location returns the customer's time zone (Europe/Paris by default).
func (cu Customer) Location() *time.Location {
	name := cu.TimeZone
	if name == "" {
		name = "Europe/Paris"
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

func (cu Customer) policy() (rules.Policy, error) {
	p := rules.DefaultPolicy(cu.Location())
	if s := cu.Policy.RemovalWindow; s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return p, fmt.Errorf("policy.removal_window: %q is not a positive duration like 72h", s)
		}
		p.RemovalWindow = d
	}
	if s := cu.Policy.ApprovalLead; s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return p, fmt.Errorf("policy.approval_lead: %q is not a duration like 12h", s)
		}
		p.ApprovalLead = d
	}
	if v := cu.Policy.MemberAddSeatsLimit; v != nil {
		if *v < 0 {
			return p, fmt.Errorf("policy.member_add_seats_limit: must not be negative")
		}
		cur := cu.Policy.Currency
		if cur == "" {
			cur = "EUR"
		}
		p.MemberAddSeatsLimit = csp.NewMoney(*v, cur)
	}
	if v := cu.Policy.PurchaseApprovalAbove; v != nil {
		if *v < 0 {
			return p, fmt.Errorf("policy.purchase_approval_above: must not be negative")
		}
		p.PurchaseApprovalAbove = csp.NewMoney(*v, portalCurrency(cu.Policy.Currency))
	}
	return p, nil
}

func portalCurrency(c string) string {
	if c == "" {
		return "EUR"
	}
	return c
}

// Policy returns a customer's rules policy.
func (c *Config) Policy(customerID string) rules.Policy {
	for _, cu := range c.Customers {
		if cu.ID == customerID {
			p, _ := cu.policy() // validated at load
			return p
		}
	}
	return rules.DefaultPolicy(time.UTC)
}

// validateOrgs checks that each workspace and tenant id is well formed
// and linked once, and each customer's membership setting.
func (c *Config) validateOrgs(pr *problems) {
	owner := map[string]string{}
	check := func(who string, o Orgs) {
		for _, pair := range o.orgs() {
			org, err := workflows.ParseOrg(pair[0], pair[1])
			if err != nil {
				pr.add("%s: %v", who, err)
				continue
			}
			if prev, ok := owner[org.Key()]; ok {
				pr.add("%s: %s is already linked to %s (a workspace or tenant belongs to one customer or to the reseller)", who, org.Key(), prev)
			}
			owner[org.Key()] = who
		}
	}
	check("reseller", c.Reseller)
	for i, cu := range c.Customers {
		who := fmt.Sprintf("customers[%d] (%s)", i, cu.ID)
		check(who, cu.Orgs)
		if err := cu.workflowsCustomer().Check(); err != nil {
			pr.add("%s: %v", who, err)
		}
	}
}

// orgs lists platform and id pairs.
func (o Orgs) orgs() [][2]string {
	var out [][2]string
	for _, t := range o.SlackTeams {
		out = append(out, [2]string{"slack", t})
	}
	for _, t := range o.TeamsTenants {
		out = append(out, [2]string{"teams", t})
	}
	return out
}

func (cu Customer) workflowsCustomer() workflows.Customer {
	m := cu.Members
	if m == "" && len(cu.EmailDomains) > 0 {
		m = workflows.MembersDomains
	}
	return workflows.Customer{ID: cu.ID, Name: cu.Name, Language: cu.Language, TimeZone: cu.TimeZone,
		Members: m, Domains: cu.EmailDomains}
}

// PeopleSeed is what the file says about customers, links and roles, for
// the store-backed directory. An account manager with no customers
// listed serves none there (in Directory, all).
func (c *Config) PeopleSeed() workflows.PeopleSeed {
	var s workflows.PeopleSeed
	link := func(o Orgs, customerID string) {
		for _, pair := range o.orgs() {
			if org, err := workflows.ParseOrg(pair[0], pair[1]); err == nil {
				s.Links = append(s.Links, workflows.OrgLink{Org: org, CustomerID: customerID, Reseller: customerID == ""})
			}
		}
	}
	link(c.Reseller, "")
	for _, cu := range c.Customers {
		s.Customers = append(s.Customers, cu.workflowsCustomer())
		link(cu.Orgs, cu.ID)
	}
	for _, p := range c.People {
		g := workflows.Grant{Email: p.Email, Name: p.Name, Locale: p.Language, Role: rules.Role(p.Role), CustomerID: p.Customer}
		if g.Role != rules.RoleAccountManager {
			s.Grants = append(s.Grants, g)
			continue
		}
		for _, cu := range p.Customers {
			g.CustomerID, g.Backup = cu, p.Backup
			s.Grants = append(s.Grants, g)
		}
	}
	return s
}

// Directory builds the people directory.
func (c *Config) Directory() *workflows.Directory {
	people := make([]workflows.Person, 0, len(c.People))
	for _, p := range c.People {
		people = append(people, workflows.Person{
			Email: p.Email, Name: p.Name, Role: rules.Role(p.Role), CustomerID: p.Customer,
			Customers: p.Customers, Backup: p.Backup, Locale: p.Language,
		})
	}
	return workflows.NewDirectory(people)
}

// CustomerIDs lists the configured customers.
func (c *Config) CustomerIDs() []string {
	out := make([]string, len(c.Customers))
	for i, cu := range c.Customers {
		out[i] = cu.ID
	}
	return out
}
