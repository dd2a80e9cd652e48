package teams

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/licensebot/licensebot/clock"
)

// Inbound authentication (Bot Framework "channel to bot"): every request
// carries a JWT signed by the Bot Connector with one of the keys its
// OpenID metadata lists.
const (
	// DefaultOpenIDMetadataURL is the Bot Connector's OpenID metadata.
	DefaultOpenIDMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	// botFrameworkIssuer is the issuer of channel-to-bot tokens.
	botFrameworkIssuer = "https://api.botframework.com"
	// tokenSkew is the clock skew allowed on exp/nbf/iat.
	tokenSkew = 5 * time.Minute
	// keysMaxAge: keys older than this are fetched again on the next
	// request (Microsoft rotates them; an old set still works meanwhile).
	keysMaxAge = 24 * time.Hour
	// minKeyRefresh rate-limits fetches caused by unknown key ids, so a
	// stream of forged tokens cannot make us hammer the metadata host.
	minKeyRefresh = time.Minute
	// maxMetadataBody bounds what is read of the metadata and key set.
	maxMetadataBody = 1 << 20
)

// Authentication failures. They are logged (never with the token) and
// answered 401; nothing of the activity is processed.
var (
	errNoToken           = errors.New("no bearer token")
	errUnknownKey        = errors.New("token signed with an unknown key")
	errServiceURL        = errors.New("serviceurl claim does not match the activity's serviceUrl")
	errEndorsement       = errors.New("signing key is not endorsed for the activity's channel")
	errKeysUnavailable   = errors.New("signing keys unavailable")
	errNoServiceURLClaim = errors.New("token has no serviceurl claim")
	// errOriginNotAllowed: the serviceUrl is not on a Bot Connector host
	// of the configured cloud (teams.connector_origins).
	errOriginNotAllowed = errors.New("serviceUrl is not an allowed Bot Connector origin")
)

// botClaims are the claims of a Bot Connector token.
type botClaims struct {
	jwt.RegisteredClaims
	ServiceURL string `json:"serviceurl,omitempty"`
}

// identity is what a valid token says: which service sent it, and the
// channels its signing key is endorsed for.
type identity struct {
	serviceURL   string
	endorsements []string
}

// tokenValidator checks Bot Connector tokens. It replaces the library's
// validator, which refetched metadata on every request, cached keys for
// days without refetching on an unknown kid, had no skew leeway and
// could not be pointed at test keys. Safe for concurrent use.
type tokenValidator struct {
	metadataURL string
	appID       string
	issuer      string
	http        *http.Client
	clock       clock.Clock
	log         *slog.Logger

	// mu guards the key set; fetches happen under it, so concurrent
	// requests with an unknown kid cause one fetch, not many.
	mu          sync.Mutex
	keys        map[string]signingKey
	fetchedAt   time.Time // last successful fetch
	attemptedAt time.Time // last fetch attempt, successful or not
}

type signingKey struct {
	pub          *rsa.PublicKey
	endorsements []string
}

func newTokenValidator(metadataURL, appID string, hc *http.Client, clk clock.Clock, log *slog.Logger) *tokenValidator {
	return &tokenValidator{metadataURL: metadataURL, appID: appID, issuer: botFrameworkIssuer, http: hc, clock: clk, log: log}
}

// validate checks the Authorization header: an RS256 token from the
// Bot Connector (issuer), for this bot (audience), current within five
// minutes of skew, signed by a published key. The activity-dependent
// checks are in identity.check.
func (v *tokenValidator) validate(ctx context.Context, authHeader string) (identity, error) {
	raw, ok := strings.CutPrefix(authHeader, "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return identity{}, errNoToken
	}
	var claims botClaims
	var endorsements []string
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.appID),
		jwt.WithLeeway(tokenSkew),
		jwt.WithTimeFunc(v.clock.Now),
		jwt.WithExpirationRequired(),
		// A token issued in the future (beyond the skew) was not issued
		// by a clock we trust.
		jwt.WithIssuedAt(),
	)
	_, err := parser.ParseWithClaims(strings.TrimSpace(raw), &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errUnknownKey
		}
		k, err := v.key(ctx, kid)
		if err != nil {
			return nil, err
		}
		endorsements = k.endorsements
		return k.pub, nil
	})
	if err != nil {
		return identity{}, fmt.Errorf("invalid token: %w", err)
	}
	if claims.ServiceURL == "" {
		return identity{}, errNoServiceURLClaim
	}
	return identity{serviceURL: claims.ServiceURL, endorsements: endorsements}, nil
}

// check ties a valid token to the activity it came with: the token's
// serviceurl must be the activity's (else a token for one service could
// make us call another), and the signing key, if it lists endorsements,
// must be endorsed for the activity's channel ("msteams"); an activity
// without a channel id is refused then.
func (id identity) check(act *Activity) error {
	if !sameServiceURL(id.serviceURL, act.ServiceURL) {
		return errServiceURL
	}
	// An activity that names no channel is not endorsed for any: an
	// empty channelId must not skip the check.
	if len(id.endorsements) > 0 && !slices.Contains(id.endorsements, act.ChannelID) {
		return errEndorsement
	}
	return nil
}

func sameServiceURL(a, b string) bool {
	a, b = strings.TrimRight(a, "/"), strings.TrimRight(b, "/")
	return a != "" && strings.EqualFold(a, b)
}

// key returns the public key with that id, fetching the key set when it
// is unknown (at most once per minKeyRefresh) or old.
func (v *tokenValidator) key(ctx context.Context, kid string) (signingKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.clock.Now()
	k, known := v.keys[kid]
	stale := v.keys == nil || now.Sub(v.fetchedAt) > keysMaxAge
	if known && !stale {
		return k, nil
	}
	if !v.attemptedAt.IsZero() && now.Sub(v.attemptedAt) < minKeyRefresh {
		if known {
			return k, nil
		}
		return signingKey{}, errUnknownKey
	}
	v.attemptedAt = now
	keys, err := v.fetch(ctx)
	if err != nil {
		v.log.WarnContext(ctx, "teams signing keys not refreshed", "err", err)
		if known {
			return k, nil // an old key beats refusing everyone
		}
		if v.keys == nil {
			return signingKey{}, fmt.Errorf("%w: %w", errKeysUnavailable, err)
		}
		return signingKey{}, errUnknownKey
	}
	v.keys, v.fetchedAt = keys, now
	v.log.InfoContext(ctx, "teams signing keys refreshed", "keys", len(keys))
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return signingKey{}, errUnknownKey
}

// fetch reads the OpenID metadata, then the key set it points to.
func (v *tokenValidator) fetch(ctx context.Context) (map[string]signingKey, error) {
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, v.metadataURL, &meta); err != nil {
		return nil, fmt.Errorf("openid metadata: %w", err)
	}
	if meta.JWKSURI == "" {
		return nil, errors.New("openid metadata: no jwks_uri")
	}
	var set struct {
		Keys []struct {
			Kty          string   `json:"kty"`
			Use          string   `json:"use"`
			Kid          string   `json:"kid"`
			N            string   `json:"n"`
			E            string   `json:"e"`
			Endorsements []string `json:"endorsements"`
		} `json:"keys"`
	}
	if err := v.getJSON(ctx, meta.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	keys := map[string]signingKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			v.log.WarnContext(ctx, "teams signing key skipped", "kid", k.Kid, "err", err)
			continue
		}
		keys[k.Kid] = signingKey{pub: pub, endorsements: k.Endorsements}
	}
	if len(keys) == 0 {
		return nil, errors.New("key set: no usable RSA signing key")
	}
	return keys, nil
}

func (v *tokenValidator) getJSON(ctx context.Context, url string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := v.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBody))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return json.Unmarshal(body, into)
}

// rsaKey decodes a JWK's base64url modulus and exponent.
func rsaKey(n, e string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(n, "="))
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	eb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(e, "="))
	if err != nil {
		return nil, fmt.Errorf("exponent: %w", err)
	}
	if len(nb) < 256 || len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("key too small or malformed exponent")
	}
	exp := 0
	for _, b := range eb {
		exp = exp<<8 | int(b)
	}
	if exp < 3 {
		return nil, errors.New("bad exponent")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: exp}, nil
}
