package slack

import (
	"context"

	"errors"
	"github.com/licensebot/licensebot/bot/internal/backoff"
	"net"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Retry bounds. The slack-go client's own OptionRetry sleeps on the wall
// clock and cannot be observed in tests, so the adapter retries itself
// with an injected sleep.
const (
	defaultMaxRetries = 4
	// maxRetryAfter caps a 429's Retry-After: a worker should not sit
	// idle for minutes; if Slack still refuses, the call fails loudly.
	maxRetryAfter = 60 * time.Second
	minRetryAfter = time.Second
)

// SleepFunc waits for d or until ctx is done (bot/internal/backoff).
type SleepFunc = backoff.SleepFunc

// Sleep is the real SleepFunc.
func Sleep(ctx context.Context, d time.Duration) error { return backoff.Sleep(ctx, d) }

// retryWait says whether err is worth another attempt, and after how long.
// A 429 waits what Slack asked; server errors, network errors and Slack's
// own transient error codes back off exponentially with jitter; anything
// else (invalid_auth, channel_not_found, a bad request) fails at once.
func retryWait(err error, attempt int) (time.Duration, bool) {
	if rl, ok := errors.AsType[*slackapi.RateLimitedError](err); ok {
		return min(max(rl.RetryAfter, minRetryAfter), maxRetryAfter), true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return 0, false
	}
	transient := false
	if sc, ok := errors.AsType[slackapi.StatusCodeError](err); ok {
		transient = sc.Retryable()
	} else if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok {
		switch se.Err {
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited":
			transient = true
		}
	} else if _, ok := errors.AsType[net.Error](err); ok {
		transient = true
	}
	if !transient {
		return 0, false
	}
	return backoff.Delay(attempt), true
}

// classify is retryWait for channel.Retrier, which also counts 429s.
func classify(err error, attempt int) (time.Duration, bool, bool) {
	wait, again := retryWait(err, attempt)
	_, limited := errors.AsType[*slackapi.RateLimitedError](err)
	return wait, again, limited
}

// slackError is the error code Slack answered with ("channel_not_found"),
// or "".
func slackError(err error) string {
	if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok {
		return se.Err
	}
	return ""
}
