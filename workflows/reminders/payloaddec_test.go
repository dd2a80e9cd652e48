package reminders

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The payloads Sync writes are read back by the fast decoder, to what
// encoding/json gives; anything in another shape gives what
// encoding/json gives too (it is the one that reads it).
func TestPayloadFastDecodeMatchesJSON(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	term := time.Date(2026, 12, 26, 0, 0, 0, 0, paris).UTC()
	encoded := []payload{
		{Kind: KindRenewal, Sub: "sub-1", To: "claire@contoso.com", Aud: AudienceAdmin, Lead: 30, Term: term, Until: term},
		{Kind: KindApprovalWaiting, Req: "req-9", To: "nina@contoso.com", Aud: AudienceApprover, Until: term.Add(123456789), Next: term.Add(time.Hour)},
		{Kind: KindWindowClosing, Sub: "s", To: "x", Aud: AudienceAdmin, Lead: -2, Term: term.In(paris), Until: term.In(time.FixedZone("", -(3*3600 + 30*60)))},
		{Kind: KindUnusedSummary, To: "a@b", Aud: AudienceAdmin},
		{},
		{Kind: "odd<kind>", Sub: `q"uote`, To: "é@x", Aud: "a&b", Until: term},
	}
	for i, p := range encoded {
		data := p.encode()
		var want payload
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		got, _, err := decodePayload(Queue, data)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("payload %d %s: got %+v %v, want %+v", i, data, got, err, want)
		}
		// The fast path takes what encode writes without escapes.
		if _, ok := decodeEncoded(data); ok != (i != len(encoded)-1) {
			t.Errorf("payload %d %s: fast path %v", i, data, ok)
		}
	}
	for _, data := range []string{
		` {"kind":"renewal","to":"x","aud":"admin","until":"2026-12-25T23:00:00Z"}`,
		`{"to":"x","kind":"renewal","aud":"admin","until":"2026-12-25T23:00:00Z"}`,
		`{"kind":"renewal","to":"x","aud":"admin","until":"2026-12-25T23:00:00Z","extra":1}`,
		`{"kind":"renewal","sub":"","to":"x","aud":"admin","until":"2026-12-25T23:00:00Z"}`,
		`{"kind":"renewal","to":"x","aud":"admin","lead":0,"until":"2026-12-25T23:00:00Z"}`,
		`{"kind":"renewal","to":"x","aud":"admin","lead":007,"until":"2026-12-25T23:00:00Z"}`,
		`{"kind":"renewal","to":"x","aud":"admin","until":"2026-12-25T23:00:00.000Z"}`,
		`{"kind":"renewal","to":"x","aud":"admin","until":"2026-12-25 23:00:00Z"}`,
		`{"kind":"renewal","to":"x","aud":"admin","until":"0001-01-01T00:00:00Z","term":"0001-01-01T00:00:00Z"}`,
		`{"kind":"re\u006eewal","to":"x","aud":"admin","until":"2026-12-25T23:00:00Z"}`,
		`{"kind":"renewal","to":"x","aud":"admin","until":"2026-12-25T23:00:00Z"}trailing`,
		`{"kind":"renewal","to":"x","aud":"admin","until":"2026-12-25T23:00:00Z"`,
		`{"kind":null,"to":"x","aud":"admin","until":"2026-12-25T23:00:00Z"}`,
		`{"kind":"renewal","to":"x","aud":"admin","until":"2026-12-25T23:00:00+01:00"}`,
		`{"kind":"renewal","to":"x","aud":"admin","until":"2026-12-25T23:00:00+24:00"}`,
		`[]`, ``,
	} {
		assertDecodesAsJSON(t, []byte(data))
	}
}

func assertDecodesAsJSON(t *testing.T, data []byte) {
	t.Helper()
	var want payload
	jerr := json.Unmarshal(data, &want)
	got, _, err := decodePayload(Queue, data)
	if (jerr == nil) != (err == nil) || (jerr == nil && !reflect.DeepEqual(got, want)) {
		t.Errorf("%s: got %+v %v, want %+v %v", data, got, err, want, jerr)
	}
}

func FuzzPayloadDecode(f *testing.F) {
	f.Add([]byte(`{"kind":"renewal","sub":"sub-1","to":"claire@contoso.com","aud":"admin","lead":30,"term":"2026-12-25T23:00:00Z","until":"2026-12-25T23:00:00Z"}`))
	f.Add([]byte(`{"kind":"approval","req":"r","to":"x","aud":"approver","until":"2026-12-25T23:00:00.5+01:00","next":"2026-12-26T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		assertDecodesAsJSON(t, data)
	})
}
