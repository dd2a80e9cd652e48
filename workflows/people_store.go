package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
)

// Store collections of the people directory. Customers, organization
// links and the per-person index are the reseller's data (scope ""); a
// customer's roster lives in the customer's scope, so a grant and its
// audit line are one atomic write there and show in that customer's
// audit log.
const (
	collCustomers = "customers"
	collOrgLinks  = "org_links"
	collPeople    = "people"
	collRoster    = "roster"
	collSeed      = "seed"
	rosterID      = "roster"
	seedID        = "applied"
)

// Errors the people directory's callers branch on. Each wraps into a
// sentence in the CLI and the chat.
var (
	// ErrUnknownCustomer: no customer with that id is recorded.
	ErrUnknownCustomer = errors.New("unknown customer")
	// ErrCustomerExists: a customer with that id is already recorded.
	ErrCustomerExists = errors.New("customer already exists")
	// ErrInvalid: the input is malformed (an e-mail, a role, an org id).
	ErrInvalid = errors.New("invalid input")
	// ErrForbidden: the actor may not manage people of that customer.
	ErrForbidden = errors.New("not allowed to manage people of this customer")
	// ErrNoSuchGrant: the person does not have that role there.
	ErrNoSuchGrant = errors.New("no such role")
	// ErrNotLinked: the workspace or tenant is linked to nobody.
	ErrNotLinked = errors.New("organization not linked")
)

// OrgTakenError: a workspace or tenant belongs to exactly one customer (or
// to the reseller); linking it elsewhere is refused until it is unlinked.
type OrgTakenError struct {
	Link OrgLink
}

func (e *OrgTakenError) Error() string {
	return fmt.Sprintf("%s is already linked to %s", e.Link.Org.Key(), e.Link.Owner())
}

// NotMemberError says why someone writing from a linked organization is
// not a member of its customer; it wraps ErrUnknownPerson.
type NotMemberError struct {
	Email, CustomerID, Reason string
}

func (e *NotMemberError) Error() string {
	return fmt.Sprintf("%s is not a member of %s: %s", e.Email, e.CustomerID, e.Reason)
}

func (e *NotMemberError) Unwrap() error { return ErrUnknownPerson }

// Membership modes of a customer: who, writing from one of its linked
// organizations, is a member without being listed.
const (
	// MembersAnyone: everyone in the workspace or tenant (the default).
	MembersAnyone = "anyone"
	// MembersDomains: only e-mails in the customer's Domains.
	MembersDomains = "domains"
	// MembersOff: only people granted a role (member included).
	MembersOff = "off"
)

// Customer is a customer as the directory records it.
type Customer struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Language string `json:"language,omitempty"`
	TimeZone string `json:"time_zone,omitempty"`
	// Members is MembersAnyone (""), MembersDomains or MembersOff.
	Members string `json:"members,omitempty"`
	// Domains are the e-mail domains allowed with MembersDomains.
	Domains []string `json:"domains,omitempty"`
}

// MemberMode is Members with the default filled in.
func (c Customer) MemberMode() string {
	if c.Members == "" {
		return MembersAnyone
	}
	return c.Members
}

// admits reports whether email becomes a member just by writing from one
// of the customer's organizations.
func (c Customer) admits(email string) (bool, string) {
	switch c.MemberMode() {
	case MembersOff:
		return false, "the customer lets only listed people use the bot"
	case MembersDomains:
		dom := emailDomain(email)
		for _, d := range c.Domains {
			if strings.EqualFold(d, dom) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("the e-mail domain %q is not one of the customer's", dom)
	}
	return true, ""
}

// OrgLink ties a workspace or tenant to one customer, or to the reseller.
type OrgLink struct {
	Org        Org       `json:"org"`
	CustomerID string    `json:"customer_id,omitempty"`
	Reseller   bool      `json:"reseller,omitempty"`
	LinkedAt   time.Time `json:"linked_at"`
	LinkedBy   string    `json:"linked_by"`
}

// Owner is "the reseller" or the customer id.
func (l OrgLink) Owner() string {
	if l.Reseller {
		return "the reseller"
	}
	return "customer " + l.CustomerID
}

// Grant is one role given to one person at one customer.
type Grant struct {
	Email      string     `json:"email"`
	Name       string     `json:"name,omitempty"`
	Locale     string     `json:"locale,omitempty"`
	CustomerID string     `json:"customer_id"`
	Role       rules.Role `json:"role"`
	// Backup marks a backup account manager for this customer.
	Backup    bool      `json:"backup,omitempty"`
	GrantedAt time.Time `json:"granted_at"`
	GrantedBy string    `json:"granted_by"`
}

// seenMember is someone who wrote from a customer's organization without
// being granted anything: a member while the customer admits them.
type seenMember struct {
	Name   string    `json:"name,omitempty"`
	Locale string    `json:"locale,omitempty"`
	Org    Org       `json:"org"`
	At     time.Time `json:"at"`
}

// roster is a customer's people: grants by e-mail then role, and the
// members seen.
type roster struct {
	Grants map[string]map[rules.Role]Grant `json:"grants,omitempty"`
	Seen   map[string]seenMember           `json:"seen,omitempty"`
}

// personIndex is one person's roles across customers (scope ""): what
// ByEmail and every chat turn read, one small document whatever the size
// of the customers. The roster is authoritative and the index follows
// it, never ahead of it in what it grants: a grant writes the roster,
// then the index; a withdrawal takes the role out of the index first,
// then out of the roster, then rewrites the index from the roster. A
// process that dies in between leaves a person with less than the
// roster gives (until the grant is made again or Repair runs), never
// with more.
type personIndex struct {
	Email  string                 `json:"email"`
	Name   string                 `json:"name,omitempty"`
	Locale string                 `json:"locale,omitempty"`
	At     map[string]indexEntry  `json:"at,omitempty"`
	Orgs   map[string]indexOrgRef `json:"orgs,omitempty"`
	// Prefers is the platform the person chose (Person.Prefers).
	Prefers string `json:"prefers,omitempty"`
}

type indexEntry struct {
	Roles  []rules.Role `json:"roles,omitempty"`
	Backup bool         `json:"backup,omitempty"`
	Seen   bool         `json:"seen,omitempty"`
	// Name and Locale are what the person's grants at this customer
	// say, and SeenOrg where a member seen there last wrote from: what a
	// turn needs without reading the customer's roster.
	Name    string `json:"name,omitempty"`
	Locale  string `json:"locale,omitempty"`
	SeenOrg Org    `json:"seen_org,omitzero"`
}

type indexOrgRef struct {
	Org Org       `json:"org"`
	At  time.Time `json:"at"`
}

// StoreDirectory is the people directory kept in the store: customers,
// the workspaces and tenants linked to them, and the roles granted — the
// Users tab of the reseller's portal. It implements People; it keeps no
// state of its own, so every replica sees one directory.
type StoreDirectory struct {
	st    store.Store
	clock clock.Clock
}

var _ People = (*StoreDirectory)(nil)

// NewStoreDirectory returns the directory kept in st.
func NewStoreDirectory(st store.Store, clk clock.Clock) *StoreDirectory {
	return &StoreDirectory{st: st, clock: clk}
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func emailDomain(e string) string {
	if i := strings.LastIndexByte(e, '@'); i >= 0 {
		return strings.ToLower(e[i+1:])
	}
	return ""
}

// validEmail is a plausible address: one @, something on both sides, a
// dot in the domain, no spaces.
func validEmail(e string) bool {
	at := strings.IndexByte(e, '@')
	return at > 0 && at == strings.LastIndexByte(e, '@') && strings.Contains(e[at+1:], ".") &&
		!strings.ContainsAny(e, " \t\r\n<>,;") && len(e) <= 254
}

func (d *StoreDirectory) audit(scope, actor, action, subject string, detail any) store.AuditEntry {
	b, _ := json.Marshal(detail)
	return store.AuditEntry{Scope: scope, At: d.clock.Now(), Actor: actor, Action: action, Subject: subject, Detail: b}
}

// --- customers ---

// AddCustomer records a customer; ErrCustomerExists when the id is taken.
func (d *StoreDirectory) AddCustomer(ctx context.Context, by string, c Customer) (Customer, error) {
	c.ID = strings.TrimSpace(c.ID)
	if err := checkCustomer(c); err != nil {
		return Customer{}, err
	}
	ref := store.Ref{Collection: collCustomers, ID: c.ID}
	return store.UpdateJSON(ctx, d.st, ref, func(v *Customer, exists bool) ([]store.AuditEntry, error) {
		if exists {
			return nil, fmt.Errorf("%s: %w", c.ID, ErrCustomerExists)
		}
		*v = c
		return []store.AuditEntry{d.audit("", by, "customer.added", c.ID, c)}, nil
	})
}

// Check reports what is wrong with c (an id, a membership setting, a
// domain, a language, a time zone), wrapping ErrInvalid.
func (c Customer) Check() error { return checkCustomer(c) }

func checkCustomer(c Customer) error {
	var bad []string
	if c.ID == "" || strings.ContainsAny(c.ID, " \t\r\n/{}") {
		bad = append(bad, fmt.Sprintf("customer id %q must be non-empty, without spaces, slashes or braces", c.ID))
	}
	switch c.Members {
	case "", MembersAnyone, MembersOff:
	case MembersDomains:
		if len(c.Domains) == 0 {
			bad = append(bad, "members restricted to domains, but no domain given")
		}
	default:
		bad = append(bad, fmt.Sprintf("members %q is not anyone, domains or off", c.Members))
	}
	for _, dom := range c.Domains {
		if dom == "" || strings.ContainsAny(dom, "@ ") || !strings.Contains(dom, ".") {
			bad = append(bad, fmt.Sprintf("%q is not an e-mail domain like contoso.com", dom))
		}
	}
	switch c.Language {
	case "", "en", "fr":
	default:
		bad = append(bad, fmt.Sprintf("language %q is not en or fr", c.Language))
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			bad = append(bad, fmt.Sprintf("time zone %q is not an IANA zone like Europe/Paris", c.TimeZone))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: %w", strings.Join(bad, "; "), ErrInvalid)
	}
	return nil
}

// Customer returns one recorded customer, or an error wrapping
// ErrUnknownCustomer.
func (d *StoreDirectory) Customer(ctx context.Context, id string) (Customer, error) {
	c, _, err := store.GetJSON[Customer](ctx, d.st, store.Ref{Collection: collCustomers, ID: id})
	if errors.Is(err, store.ErrNotFound) {
		return Customer{}, fmt.Errorf("%s: %w", id, ErrUnknownCustomer)
	}
	return c, err
}

// Customers lists the recorded customers by id.
func (d *StoreDirectory) Customers(ctx context.Context) ([]Customer, error) {
	docs, err := d.st.List(ctx, "", collCustomers)
	if err != nil {
		return nil, err
	}
	out := make([]Customer, 0, len(docs))
	for _, doc := range docs {
		var c Customer
		if err := json.Unmarshal(doc.Data, &c); err != nil {
			return nil, fmt.Errorf("decode customer %s: %w", doc.Ref.ID, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// --- links ---

// ParseOrg checks a platform and id typed by a person: a Slack team or
// enterprise id (T… or E…) or a Teams tenant id (a GUID).
func ParseOrg(platform, id string) (Org, error) {
	id = strings.TrimSpace(id)
	switch platform {
	case "slack":
		if len(id) < 3 || len(id) > 32 || (id[0] != 'T' && id[0] != 'E') || strings.ToUpper(id) != id || !alnum(id) {
			return Org{}, fmt.Errorf("%q is not a Slack team or enterprise id (like T0123ABCD or E0123ABCD): %w", id, ErrInvalid)
		}
	case "teams":
		if !isGUID(id) {
			return Org{}, fmt.Errorf("%q is not a Teams tenant id (a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47): %w", id, ErrInvalid)
		}
		id = strings.ToLower(id)
	default:
		return Org{}, fmt.Errorf("platform %q is not slack or teams: %w", platform, ErrInvalid)
	}
	return Org{Platform: platform, ID: id}, nil
}

func alnum(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
				return false
			}
		}
	}
	return true
}

// Link ties org to customerID, or to the reseller when customerID is "".
// Linking an org again to its owner changes nothing; linking it to
// another is refused with an *OrgTakenError.
func (d *StoreDirectory) Link(ctx context.Context, by string, org Org, customerID string) (OrgLink, error) {
	if org.Platform != "slack" && org.Platform != "teams" || org.ID == "" {
		return OrgLink{}, fmt.Errorf("only a Slack workspace or a Teams tenant can be linked, not %q: %w", org.Key(), ErrInvalid)
	}
	if customerID != "" {
		if _, err := d.Customer(ctx, customerID); err != nil {
			return OrgLink{}, err
		}
	}
	want := OrgLink{Org: org, CustomerID: customerID, Reseller: customerID == "", LinkedAt: d.clock.Now(), LinkedBy: by}
	return store.UpdateJSON(ctx, d.st, store.Ref{Collection: collOrgLinks, ID: org.Key()}, func(v *OrgLink, exists bool) ([]store.AuditEntry, error) {
		if exists && (v.CustomerID != "" || v.Reseller) {
			if v.CustomerID == customerID && v.Reseller == want.Reseller {
				return nil, store.ErrNoChange
			}
			return nil, &OrgTakenError{Link: *v}
		}
		*v = want
		return []store.AuditEntry{d.audit("", by, "org.linked", org.Key(), want)}, nil
	})
}

// Unlink removes org's link (an uninstall, or a mistake): its people are
// no longer recognized. The link document is kept, emptied, so the
// audit log and the version history stay with it.
func (d *StoreDirectory) Unlink(ctx context.Context, by string, org Org) (OrgLink, error) {
	var was OrgLink
	_, err := store.UpdateJSON(ctx, d.st, store.Ref{Collection: collOrgLinks, ID: org.Key()}, func(v *OrgLink, exists bool) ([]store.AuditEntry, error) {
		if !exists || (v.CustomerID == "" && !v.Reseller) {
			return nil, fmt.Errorf("%s: %w", org.Key(), ErrNotLinked)
		}
		was = *v
		*v = OrgLink{Org: org}
		return []store.AuditEntry{d.audit("", by, "org.unlinked", org.Key(), was)}, nil
	})
	return was, err
}

// Links lists the current links by org key.
func (d *StoreDirectory) Links(ctx context.Context) ([]OrgLink, error) {
	docs, err := d.st.List(ctx, "", collOrgLinks)
	if err != nil {
		return nil, err
	}
	var out []OrgLink
	for _, doc := range docs {
		var l OrgLink
		if err := json.Unmarshal(doc.Data, &l); err != nil {
			return nil, fmt.Errorf("decode link %s: %w", doc.Ref.ID, err)
		}
		if l.CustomerID != "" || l.Reseller {
			out = append(out, l)
		}
	}
	return out, nil
}

// link returns org's current link, or ErrNotLinked.
func (d *StoreDirectory) link(ctx context.Context, org Org) (OrgLink, error) {
	l, _, err := store.GetJSON[OrgLink](ctx, d.st, store.Ref{Collection: collOrgLinks, ID: org.Key()})
	if errors.Is(err, store.ErrNotFound) || err == nil && l.CustomerID == "" && !l.Reseller {
		return OrgLink{}, fmt.Errorf("%s: %w", org.Key(), ErrNotLinked)
	}
	return l, err
}

// OrgLinked reports whether org is linked to a customer or to the
// reseller: the Teams adapter refuses activities from other tenants.
func (d *StoreDirectory) OrgLinked(ctx context.Context, org Org) (bool, error) {
	_, err := d.link(ctx, org)
	if errors.Is(err, ErrNotLinked) {
		return false, nil
	}
	return err == nil, err
}

// anyLinks reports whether any organization is linked at all.
func (d *StoreDirectory) anyLinks(ctx context.Context) (bool, error) {
	ls, err := d.Links(ctx)
	return len(ls) > 0, err
}
