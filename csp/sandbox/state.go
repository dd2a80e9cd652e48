package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/licensebot/licensebot/csp"
)

const (
	stateVersion = 1
	// maxEvents bounds the event list kept in the state file.
	maxEvents = 1000
)

// EventKind says what happened to a subscription.
type EventKind string

// Event kinds.
const (
	EventRenewed        EventKind = "renewed"
	EventTrialConverted EventKind = "trial_converted"
	EventExpired        EventKind = "expired"
	EventApplied        EventKind = "applied"
	// EventAccepted: a write accepted, to show later (AcceptDelay).
	EventAccepted EventKind = "accepted"
	// EventRejected: an accepted write that could not be made when it
	// was due to show (the subscription had changed meanwhile).
	EventRejected EventKind = "rejected"
)

// Event is one thing the sandbox did: a rollover at a term end, or an
// applied operation.
type Event struct {
	At             time.Time `json:"at"`
	Kind           EventKind `json:"kind"`
	CustomerID     string    `json:"customer_id"`
	SubscriptionID string    `json:"subscription_id"`
	// Operation is the operation kind and Key its key, for EventApplied.
	Operation csp.ChangeKind `json:"operation,omitempty"`
	Key       string         `json:"key,omitempty"`
	Detail    string         `json:"detail,omitempty"`
}

// state is the whole sandbox, as stored in the state file.
type state struct {
	Version int `json:"version"`
	// Revision increases on every write; subscriptions written in that
	// write take it as their ETag.
	Revision int64 `json:"revision"`
	// NextID numbers new subscription lines (upgrades into a new line).
	NextID    int             `json:"next_id"`
	SeededAt  time.Time       `json:"seeded_at"`
	Customers []*customerData `json:"customers"`
	// Upgrades remembers applied upgrade keys so a retried upgrade is
	// recognised even though its effect (seats moved) is relative.
	Upgrades []appliedUpgrade `json:"upgrades,omitempty"`
	// Pending are writes accepted but not visible yet (AcceptDelay).
	Pending []pendingWrite `json:"pending,omitempty"`
	// Rejected are accepted writes that failed when they were due to
	// show, so Observe can say they did not take effect.
	Rejected []rejectedWrite `json:"rejected,omitempty"`
	Events   []Event         `json:"events,omitempty"`
	// Orders are the purchase orders placed, by order id (orders.go).
	Orders []Order `json:"orders,omitempty"`
}

// pendingWrite is a write the portal accepted (HTTP 202) that shows at
// VisibleAt.
type pendingWrite struct {
	Key        string        `json:"key"`
	CustomerID string        `json:"customer_id"`
	Op         csp.Operation `json:"op"`
	AcceptedAt time.Time     `json:"accepted_at"`
	VisibleAt  time.Time     `json:"visible_at"`
}

type rejectedWrite struct {
	Key        string    `json:"key"`
	CustomerID string    `json:"customer_id"`
	At         time.Time `json:"at"`
	Reason     string    `json:"reason"`
}

type customerData struct {
	Customer      csp.Customer        `json:"customer"`
	Subscriptions []*csp.Subscription `json:"subscriptions"`
}

type appliedUpgrade struct {
	Key        string    `json:"key"`
	CustomerID string    `json:"customer_id"`
	SourceID   string    `json:"source_id"`
	TargetID   string    `json:"target_id"`
	At         time.Time `json:"at"`
}

func (st *state) clone() *state {
	c := *st
	c.Customers = make([]*customerData, len(st.Customers))
	for i, cs := range st.Customers {
		cc := &customerData{Customer: cs.Customer, Subscriptions: make([]*csp.Subscription, len(cs.Subscriptions))}
		for j, sub := range cs.Subscriptions {
			s := sub.Clone()
			cc.Subscriptions[j] = &s
		}
		c.Customers[i] = cc
	}
	c.Upgrades = append([]appliedUpgrade(nil), st.Upgrades...)
	c.Pending = append([]pendingWrite(nil), st.Pending...)
	c.Rejected = append([]rejectedWrite(nil), st.Rejected...)
	c.Events = append([]Event(nil), st.Events...)
	c.Orders = append([]Order(nil), st.Orders...)
	return &c
}

func (st *state) customer(id string) (*customerData, error) {
	for _, cs := range st.Customers {
		if cs.Customer.ID == id {
			return cs, nil
		}
	}
	return nil, fmt.Errorf("sandbox: customer %q: %w", id, csp.ErrNotFound)
}

func (st *state) subscription(customerID, id string) (*csp.Subscription, error) {
	cs, err := st.customer(customerID)
	if err != nil {
		return nil, err
	}
	for _, sub := range cs.Subscriptions {
		if sub.ID == id {
			return sub, nil
		}
	}
	return nil, fmt.Errorf("sandbox: subscription %q of customer %q: %w", id, customerID, csp.ErrNotFound)
}

// touch marks sub as written in the current revision.
func (st *state) touch(sub *csp.Subscription) {
	sub.ETag = strconv.FormatInt(st.Revision, 10)
}

func (st *state) newSubscriptionID() string {
	id := "sub-" + strconv.Itoa(st.NextID)
	st.NextID++
	return id
}

func (st *state) addEvents(evs []Event) {
	st.Events = append(st.Events, evs...)
	if n := len(st.Events) - maxEvents; n > 0 {
		st.Events = append([]Event(nil), st.Events[n:]...)
	}
	if n := len(st.Rejected) - maxEvents; n > 0 {
		st.Rejected = append([]rejectedWrite(nil), st.Rejected[n:]...)
	}
}

func (st *state) pending(customerID, key string) (pendingWrite, bool) {
	for _, p := range st.Pending {
		if p.CustomerID == customerID && p.Key == key {
			return p, true
		}
	}
	return pendingWrite{}, false
}

func (st *state) rejected(customerID, key string) (rejectedWrite, bool) {
	for _, r := range st.Rejected {
		if r.CustomerID == customerID && r.Key == key {
			return r, true
		}
	}
	return rejectedWrite{}, false
}

func (st *state) upgradeApplied(customerID, sourceID, key string) (appliedUpgrade, bool) {
	for _, u := range st.Upgrades {
		if u.CustomerID == customerID && u.SourceID == sourceID && u.Key == key {
			return u, true
		}
	}
	return appliedUpgrade{}, false
}

// decodeState reads an encoded state; where names the store for the
// error, which says how to start over.
func decodeState(data []byte, where string, loc *time.Location) (*state, error) {
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("state %s is corrupted (delete it to re-seed the demo): %w", where, err)
	}
	if err := st.check(); err != nil {
		return nil, fmt.Errorf("state %s is invalid (delete it to re-seed the demo): %w", where, err)
	}
	st.normalize(loc)
	return &st, nil
}

func encodeState(st *state) ([]byte, error) {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return append(data, '\n'), nil
}

func (st *state) check() error {
	if st.Version != stateVersion {
		return fmt.Errorf("unsupported version %d, want %d", st.Version, stateVersion)
	}
	if len(st.Customers) == 0 {
		return errors.New("no customers")
	}
	seen := map[string]bool{}
	for i, cs := range st.Customers {
		if cs == nil || cs.Customer.ID == "" {
			return fmt.Errorf("customer %d has no id", i)
		}
		for j, sub := range cs.Subscriptions {
			switch {
			case sub == nil || sub.ID == "":
				return fmt.Errorf("customer %s: subscription %d has no id", cs.Customer.ID, j)
			case seen[sub.ID]:
				return fmt.Errorf("duplicate subscription id %q", sub.ID)
			case sub.CustomerID != cs.Customer.ID:
				return fmt.Errorf("subscription %s: customer id %q, want %q", sub.ID, sub.CustomerID, cs.Customer.ID)
			case !sub.Term.Valid() || sub.Billing.Months() == 0:
				return fmt.Errorf("subscription %s: invalid term %q or billing %q", sub.ID, sub.Term, sub.Billing)
			case sub.TermStart.IsZero() || !sub.TermEnd.After(sub.TermStart):
				return fmt.Errorf("subscription %s: term end must be after term start", sub.ID)
			case sub.Status == "":
				return fmt.Errorf("subscription %s: no status", sub.ID)
			}
			seen[sub.ID] = true
		}
	}
	return nil
}

// normalize puts every instant back in the customer's location: JSON
// keeps only the offset, and calendar arithmetic (AddMonths, AddDate)
// on a fixed offset would drift by an hour across DST changes.
func (st *state) normalize(loc *time.Location) {
	in := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.In(loc)
		}
	}
	in(&st.SeededAt)
	for _, cs := range st.Customers {
		for _, sub := range cs.Subscriptions {
			in(&sub.TermStart)
			in(&sub.TermEnd)
			if sub.CancellationAllowedUntil != nil {
				in(sub.CancellationAllowedUntil)
			}
			if sub.Renewal != nil && sub.Renewal.CustomTermEnd != nil {
				in(sub.Renewal.CustomTermEnd)
			}
			for i := range sub.Lots {
				in(&sub.Lots[i].PurchasedAt)
				in(&sub.Lots[i].RemovableUntil)
			}
		}
	}
	for i := range st.Upgrades {
		in(&st.Upgrades[i].At)
	}
	for i := range st.Events {
		in(&st.Events[i].At)
	}
	for i := range st.Pending {
		in(&st.Pending[i].AcceptedAt)
		in(&st.Pending[i].VisibleAt)
		if t := st.Pending[i].Op.CustomTermEnd; t != nil {
			in(t)
		}
	}
	for i := range st.Rejected {
		in(&st.Rejected[i].At)
	}
	for i := range st.Orders {
		in(&st.Orders[i].CreatedAt)
		in(&st.Orders[i].DueAt)
		if t := st.Orders[i].Op.CustomTermEnd; t != nil {
			in(t)
		}
	}
}
