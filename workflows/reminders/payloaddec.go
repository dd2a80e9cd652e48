package reminders

import (
	"bytes"
	"strconv"
	"time"
)

// A tick decodes the payload of every due item, and encoding/json
// (reflection, and time.Time's UnmarshalJSON behind an interface call)
// was a tenth of the client's work in a 1,000-item tick. Payloads are
// written by payload.encode, so they nearly always have exactly the shape
// json.Marshal gives: decodeEncoded reads that shape and nothing else,
// and says so; anything else (another field order, an escape in a
// string, a time written another way, spaces) goes to encoding/json.
// TestPayloadFastDecodeMatchesJSON and FuzzPayloadDecode compare the two.

// decodeEncoded decodes data as payload.encode writes it; ok is false
// when data is not exactly in that shape.
func decodeEncoded(data []byte) (p payload, ok bool) {
	d := payloadScanner{b: data}
	if !d.lit(`{"kind":`) {
		return p, false
	}
	p.Kind = Kind(d.str())
	if d.lit(`,"sub":`) {
		if p.Sub = d.str(); p.Sub == "" {
			return p, false // omitempty: never written empty
		}
	}
	if d.lit(`,"req":`) {
		if p.Req = d.str(); p.Req == "" {
			return p, false
		}
	}
	if !d.lit(`,"to":`) {
		return p, false
	}
	p.To = d.str()
	if !d.lit(`,"aud":`) {
		return p, false
	}
	p.Aud = Audience(d.str())
	if d.lit(`,"lead":`) {
		if p.Lead = d.int(); p.Lead == 0 {
			return p, false
		}
	}
	if d.lit(`,"term":`) {
		if p.Term = d.time(); p.Term.IsZero() {
			return p, false // omitzero
		}
	}
	if !d.lit(`,"until":`) {
		return p, false
	}
	p.Until = d.time()
	if d.lit(`,"next":`) {
		if p.Next = d.time(); p.Next.IsZero() {
			return p, false
		}
	}
	if !d.lit(`}`) || d.i != len(d.b) || d.bad {
		return p, false
	}
	return p, true
}

// payloadScanner reads data left to right; bad records that what it
// read was not in the expected shape.
type payloadScanner struct {
	b   []byte
	i   int
	bad bool
}

// lit consumes s if data continues with it.
func (d *payloadScanner) lit(s string) bool {
	if d.bad || !bytes.HasPrefix(d.b[d.i:], []byte(s)) {
		return false
	}
	d.i += len(s)
	return true
}

// str reads a string json.Marshal wrote without escapes: plain
// printable ASCII other than <, > and &, which it escapes.
func (d *payloadScanner) str() string {
	if d.bad || d.i >= len(d.b) || d.b[d.i] != '"' {
		d.bad = true
		return ""
	}
	for j := d.i + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			s := string(d.b[d.i+1 : j])
			d.i = j + 1
			return s
		case c < 0x20 || c >= 0x80 || c == '\\' || c == '<' || c == '>' || c == '&':
			d.bad = true
			return ""
		}
	}
	d.bad = true
	return ""
}

// int reads a decimal integer as json.Marshal writes an int.
func (d *payloadScanner) int() int {
	j := d.i
	if j < len(d.b) && d.b[j] == '-' {
		j++
	}
	for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
		j++
	}
	s := string(d.b[d.i:j])
	n, err := strconv.Atoi(s)
	if d.bad || err != nil || strconv.Itoa(n) != s {
		d.bad = true
		return 0
	}
	d.i = j
	return n
}

// time reads a time as time.Time's MarshalJSON writes it: one that
// formats back to the same bytes.
func (d *payloadScanner) time() time.Time {
	if d.bad || d.i >= len(d.b) || d.b[d.i] != '"' {
		d.bad = true
		return time.Time{}
	}
	end := bytes.IndexByte(d.b[d.i+1:], '"')
	if end < 0 {
		d.bad = true
		return time.Time{}
	}
	raw := d.b[d.i+1 : d.i+1+end]
	t, err := time.Parse(time.RFC3339Nano, string(raw))
	var buf [64]byte
	if err != nil || !bytes.Equal(t.AppendFormat(buf[:0], time.RFC3339Nano), raw) {
		d.bad = true
		return time.Time{}
	}
	d.i += end + 2
	return t
}
