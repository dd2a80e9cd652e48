package reminders

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// A tick writes one ledger entry per due reminder; encoding/json spent
// about as long on those entries (reflection, and time.Time's
// MarshalJSON behind an interface call) as on everything else the tick
// does to record them. appendEntry writes the same bytes by hand
// (TestLedgerEntryEncodingMatchesJSON compares them) and hands anything
// unusual (a string json would escape, a year json refuses) to
// encoding/json.

// appendEntry appends e as json.Marshal encodes it.
func appendEntry(b []byte, e ledgerEntry) ([]byte, error) {
	b = append(b, `{"state":`...)
	b = appendJSONString(b, e.State)
	var err error
	if b, err = appendJSONTime(append(b, `,"at":`...), e.At); err != nil {
		return nil, err
	}
	if b, err = appendJSONTime(append(b, `,"due":`...), e.Due); err != nil {
		return nil, err
	}
	if b, err = appendJSONTime(append(b, `,"until":`...), e.Until); err != nil {
		return nil, err
	}
	b = appendJSONString(append(b, `,"kind":`...), string(e.Kind))
	if e.Lead != 0 {
		b = strconv.AppendInt(append(b, `,"lead":`...), int64(e.Lead), 10)
	}
	if e.Sub != "" {
		b = appendJSONString(append(b, `,"sub":`...), e.Sub)
	}
	if e.Req != "" {
		b = appendJSONString(append(b, `,"req":`...), e.Req)
	}
	b = appendJSONString(append(b, `,"to":`...), e.To)
	if e.Why != "" {
		b = appendJSONString(append(b, `,"why":`...), e.Why)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s quoted as json.Marshal quotes it. Ids,
// addresses and kinds are plain ASCII and are copied as they are; a
// string with anything json escapes (quotes, backslashes, control
// characters, <, >, &, non-ASCII) goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONTime appends t as time.Time's MarshalJSON does: RFC 3339
// with the nanoseconds it has. MarshalJSON refuses what RFC 3339 cannot
// say (a year outside 0–9999, a zone offset of a day or more); those go
// through it, for its error.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	n0 := len(b)
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	if strict(b[n0+1:]) {
		return append(b, '"'), nil
	}
	q, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encode reminder ledger: %w", err)
	}
	return append(b[:n0], q...), nil
}

// strict reports whether an RFC 3339 time as AppendFormat writes it is
// one MarshalJSON accepts (the checks of time's appendStrictRFC3339).
func strict(f []byte) bool {
	if len(f) < len("2006-01-02T15:04:05Z") || f[4] != '-' {
		return false
	}
	if f[len(f)-1] == 'Z' {
		return true
	}
	z := f[len(f)-len("+07:00"):]
	return (z[0] == '+' || z[0] == '-') && z[1] >= '0' && z[1] <= '9' && z[2] >= '0' && z[2] <= '9' && (z[1]-'0')*10+(z[2]-'0') < 24
}
