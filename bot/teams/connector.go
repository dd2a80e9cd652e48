package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/clock"
)

// Outbound (bot to Bot Connector): a client-credentials token and a few
// REST calls. Our own client rather than the library's, which discards
// the id of a sent activity (so cards could not be updated), hard-codes
// the multi-tenant token authority, has no HTTP timeouts and races on
// its token cache.
const (
	// DefaultTokenURLFormat is the single-tenant token endpoint; %s is the
	// tenant id.
	DefaultTokenURLFormat = "https://login.microsoftonline.com/%s/oauth2/v2.0/token"
	// MultiTenantTokenURL is the token endpoint of multi-tenant bots.
	MultiTenantTokenURL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
	// botFrameworkScope is the scope of tokens for the Bot Connector.
	botFrameworkScope = "https://api.botframework.com/.default"
	// tokenMargin: a token is renewed this long before it expires.
	tokenMargin = 5 * time.Minute
	// maxResponseBody bounds what is read of an answer.
	maxResponseBody = 1 << 20
)

// connector calls the Bot Connector REST API. Safe for concurrent use.
type connector struct {
	http     *http.Client
	tokenURL string
	appID    string
	password string
	scope    string
	// origins are the hosts the token may be sent to.
	origins origins
	clock   clock.Clock
	sleep   channel.SleepFunc
	retry   *channel.Retrier
	pacer   *pacer

	// tokMu guards the cached token; a fetch happens under it, so
	// concurrent senders wait for one fetch.
	tokMu  sync.Mutex
	token  string
	expiry time.Time
}

// accessToken returns a cached token, fetching a new one when it is
// missing or about to expire.
func (c *connector) accessToken(ctx context.Context, reqID string) (string, error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	now := c.clock.Now()
	if c.token != "" && now.Before(c.expiry) {
		return c.token, nil
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.appID},
		"client_secret": {c.password},
		"scope":         {c.scope},
	}
	err := c.retry.Do(ctx, reqID, "token", func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return c.roundTrip(req, "token", &tok)
	})
	if err != nil {
		if s := statusOf(err); s == http.StatusBadRequest || s == http.StatusUnauthorized {
			return "", fmt.Errorf("teams token refused (check TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID): %w", err)
		}
		return "", fmt.Errorf("teams token: %w", err)
	}
	if tok.AccessToken == "" {
		return "", errors.New("teams token: empty access_token")
	}
	life := time.Duration(tok.ExpiresIn) * time.Second
	margin := min(tokenMargin, life/2)
	c.token, c.expiry = tok.AccessToken, now.Add(life-margin)
	return c.token, nil
}

// dropToken forgets a token the Connector refused, unless another
// caller already replaced it.
func (c *connector) dropToken(tok string) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// call sends one authenticated JSON request to the Connector, paced per
// conversation (pace "" for calls that post nothing), with retries. A
// 401 gets one more try with a fresh token.
func (c *connector) call(ctx context.Context, reqID, op, method, endpoint, pace string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("teams %s: encode: %w", op, err)
		}
	}
	if !c.origins.allows(endpoint) {
		// A stored conversation or a configured service URL from before
		// the allow-list changed: never send the bot's token there.
		return fmt.Errorf("teams %s to %s: %w", op, hostOf(endpoint), errOriginNotAllowed)
	}
	refreshed := false
	return c.retry.Do(ctx, reqID, op, func(ctx context.Context) error {
		if pace != "" {
			if wait := c.pacer.reserve(pace, c.clock.Now()); wait > 0 {
				if err := c.sleep(ctx, wait); err != nil {
					return err
				}
			}
		}
		for {
			tok, err := c.accessToken(ctx, reqID)
			if err != nil {
				return &permanentError{err}
			}
			var rd io.Reader
			if body != nil {
				rd = bytes.NewReader(body)
			}
			req, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			if body != nil {
				req.Header.Set("Content-Type", "application/json; charset=utf-8")
			}
			err = c.roundTrip(req, op, out)
			if statusOf(err) == http.StatusUnauthorized && !refreshed {
				refreshed = true
				c.dropToken(tok)
				continue
			}
			return err
		}
	})
}

// roundTrip does one HTTP exchange and decodes a 2xx JSON answer.
func (c *connector) roundTrip(req *http.Request, op string, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(op, resp, body, c.clock.Now())
	}
	if out == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", op, err)
	}
	return nil
}

func conversationURL(serviceURL, convID string) string {
	return strings.TrimRight(serviceURL, "/") + "/v3/conversations/" + url.PathEscape(convID)
}

// send posts an activity into a conversation (as a reply to replyTo in a
// channel thread when set) and returns the new activity's id, which
// update needs later. A retry after a timeout may post twice: the
// Connector has no idempotency key, and a duplicate beats a lost answer.
func (c *connector) send(ctx context.Context, reqID, serviceURL, convID, replyTo string, act *Activity) (string, error) {
	endpoint := conversationURL(serviceURL, convID) + "/activities"
	if replyTo != "" {
		endpoint += "/" + url.PathEscape(replyTo)
		act.ReplyToID = replyTo
	}
	var rr resourceResponse
	if err := c.call(ctx, reqID, "send", http.MethodPost, endpoint, convID, act, &rr); err != nil {
		return "", err
	}
	return rr.ID, nil
}

// update replaces a sent activity (a card shown in place).
func (c *connector) update(ctx context.Context, reqID, serviceURL, convID, activityID string, act *Activity) error {
	endpoint := conversationURL(serviceURL, convID) + "/activities/" + url.PathEscape(activityID)
	act.ID = activityID
	return c.call(ctx, reqID, "update", http.MethodPut, endpoint, convID, act, nil)
}

// createConversation opens (or finds) the personal chat between the bot
// and a user.
func (c *connector) createConversation(ctx context.Context, reqID, serviceURL string, p conversationParameters) (conversationResourceResponse, error) {
	var out conversationResourceResponse
	endpoint := strings.TrimRight(serviceURL, "/") + "/v3/conversations"
	if err := c.call(ctx, reqID, "create_conversation", http.MethodPost, endpoint, "", p, &out); err != nil {
		return out, err
	}
	if out.ID == "" {
		return out, errors.New("teams create_conversation: no conversation id in the answer")
	}
	return out, nil
}

// member reads one member of a conversation (or team): the roster gives
// the e-mail and user principal name activities lack.
func (c *connector) member(ctx context.Context, reqID, serviceURL, convID, userID string) (teamsMember, error) {
	var m teamsMember
	endpoint := conversationURL(serviceURL, convID) + "/members/" + url.PathEscape(userID)
	err := c.call(ctx, reqID, "member", http.MethodGet, endpoint, "", nil, &m)
	return m, err
}
