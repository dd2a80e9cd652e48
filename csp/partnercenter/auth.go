package partnercenter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// authMode is what an operation accepts, as Microsoft documents it under
// each operation's prerequisites.
type authMode int

const (
	// authApp: app-only or App+User. App-only is used when configured:
	// it does not depend on a person's refresh token.
	authApp authMode = iota
	// authUser: App+User only (the secure application model).
	authUser
	// authPricing: App+User for the pricing API, which lives on another
	// resource (api.partner.microsoft.com) and so needs its own token.
	authPricing
)

// credKind is the kind of token a call was sent with.
type credKind int

const (
	credApp credKind = iota + 1
	credUser
	// credPricing is an App+User token for the pricing API's resource,
	// obtained with the same refresh token.
	credPricing
)

func (k credKind) String() string {
	switch k {
	case credApp:
		return "app"
	case credUser:
		return "app+user"
	case credPricing:
		return "app+user (pricing)"
	}
	return "none"
}

// tokenMargin: a cached token is renewed this long before it expires, so
// that a call never starts with a token about to lapse.
const tokenMargin = 5 * time.Minute

// TokenTimeout bounds one token fetch, its retries included. The fetch
// does not run under the caller's context: the identity platform may
// rotate the refresh token in its answer, and an answer dropped because
// the caller gave up would lose the only valid refresh token.
const TokenTimeout = 90 * time.Second

// authenticator fetches and caches the two kinds of token. Secrets are
// only sent to the token endpoint and never logged.
type authenticator struct {
	tokenURL     string
	clientID     string
	clientSecret string
	appScope     string
	userScope    string
	pricingScope string
	hc           *http.Client
	clock        clock.Clock
	log          *slog.Logger
	sleep        func(context.Context, time.Duration) error
	// onRefresh receives a rotated refresh token, so the host can store
	// it; the identity platform may rotate it on every use.
	onRefresh func(string)

	// grant serialises refresh-token grants: each may rotate the refresh
	// token, so the next one must be built from the answer of the last.
	grant sync.Mutex

	mu      sync.Mutex
	refresh string // the App+User refresh token (rotates)
	cache   map[credKind]cached
	// inflight is the fetch under way per kind: callers that need the
	// same kind of token wait for it instead of sending their own.
	inflight map[credKind]*flight
}

// flight is one token fetch; done is closed once tok or err is set.
type flight struct {
	done chan struct{}
	tok  string
	err  error
}

type cached struct {
	tok   string
	until time.Time
}

// has reports whether credentials of kind k are configured.
func (a *authenticator) has(k credKind) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch k {
	case credApp:
		return a.clientID != "" && a.clientSecret != ""
	case credUser, credPricing:
		return a.clientID != "" && a.refresh != ""
	}
	return false
}

// token returns a token good for mode: app-only when accepted and
// configured, else App+User.
func (a *authenticator) token(ctx context.Context, mode authMode) (credKind, string, error) {
	kind := credUser
	switch {
	case mode == authApp && a.has(credApp):
		kind = credApp
	case mode == authPricing:
		kind = credPricing
	}
	if !a.has(kind) {
		if mode != authApp {
			return 0, "", &csp.RefusedError{Code: CodePermissionDenied,
				Detail: "this Partner Center operation needs App+User credentials (the secure application model): set " + EnvRefreshToken}
		}
		return 0, "", fmt.Errorf("partnercenter: no credentials configured")
	}
	a.mu.Lock()
	if c, ok := a.cache[kind]; ok && a.clock.Now().Before(c.until) {
		a.mu.Unlock()
		return kind, c.tok, nil
	}
	f := a.inflight[kind]
	if f == nil {
		f = &flight{done: make(chan struct{})}
		a.inflight[kind] = f
		go a.run(context.WithoutCancel(ctx), kind, f)
	}
	a.mu.Unlock()
	select {
	case <-f.done:
		return kind, f.tok, f.err
	case <-ctx.Done():
		// The fetch goes on without this caller and its answer (a
		// rotated refresh token above all) is kept for the next one.
		return kind, "", fmt.Errorf("token: %w", ctx.Err())
	}
}

// run fetches a token of kind with its own deadline, detached from the
// caller that started it, keeps it and wakes every caller waiting on f.
func (a *authenticator) run(ctx context.Context, kind credKind, f *flight) {
	ctx, cancel := context.WithTimeout(ctx, TokenTimeout)
	defer cancel()
	if kind != credApp {
		a.grant.Lock()
		defer a.grant.Unlock()
	}
	a.mu.Lock()
	form := a.form(kind)
	a.mu.Unlock()
	now := a.clock.Now()
	t, err := a.fetch(ctx, kind, form)
	a.mu.Lock()
	if err == nil {
		a.keep(ctx, kind, now, t)
		f.tok = t.AccessToken
	}
	f.err = err
	delete(a.inflight, kind)
	a.mu.Unlock()
	close(f.done)
}

// form is the token request of kind; callers hold a.mu (the refresh
// token rotates).
func (a *authenticator) form(kind credKind) string {
	form := url.Values{}
	form.Set("client_id", a.clientID)
	if a.clientSecret != "" {
		form.Set("client_secret", a.clientSecret)
	}
	if kind == credApp {
		form.Set("grant_type", "client_credentials")
		form.Set("scope", a.appScope)
	} else {
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", a.refresh)
		form.Set("scope", a.userScope)
		if kind == credPricing {
			form.Set("scope", a.pricingScope)
		}
	}
	return form.Encode()
}

// fetch posts the token request, retrying throttling, 5xx and network
// errors with backoff.
func (a *authenticator) fetch(ctx context.Context, kind credKind, form string) (token, error) {
	var last error
	for try := 1; try <= MaxTries; try++ {
		t, retryable, err := a.post(ctx, kind, form)
		if err == nil || !retryable {
			return t, err
		}
		last = err
		a.log.WarnContext(ctx, "token request failed", "err", last, "try", try)
		if try < MaxTries {
			if err := a.sleep(ctx, portal.Backoff(try)); err != nil {
				return token{}, fmt.Errorf("token: %w", err)
			}
		}
	}
	return token{}, fmt.Errorf("%w (after %d tries): %w", last, MaxTries, csp.ErrUnavailable)
}

// post sends one token request. retryable says whether trying again may
// help.
func (a *authenticator) post(ctx context.Context, kind credKind, form string) (t token, retryable bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.tokenURL, strings.NewReader(form))
	if err != nil {
		return token{}, false, fmt.Errorf("token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return token{}, false, fmt.Errorf("token: %w", ctx.Err())
		}
		return token{}, true, fmt.Errorf("token (%s): %w", kind, portal.RedactURL(err))
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, portal.MaxBody))
	resp.Body.Close()
	_ = json.Unmarshal(body, &t)
	switch {
	case rerr != nil:
		return token{}, true, fmt.Errorf("token (%s): read answer: %w", kind, rerr)
	case resp.StatusCode == http.StatusOK && t.AccessToken != "":
		return t, false, nil
	case portal.Retryable(resp.StatusCode):
		return token{}, true, fmt.Errorf("token (%s): %s", kind, resp.Status)
	}
	// Wrong secret, expired refresh token (90 days unused), missing
	// consent: retrying will not help. The identity platform's text
	// never echoes the secret.
	return token{}, false, fmt.Errorf("token (%s): %s: %s %s", kind, resp.Status, t.Error, portal.FirstLine(t.ErrorDesc))
}

// keep caches t until shortly before it expires and hands a rotated
// refresh token over; callers hold a.mu.
func (a *authenticator) keep(ctx context.Context, kind credKind, now time.Time, t token) {
	life := time.Duration(t.ExpiresIn) * time.Second
	margin := min(tokenMargin, life/2)
	a.cache[kind] = cached{tok: t.AccessToken, until: now.Add(life - margin)}
	if kind != credApp && t.RefreshToken != "" && t.RefreshToken != a.refresh {
		a.refresh = t.RefreshToken
		a.log.InfoContext(ctx, "partner center refresh token rotated")
		if a.onRefresh != nil {
			a.onRefresh(t.RefreshToken)
		}
	}
	a.log.DebugContext(ctx, "token obtained", "credentials", kind.String(), "expires_in_s", t.ExpiresIn)
}

// drop forgets tok if it is still cached.
func (a *authenticator) drop(kind credKind, tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.cache[kind]; ok && c.tok == tok {
		delete(a.cache, kind)
	}
}
