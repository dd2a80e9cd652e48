package sandbox

import (
	"context"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// gdapExtension is how long Microsoft extends an auto-extended
// relationship (180 days).
const gdapExtension = 180 * 24 * time.Hour

// seedRelationship is one demo GDAP relationship, dated in days from the
// seeding day.
type seedRelationship struct {
	id, name   string
	roles      []string
	startDay   int
	days       int // duration
	autoExtend bool
	terminated bool
}

// seedRelationships are the reseller's delegated admin relationships with
// each demo customer: Contoso has an active support relationship that
// extends itself and the expired one of its onboarding (which held Global
// Administrator, as onboarding ones often do); Fabrikam's support
// relationship ends in six weeks without extension.
func seedRelationships(customerID string) []seedRelationship {
	switch customerID {
	case demoCustomerID:
		return []seedRelationship{
			{id: "gdap-contoso-support", name: "ERP Cloud – support", startDay: -300, days: 730, autoExtend: true,
				roles: []string{"Helpdesk Administrator", "User Administrator", "License Administrator", "Directory Readers"}},
			{id: "gdap-contoso-onboarding", name: "ERP Cloud – onboarding", startDay: -420, days: 90,
				roles: []string{"Global Administrator"}},
		}
	case SecondCustomerID:
		return []seedRelationship{
			{id: "gdap-fabrikam-support", name: "ERP Cloud – support", startDay: -685, days: 730,
				roles: []string{"Helpdesk Administrator", "License Administrator", "Exchange Administrator"}},
		}
	}
	return nil
}

// DelegatedAccess returns the seeded relationships of a customer, dated
// from the day the sandbox was seeded and aged by its clock: one past its
// end has expired, unless it extends itself (by 180 days at a time).
func (s *Sandbox) DelegatedAccess(ctx context.Context, customerID string) ([]csp.DelegatedRelationship, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, err := s.sync(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.st.customer(customerID); err != nil {
		return nil, err
	}
	t0 := csp.StartOfDay(s.st.SeededAt, s.loc)
	out := []csp.DelegatedRelationship{}
	for _, r := range seedRelationships(customerID) {
		start := t0.AddDate(0, 0, r.startDay)
		end := start.AddDate(0, 0, r.days)
		for r.autoExtend && !now.Before(end) {
			end = end.Add(gdapExtension)
		}
		st := csp.DelegatedActive
		switch {
		case r.terminated:
			st = csp.DelegatedTerminated
		case !now.Before(end):
			st = csp.DelegatedExpired
		}
		out = append(out, csp.DelegatedRelationship{ID: r.id, Name: r.name, Status: st,
			Roles: append([]string(nil), r.roles...), Start: start, End: end, AutoExtend: r.autoExtend})
	}
	return out, nil
}
