package reminders

import (
	"encoding/json"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/licensebot/licensebot/store"
)

// The tick adds ledger entries to the document's bytes without decoding
// it; what it writes must decode to exactly what a whole decode, set and
// encode would give, and has must agree with the decoded entries, for
// keys that look alike, keys json escapes, and reasons that quote keys.
func TestLedgerAppendMatchesRewrite(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	entry := func(why string) ledgerEntry {
		return ledgerEntry{State: StateSent, At: at, Due: at, Until: at.AddDate(0, 1, 0), Kind: KindRenewal, Lead: 30, Sub: "sub-1", To: "claire@contoso.com", Why: why}
	}
	keys := []string{
		"renewal-1@100", "renewal-1@1000", "renewal-10@100", `odd"key@1`, "a<b>&c@2", "é-unicode@3", "back\\slash@4",
	}
	// A reason that spells another key, quotes and colon included,
	// must not make that key look recorded.
	tricky := entry(`"renewal-1@100":` + `{"state":"sent"}`)
	starts := []ledgerDoc{
		{Entries: map[string]ledgerEntry{}},
		{Entries: map[string]ledgerEntry{"other@5": tricky}},
		{Entries: map[string]ledgerEntry{"renewal-1@100": entry(""), "x@9": tricky}},
	}
	if data := mustJSON(t, starts[1]); !framed(data) {
		t.Fatalf("json.Marshal of a ledger no longer gives the frame the tick appends to: %s", data)
	}
	for si, start := range starts {
		for _, data := range [][]byte{mustJSON(t, start), nil} {
			if data == nil && si > 0 {
				continue
			}
			ls, err := newLedgerState(store.Document{Data: data, Version: 3})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				_, want := start.Entries[k]
				if got := ls.has(k); got != want {
					t.Errorf("start %d: has(%q) = %v, want %v", si, k, got, want)
				}
			}
			add := map[string]ledgerEntry{}
			for i, k := range keys {
				add[k] = entry(fmt.Sprintf("reason %d", i))
			}
			got, err := ls.with(keyed(add))
			if err != nil {
				t.Fatal(err)
			}
			want := ledgerDoc{Entries: maps.Clone(start.Entries)}
			maps.Copy(want.Entries, add)
			dec, err := decodeLedger(got)
			if err != nil {
				t.Fatalf("start %d: written ledger does not decode: %v\n%s", si, err, got)
			}
			if !equalLedger(dec, want) {
				t.Errorf("start %d: written ledger\n%s\ndecodes to %+v, want %+v", si, got, dec, want)
			}
			after := &ledgerState{data: got}
			for k := range want.Entries {
				if !after.has(k) {
					t.Errorf("start %d: has(%q) false after writing it", si, k)
				}
			}
			if after.has("renewal-2@100") {
				t.Errorf("start %d: has a key never written", si)
			}
		}
	}
}

// A ledger in another shape than json.Marshal writes (here: a
// hand-written one with spaces, and one with an entries key of null) is
// still read and written right, by a whole decode; a corrupt one stops
// the batch with an error.
func TestLedgerOtherShapes(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	e := ledgerEntry{State: StateSent, At: at, Due: at, Until: at, Kind: KindRenewal, To: "claire@contoso.com"}
	for _, data := range []string{
		` { "entries" : { "k@1" : {"state":"sent","kind":"renewal","to":"x"} } } `,
		`{"entries":null}`,
	} {
		ls, err := newLedgerState(store.Document{Data: []byte(data), Version: 1})
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		_, want := mustDecode(t, data).Entries["k@1"]
		if ls.has("k@1") != want {
			t.Errorf("%s: has(k@1) = %v, want %v", data, !want, want)
		}
		out, err := ls.with(keyed(map[string]ledgerEntry{"n@2": e}))
		if err != nil {
			t.Fatal(err)
		}
		d := mustDecode(t, string(out))
		if _, ok := d.Entries["n@2"]; !ok || len(d.Entries) != len(mustDecode(t, data).Entries)+1 {
			t.Errorf("%s: written %s", data, out)
		}
	}
	for _, bad := range []string{`[1,2`, `{"entries":{"k@1":{"state":"sent"`, `{"entries":{"k@1":`} {
		if _, err := newLedgerState(store.Document{Data: []byte(bad), Version: 1}); err == nil {
			t.Errorf("the corrupt ledger %s was accepted", bad)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustDecode(t *testing.T, s string) ledgerDoc {
	t.Helper()
	d, err := decodeLedger([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func equalLedger(a, b ledgerDoc) bool {
	if len(a.Entries) != len(b.Entries) {
		return false
	}
	for k, v := range a.Entries {
		w, ok := b.Entries[k]
		if !ok || v.State != w.State || !v.At.Equal(w.At) || !v.Due.Equal(w.Due) || !v.Until.Equal(w.Until) ||
			v.Kind != w.Kind || v.Lead != w.Lead || v.Sub != w.Sub || v.Req != w.Req || v.To != w.To || v.Why != w.Why {
			return false
		}
	}
	return true
}

// keyed is entries as the tick hands them to with.
func keyed(entries map[string]ledgerEntry) []keyedEntry {
	var out []keyedEntry
	for k, e := range entries {
		out = append(out, keyedEntry{key: k, entry: &e})
	}
	return out
}
