package backoff

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDelayGrowsAndIsCapped(t *testing.T) {
	for attempt, lo := range []time.Duration{Base, 2 * Base, 4 * Base} {
		d := Delay(attempt)
		if d < lo || d > lo+lo/4 {
			t.Errorf("Delay(%d) = %v, want in [%v, %v]", attempt, d, lo, lo+lo/4)
		}
	}
	if d := Delay(50); d < Max || d > Max+Max/4 {
		t.Errorf("Delay(50) = %v, want capped near %v", d, Max)
	}
}

func TestSleepStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep = %v, want context.Canceled", err)
	}
}
