package timekey

import (
	"bytes"
	"math"
	"testing"
	"time"
)

func TestOrder(t *testing.T) {
	times := []time.Time{
		{}, // clamped to the smallest key
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, -1),
		time.Unix(0, 0),
		time.Unix(0, 1),
		time.Date(2026, 3, 29, 1, 0, 0, 0, time.FixedZone("CET", 3600)),
		time.Date(2026, 3, 29, 1, 0, 0, 1, time.UTC),
		time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), // clamped to the largest
	}
	for i := 1; i < len(times); i++ {
		a, b := Bytes(times[i-1]), Bytes(times[i])
		if bytes.Compare(a, b) >= 0 {
			t.Errorf("%v does not sort before %v", times[i-1], times[i])
		}
		if Hex(Uint(times[i-1])) >= Hex(Uint(times[i])) {
			t.Errorf("hex of %v does not sort before %v", times[i-1], times[i])
		}
	}
	for _, tm := range times[1:7] {
		if got := Time(Uint(tm)); !got.Equal(tm) {
			t.Errorf("Time(Uint(%v)) = %v", tm, got)
		}
		u, ok := ParseHex(Hex(Uint(tm)))
		if !ok || u != Uint(tm) {
			t.Errorf("ParseHex(Hex(%v)) = %v, %v", tm, u, ok)
		}
	}
	if Nanos(time.Time{}) != math.MinInt64 || Nanos(times[7]) != math.MaxInt64 {
		t.Error("out-of-range instants are not clamped")
	}
	if _, ok := ParseHex("xyz"); ok {
		t.Error("ParseHex accepted garbage")
	}
}
