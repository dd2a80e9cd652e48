package partnercenter

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// maxBody bounds how much of an answer is read.
const maxBody = 8 << 20

// errPrecondition is a 412: the If-Match etag is stale. Writers re-read
// and decide again; nothing is re-sent blindly.
var errPrecondition = errors.New("precondition failed: the subscription changed since it was read (etag)")

// backoff is the wait before the next try when the portal gives no
// Retry-After: 1 s, 2 s, 4 s…
func backoff(try int) time.Duration { return time.Second << (try - 1) }

// request is one logical API call. Its MS-RequestId is the same on every
// try; its MS-CorrelationId is new on each.
type request struct {
	method string
	// path is relative to the base URL ("/v1/customers/…"), or absolute
	// when following a links.next uri.
	path  string
	query url.Values
	body  any
	// requestID is MS-RequestId: the operation key for writes, so that
	// Partner Center recognises a retry of the same logical call.
	requestID string
	ifMatch   string
	auth      authMode
	// once: after a send that may have reached the portal (a timeout, a
	// 5xx), do not send again; only a 429 (not processed) is retried.
	once bool
	// header adds headers (MS-ContinuationToken).
	header map[string]string
	log    *slog.Logger
}

// response is what the portal answered, for the receipt.
type response struct {
	Status        int
	CorrelationID string
	RequestID     string
	Location      string
	Header        http.Header
}

// receipt turns a response into a csp.Receipt.
func (r response) receipt(at time.Time) csp.Receipt {
	return csp.Receipt{Status: r.Status, CorrelationID: r.CorrelationID, Location: r.Location, At: at}
}

// do sends r and decodes a 2xx body into out (if not nil). It retries
// 429 (honouring Retry-After), 5xx and network errors (not after a
// possible send when r.once), refreshes the token once on 401, and moves
// an app-only call refused with 401/403 to App+User credentials when they
// are configured. Errors: 404 wraps csp.ErrNotFound, 409 csp.ErrConflict,
// 412 errPrecondition, 400/403/422 are *csp.RefusedError, exhausted
// retries wrap csp.ErrUnavailable.
func (c *Client) do(ctx context.Context, r request, out any) (response, error) {
	target, err := c.resolve(r.path)
	if err != nil {
		return response{}, err
	}
	target.RawQuery = r.query.Encode()
	if r.query == nil && strings.Contains(r.path, "?") {
		if u, err := url.Parse(r.path); err == nil {
			target.RawQuery = u.RawQuery
		}
	}
	var payload []byte
	if r.body != nil {
		if payload, err = json.Marshal(r.body); err != nil {
			return response{}, fmt.Errorf("%s %s: encode body: %w", r.method, r.path, err)
		}
	}
	if r.requestID == "" {
		r.requestID = newUUID()
	}
	what := r.method + " " + target.Path
	base := c.log
	if r.log != nil {
		base = r.log
	}
	mode := r.auth
	refreshed, escalated := false, false
	var last error
	var resp response
	resp.RequestID = r.requestID
	sent := 0
	for try := 1; try <= MaxTries; try++ {
		cred, tok, err := c.auth.token(ctx, mode)
		if err != nil {
			return resp, err
		}
		cid := newUUID()
		resp.CorrelationID = cid
		log := base.With("method", r.method, "path", target.Path, "ms_request_id", r.requestID, "ms_correlation_id", cid, "try", try, "credentials", cred.String())
		req, err := http.NewRequestWithContext(ctx, r.method, target.String(), bytes.NewReader(payload))
		if err != nil {
			return resp, fmt.Errorf("%s: %w", what, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("MS-Contract-Version", "v1")
		req.Header.Set("MS-RequestId", r.requestID)
		req.Header.Set("MS-CorrelationId", cid)
		req.Header.Set("MS-PartnerCenter-Application", "licensebot")
		req.Header.Set("User-Agent", "licensebot")
		if r.ifMatch != "" {
			req.Header.Set("If-Match", r.ifMatch)
		}
		for k, v := range r.header {
			req.Header.Set(k, v)
		}
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		sent++
		hr, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return resp, fmt.Errorf("%s: %w", what, ctx.Err())
			}
			last = fmt.Errorf("%s: %w", what, redactURL(err))
			resp.Status = 0
			log.WarnContext(ctx, "partner center call failed", "err", last)
			if r.once {
				// It may have reached Partner Center: the caller observes
				// instead of sending it again.
				return resp, fmt.Errorf("%w (sent once, outcome unknown): %w", last, csp.ErrUnavailable)
			}
			if err := c.wait(ctx, try, 0); err != nil {
				return resp, fmt.Errorf("%s: %w", what, err)
			}
			continue
		}
		body, rerr := io.ReadAll(io.LimitReader(hr.Body, maxBody))
		hr.Body.Close()
		resp.Status, resp.Header, resp.Location = hr.StatusCode, hr.Header, hr.Header.Get("Location")
		if rerr != nil {
			if ctx.Err() != nil {
				return resp, fmt.Errorf("%s: %w", what, ctx.Err())
			}
			last = fmt.Errorf("%s: read answer: %w", what, rerr)
			if r.once {
				return resp, fmt.Errorf("%w (sent once, outcome unknown): %w", last, csp.ErrUnavailable)
			}
			if err := c.wait(ctx, try, 0); err != nil {
				return resp, fmt.Errorf("%s: %w", what, err)
			}
			continue
		}
		level := slog.LevelDebug
		if r.method != http.MethodGet {
			level = slog.LevelInfo // a write is worth a line with its ids
		}
		log.Log(ctx, level, "partner center call", "status", hr.StatusCode)
		st := hr.StatusCode
		switch {
		case st >= 200 && st < 300:
			if out != nil && st != http.StatusNoContent && len(bytes.TrimSpace(body)) > 0 {
				if err := json.Unmarshal(body, out); err != nil {
					return resp, fmt.Errorf("%s: decode answer: %w", what, err)
				}
			}
			return resp, nil
		case st == http.StatusUnauthorized && !refreshed:
			refreshed = true
			c.auth.drop(cred, tok)
			log.InfoContext(ctx, "token refused, refreshing")
			try--
			continue
		case (st == http.StatusUnauthorized || st == http.StatusForbidden) && cred == credApp && !escalated && c.auth.has(credUser):
			// Not every operation accepts app-only tokens: this one is
			// sent again with App+User credentials.
			escalated = true
			mode = authUser
			log.InfoContext(ctx, "app-only credentials refused, using App+User", "status", st)
			try--
			continue
		case st == http.StatusTooManyRequests:
			last = fmt.Errorf("%s: %s%s", what, hr.Status, errSuffix(body))
			ra, ok := c.retryAfter(hr.Header.Get("Retry-After"))
			if ok && ra > MaxRetryAfter {
				log.WarnContext(ctx, "partner center asks to wait too long", "retry_after", ra)
				return resp, fmt.Errorf("%w (retry after %s): %w", last, ra, csp.ErrUnavailable)
			}
			log.WarnContext(ctx, "throttled by partner center, will retry", "retry_after", ra)
			if try == MaxTries {
				return resp, fmt.Errorf("%w (sent %d times): %w", last, sent, csp.ErrUnavailable)
			}
			if err := c.wait(ctx, try, ra); err != nil {
				return resp, fmt.Errorf("%s: %w", what, err)
			}
			continue
		case st >= 500:
			last = fmt.Errorf("%s: %s%s", what, hr.Status, errSuffix(body))
			if r.once {
				log.WarnContext(ctx, "partner center failed a send-once call; not sent again", "status", st)
				return resp, fmt.Errorf("%w (sent once, outcome unknown): %w", last, csp.ErrUnavailable)
			}
			log.WarnContext(ctx, "partner center failed, will retry", "status", st)
			ra, _ := c.retryAfter(hr.Header.Get("Retry-After"))
			if try == MaxTries {
				break
			}
			if err := c.wait(ctx, try, min(ra, MaxRetryAfter)); err != nil {
				return resp, fmt.Errorf("%s: %w", what, err)
			}
			continue
		}
		if st >= 500 {
			break
		}
		return resp, c.statusError(ctx, log, what, hr.Status, st, body)
	}
	return resp, fmt.Errorf("%w (sent %d times): %w", last, sent, csp.ErrUnavailable)
}

// resolve makes the request URL: a path under the base, or a next-page
// uri the portal gave (relative to the API root, or absolute on the same
// host).
func (c *Client) resolve(p string) (*url.URL, error) {
	u := *c.base
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		n, err := url.Parse(p)
		if err != nil || n.Host != c.base.Host {
			return nil, fmt.Errorf("partnercenter: refusing to follow a link off the API host: %q", p)
		}
		return n, nil
	}
	path, _, _ := strings.Cut(p, "?")
	if !strings.HasPrefix(path, "/") {
		path = "/v1/" + path
	}
	u.Path = strings.TrimRight(c.base.Path, "/") + path
	return &u, nil
}

func (c *Client) wait(ctx context.Context, try int, retryAfter time.Duration) error {
	if try >= MaxTries {
		return nil
	}
	d := retryAfter
	if d <= 0 {
		d = backoff(try)
	}
	return c.sleep(ctx, d)
}

// retryAfter reads Retry-After: seconds or an HTTP date.
func (c *Client) retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(c.clock.Now())), true
	}
	return 0, false
}

// statusError maps a non-retryable answer.
func (c *Client) statusError(ctx context.Context, log *slog.Logger, what, status string, code int, body []byte) error {
	var e apiError
	_ = json.Unmarshal(body, &e) // not every error has the body
	pcCode := codeString(e.Code)
	log.InfoContext(ctx, "partner center refused the call", "status", code, "pc_code", pcCode, "description", firstLine(e.Description))
	detail := strings.TrimSpace(e.Description)
	if pcCode != "" {
		detail = strings.TrimSpace(detail + " (Partner Center code " + pcCode + ")")
	}
	switch code {
	case http.StatusNotFound:
		return fmt.Errorf("%s: %s%s: %w", what, status, prefixed(detail), csp.ErrNotFound)
	case http.StatusConflict:
		return fmt.Errorf("%s: %s%s: %w", what, status, prefixed(detail), csp.ErrConflict)
	case http.StatusPreconditionFailed:
		return fmt.Errorf("%s: %w", what, errPrecondition)
	case http.StatusUnauthorized:
		return fmt.Errorf("%s: %s: the credentials were refused%s", what, status, prefixed(detail))
	case http.StatusForbidden:
		return &csp.RefusedError{Code: CodePermissionDenied, Detail: "Partner Center refused these credentials for this operation" + prefixed(detail)}
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		if detail == "" {
			detail = status
		}
		return &csp.RefusedError{Code: classify(pcCode, e.Description), Detail: detail}
	}
	return fmt.Errorf("%s: %s%s", what, status, prefixed(detail))
}

func prefixed(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func errSuffix(body []byte) string {
	var e apiError
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return prefixed(firstLine(e.Description))
}

// redactURL strips the query from a *url.Error: errors are logged.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
