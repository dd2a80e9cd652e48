package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	Events   []Event          `json:"events,omitempty"`
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
	c.Events = append([]Event(nil), st.Events...)
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
}

func (st *state) upgradeApplied(customerID, sourceID, key string) (appliedUpgrade, bool) {
	for _, u := range st.Upgrades {
		if u.CustomerID == customerID && u.SourceID == sourceID && u.Key == key {
			return u, true
		}
	}
	return appliedUpgrade{}, false
}

// readState loads the state file. A missing file is reported with
// os.ErrNotExist so that Open seeds; anything unreadable is an error that
// says how to start over.
func readState(path string, loc *time.Location) (*state, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("state file %s is corrupted (delete it to re-seed the demo): %w", path, err)
	}
	if err := st.check(); err != nil {
		return nil, fmt.Errorf("state file %s is invalid (delete it to re-seed the demo): %w", path, err)
	}
	st.normalize(loc)
	return &st, nil
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
}

// writeState replaces the state file atomically: a crash leaves either
// the old file or the new one, never half of one.
func writeState(path string, st *state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sandbox-*.json.tmp")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}
