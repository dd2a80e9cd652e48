package slack

import (
	"context"

	"errors"
	"net"
	"time"

	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/bot/internal/backoff"

	slackapi "github.com/slack-go/slack"
)

// The slack-go client's own OptionRetry sleeps on the wall clock and
// cannot be observed in tests, so the adapter retries itself
// (channel.Retrier) with an injected sleep.

// retryWait says whether err is worth another attempt, and after how long.
// A 429 waits what Slack asked; server errors, network errors and Slack's
// own transient error codes back off exponentially with jitter; anything
// else (invalid_auth, channel_not_found, a bad request) fails at once.
func retryWait(err error, attempt int) (time.Duration, bool) {
	if rl, ok := errors.AsType[*slackapi.RateLimitedError](err); ok {
		return min(max(rl.RetryAfter, channel.MinRetryAfter), channel.MaxRetryAfter), true
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
