package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Slack signs each request with HMAC-SHA256 of "v0:timestamp:body" under
// the app's signing secret.

func slackSignature(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func slackHeaders(secret string, ts int64, body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	h.Set("X-Slack-Signature", slackSignature(secret, ts, body))
	return h
}

// slackVerify is the check the ceiling makes: the signature, and a
// timestamp within five minutes of now.
func slackVerify(secret string, h http.Header, body []byte, now time.Time) error {
	ts, err := strconv.ParseInt(h.Get("X-Slack-Request-Timestamp"), 10, 64)
	if err != nil {
		return errors.New("no timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("stale timestamp")
	}
	if !hmac.Equal([]byte(slackSignature(secret, ts, body)), []byte(h.Get("X-Slack-Signature"))) {
		return errors.New("bad signature")
	}
	return nil
}

// The Bot Framework signs a JWT (RS256) per request; Microsoft reuses a
// token for many activities, and so does the load test: signing with
// RSA costs about a millisecond, which would otherwise be the load
// generator's own bottleneck.

const (
	bfIssuer = "https://api.botframework.com"
	bfKid    = "loadtest-1"
)

// bfKey is the load test's Bot Framework signing key and its cached token.
type bfKey struct {
	key   *rsa.PrivateKey
	appID string

	mu      sync.Mutex
	token   string
	service string
	expires time.Time
}

func newBFKey(appID string) (*bfKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("bot framework key: %w", err)
	}
	return &bfKey{key: k, appID: appID}, nil
}

// jwks is the key set the fake OpenID metadata points to.
func (k *bfKey) jwks() map[string]any {
	return map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "kid": bfKid,
		"n":            base64.RawURLEncoding.EncodeToString(k.key.N.Bytes()),
		"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.key.E)).Bytes()),
		"endorsements": []string{"msteams"},
	}}}
}

// bearer returns a token for serviceURL valid for an hour, signing a new
// one when the cached one has less than ten minutes left.
func (k *bfKey) bearer(serviceURL string, now time.Time) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.token != "" && k.service == serviceURL && now.Before(k.expires.Add(-10*time.Minute)) {
		return k.token, nil
	}
	exp := now.Add(time.Hour)
	tk := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": bfIssuer, "aud": k.appID, "serviceurl": serviceURL,
		"nbf": now.Add(-time.Minute).Unix(), "iat": now.Add(-time.Minute).Unix(), "exp": exp.Unix(),
	})
	tk.Header["kid"] = bfKid
	s, err := tk.SignedString(k.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	k.token, k.service, k.expires = s, serviceURL, exp
	return s, nil
}

// verify is the ceiling's check of an inbound token: RS256 with our key,
// issuer, audience, expiry, and the serviceurl claim it returns.
func (k *bfKey) verify(raw string, now time.Time) (string, error) {
	var claims struct {
		jwt.RegisteredClaims
		ServiceURL string `json:"serviceurl"`
	}
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return &k.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(bfIssuer), jwt.WithAudience(k.appID),
		jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Minute), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		return "", err
	}
	return claims.ServiceURL, nil
}
