package channel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/licensebot/licensebot/bot/internal/backoff"
)

// Retrier runs platform API calls with retries: what to retry and how
// long to wait is the platform's (Classify); counting, logging and
// waiting are shared.
type Retrier struct {
	Platform string
	Retries  int
	Sleep    backoff.SleepFunc
	Metrics  Metrics
	Log      *slog.Logger
	// Classify says whether err is worth another attempt, after how long,
	// and whether it was a 429.
	Classify func(err error, attempt int) (wait time.Duration, again, limited bool)
}

// Do runs fn until it succeeds, fails for good or the retries are spent.
// Every failed attempt is counted and logged with the request id (never
// with a token); the last error is returned wrapped.
func (r *Retrier) Do(ctx context.Context, reqID, op string, fn func(context.Context) error) error {
	return r.Try(ctx, reqID, op, r.Retries, fn)
}

// Try is Do with its own number of retries (0: one attempt, for a call
// whose trigger expires in seconds).
func (r *Retrier) Try(ctx context.Context, reqID, op string, retries int, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		r.Metrics.APIError(op)
		wait, again, limited := r.Classify(err, attempt)
		if limited {
			r.Metrics.RateLimited()
		}
		if !again || attempt >= retries {
			r.Log.ErrorContext(ctx, r.Platform+" api call failed", "request_id", reqID, "op", op, "attempts", attempt+1, "err", err)
			return fmt.Errorf("%s %s: %w", r.Platform, op, err)
		}
		r.Log.WarnContext(ctx, r.Platform+" api call retried", "request_id", reqID, "op", op, "attempt", attempt+1, "wait", wait, "err", err)
		if err := r.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s %s: %w", r.Platform, op, err)
		}
	}
}

// RequestID names one inbound request or outbound delivery in logs.
func RequestID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
