package clock

import (
	"testing"
	"time"
)

func TestManualMovesOnlyWhenTold(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	m := NewManual(t0)
	if !m.Now().Equal(t0) {
		t.Fatalf("Now = %v, want %v", m.Now(), t0)
	}
	m.Advance(time.Hour)
	if want := t0.Add(time.Hour); !m.Now().Equal(want) {
		t.Fatalf("after Advance Now = %v, want %v", m.Now(), want)
	}
	m.Set(t0)
	if !m.Now().Equal(t0) {
		t.Fatalf("after Set Now = %v, want %v", m.Now(), t0)
	}
}

func TestOffsetFollowsRealClockAfterSet(t *testing.T) {
	real := NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	o := NewOffset(real)
	target := time.Date(2027, 1, 5, 10, 0, 0, 0, time.UTC)
	o.Set(target)
	real.Advance(90 * time.Second)
	if want := target.Add(90 * time.Second); !o.Now().Equal(want) {
		t.Fatalf("Now = %v, want %v", o.Now(), want)
	}
}
