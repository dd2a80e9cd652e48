package reminders

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/licensebot/licensebot/store"
)

// The ledger records what happened to each send (item id + due instant):
// sent, dropped as no longer useful, or muted. Sync reads it so that it
// never schedules again what was handled, and the runner reads it after
// claiming, so an item a crash left scheduled after its send is only
// unscheduled. One document per subscription or request keeps writes of
// different subjects apart; entries are pruned by Sync a day after they
// stop being useful.
const collLedger = "reminder-ledger"

// Ledger states.
const (
	StateSent    = "sent"
	StateDropped = "dropped"
	StateMuted   = "muted"
)

type ledgerEntry struct {
	State string    `json:"state"`
	At    time.Time `json:"at"`
	Due   time.Time `json:"due"`
	Until time.Time `json:"until"`
	Kind  Kind      `json:"kind"`
	Lead  int       `json:"lead,omitempty"`
	Sub   string    `json:"sub,omitempty"`
	Req   string    `json:"req,omitempty"`
	To    string    `json:"to"`
	// Why a reminder was dropped.
	Why string `json:"why,omitempty"`
}

type ledgerDoc struct {
	Entries map[string]ledgerEntry `json:"entries"`
}

// prunedAfter: ledger entries are kept this long after they stop being
// useful.
const prunedAfter = 24 * time.Hour

func ledgerRef(customerID, owner string) store.Ref {
	return store.Ref{Scope: customerID, Collection: collLedger, ID: owner}
}

func decodeLedger(data []byte) (ledgerDoc, error) {
	var d ledgerDoc
	if len(data) > 0 {
		if err := json.Unmarshal(data, &d); err != nil {
			return d, fmt.Errorf("decode reminder ledger: %w", err)
		}
	}
	if d.Entries == nil {
		d.Entries = map[string]ledgerEntry{}
	}
	return d, nil
}

// maxLedgerAttempts bounds the compare-and-swap rounds of one batch's
// ledger write.
const maxLedgerAttempts = 64

// ledgerState is a ledger document as read, with its version (0: absent).
type ledgerState struct {
	doc     ledgerDoc
	version int64
}

func newLedgerState(d store.Document) (*ledgerState, error) {
	doc, err := decodeLedger(d.Data)
	if err != nil {
		return nil, err
	}
	return &ledgerState{doc: doc, version: d.Version}, nil
}

// ledgerAll reads a customer's whole ledger (Sync, listing).
func ledgerAll(ctx context.Context, st store.Documents, customerID string) (map[string]ledgerEntry, []store.Document, error) {
	docs, err := st.List(ctx, customerID, collLedger)
	if err != nil {
		return nil, nil, fmt.Errorf("read reminder ledger: %w", err)
	}
	all := map[string]ledgerEntry{}
	for _, doc := range docs {
		d, err := decodeLedger(doc.Data)
		if err != nil {
			return nil, nil, err
		}
		for k, v := range d.Entries {
			all[k] = v
		}
	}
	return all, docs, nil
}

// ledgerPrune drops entries that stopped being useful over a day ago.
func ledgerPrune(ctx context.Context, st store.Documents, customerID string, docs []store.Document, now time.Time) error {
	for _, doc := range docs {
		d, err := decodeLedger(doc.Data)
		if err != nil {
			return err
		}
		stale := false
		for _, e := range d.Entries {
			if now.Sub(e.Until) > prunedAfter {
				stale = true
				break
			}
		}
		if !stale {
			continue
		}
		_, err = store.UpdateJSON(ctx, st, doc.Ref, func(d *ledgerDoc, _ bool) ([]store.AuditEntry, error) {
			for k, e := range d.Entries {
				if now.Sub(e.Until) > prunedAfter {
					delete(d.Entries, k)
				}
			}
			return nil, nil
		})
		if err != nil {
			return fmt.Errorf("prune reminder ledger: %w", err)
		}
	}
	return nil
}

// idOf returns the item id of a ledger key (id@due).
func idOf(key string) string {
	if i := strings.LastIndexByte(key, '@'); i > 0 {
		return key[:i]
	}
	return key
}
