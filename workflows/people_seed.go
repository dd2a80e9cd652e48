package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

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
func (d *StoreDirectory) Seed(ctx context.Context, s PeopleSeed) error {
	ref := store.Ref{Collection: collSeed, ID: seedID}
	applied, _, err := store.GetJSON[seedApplied](ctx, d.st, ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var done []string
	var errs []error
	for _, c := range s.Customers {
		key := "customer:" + c.ID
		if _, ok := applied.Keys[key]; ok {
			continue
		}
		if _, err := d.AddCustomer(ctx, "config", c); err != nil && !errors.Is(err, ErrCustomerExists) {
			errs = append(errs, fmt.Errorf("customer %s: %w", c.ID, err))
			continue
		}
		done = append(done, key)
	}
	for _, l := range s.Links {
		key := "link:" + l.Org.Key()
		if _, ok := applied.Keys[key]; ok {
			continue
		}
		if _, err := d.Link(ctx, "config", l.Org, l.CustomerID); err != nil {
			errs = append(errs, fmt.Errorf("link %s: %w", l.Org.Key(), err))
			continue
		}
		done = append(done, key)
	}
	for _, g := range s.Grants {
		key := "grant:" + g.CustomerID + ":" + normEmail(g.Email) + ":" + string(g.Role)
		if _, ok := applied.Keys[key]; ok {
			continue
		}
		if _, err := d.Grant(ctx, "config", g); err != nil {
			errs = append(errs, fmt.Errorf("grant %s %s at %s: %w", g.Email, g.Role, g.CustomerID, err))
			continue
		}
		done = append(done, key)
	}
	if len(done) > 0 {
		now := d.clock.Now()
		_, err := store.UpdateJSON(ctx, d.st, ref, func(v *seedApplied, _ bool) ([]store.AuditEntry, error) {
			if v.Keys == nil {
				v.Keys = map[string]time.Time{}
			}
			for _, k := range done {
				v.Keys[k] = now
			}
			return nil, nil
		})
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
