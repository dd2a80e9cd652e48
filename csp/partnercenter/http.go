package partnercenter

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// errPrecondition is a 412: the If-Match etag is stale. Writers re-read
// and decide again; nothing is re-sent blindly.
var errPrecondition = errors.New("precondition failed: the subscription changed since it was read (etag)")

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
	// base, when set, is another API root than the client's (the
	// pricing API's host).
	base *url.URL
	// limit overrides portal.MaxBody for answers known to be large.
	limit int64
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
	k, err := c.newCall(r)
	if err != nil {
		return response{}, err
	}
	return k.run(ctx, out)
}

// call is one logical API call across its tries: what is sent, and what
// the tries so far have used up (the token refresh, the move to App+User).
type call struct {
	c       *Client
	r       request
	target  *url.URL
	payload []byte
	// what names the call in errors: "PATCH /v1/customers/…".
	what      string
	log       *slog.Logger
	mode      authMode
	refreshed bool
	escalated bool
	sent      int
	resp      response
}

func (c *Client) newCall(r request) (*call, error) {
	target, err := c.target(r)
	if err != nil {
		return nil, err
	}
	var payload []byte
	if r.body != nil {
		if payload, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("%s %s: encode body: %w", r.method, r.path, err)
		}
	}
	if r.requestID == "" {
		r.requestID = newUUID()
	}
	log := c.log
	if r.log != nil {
		log = r.log
	}
	return &call{c: c, r: r, target: target, payload: payload, what: r.method + " " + target.Path, log: log,
		mode: r.auth, resp: response{RequestID: r.requestID}}, nil
}

// target is the URL of r: its path resolved under the base, with r.query,
// or the query a next-page link carries.
func (c *Client) target(r request) (*url.URL, error) {
	base := c.base
	if r.base != nil {
		base = r.base
	}
	target, err := resolveOn(base, r.path)
	if err != nil {
		return nil, err
	}
	target.RawQuery = r.query.Encode()
	if r.query == nil && strings.Contains(r.path, "?") {
		if u, err := url.Parse(r.path); err == nil {
			target.RawQuery = u.RawQuery
		}
	}
	return target, nil
}

// step is what the retry loop does after one exchange.
type step int

const (
	// stepDone: the call ends with the verdict's error (nil on success).
	stepDone step = iota
	// stepRetry: wait, then send again; it counts as a try.
	stepRetry
	// stepAgain: send again at once with other credentials; it does not
	// count as a try (a refreshed token, App+User instead of app-only).
	stepAgain
)

// verdict is the outcome of one exchange. For stepRetry, err is the
// failure to report if no try is left and wait what the portal asked.
type verdict struct {
	step step
	err  error
	wait time.Duration
}

func done(err error) verdict { return verdict{step: stepDone, err: err} }

func retry(err error, wait time.Duration) verdict {
	return verdict{step: stepRetry, err: err, wait: wait}
}

// run is the retry loop: at most MaxTries counted sends.
func (k *call) run(ctx context.Context, out any) (response, error) {
	var last error
	for try := 1; try <= MaxTries; {
		v := k.exchange(ctx, try, out)
		switch v.step {
		case stepDone:
			return k.resp, v.err
		case stepAgain:
			continue
		}
		last = v.err
		if try == MaxTries {
			break
		}
		if err := portal.Wait(ctx, k.c.sleep, try, MaxTries, v.wait); err != nil {
			return k.resp, k.interrupted(err)
		}
		try++
	}
	return k.resp, fmt.Errorf("%w (sent %d times): %w", last, k.sent, csp.ErrUnavailable)
}

// exchange sends the call once and classifies what came back.
func (k *call) exchange(ctx context.Context, try int, out any) verdict {
	cred, tok, err := k.c.auth.token(ctx, k.mode)
	if err != nil {
		if ctx.Err() != nil {
			return done(k.interrupted(ctx.Err()))
		}
		return done(err)
	}
	cid := newUUID()
	k.resp.CorrelationID = cid
	log := k.log.With("method", k.r.method, "path", k.target.Path, "ms_request_id", k.r.requestID,
		"ms_correlation_id", cid, "try", try, "credentials", cred.String())
	req, err := k.newRequest(ctx, tok, cid)
	if err != nil {
		return done(fmt.Errorf("%s: %w", k.what, err))
	}
	k.sent++
	hr, err := k.c.hc.Do(req)
	if err != nil {
		k.resp.Status = 0
		return k.notAnswered(ctx, log, fmt.Errorf("%s: %w", k.what, portal.RedactURL(err)))
	}
	limit := int64(portal.MaxBody)
	if k.r.limit > 0 {
		limit = k.r.limit
	}
	body, err := io.ReadAll(io.LimitReader(hr.Body, limit))
	hr.Body.Close()
	k.resp.Status, k.resp.Header, k.resp.Location = hr.StatusCode, hr.Header, hr.Header.Get("Location")
	if err != nil {
		return k.notAnswered(ctx, log, fmt.Errorf("%s: read answer: %w", k.what, err))
	}
	level := slog.LevelDebug
	if k.r.method != http.MethodGet {
		level = slog.LevelInfo // a write is worth a line with its ids
	}
	log.Log(ctx, level, "partner center call", "status", hr.StatusCode)
	return k.answered(ctx, log, answer{cred: cred, tok: tok, status: hr.StatusCode, text: hr.Status,
		header: hr.Header, body: body}, out)
}

// newRequest builds one try's HTTP request with Partner Center's headers.
func (k *call) newRequest(ctx context.Context, tok, correlationID string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, k.r.method, k.target.String(), bytes.NewReader(k.payload))
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("Authorization", "Bearer "+tok)
	h.Set("Accept", "application/json")
	h.Set("MS-Contract-Version", "v1")
	h.Set("MS-RequestId", k.r.requestID)
	h.Set("MS-CorrelationId", correlationID)
	h.Set("MS-PartnerCenter-Application", "licensebot")
	h.Set("User-Agent", "licensebot")
	if k.r.ifMatch != "" {
		h.Set("If-Match", k.r.ifMatch)
	}
	for name, v := range k.r.header {
		h.Set(name, v)
	}
	if k.payload != nil {
		h.Set("Content-Type", "application/json")
	}
	return req, nil
}

// notAnswered handles a try that got no (complete) answer: the request
// may have reached Partner Center.
func (k *call) notAnswered(ctx context.Context, log *slog.Logger, err error) verdict {
	if ctx.Err() != nil {
		return done(k.interrupted(ctx.Err()))
	}
	log.WarnContext(ctx, "partner center call failed", "err", err)
	if k.r.once {
		// It may have reached Partner Center: the caller observes
		// instead of sending it again.
		return done(unknownOutcome(err))
	}
	return retry(err, 0)
}

// interrupted is the error when the caller's context ends the call. A
// write already sent may have taken effect: its outcome is unknown
// (csp.ErrUnavailable), so the caller reads or observes before deciding
// anything, and never records it as failed.
func (k *call) interrupted(err error) error {
	if k.r.method != http.MethodGet && k.sent > 0 {
		return fmt.Errorf("%s: %w (sent, outcome unknown): %w", k.what, err, csp.ErrUnavailable)
	}
	return fmt.Errorf("%s: %w", k.what, err)
}

// unknownOutcome is the error of a send-once call that may have taken
// effect.
func unknownOutcome(err error) error {
	return fmt.Errorf("%w (sent once, outcome unknown): %w", err, csp.ErrUnavailable)
}

// answer is one HTTP answer, read whole, with the token it was sent with.
type answer struct {
	cred   credKind
	tok    string
	status int
	text   string // "429 Too Many Requests"
	header http.Header
	body   []byte
}

// answered classifies an answer: success, send again with other
// credentials, retry, or a final error.
func (k *call) answered(ctx context.Context, log *slog.Logger, a answer, out any) verdict {
	st := a.status
	switch {
	case portal.Success(st):
		return done(k.decode(a, out))
	case st == http.StatusUnauthorized && !k.refreshed:
		k.refreshed = true
		k.c.auth.drop(a.cred, a.tok)
		log.InfoContext(ctx, "token refused, refreshing")
		return verdict{step: stepAgain}
	case k.mayEscalate(a):
		// Not every operation accepts app-only tokens: this one is
		// sent again with App+User credentials.
		k.escalated = true
		k.mode = authUser
		log.InfoContext(ctx, "app-only credentials refused, using App+User", "status", st)
		return verdict{step: stepAgain}
	case st == http.StatusTooManyRequests:
		return k.throttled(ctx, log, a)
	case st >= 500:
		return k.serverFailed(ctx, log, a)
	}
	return done(k.c.statusError(ctx, log, k.what, a.text, st, a.body))
}

// decode reads a 2xx body into out.
func (k *call) decode(a answer, out any) error {
	if raw, ok := out.(*[]byte); ok {
		*raw = a.body // a file (the price list), not JSON
		return nil
	}
	if out == nil || a.status == http.StatusNoContent || len(bytes.TrimSpace(a.body)) == 0 {
		return nil
	}
	err := json.Unmarshal(a.body, out)
	switch {
	case err == nil:
		return nil
	case k.r.method != http.MethodGet:
		// Partner Center accepted the write; only its answer is
		// unreadable. "Failed" would be wrong: the caller reads or
		// observes what became of it.
		return fmt.Errorf("%s: accepted (%s) but the answer is unreadable: %w: %w", k.what, a.text, err, csp.ErrUnavailable)
	}
	return fmt.Errorf("%s: decode answer: %w", k.what, err)
}

// mayEscalate: an app-only token refused with 401/403, App+User
// credentials configured and not tried yet.
func (k *call) mayEscalate(a answer) bool {
	refused := a.status == http.StatusUnauthorized || a.status == http.StatusForbidden
	return refused && a.cred == credApp && !k.escalated && k.c.auth.has(credUser)
}

// throttled handles a 429: Partner Center did not process the call, so
// even a send-once call is sent again, after Retry-After.
func (k *call) throttled(ctx context.Context, log *slog.Logger, a answer) verdict {
	err := fmt.Errorf("%s: %s%s", k.what, a.text, errSuffix(a.body))
	ra, ok := portal.RetryAfter(a.header.Get("Retry-After"), k.c.clock.Now())
	if ok && ra > MaxRetryAfter {
		log.WarnContext(ctx, "partner center asks to wait too long", "retry_after", ra)
		return done(fmt.Errorf("%w (retry after %s): %w", err, ra, csp.ErrUnavailable))
	}
	log.WarnContext(ctx, "throttled by partner center, will retry", "retry_after", ra)
	return retry(err, ra)
}

// serverFailed handles a 5xx: retried with backoff, except a send-once
// call, which may have taken effect.
func (k *call) serverFailed(ctx context.Context, log *slog.Logger, a answer) verdict {
	err := fmt.Errorf("%s: %s%s", k.what, a.text, errSuffix(a.body))
	if k.r.once {
		log.WarnContext(ctx, "partner center failed a send-once call; not sent again", "status", a.status)
		return done(unknownOutcome(err))
	}
	log.WarnContext(ctx, "partner center failed, will retry", "status", a.status)
	ra, _ := portal.RetryAfter(a.header.Get("Retry-After"), k.c.clock.Now())
	return retry(err, min(ra, MaxRetryAfter))
}

// resolveOn makes the request URL: a path under the base, or a next-page
// uri the portal gave (relative to the API root, or absolute on the same
// host).
func resolveOn(base *url.URL, p string) (*url.URL, error) {
	u := *base
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		n, err := url.Parse(p)
		if err != nil || n.Host != base.Host {
			return nil, fmt.Errorf("partnercenter: refusing to follow a link off the API host: %q", p)
		}
		return n, nil
	}
	path, _, _ := strings.Cut(p, "?")
	if !strings.HasPrefix(path, "/") {
		path = "/v1/" + path
	}
	u.Path = strings.TrimRight(base.Path, "/") + path
	if strings.Contains(path, "'") {
		// OData keys (the price sheets) travel as written, not
		// percent-encoded.
		u.RawPath = u.Path
	}
	return &u, nil
}

// statusError maps a non-retryable answer.
func (c *Client) statusError(ctx context.Context, log *slog.Logger, what, status string, code int, body []byte) error {
	var e apiError
	_ = json.Unmarshal(body, &e) // not every error has the body
	pcCode := codeString(e.Code)
	log.InfoContext(ctx, "partner center refused the call", "status", code, "pc_code", pcCode, "description", portal.FirstLine(e.Description))
	detail := strings.TrimSpace(e.Description)
	if pcCode != "" {
		detail = strings.TrimSpace(detail + " (Partner Center code " + pcCode + ")")
	}
	switch code {
	case http.StatusNotFound:
		return fmt.Errorf("%s: %s%s: %w", what, status, portal.Prefixed(detail), csp.ErrNotFound)
	case http.StatusConflict:
		return fmt.Errorf("%s: %s%s: %w", what, status, portal.Prefixed(detail), csp.ErrConflict)
	case http.StatusPreconditionFailed:
		return fmt.Errorf("%s: %w", what, errPrecondition)
	case http.StatusUnauthorized:
		return fmt.Errorf("%s: %s: the credentials were refused%s", what, status, portal.Prefixed(detail))
	case http.StatusForbidden:
		return &csp.RefusedError{Code: CodePermissionDenied, Detail: "Partner Center refused these credentials for this operation" + portal.Prefixed(detail)}
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		if detail == "" {
			detail = status
		}
		return &csp.RefusedError{Code: classify(pcCode, e.Description), Detail: detail}
	}
	return fmt.Errorf("%s: %s%s", what, status, portal.Prefixed(detail))
}

func errSuffix(body []byte) string {
	var e apiError
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return portal.Prefixed(portal.FirstLine(e.Description))
}

// newUUID returns a random (version 4) UUID.
func newUUID() string { return portal.NewUUID() }

// requestID turns an operation key into an MS-RequestId, which Partner
// Center documents as a GUID. A key that is one is sent as it is; any
// other (the workflow's keys are "op-" and hex) becomes a name-based
// (version 5) UUID of it, the same for every retry of the call.
func requestID(key string) string {
	if csp.IsGUID(key) {
		return key
	}
	h := sha1.Sum([]byte("licensebot/partnercenter/MS-RequestId\x00" + key))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return portal.FormatUUID(b)
}

// callRequestID is the MS-RequestId of one of the several calls a logical
// operation makes (a purchase's checkout, a PATCH decided again after a
// 412). Microsoft resets the id after every answer, so each call needs
// its own; it is derived from the key and the call's name, so a retry of
// the operation with the same key sends each call with the id it had.
func callRequestID(key, name string) string { return requestID(key + "/" + name) }
