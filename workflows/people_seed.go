package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
)

// PeopleSeed is what the configuration file says about customers, their
// workspaces and tenants, and roles.
type PeopleSeed struct {
	Customers []Customer
	// Links: CustomerID "" (Reseller true) for the reseller's own.
	Links  []OrgLink
	Grants []Grant
}

// seedApplied records which seed items were applied once, by key, so a
// role withdrawn from the CLI or in chat does not come back at the next
// start because the file still lists it.
type seedApplied struct {
	Keys map[string]time.Time `json:"keys"`
}

// Seed applies what the configuration lists and was never applied
// before: customers are added, links made, roles granted, each with its
// audit line (actor "config"). Running it again changes nothing, and an
// item applied once and changed later by hand is left as it is. A link
// the file gives to another owner than the store has is reported, not
// forced.
//
// Everything is read in one batch and written in two (customers, links
// and rosters, then the person index and the record of what was
// applied): on bolt two transactions rather than two per item, which is
// most of what a first start costs. Each write is still its own
// compare-and-swap with its audit lines; when one loses to another
// writer (two replicas starting together), the items are applied one
// by one instead, which is idempotent.
func (d *StoreDirectory) Seed(ctx context.Context, s PeopleSeed) error {
	ref := store.Ref{Collection: collSeed, ID: seedID}
	applied, version, err := store.GetJSON[seedApplied](ctx, d.st, ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var todo PeopleSeed
	for _, c := range s.Customers {
		if _, ok := applied.Keys[seedCustomerKey(c)]; !ok {
			todo.Customers = append(todo.Customers, c)
		}
	}
	for _, l := range s.Links {
		if _, ok := applied.Keys[seedLinkKey(l)]; !ok {
			todo.Links = append(todo.Links, l)
		}
	}
	for _, g := range s.Grants {
		if _, ok := applied.Keys[seedGrantKey(g)]; !ok {
			todo.Grants = append(todo.Grants, g)
		}
	}
	if len(todo.Customers)+len(todo.Links)+len(todo.Grants) == 0 {
		return nil
	}
	b, err := d.seedBatch(ctx, todo)
	if err != nil {
		return err
	}
	if !b.ok {
		b.done, b.errs = d.seedEach(ctx, todo)
	}
	if len(b.done) == 0 {
		return errors.Join(b.errs...)
	}
	now := d.clock.Now()
	mark := func(v *seedApplied) {
		if v.Keys == nil {
			v.Keys = map[string]time.Time{}
		}
		for _, k := range b.done {
			v.Keys[k] = now
		}
	}
	if b.ok {
		// The index and the record of what was applied, in one batch.
		mark(&applied)
		data, err := json.Marshal(applied)
		if err != nil {
			return fmt.Errorf("encode seed record: %w", err)
		}
		writes := append(b.index, store.Write{Ref: ref, Version: version, Data: data})
		res, err := store.WriteAll(ctx, d.st, writes)
		if err != nil {
			return errors.Join(append(b.errs, fmt.Errorf("seed people: %w", err))...)
		}
		for i, r := range res[:len(b.index)] {
			if r.Err != nil {
				// Someone else wrote that person's entry since it was
				// read: rewrite it from the roster as it is now.
				id := b.index[i].Ref.ID
				for _, c := range b.indexed[id] {
					if err := d.reindex(ctx, id, c, nil, true); err != nil {
						b.errs = append(b.errs, err)
					}
				}
			}
		}
		if res[len(res)-1].Err == nil {
			return errors.Join(b.errs...)
		}
	}
	_, err = store.UpdateJSON(ctx, d.st, ref, func(v *seedApplied, _ bool) ([]store.AuditEntry, error) {
		mark(v)
		return nil, nil
	})
	return errors.Join(append(b.errs, err)...)
}

func seedCustomerKey(c Customer) string { return "customer:" + c.ID }
func seedLinkKey(l OrgLink) string      { return "link:" + l.Org.Key() }
func seedGrantKey(g Grant) string {
	return "grant:" + g.CustomerID + ":" + normEmail(g.Email) + ":" + string(g.Role)
}

// seedPlan is what seedBatch did: ok false when a write lost and the
// items are to be applied one by one.
type seedPlan struct {
	ok   bool
	done []string
	errs []error
	// index holds the person index writes that follow the rosters;
	// indexed names, by e-mail, the customers each one covers.
	index   []store.Write
	indexed map[string][]string
}

// seedBatch reads what the items touch in one batch, decides each as
// AddCustomer, Link and Grant would, and writes the customers, links and
// rosters in one batch.
func (d *StoreDirectory) seedBatch(ctx context.Context, todo PeopleSeed) (seedPlan, error) {
	var plan seedPlan
	// What to read: customers, links, rosters, index entries.
	var refs []store.Ref
	seen := map[store.Ref]bool{}
	want := func(r store.Ref) {
		if !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	for _, c := range todo.Customers {
		want(store.Ref{Collection: collCustomers, ID: strings.TrimSpace(c.ID)})
	}
	for _, l := range todo.Links {
		want(store.Ref{Collection: collOrgLinks, ID: l.Org.Key()})
		if l.CustomerID != "" {
			want(store.Ref{Collection: collCustomers, ID: l.CustomerID})
		}
	}
	for _, g := range todo.Grants {
		want(store.Ref{Collection: collCustomers, ID: g.CustomerID})
		want(rosterRef(g.CustomerID))
		want(indexRef(normEmail(g.Email)))
	}
	docs, err := store.GetAll(ctx, d.st, refs)
	if err != nil {
		return plan, fmt.Errorf("seed people: %w", err)
	}
	read := make(map[store.Ref]store.Document, len(docs))
	for _, doc := range docs {
		read[doc.Ref] = doc
	}
	now := d.clock.Now()
	var writes []store.Write
	jsonWrite := func(ref store.Ref, v any, audit ...store.AuditEntry) error {
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s/%s: %w", ref.Collection, ref.ID, err)
		}
		writes = append(writes, store.Write{Ref: ref, Version: read[ref].Version, Data: data, Audit: audit})
		return nil
	}

	known := map[string]bool{} // customers recorded, or recorded by this batch
	for ref, doc := range read {
		if ref.Collection == collCustomers && doc.Version > 0 {
			known[ref.ID] = true
		}
	}
	for _, c := range todo.Customers {
		c.ID = strings.TrimSpace(c.ID)
		if err := checkCustomer(c); err != nil {
			plan.errs = append(plan.errs, fmt.Errorf("customer %s: %w", c.ID, err))
			continue
		}
		if !known[c.ID] {
			known[c.ID] = true
			if err := jsonWrite(store.Ref{Collection: collCustomers, ID: c.ID}, c, d.audit("", "config", "customer.added", c.ID, c)); err != nil {
				return plan, err
			}
		}
		plan.done = append(plan.done, seedCustomerKey(c))
	}

	links := map[string]OrgLink{}
	for ref, doc := range read {
		if ref.Collection == collOrgLinks && doc.Version > 0 {
			var l OrgLink
			if err := json.Unmarshal(doc.Data, &l); err != nil {
				return plan, fmt.Errorf("seed people: decode link %s: %w", ref.ID, err)
			}
			links[ref.ID] = l
		}
	}
	for _, l := range todo.Links {
		org, key := l.Org, l.Org.Key()
		switch {
		case org.Platform != "slack" && org.Platform != "teams" || org.ID == "":
			plan.errs = append(plan.errs, fmt.Errorf("link %s: only a Slack workspace or a Teams tenant can be linked, not %q: %w", key, key, ErrInvalid))
			continue
		case l.CustomerID != "" && !known[l.CustomerID]:
			plan.errs = append(plan.errs, fmt.Errorf("link %s: %s: %w", key, l.CustomerID, ErrUnknownCustomer))
			continue
		}
		if have := links[key]; have.CustomerID != "" || have.Reseller {
			if have.CustomerID != l.CustomerID || have.Reseller != (l.CustomerID == "") {
				plan.errs = append(plan.errs, fmt.Errorf("link %s: %w", key, &OrgTakenError{Link: have}))
				continue
			}
		} else {
			v := OrgLink{Org: org, CustomerID: l.CustomerID, Reseller: l.CustomerID == "", LinkedAt: now, LinkedBy: "config"}
			links[key] = v
			if err := jsonWrite(store.Ref{Collection: collOrgLinks, ID: key}, v, d.audit("", "config", "org.linked", key, v)); err != nil {
				return plan, err
			}
		}
		plan.done = append(plan.done, seedLinkKey(l))
	}

	rosters := map[string]*roster{}
	rosterAudit := map[string][]store.AuditEntry{}
	var rosterOrder []string
	plan.indexed = map[string][]string{}
	var indexOrder []string
	for _, g := range todo.Grants {
		key := seedGrantKey(g)
		if err := checkGrantFields(&g); err != nil {
			plan.errs = append(plan.errs, fmt.Errorf("grant %s %s at %s: %w", g.Email, g.Role, g.CustomerID, err))
			continue
		}
		if !known[g.CustomerID] {
			plan.errs = append(plan.errs, fmt.Errorf("grant %s %s at %s: %s: %w", g.Email, g.Role, g.CustomerID, g.CustomerID, ErrUnknownCustomer))
			continue
		}
		ro := rosters[g.CustomerID]
		if ro == nil {
			ro = &roster{}
			if doc := read[rosterRef(g.CustomerID)]; doc.Version > 0 {
				if err := json.Unmarshal(doc.Data, ro); err != nil {
					return plan, fmt.Errorf("seed people: decode roster %s: %w", g.CustomerID, err)
				}
			}
			rosters[g.CustomerID] = ro
			rosterOrder = append(rosterOrder, g.CustomerID)
		}
		g.GrantedAt, g.GrantedBy = now, "config"
		if old, ok := ro.Grants[g.Email][g.Role]; !ok || old.Backup != g.Backup || (g.Name != "" && old.Name != g.Name) {
			if ro.Grants == nil {
				ro.Grants = map[string]map[rules.Role]Grant{}
			}
			if ro.Grants[g.Email] == nil {
				ro.Grants[g.Email] = map[rules.Role]Grant{}
			}
			ro.Grants[g.Email][g.Role] = g
			rosterAudit[g.CustomerID] = append(rosterAudit[g.CustomerID], d.audit(g.CustomerID, "config", "role.granted", g.Email,
				map[string]any{"role": g.Role, "backup": g.Backup}))
		}
		if !slices.Contains(plan.indexed[g.Email], g.CustomerID) {
			if plan.indexed[g.Email] == nil {
				indexOrder = append(indexOrder, g.Email)
			}
			plan.indexed[g.Email] = append(plan.indexed[g.Email], g.CustomerID)
		}
		plan.done = append(plan.done, key)
	}
	for _, id := range rosterOrder {
		if len(rosterAudit[id]) == 0 {
			continue // nothing new: the index is still rewritten from it
		}
		if err := jsonWrite(rosterRef(id), rosters[id], rosterAudit[id]...); err != nil {
			return plan, err
		}
	}
	res, err := store.WriteAll(ctx, d.st, writes)
	if err != nil {
		return plan, fmt.Errorf("seed people: %w", err)
	}
	for _, r := range res {
		if r.Err != nil {
			return seedPlan{}, nil // lost to another writer: one by one
		}
	}

	// The index follows the rosters just written.
	for _, email := range indexOrder {
		ref := indexRef(email)
		var v personIndex
		if doc := read[ref]; doc.Version > 0 {
			if err := json.Unmarshal(doc.Data, &v); err != nil {
				return plan, fmt.Errorf("seed people: decode index %s: %w", email, err)
			}
		}
		for _, c := range plan.indexed[email] {
			applyEntry(&v, email, c, *rosters[c])
		}
		data, err := json.Marshal(v)
		if err != nil {
			return plan, fmt.Errorf("seed people: encode index %s: %w", email, err)
		}
		plan.index = append(plan.index, store.Write{Ref: ref, Version: read[ref].Version, Data: data})
	}
	plan.ok = true
	return plan, nil
}

// seedEach applies the items one by one, as the CLI would.
func (d *StoreDirectory) seedEach(ctx context.Context, s PeopleSeed) (done []string, errs []error) {
	for _, c := range s.Customers {
		if _, err := d.AddCustomer(ctx, "config", c); err != nil && !errors.Is(err, ErrCustomerExists) {
			errs = append(errs, fmt.Errorf("customer %s: %w", c.ID, err))
			continue
		}
		done = append(done, seedCustomerKey(c))
	}
	for _, l := range s.Links {
		if _, err := d.Link(ctx, "config", l.Org, l.CustomerID); err != nil {
			errs = append(errs, fmt.Errorf("link %s: %w", l.Org.Key(), err))
			continue
		}
		done = append(done, seedLinkKey(l))
	}
	for _, g := range s.Grants {
		if _, err := d.Grant(ctx, "config", g); err != nil {
			errs = append(errs, fmt.Errorf("grant %s %s at %s: %w", g.Email, g.Role, g.CustomerID, err))
			continue
		}
		done = append(done, seedGrantKey(g))
	}
	return done, errs
}
