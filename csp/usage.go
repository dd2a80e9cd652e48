package csp

import (
	"errors"
	"sort"
	"strings"
	"time"
)

// Errors of the usage and delegated-access reads: the portal (or the
// credentials it was given) has no way to tell. Callers say so in a
// sentence rather than show an empty list, which would read as "nothing
// is assigned" or "the reseller has no access".
var (
	ErrUsageUnsupported  = errors.New("this portal does not report licence usage")
	ErrAccessUnsupported = errors.New("this portal does not report delegated admin access")
)

// Usage is how many of a subscription's seats are assigned to users.
//
// Microsoft counts assignments per product across the tenant, not per
// subscription: two subscriptions of Office 365 E3 share one pool. When a
// portal only gives the pool, SpreadUsage divides it between the
// subscriptions and sets Pooled, so that what is shown never claims more
// precision than the portal has.
type Usage struct {
	SubscriptionID string `json:"subscription_id"`
	OfferID        string `json:"offer_id"`
	// Assigned licences, as the portal counted them. It can be above
	// Bought: a tenant whose seats were reduced keeps the assignments it
	// had (Microsoft then warns the customer's admins).
	Assigned int `json:"assigned"`
	// Bought is the subscription's seats.
	Bought int `json:"bought"`
	// Pooled: the count is the product's, shared with other
	// subscriptions of the same product and divided between them.
	Pooled bool `json:"pooled,omitempty"`
	// MeasuredAt is when the portal counted (or, for portals that do not
	// say, when the bot read the count).
	MeasuredAt time.Time `json:"measured_at"`
}

// Unused is how many seats are bought but not assigned.
func (u Usage) Unused() int { return max(0, u.Bought-u.Assigned) }

// Over is how many more licences are assigned than bought.
func (u Usage) Over() int { return max(0, u.Assigned-u.Bought) }

// UsageOf returns the usage of one subscription in a list.
func UsageOf(us []Usage, subscriptionID string) (Usage, bool) {
	for _, u := range us {
		if u.SubscriptionID == subscriptionID {
			return u, true
		}
	}
	return Usage{}, false
}

// ProductCount is what a portal reports for one product of a tenant: the
// licences assigned and the licences it holds, all subscriptions
// together (CloudCockpit's licences, Partner Center's subscribed SKUs).
type ProductCount struct {
	SkuID    string
	Name     string
	Assigned int
	Total    int
}

// SpreadUsage turns per-product counts into per-subscription usage: each
// count is matched to the active or suspended subscriptions it covers
// (match decides), and its assignments are given to the subscription
// that renews last first, each up to its seats; what remains goes to the
// last one (an over-assigned tenant). That way the unused seats show on
// the subscription that renews first, which is the one a right-sizing
// can act on first. Subscriptions no count matches are left out.
func SpreadUsage(subs []Subscription, counts []ProductCount, match func(ProductCount, Subscription) bool, at time.Time) []Usage {
	var out []Usage
	taken := map[string]bool{}
	for _, c := range counts {
		var group []Subscription
		for _, s := range subs {
			if taken[s.ID] || (s.Status != StatusActive && s.Status != StatusSuspended) || !match(c, s) {
				continue
			}
			group = append(group, s)
			taken[s.ID] = true
		}
		if len(group) == 0 {
			continue
		}
		sort.SliceStable(group, func(i, j int) bool { return group[i].TermEnd.After(group[j].TermEnd) })
		left := max(0, c.Assigned)
		for i, s := range group {
			n := min(left, s.Quantity)
			if i == len(group)-1 {
				n = left
			}
			left -= n
			out = append(out, Usage{SubscriptionID: s.ID, OfferID: s.OfferID, Assigned: n, Bought: s.Quantity,
				Pooled: len(group) > 1, MeasuredAt: at})
		}
	}
	// The subscriptions' order, as the portal listed them.
	pos := map[string]int{}
	for i, s := range subs {
		pos[s.ID] = i
	}
	sort.SliceStable(out, func(i, j int) bool { return pos[out[i].SubscriptionID] < pos[out[j].SubscriptionID] })
	return out
}

// UnusedMonthly is what a subscription's unused seats cost per month.
func UnusedMonthly(s Subscription, u Usage) Money {
	return s.Price().Monthly().Mul(u.Unused())
}

// DelegatedStatus is the state of a delegated admin relationship, the
// states Microsoft's GDAP relationships go through.
type DelegatedStatus string

// Delegated admin relationship states.
const (
	DelegatedActive     DelegatedStatus = "active"
	DelegatedPending    DelegatedStatus = "pending" // created, approval pending, activating
	DelegatedExpiring   DelegatedStatus = "expiring"
	DelegatedExpired    DelegatedStatus = "expired"
	DelegatedTerminated DelegatedStatus = "terminated" // terminated or being terminated
	DelegatedUnknown    DelegatedStatus = "unknown"
)

// MapDelegatedStatus reads a portal's relationship status (Graph's
// "active", "approvalPending", "terminationRequested"…).
func MapDelegatedStatus(s string) DelegatedStatus {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "active":
		return DelegatedActive
	case "created", "approvalpending", "approved", "activating":
		return DelegatedPending
	case "expiring":
		return DelegatedExpiring
	case "expired":
		return DelegatedExpired
	case "terminated", "terminating", "terminationrequested":
		return DelegatedTerminated
	}
	return DelegatedUnknown
}

// DelegatedRelationship is one delegated admin (GDAP) relationship the
// reseller holds on a customer's tenant: the Entra roles it grants, and
// until when.
type DelegatedRelationship struct {
	ID     string          `json:"id"`
	Name   string          `json:"name"`
	Status DelegatedStatus `json:"status"`
	// Roles are role names (Entra built-in roles), or their ids when
	// the name is not known.
	Roles []string `json:"roles"`
	// Start is when it became active; End when it ends (zero when the
	// portal did not say).
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// AutoExtend: it is extended automatically when it ends.
	AutoExtend bool `json:"auto_extend,omitempty"`
}

// entraRoles are the Entra built-in role template ids a GDAP
// relationship names, and their names as the Entra admin center shows
// them.
func entraRoles() map[string]string {
	return map[string]string{
		"62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
		"f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
		"88d8e3e3-8f55-4a1e-953a-9b9898b8876b": "Directory Readers",
		"9360feb5-f418-4baa-8175-e2a00bac4301": "Directory Writers",
		"fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
		"4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
		"729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
		"f023fd81-a637-4b56-95fd-791ac0226033": "Service Support Administrator",
		"29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
		"f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
		"69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
		"194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
		"5d6b6bb7-de71-4623-b4af-96380a352509": "Security Reader",
		"b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
		"e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
		"c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
		"7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
		"3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
		"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
		"158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
		"7698a772-787b-4ac8-901f-60d6b08affd2": "Cloud Device Administrator",
		"fdd7a751-b60b-444a-984c-02652fe8fa1c": "Groups Administrator",
		"4a5d8f65-41da-4de4-8968-e035b65339cf": "Reports Reader",
		"17315797-102d-40b4-93e0-432062caca18": "Compliance Administrator",
		"11648597-926c-4cf3-9c36-bcebb0ba8dcc": "Power Platform Administrator",
	}
}

// RoleName names an Entra built-in role from its template id; an id it
// does not know is returned as is.
func RoleName(roleDefinitionID string) string {
	if n, ok := entraRoles()[strings.ToLower(strings.TrimSpace(roleDefinitionID))]; ok {
		return n
	}
	return roleDefinitionID
}

// RoleID is RoleName's inverse, for portals and tests that hold names.
func RoleID(name string) string {
	for id, n := range entraRoles() {
		if strings.EqualFold(n, name) {
			return id
		}
	}
	return ""
}
