package reminders

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// appendEntry must write exactly what json.Marshal writes for an entry
// (the ledger's bytes are searched for keys and appended to as
// json.Marshal would have written them), including strings json escapes,
// zones other than UTC, nanoseconds, the zero time, and the times
// json refuses (with an error, as json.Marshal).
func TestLedgerEntryEncodingMatchesJSON(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	base := ledgerEntry{State: StateSent, At: at, Due: at, Until: at.AddDate(0, 1, 0), Kind: KindRenewal, Lead: 30, Sub: "sub-1", To: "claire@contoso.com"}
	strs := []string{"", "plain", `quo"te`, `back\slash`, "a<b>&c", "tab\there", "nul\x00", "é-unicode", "line\u2028sep", "bad\xffutf8", "emoji 🎉"}
	times := []time.Time{
		{}, at, at.Add(123456789 * time.Nanosecond), at.In(paris), time.Date(2026, 3, 29, 2, 30, 0, 1, paris),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("odd", -(9*3600+30*60+15))),
	}
	var entries []ledgerEntry
	for _, s := range strs {
		e := base
		e.State, e.Kind, e.Sub, e.Req, e.To, e.Why = s, Kind(s), s, s, s, s
		entries = append(entries, e)
	}
	for _, tm := range times {
		e := base
		e.At, e.Due, e.Until = tm, tm, tm
		entries = append(entries, e)
	}
	for _, lead := range []int{0, -1, 1 << 40} {
		e := base
		e.Lead = lead
		entries = append(entries, e)
	}
	for i, e := range entries {
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendEntry([]byte("prefix"), e)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("entry %d:\n got %s\nwant prefix%s", i, got, want)
		}
	}
	for _, bad := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("far", 24*3600)),
	} {
		e := base
		e.Until = bad
		if _, jerr := json.Marshal(e); jerr == nil {
			t.Fatalf("json.Marshal accepts %v; the test is wrong", bad)
		}
		if got, err := appendEntry(nil, e); err == nil {
			t.Errorf("%v: encoded %s, want json's error", bad, got)
		}
	}
}

func FuzzLedgerEntryEncoding(f *testing.F) {
	f.Add("sent", "renewal", "sub-1", "", "claire@contoso.com", "", int64(1764147600), int64(5), 30)
	f.Add(`"x":`, "<&>", "é", "\x01", "\u2028", "\xff", int64(-62135596800), int64(999999999), -1)
	f.Fuzz(func(t *testing.T, state, kind, sub, req, to, why string, sec, nsec int64, lead int) {
		tm := time.Unix(sec, nsec)
		e := ledgerEntry{State: state, At: tm, Due: tm.UTC(), Until: tm.Add(time.Hour), Kind: Kind(kind), Lead: lead, Sub: sub, Req: req, To: to, Why: why}
		want, jerr := json.Marshal(e)
		got, err := appendEntry(nil, e)
		if (jerr == nil) != (err == nil) {
			t.Fatalf("json.Marshal error %v, appendEntry error %v", jerr, err)
		}
		if jerr == nil && !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}
