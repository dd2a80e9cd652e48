// Package timekey encodes instants as fixed-width keys whose byte order is
// time order. Both backends key schedules (and bolt the audit log) this way
// so that "everything due by now" is a seek to the start of a range plus a
// walk over what is actually due, never a scan of the whole queue.
package timekey

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"time"
)

// Size is the length of an encoded key in bytes (Hex returns twice that).
const Size = 8

// Range of instants UnixNano can represent; outside it UnixNano overflows
// silently, so encoders clamp instead of producing a wrong order.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// Nanos returns t as Unix nanoseconds, clamped to the int64 range (the zero
// time.Time maps to the smallest value rather than wrapping around).
func Nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// Uint maps t to an unsigned integer with the same order: flipping the sign
// bit turns two's complement order into unsigned order, so instants before
// 1970 still sort first.
func Uint(t time.Time) uint64 { return FromNanos(Nanos(t)) }

// FromNanos is Uint for a Unix nanosecond count.
func FromNanos(n int64) uint64 { return uint64(n) ^ (1 << 63) }

// Time is the inverse of Uint, in UTC.
func Time(u uint64) time.Time { return time.Unix(0, int64(u^(1<<63))).UTC() }

// Bytes returns the big-endian encoding of Uint(t).
func Bytes(t time.Time) []byte { return Put(make([]byte, Size), Uint(t)) }

// Put writes u big-endian into the first Size bytes of b and returns b.
func Put(b []byte, u uint64) []byte {
	binary.BigEndian.PutUint64(b, u)
	return b
}

// Decode reads a key written by Bytes or Put.
func Decode(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// Hex returns Bytes(t) as 16 lowercase hex digits, which sort like the
// bytes: Redis compares sorted-set members bytewise, and hex keeps keys
// readable in redis-cli.
func Hex(u uint64) string { return hex.EncodeToString(Put(make([]byte, Size), u)) }

// ParseHex is the inverse of Hex.
func ParseHex(s string) (uint64, bool) {
	if len(s) != 2*Size {
		return 0, false
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return 0, false
	}
	return Decode(b), true
}
