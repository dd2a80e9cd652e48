package cloudcockpit

import (
	"bytes"
	"context"
	"encoding/json"
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

// Refusal codes of *csp.RefusedError returned by this package.
const (
	// CodePortalRefused: the portal answered 400/422 with its error
	// envelope; Detail is its description and property errors.
	CodePortalRefused = "portal_refused"
	// CodeNotSupported: the operation has no CloudCockpit API.
	CodeNotSupported = "not_supported_by_portal"
	// CodeUpgradeNotEligible: no eligible transition matches the target.
	CodeUpgradeNotEligible = "upgrade_not_eligible"
	// The same codes as the sandbox for the checks Apply makes itself.
	CodeNotActive       = "subscription_not_active"
	CodeQuantityMin     = csp.CodeQuantityMin
	CodeNotAnIncrease   = "not_an_increase"
	CodeNotADecrease    = "not_a_decrease"
	CodeAutoRenewOff    = "auto_renew_off"
	CodeUpgradeQuantity = "upgrade_quantity_exceeds_subscription"
)

// request is one logical API call.
type request struct {
	method string
	path   string
	query  url.Values
	body   any
	// once: the call is not absolute (POST upgrade moves seats, DELETE
	// is sent once by the workflow's rule), so it is retried only after
	// a 429, when the portal did not process it.
	once bool
	// cid, when set, is the X-Correlation-Id of every try: the
	// operation's key as a UUID, so the portal's audit log can be
	// searched for this very call. Otherwise each try gets a new one.
	cid string
	// log, when set, carries the caller's attributes (operation key).
	log *slog.Logger
}

// response is what the portal answered to a call that succeeded.
type response struct {
	status int
	header http.Header
	// cid is the X-Correlation-Id the answered try was sent with.
	cid string
	// body is the answer, for receipts (an order id).
	body []byte
}

// verdict says what to do after one try.
type verdict int

const (
	verdictDone    verdict = iota // 2xx: decode and return
	verdictRefresh                // 401: fetch a new token, once
	verdictRetry                  // 429, 5xx, network: maybe try again
	verdictFail                   // any other status: return its error
)

// attempt is the outcome of one try.
type attempt struct {
	verdict    verdict
	resp       response
	err        error
	retryAfter time.Duration
	// unprocessed: the portal certainly did not act on it (429), so
	// even a send-once call may be sent again.
	unprocessed bool
	tok         string
}

// do sends r with a bearer token, X-Tenant, X-Correlation-Id and Accept
// headers, retries 429, 5xx and network errors (at most MaxTries sends,
// honouring Retry-After; a send-once call only after 429), refreshes the
// token once on 401, decodes a 2xx body into out (if not nil) and returns
// the answer. Errors: 404 wraps csp.ErrNotFound, 409 csp.ErrConflict,
// 400/422 are *csp.RefusedError, exhausted retries wrap
// csp.ErrUnavailable, a done ctx wraps ctx.Err().
func (c *Client) do(ctx context.Context, r request, out any) (response, error) {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + r.path
	u.RawQuery = r.query.Encode()
	what := r.method + " " + r.path
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return response{}, fmt.Errorf("%s: encode body: %w", what, err)
		}
	}
	refreshed := false
	var last error
	sent := 0
	for try := 1; try <= MaxTries; try++ {
		sent++
		a, err := c.attempt(ctx, r, u.String(), payload, try)
		if err != nil {
			return response{}, err
		}
		switch a.verdict {
		case verdictDone:
			return a.resp, decode(what, a.resp, out)
		case verdictRefresh:
			if !refreshed {
				// The token was revoked or expired early: fetch a new
				// one, once, without using up a try.
				refreshed = true
				c.dropToken(a.tok)
				try--
				continue
			}
			return a.resp, a.err
		case verdictFail:
			return a.resp, a.err
		}
		last = a.err
		if a.retryAfter > MaxRetryAfter {
			return response{}, fmt.Errorf("%w (retry after %s): %w", last, a.retryAfter, csp.ErrUnavailable)
		}
		if r.once && !a.unprocessed {
			// Whether the portal processed it is unknown: a second send
			// could apply it twice. The caller observes instead.
			break
		}
		if try < MaxTries {
			if err := portal.Wait(ctx, c.sleep, try, MaxTries, a.retryAfter); err != nil {
				return response{}, fmt.Errorf("%s: %w", what, err)
			}
		}
	}
	return response{}, fmt.Errorf("%w (sent %d times): %w", last, sent, csp.ErrUnavailable)
}

func decode(what string, resp response, out any) error {
	if out == nil || resp.status == http.StatusNoContent || len(bytes.TrimSpace(resp.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", what, err)
	}
	return nil
}

// attempt sends one try and classifies the answer. Its error is for
// what ends the call at once (no token, a done context).
func (c *Client) attempt(ctx context.Context, r request, u string, payload []byte, try int) (attempt, error) {
	what := r.method + " " + r.path
	tok, err := c.token(ctx)
	if err != nil {
		return attempt{}, err
	}
	cid := r.cid
	if cid == "" {
		cid = portal.NewUUID()
	}
	base := c.log
	if r.log != nil {
		base = r.log
	}
	log := base.With("method", r.method, "path", r.path, "correlation_id", cid, "try", try)
	req, err := http.NewRequestWithContext(ctx, r.method, u, bytes.NewReader(payload))
	if err != nil {
		return attempt{}, fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("X-Tenant", c.tenant)
	req.Header.Set("X-Correlation-Id", cid)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "licensebot")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err == nil {
		var body []byte
		body, err = io.ReadAll(io.LimitReader(resp.Body, portal.MaxBody))
		resp.Body.Close()
		if err == nil {
			return c.classify(ctx, log, what, r, response{status: resp.StatusCode, header: resp.Header, cid: cid, body: body}, resp.Status, tok), nil
		}
		err = fmt.Errorf("read answer: %w", err)
	}
	if ctx.Err() != nil {
		return attempt{}, fmt.Errorf("%s: %w", what, ctx.Err())
	}
	a := attempt{verdict: verdictRetry, err: fmt.Errorf("%s: %w", what, portal.RedactURL(err))}
	log.WarnContext(ctx, "cloudcockpit call failed", "err", a.err)
	return a, nil
}

// classify turns an answer into a verdict.
func (c *Client) classify(ctx context.Context, log *slog.Logger, what string, r request, resp response, status, tok string) attempt {
	level := slog.LevelDebug
	if r.method != http.MethodGet {
		level = slog.LevelInfo // writes are worth a line with their correlation id
	}
	st := resp.status
	log.Log(ctx, level, "cloudcockpit call", "status", st)
	a := attempt{resp: resp, tok: tok}
	switch {
	case portal.Success(st):
		a.verdict = verdictDone
	case st == http.StatusUnauthorized:
		log.InfoContext(ctx, "token refused")
		a.verdict, a.err = verdictRefresh, c.statusError(ctx, what, status, st, resp.body)
	case portal.Retryable(st):
		a.verdict = verdictRetry
		a.err = fmt.Errorf("%s: %s%s", what, status, envelopeSuffix(resp.body))
		a.unprocessed = st == http.StatusTooManyRequests
		a.retryAfter, _ = portal.RetryAfter(resp.header.Get("Retry-After"), c.clock.Now())
		log.WarnContext(ctx, "cloudcockpit call failed", "status", st, "retry_after", a.retryAfter, "send_once", r.once)
	default:
		a.verdict, a.err = verdictFail, c.statusError(ctx, what, status, st, resp.body)
	}
	return a
}

// statusError maps a non-retryable error status.
func (c *Client) statusError(ctx context.Context, what, status string, code int, body []byte) error {
	var env apiError
	_ = json.Unmarshal(body, &env) // not every error has the envelope
	c.log.InfoContext(ctx, "cloudcockpit refused the call", "call", what, "status", code,
		"type", env.Type, "portal_correlation_id", env.CorrelationID)
	detail := env.detail()
	switch code {
	case http.StatusNotFound:
		return fmt.Errorf("%s: %s%s: %w", what, status, portal.Prefixed(detail), csp.ErrNotFound)
	case http.StatusConflict:
		return fmt.Errorf("%s: %s%s: %w", what, status, portal.Prefixed(detail), csp.ErrConflict)
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		if detail == "" {
			detail = status
		}
		return &csp.RefusedError{Code: CodePortalRefused, Detail: detail}
	}
	return fmt.Errorf("%s: %s%s", what, status, portal.Prefixed(detail))
}

func envelopeSuffix(body []byte) string {
	var env apiError
	if json.Unmarshal(body, &env) != nil {
		return ""
	}
	return portal.Prefixed(env.detail())
}

// tokenMargin: a cached token is renewed this long before it expires.
const tokenMargin = time.Minute

// token returns a cached bearer token or fetches one (client credentials).
// The lock is held while fetching so that concurrent calls share one
// token request.
func (c *Client) token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if c.tok != "" && now.Before(c.tokUntil) {
		return c.tok, nil
	}
	form := url.Values{}
	form.Set("grant_type", "client_credentials")
	form.Set("client_id", c.clientID)
	form.Set("client_secret", c.secret)
	form.Set("scope", c.scope)
	enc := form.Encode()
	var last error
	for try := 1; try <= MaxTries; try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(enc))
		if err != nil {
			return "", fmt.Errorf("token: %w", err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return "", fmt.Errorf("token: %w", ctx.Err())
			}
			last = fmt.Errorf("token: %w", portal.RedactURL(err))
		} else {
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, portal.MaxBody))
			resp.Body.Close()
			var t token
			_ = json.Unmarshal(body, &t)
			switch {
			case rerr != nil:
				last = fmt.Errorf("token: read answer: %w", rerr)
			case resp.StatusCode == http.StatusOK && t.AccessToken != "":
				life := time.Duration(t.ExpiresIn) * time.Second
				c.tok, c.tokUntil = t.AccessToken, now.Add(life-tokenMargin)
				c.log.DebugContext(ctx, "token obtained", "expires_in_s", t.ExpiresIn)
				return c.tok, nil
			case portal.Retryable(resp.StatusCode):
				last = fmt.Errorf("token: %s", resp.Status)
			default:
				// Bad credentials or scope: retrying will not help. The
				// identity platform's error text never echoes the secret.
				return "", fmt.Errorf("token: %s: %s %s", resp.Status, t.Error, portal.FirstLine(t.ErrorDesc))
			}
		}
		c.log.WarnContext(ctx, "token request failed", "err", last, "try", try)
		if err := portal.Wait(ctx, c.sleep, try, MaxTries, 0); err != nil {
			return "", fmt.Errorf("token: %w", err)
		}
	}
	return "", fmt.Errorf("%w (after %d tries): %w", last, MaxTries, csp.ErrUnavailable)
}

// dropToken forgets tok if it is still the cached one.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok == tok {
		c.tok, c.tokUntil = "", time.Time{}
	}
}
