package reminders

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
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

// ledgerState is a ledger document as the tick read it: its bytes and
// its version (0: absent). The tick only asks whether an entry is there
// and adds entries, so it does not decode the document: decoding and
// encoding every entry of a subscription's ledger for each of its due
// reminders cost more than everything else in a tick, and grew with the
// ledger. Both questions are answered on the bytes (see has and with);
// a document in another shape than json.Marshal gives is decoded and
// encoded whole, as before.
type ledgerState struct {
	data    []byte
	version int64
}

func newLedgerState(d store.Document) (*ledgerState, error) {
	if len(d.Data) > 0 && !framed(d.Data) {
		// Not the shape json.Marshal writes: check it decodes now, so a
		// corrupt (say, cut short) ledger stops the batch before
		// anything is sent, as it always did.
		if _, err := decodeLedger(d.Data); err != nil {
			return nil, err
		}
	}
	return &ledgerState{data: d.Data, version: d.Version}, nil
}

// ledgerHead and ledgerTail frame a ledger document as json.Marshal
// writes it: the entries object is everything in between.
var (
	ledgerHead = []byte(`{"entries":{`)
	ledgerTail = []byte(`}}`)
)

// framed reports whether data has the frame json.Marshal gives a
// ledgerDoc (TestLedgerAppendMatchesRewrite fails if a field is added).
func framed(data []byte) bool {
	return len(data) >= len(ledgerHead)+len(ledgerTail) && bytes.HasPrefix(data, ledgerHead) && bytes.HasSuffix(data, ledgerTail)
}

// quotedKey is how json.Marshal writes key as an object key, colon
// included.
func quotedKey(b []byte, key string) []byte {
	return append(appendJSONString(b, key), ':')
}

// has reports whether the ledger has an entry for key. In JSON that
// json.Marshal wrote, every quote inside a string is escaped, so an
// unescaped `"key":` can only be an object key; ledger keys (id@due)
// never equal the field names of an entry, which hold no '@'.
func (ls *ledgerState) has(key string) bool {
	if len(ls.data) == 0 {
		return false
	}
	if !framed(ls.data) {
		d, err := decodeLedger(ls.data) // checked by newLedgerState
		if err != nil {
			return false
		}
		_, ok := d.Entries[key]
		return ok
	}
	var buf [128]byte
	return bytes.Contains(ls.data, quotedKey(buf[:0], key))
}

// keyedEntry is an entry to write to the ledger document of owner
// under key.
type keyedEntry struct {
	owner, key string
	entry      *ledgerEntry
}

// with returns the document with entries added (or replaced; of two
// with one key, the later). New keys are appended to the entries object
// as they are, without decoding or re-encoding the others; a key
// already there, or a document in another shape, takes the whole decode
// and encode. It sorts entries by key.
func (ls *ledgerState) with(entries []keyedEntry) ([]byte, error) {
	slices.SortStableFunc(entries, func(a, b keyedEntry) int { return strings.Compare(a.key, b.key) })
	plain := len(ls.data) == 0 || framed(ls.data)
	for i, e := range entries {
		if !plain || ls.has(e.key) || (i > 0 && entries[i-1].key == e.key) {
			return ls.rewrite(entries)
		}
	}
	out := make([]byte, 0, len(ls.data)+len(entries)*256)
	body := []byte{}
	if len(ls.data) > 0 {
		body = ls.data[len(ledgerHead) : len(ls.data)-len(ledgerTail)]
	}
	out = append(append(out, ledgerHead...), body...)
	for i, e := range entries {
		if i > 0 || len(bytes.TrimSpace(body)) > 0 {
			out = append(out, ',')
		}
		var err error
		if out, err = appendEntry(quotedKey(out, e.key), *e.entry); err != nil {
			return nil, err
		}
	}
	return append(out, ledgerTail...), nil
}

// rewrite decodes the whole document, sets the entries and encodes it.
func (ls *ledgerState) rewrite(entries []keyedEntry) ([]byte, error) {
	d, err := decodeLedger(ls.data)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		d.Entries[e.key] = *e.entry
	}
	data, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode reminder ledger: %w", err)
	}
	return data, nil
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
