package workflows

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
)

func rosterRef(customerID string) store.Ref {
	return store.Ref{Scope: customerID, Collection: collRoster, ID: rosterID}
}

func indexRef(email string) store.Ref { return store.Ref{Collection: collPeople, ID: email} }

func validRole(r rules.Role) bool {
	return r == rules.RoleMember || r == rules.RoleLicenceAdmin || r == rules.RoleAccountManager
}

func (d *StoreDirectory) checkGrant(ctx context.Context, g *Grant) error {
	if err := checkGrantFields(g); err != nil {
		return err
	}
	_, err := d.Customer(ctx, g.CustomerID)
	return err
}

// checkGrantFields normalizes g's e-mail and checks it, the role and the
// backup flag (not the customer).
func checkGrantFields(g *Grant) error {
	g.Email = normEmail(g.Email)
	var bad []string
	if !validEmail(g.Email) {
		bad = append(bad, fmt.Sprintf("%q is not an e-mail address", g.Email))
	}
	if !validRole(g.Role) {
		bad = append(bad, fmt.Sprintf("role %q is not member, licence_admin or account_manager", g.Role))
	}
	if g.Backup && g.Role != rules.RoleAccountManager {
		bad = append(bad, "only an account manager can be a backup")
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: %w", strings.Join(bad, "; "), ErrInvalid)
	}
	return nil
}

// Grant gives g.Role at g.CustomerID to g.Email, with an audit line in the
// customer's log; granting what is already granted changes nothing and
// reports changed false. by is who did it ("cli", an e-mail). The CLI is
// trusted; chat goes through GrantAs.
func (d *StoreDirectory) Grant(ctx context.Context, by string, g Grant) (changed bool, err error) {
	if err := d.checkGrant(ctx, &g); err != nil {
		return false, err
	}
	g.GrantedAt, g.GrantedBy = d.clock.Now(), by
	_, err = store.UpdateJSON(ctx, d.st, rosterRef(g.CustomerID), func(v *roster, _ bool) ([]store.AuditEntry, error) {
		changed = false
		if old, ok := v.Grants[g.Email][g.Role]; ok && old.Backup == g.Backup && (g.Name == "" || old.Name == g.Name) {
			return nil, store.ErrNoChange
		}
		if v.Grants == nil {
			v.Grants = map[string]map[rules.Role]Grant{}
		}
		if v.Grants[g.Email] == nil {
			v.Grants[g.Email] = map[rules.Role]Grant{}
		}
		v.Grants[g.Email][g.Role] = g
		changed = true
		return []store.AuditEntry{d.audit(g.CustomerID, by, "role.granted", g.Email,
			map[string]any{"role": g.Role, "backup": g.Backup})}, nil
	})
	if err != nil {
		return false, fmt.Errorf("grant %s to %s: %w", g.Role, g.Email, err)
	}
	// The index follows the roster; rewriting it even when nothing
	// changed repairs an index a crash left behind.
	return changed, d.reindex(ctx, g.Email, g.CustomerID, nil, true)
}

// Withdraw takes role at customerID away from email, with an audit line;
// ErrNoSuchGrant when they do not have it.
func (d *StoreDirectory) Withdraw(ctx context.Context, by, email string, role rules.Role, customerID string) error {
	email = normEmail(email)
	if !validRole(role) {
		return fmt.Errorf("role %q is not member, licence_admin or account_manager: %w", role, ErrInvalid)
	}
	if _, err := d.Customer(ctx, customerID); err != nil {
		return err
	}
	// The index first: from here on no turn finds the role, even if this
	// process dies before the roster is written.
	if err := d.unindexRole(ctx, email, role, customerID); err != nil {
		return fmt.Errorf("withdraw %s from %s: %w", role, email, err)
	}
	_, err := store.UpdateJSON(ctx, d.st, rosterRef(customerID), func(v *roster, _ bool) ([]store.AuditEntry, error) {
		if _, ok := v.Grants[email][role]; !ok {
			return nil, fmt.Errorf("%s is not %s at %s: %w", email, role, customerID, ErrNoSuchGrant)
		}
		delete(v.Grants[email], role)
		if len(v.Grants[email]) == 0 {
			delete(v.Grants, email)
		}
		return []store.AuditEntry{d.audit(customerID, by, "role.withdrawn", email, map[string]any{"role": role})}, nil
	})
	if errors.Is(err, ErrNoSuchGrant) {
		// Already gone from the roster: a crash may have left the index
		// behind, so bring it in line before saying so.
		if ierr := d.reindex(ctx, email, customerID, nil, true); ierr != nil {
			return errors.Join(err, ierr)
		}
		return err
	}
	if err != nil {
		return err
	}
	return d.reindex(ctx, email, customerID, nil, true)
}

// unindexRole takes role at customerID out of email's index entry, and
// nothing else.
func (d *StoreDirectory) unindexRole(ctx context.Context, email string, role rules.Role, customerID string) error {
	_, err := store.UpdateJSON(ctx, d.st, indexRef(email), func(v *personIndex, exists bool) ([]store.AuditEntry, error) {
		e, ok := v.At[customerID]
		if !exists || !ok || !slices.Contains(e.Roles, role) {
			return nil, store.ErrNoChange
		}
		e.Roles = slices.DeleteFunc(e.Roles, func(r rules.Role) bool { return r == role })
		if role == rules.RoleAccountManager {
			e.Backup = false
		}
		if len(e.Roles) == 0 && !e.Seen {
			delete(v.At, customerID)
		} else {
			v.At[customerID] = e
		}
		return nil, nil
	})
	return err
}

// GrantAs is a grant asked for in chat by actor: a licence admin of the
// customer, or an account manager serving it, may make someone a member
// or a licence admin there; nobody grants account_manager in chat. A
// customer that admits only some e-mail domains gets no licence admin
// from elsewhere.
func (d *StoreDirectory) GrantAs(ctx context.Context, actor Person, g Grant) (bool, error) {
	if err := mayManage(actor, g.CustomerID, g.Role); err != nil {
		return false, err
	}
	c, err := d.Customer(ctx, g.CustomerID)
	if err != nil {
		return false, err
	}
	if c.MemberMode() == MembersDomains {
		if ok, why := c.admits(normEmail(g.Email)); !ok {
			return false, fmt.Errorf("%s: %s: %w", g.Email, why, ErrForbidden)
		}
	}
	return d.Grant(ctx, actor.Email, g)
}

// WithdrawAs is Withdraw asked for in chat by actor (see GrantAs).
func (d *StoreDirectory) WithdrawAs(ctx context.Context, actor Person, email string, role rules.Role, customerID string) error {
	if err := mayManage(actor, customerID, role); err != nil {
		return err
	}
	return d.Withdraw(ctx, actor.Email, email, role, customerID)
}

func mayManage(actor Person, customerID string, role rules.Role) error {
	if role != rules.RoleMember && role != rules.RoleLicenceAdmin {
		return fmt.Errorf("role %s is given by the reseller: %w", role, ErrForbidden)
	}
	switch {
	case actor.Role == rules.RoleLicenceAdmin && actor.CustomerID == customerID && customerID != "":
		return nil
	case actor.Role == rules.RoleAccountManager && actor.Serves(customerID) && len(actor.Customers) > 0:
		return nil
	}
	return fmt.Errorf("%s at %s: %w", actor.Email, customerID, ErrForbidden)
}

// maxIndexAttempts bounds the compare-and-swap retries of a reindex.
const maxIndexAttempts = 64

// entryFrom is email's index entry for a customer as its roster ro says,
// and the name and locale found there.
func entryFrom(ro roster, email string) (entry indexEntry, name, locale string) {
	for role, g := range ro.Grants[email] {
		entry.Roles = append(entry.Roles, role)
		entry.Backup = entry.Backup || g.Backup
		if g.Name != "" {
			entry.Name = g.Name
		}
		if g.Locale != "" {
			entry.Locale = g.Locale
		}
	}
	sort.Slice(entry.Roles, func(i, j int) bool { return entry.Roles[i] < entry.Roles[j] })
	name, locale = entry.Name, entry.Locale
	if s, ok := ro.Seen[email]; ok {
		entry.Seen, entry.SeenOrg = true, s.Org
		if name == "" {
			name = s.Name
		}
	}
	return entry, name, locale
}

// applyEntry sets email's entry for customerID in v from the roster ro.
func applyEntry(v *personIndex, email, customerID string, ro roster) {
	entry, name, locale := entryFrom(ro, email)
	v.Email = email
	if name != "" {
		v.Name = name
	}
	if locale != "" {
		v.Locale = locale
	}
	if v.At == nil {
		v.At = map[string]indexEntry{}
	}
	if len(entry.Roles) == 0 && !entry.Seen {
		delete(v.At, customerID)
	} else {
		v.At[customerID] = entry
	}
}

// reindex rewrites email's entry for customerID in the person index from
// the customer's roster as it is now, and records org as where they last
// talked when given. It reads the roster after the index and writes the
// index by compare-and-swap, so a roster change it misses is followed by
// that change's own reindex, which either comes after this write or
// makes it lose and read again. A caller that changed the roster passes
// write: it writes even an unchanged entry, so that a concurrent reindex
// that read the roster before that change cannot win afterwards.
func (d *StoreDirectory) reindex(ctx context.Context, email, customerID string, org *Org, write bool) error {
	ref := indexRef(email)
	for range maxIndexAttempts {
		var v personIndex
		doc, err := d.st.Get(ctx, ref)
		exists := err == nil
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
		if err != nil {
			return fmt.Errorf("index %s: %w", email, err)
		}
		if exists {
			if err := json.Unmarshal(doc.Data, &v); err != nil {
				return fmt.Errorf("index %s: decode: %w", email, err)
			}
		}
		before, _ := json.Marshal(v)
		ro, _, err := store.GetJSON[roster](ctx, d.st, rosterRef(customerID))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("index %s: %w", email, err)
		}
		applyEntry(&v, email, customerID, ro)
		if org != nil {
			if v.Orgs == nil {
				v.Orgs = map[string]indexOrgRef{}
			}
			v.Orgs["last"] = indexOrgRef{Org: *org, At: d.clock.Now()}
		}
		after, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("index %s: encode: %w", email, err)
		}
		if !write && exists && bytes.Equal(before, after) {
			return nil
		}
		if exists {
			_, err = d.st.Update(ctx, ref, doc.Version, after)
		} else {
			_, err = d.st.Create(ctx, ref, after)
		}
		if errors.Is(err, store.ErrVersionMismatch) || errors.Is(err, store.ErrExists) {
			continue
		}
		if err != nil {
			return fmt.Errorf("index %s: %w", email, err)
		}
		return nil
	}
	return fmt.Errorf("index %s: too much contention", email)
}

// --- lookups (People) ---

// Person implements People: the link of org decides the customer. From a
// customer's workspace or tenant, a licence admin granted there is one,
// anyone else is a member if granted it or if the customer admits them;
// from the reseller's, only account managers are known. The terminal
// trusts the e-mail (whoever runs it holds the data), and so does a bot
// no organization has been linked to yet (one workspace, people listed
// in the configuration): both look the person up as ByEmail does.
func (d *StoreDirectory) Person(ctx context.Context, org Org, email string) (Person, error) {
	email = normEmail(email)
	if org.IsZero() || org.Platform == "console" {
		return d.ByEmail(ctx, email)
	}
	l, err := d.link(ctx, org)
	if errors.Is(err, ErrNotLinked) {
		linked, aerr := d.anyLinks(ctx)
		if aerr != nil {
			return Person{}, aerr
		}
		if !linked {
			return d.ByEmail(ctx, email)
		}
		return Person{}, fmt.Errorf("%s from %s: %w: %w", email, org.Key(), err, ErrUnknownPerson)
	}
	if err != nil {
		return Person{}, err
	}
	if l.Reseller {
		return d.resellerPerson(ctx, org, email)
	}
	return d.memberPerson(ctx, org, l.CustomerID, email)
}

func (d *StoreDirectory) resellerPerson(ctx context.Context, org Org, email string) (Person, error) {
	idx, _, err := store.GetJSON[personIndex](ctx, d.st, indexRef(email))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Person{}, err
	}
	p := idx.person()
	if p.Role != rules.RoleAccountManager {
		return Person{}, fmt.Errorf("%s writes from the reseller's %s without a role: %w", email, org.Key(), ErrUnknownPerson)
	}
	if last, ok := idx.Orgs["last"]; !ok || last.Org != org {
		if err := d.noteOrg(ctx, email, org); err != nil {
			return Person{}, err
		}
	}
	p.Orgs = []Org{org}
	return p, nil
}

// memberPerson reads the person's own index entry, not the customer's
// roster: a turn costs the same with 5 or 5,000 people listed. The index
// never grants more than the roster (see personIndex), and it is read
// from the store on every turn, so a role withdrawn anywhere is gone
// from the next turn on.
func (d *StoreDirectory) memberPerson(ctx context.Context, org Org, customerID, email string) (Person, error) {
	idx, _, err := store.GetJSON[personIndex](ctx, d.st, indexRef(email))
	indexed := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Person{}, err
	}
	e := idx.At[customerID]
	p := Person{Email: email, CustomerID: customerID, Orgs: []Org{org}, Name: e.Name, Locale: e.Locale}
	if len(e.Roles) > 0 && p.Name == "" && p.Locale == "" {
		// An entry written before entries carried a name.
		p.Name, p.Locale = idx.Name, idx.Locale
	}
	switch {
	case slices.Contains(e.Roles, rules.RoleLicenceAdmin):
		p.Role = rules.RoleLicenceAdmin
	case slices.Contains(e.Roles, rules.RoleMember):
		p.Role = rules.RoleMember
	default:
		c, err := d.Customer(ctx, customerID)
		if err != nil {
			return Person{}, err
		}
		if ok, why := c.admits(email); !ok {
			return Person{}, &NotMemberError{Email: email, CustomerID: customerID, Reason: why}
		}
		p.Role = rules.RoleMember
		if !e.Seen || e.SeenOrg != org {
			if err := d.noteMember(ctx, customerID, email, org); err != nil {
				return Person{}, err
			}
			return p, nil
		}
	}
	// Where they last talked, written only when it changes.
	if indexed && idx.Orgs["last"].Org != org {
		if err := d.noteOrg(ctx, email, org); err != nil {
			return Person{}, err
		}
	}
	return p, nil
}

// noteMember records someone a customer admitted, the first time they
// write (with an audit line), or where they write from now.
func (d *StoreDirectory) noteMember(ctx context.Context, customerID, email string, org Org) error {
	_, err := store.UpdateJSON(ctx, d.st, rosterRef(customerID), func(v *roster, _ bool) ([]store.AuditEntry, error) {
		old, known := v.Seen[email]
		if known && old.Org == org {
			return nil, store.ErrNoChange
		}
		if v.Seen == nil {
			v.Seen = map[string]seenMember{}
		}
		v.Seen[email] = seenMember{Name: old.Name, Org: org, At: d.clock.Now()}
		if known {
			return nil, nil
		}
		return []store.AuditEntry{d.audit(customerID, "licensebot", "member.joined", email, map[string]any{"org": org.Key()})}, nil
	})
	if err != nil {
		return fmt.Errorf("record member %s: %w", email, err)
	}
	return d.reindex(ctx, email, customerID, &org, true)
}

// noteOrg records where a granted person last talked to the bot.
func (d *StoreDirectory) noteOrg(ctx context.Context, email string, org Org) error {
	_, err := store.UpdateJSON(ctx, d.st, indexRef(email), func(v *personIndex, exists bool) ([]store.AuditEntry, error) {
		if !exists || v.Orgs["last"].Org == org {
			return nil, store.ErrNoChange
		}
		if v.Orgs == nil {
			v.Orgs = map[string]indexOrgRef{}
		}
		v.Orgs["last"] = indexOrgRef{Org: org, At: d.clock.Now()}
		return nil, nil
	})
	return err
}

// person builds the Person an index describes: an account manager of the
// customers they serve, else a licence admin, else a member.
func (idx personIndex) person() Person {
	p := Person{Email: idx.Email, Name: idx.Name, Locale: idx.Locale}
	custs := make([]string, 0, len(idx.At))
	for c := range idx.At {
		custs = append(custs, c)
	}
	sort.Strings(custs)
	backupAll := true
	var admin, granted, seen string
	for _, c := range custs {
		e := idx.At[c]
		for _, r := range e.Roles {
			switch r {
			case rules.RoleAccountManager:
				p.Customers = append(p.Customers, c)
				backupAll = backupAll && e.Backup
			case rules.RoleLicenceAdmin:
				admin = firstNonEmpty(admin, c)
			case rules.RoleMember:
				granted = firstNonEmpty(granted, c)
			}
		}
		if e.Seen {
			seen = firstNonEmpty(seen, c)
		}
	}
	switch {
	case len(p.Customers) > 0:
		p.Role, p.Backup = rules.RoleAccountManager, backupAll
	case admin != "":
		p.Role, p.CustomerID = rules.RoleLicenceAdmin, admin
	case granted != "" || seen != "":
		p.Role, p.CustomerID = rules.RoleMember, firstNonEmpty(granted, seen)
	}
	if last, ok := idx.Orgs["last"]; ok {
		p.Orgs = []Org{last.Org}
	}
	p.Prefers = idx.Prefers
	return p
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ByEmail implements People: a person granted a role, or a member seen,
// wherever they talk from.
func (d *StoreDirectory) ByEmail(ctx context.Context, email string) (Person, error) {
	email = normEmail(email)
	idx, _, err := store.GetJSON[personIndex](ctx, d.st, indexRef(email))
	if errors.Is(err, store.ErrNotFound) {
		return Person{}, fmt.Errorf("%s: %w", email, ErrUnknownPerson)
	}
	if err != nil {
		return Person{}, err
	}
	p := idx.person()
	if p.Role == "" {
		return Person{}, fmt.Errorf("%s has no role left: %w", email, ErrUnknownPerson)
	}
	return p, nil
}

// ApproversFor implements People from the customer's roster: licence
// admins, or account managers serving it (primary first, backups after),
// each sorted by e-mail.
func (d *StoreDirectory) ApproversFor(ctx context.Context, role rules.Role, customerID string) ([]Person, error) {
	ro, _, err := store.GetJSON[roster](ctx, d.st, rosterRef(customerID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var primary, backup []Person
	for _, email := range sortedKeys(ro.Grants) {
		g, ok := ro.Grants[email][role]
		if !ok || (role != rules.RoleLicenceAdmin && role != rules.RoleAccountManager) {
			continue
		}
		p := Person{Email: email, Name: g.Name, Locale: g.Locale, Role: role, Backup: g.Backup}
		if role == rules.RoleAccountManager {
			p.Customers = []string{customerID}
		} else {
			p.CustomerID = customerID
		}
		if g.Backup {
			backup = append(backup, p)
		} else {
			primary = append(primary, p)
		}
	}
	return append(primary, backup...), nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Everyone implements People: everyone granted a role or seen, by e-mail.
func (d *StoreDirectory) Everyone(ctx context.Context) ([]Person, error) {
	docs, err := d.st.List(ctx, "", collPeople)
	if err != nil {
		return nil, err
	}
	var out []Person
	for _, doc := range docs {
		var idx personIndex
		if err := json.Unmarshal(doc.Data, &idx); err != nil {
			return nil, fmt.Errorf("decode person %s: %w", doc.Ref.ID, err)
		}
		if p := idx.person(); p.Role != "" {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out, nil
}

// Roster is who may use the bot for one customer: its grants, by e-mail
// then role, and the members seen writing from its organizations.
type Roster struct {
	Customer Customer
	Grants   []Grant
	// Members are people admitted without a grant, by e-mail.
	Members []Person
}

// CustomerRoster returns a customer's roster.
func (d *StoreDirectory) CustomerRoster(ctx context.Context, customerID string) (Roster, error) {
	c, err := d.Customer(ctx, customerID)
	if err != nil {
		return Roster{}, err
	}
	ro, _, err := store.GetJSON[roster](ctx, d.st, rosterRef(customerID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Roster{}, err
	}
	out := Roster{Customer: c}
	for _, email := range sortedKeys(ro.Grants) {
		roles := make([]string, 0, len(ro.Grants[email]))
		for r := range ro.Grants[email] {
			roles = append(roles, string(r))
		}
		sort.Strings(roles)
		for _, r := range roles {
			out.Grants = append(out.Grants, ro.Grants[email][rules.Role(r)])
		}
	}
	for _, email := range sortedKeys(ro.Seen) {
		if len(ro.Grants[email]) == 0 {
			out.Members = append(out.Members, Person{Email: email, Name: ro.Seen[email].Name, Role: rules.RoleMember,
				CustomerID: customerID, Orgs: []Org{ro.Seen[email].Org}})
		}
	}
	return out, nil
}
