package teams

import (
	"context"

	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/bot/internal/backoff"
)

// apiError is a Bot Connector (or token endpoint) answer other than 2xx.
type apiError struct {
	Op         string
	Status     int
	Code       string // the error code in the body, if any ("ConversationNotFound")
	RetryAfter time.Duration
}

func (e *apiError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s: status %d (%s)", e.Op, e.Status, e.Code)
	}
	return fmt.Sprintf("%s: status %d", e.Op, e.Status)
}

// newAPIError reads the status, Retry-After and the error code of the
// Bot Framework error body ({"error":{"code":…,"message":…}}); the
// message is not kept, it may echo what we sent.
func newAPIError(op string, resp *http.Response, body []byte, now time.Time) *apiError {
	e := &apiError{Op: op, Status: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now)}
	var eb struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &eb) == nil && len(eb.Error.Code) <= 64 {
		e.Code = eb.Error.Code
	}
	return e
}

// permanentError marks a failure no retry of the current call can mend
// (the token could not be had: its own retries are spent).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// parseRetryAfter reads delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// retryWait says whether err is worth another attempt, and after how long.
// A 429 waits what Teams asked (or backs off if it did not say); 5xx and
// network errors back off exponentially with jitter; anything else (a
// 400, 401 after a token refresh, 403, 404) fails at once.
func retryWait(err error, attempt int) (time.Duration, bool) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return 0, false
	}
	var pe *permanentError
	if errors.As(err, &pe) {
		return 0, false
	}
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		if ae.Status == http.StatusTooManyRequests && ae.RetryAfter > 0 {
			return min(max(ae.RetryAfter, channel.MinRetryAfter), channel.MaxRetryAfter) + jitter(time.Second), true
		}
		if ae.Status != http.StatusTooManyRequests && ae.Status < 500 {
			return 0, false
		}
	default:
		var ne net.Error
		if !errors.As(err, &ne) {
			return 0, false
		}
	}
	return backoff.Delay(attempt), true
}

// jitter spreads replicas that failed together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// classify is retryWait for channel.Retrier, which also counts 429s.
func classify(err error, attempt int) (time.Duration, bool, bool) {
	wait, again := retryWait(err, attempt)
	var ae *apiError
	return wait, again, errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests
}

// statusOf is the HTTP status of a failed call, or 0.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}
