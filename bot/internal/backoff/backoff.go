// Package backoff is the retry timing the chat adapters share: an
// injectable sleep (tests observe waits instead of sleeping) and an
// exponential delay with jitter, so replicas that failed together do not
// retry together.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Bounds of Delay.
const (
	Base = 500 * time.Millisecond
	Max  = 8 * time.Second
)

// SleepFunc waits for d or until ctx is done (then it returns ctx.Err()).
type SleepFunc func(ctx context.Context, d time.Duration) error

// Sleep is the real SleepFunc.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Delay is the wait before retry number attempt (0-based): Base doubled
// each attempt up to Max, plus up to a quarter of it at random.
func Delay(attempt int) time.Duration {
	d := min(Base<<min(attempt, 10), Max)
	return d + rand.N(d/4+1)
}
