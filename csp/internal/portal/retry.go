package portal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxBody bounds how much of an answer is read.
const MaxBody = 8 << 20

// Backoff is the wait before try+1 when the portal gives no Retry-After:
// 1 s, 2 s, 4 s…
func Backoff(try int) time.Duration { return time.Second << (try - 1) }

// RetryAfter reads a Retry-After header, seconds or an HTTP date, against
// now. A date in the past is no wait.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// Sleep waits d or until ctx is done.
type Sleep func(ctx context.Context, d time.Duration) error

// Wait sleeps before try+1 of at most maxTries: retryAfter when given,
// else Backoff. After the last try there is nothing to wait for.
func Wait(ctx context.Context, sleep Sleep, try, maxTries int, retryAfter time.Duration) error {
	if try >= maxTries {
		return nil
	}
	d := retryAfter
	if d <= 0 {
		d = Backoff(try)
	}
	return sleep(ctx, d)
}

// SleepTimer waits d unless ctx ends first.
func SleepTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Success reports a 2xx status.
func Success(status int) bool { return status >= 200 && status < 300 }

// Retryable reports a status worth sending again: 429 (throttled, not
// processed) or any 5xx.
func Retryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// RedactURL strips the query from a *url.Error's URL: errors are logged,
// and continuation tokens have no place in logs.
func RedactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// FirstLine is the first line of s, trimmed.
func FirstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// Prefixed is ": "+s, or "" for an empty s: the tail of an error text.
func Prefixed(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// NewUUID returns a random (version 4) UUID, for correlation ids.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return FormatUUID(b[:])
}

// FormatUUID writes 16 bytes as a UUID.
func FormatUUID(b []byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
