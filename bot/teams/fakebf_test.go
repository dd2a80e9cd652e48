package teams

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testKeys are RSA keys generated once for the test binary (generating
// them per test would dominate the run time).
var testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	var keys []*rsa.PrivateKey
	for range 3 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys = append(keys, k)
	}
	return keys
})

// fakeBF is a small Bot Framework: the OpenID metadata and key set that
// sign inbound requests, the token endpoint, and a Bot Connector
// (serviceUrl) that records posted and updated activities, creates
// conversations and answers roster lookups. It is one httptest server.
type fakeBF struct {
	t   testing.TB
	srv *httptest.Server

	mu           sync.Mutex
	published    map[string]*rsa.PrivateKey // kid → key in the key set
	endorsements []string
	metaHits     int
	keyHits      int
	tokenHits    int
	tokenLife    int // seconds
	issued       map[string]bool
	calls        []connCall
	members      map[string]teamsMember // Teams user id → member
	script       map[string][]scripted  // op → answers to give first
	nextID       int
}

// connCall is one recorded Bot Connector call.
type connCall struct {
	Op         string // send, reply, update, create, member
	Method     string
	Conv       string
	ActivityID string // in the path (reply, update, member user)
	Auth       string
	Activity   Activity
	Create     conversationParameters
}

type scripted struct {
	status int
	header map[string]string
	body   string
}

func newFakeBF(t testing.TB) *fakeBF {
	f := &fakeBF{t: t, published: map[string]*rsa.PrivateKey{"k1": testKeys()[0]}, endorsements: []string{"msteams"},
		tokenLife: 3600, issued: map[string]bool{}, members: map[string]teamsMember{}, script: map[string][]scripted{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openid", f.serveMeta)
	mux.HandleFunc("GET /keys", f.serveKeys)
	mux.HandleFunc("POST /token", f.serveToken)
	mux.HandleFunc("POST /v3/conversations", f.serveCreate)
	mux.HandleFunc("POST /v3/conversations/{conv}/activities", f.serveActivity("send"))
	mux.HandleFunc("POST /v3/conversations/{conv}/activities/{id}", f.serveActivity("reply"))
	mux.HandleFunc("PUT /v3/conversations/{conv}/activities/{id}", f.serveActivity("update"))
	mux.HandleFunc("GET /v3/conversations/{conv}/members/{id}", f.serveMember)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the serviceUrl of the fake Connector, with the trailing slash
// Teams uses.
func (f *fakeBF) URL() string { return f.srv.URL + "/" }

func (f *fakeBF) addMember(id, aad, email, upn string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[id] = teamsMember{ID: id, AADObjectID: aad, Email: email, UserPrincipalName: upn}
}

// publish adds a key to the key set.
func (f *fakeBF) publish(kid string, k *rsa.PrivateKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published[kid] = k
}

// then makes the next call of op answer this way first.
func (f *fakeBF) then(op string, s scripted) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[op] = append(f.script[op], s)
}

func (f *fakeBF) callsOf(ops ...string) []connCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []connCall
	for _, c := range f.calls {
		for _, op := range ops {
			if c.Op == op {
				out = append(out, c)
			}
		}
	}
	return out
}

// posts are the sent activities (new messages and replies).
func (f *fakeBF) posts() []connCall { return f.callsOf("send", "reply") }

func (f *fakeBF) counts() (meta, keys, tokens int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.metaHits, f.keyHits, f.tokenHits
}

func (f *fakeBF) serveMeta(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.metaHits++
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"issuer": botFrameworkIssuer, "jwks_uri": f.srv.URL + "/keys",
		"id_token_signing_alg_values_supported": []string{"RS256"}})
}

func (f *fakeBF) serveKeys(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keyHits++
	var keys []map[string]any
	for kid, k := range f.published {
		keys = append(keys, map[string]any{
			"kty": "RSA", "use": "sig", "kid": kid,
			"n":            base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
			"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
			"endorsements": f.endorsements,
		})
	}
	writeJSON(w, 200, map[string]any{"keys": keys})
}

func (f *fakeBF) serveToken(w http.ResponseWriter, r *http.Request) {
	if f.scripted(w, "token") {
		return
	}
	_ = r.ParseForm()
	if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_id") != testAppID ||
		r.Form.Get("client_secret") != testPassword || r.Form.Get("scope") != botFrameworkScope {
		writeJSON(w, 400, map[string]any{"error": "invalid_client"})
		return
	}
	f.mu.Lock()
	f.tokenHits++
	tok := fmt.Sprintf("tok-%d", f.tokenHits)
	f.issued[tok] = true
	life := f.tokenLife
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": life, "access_token": tok})
}

// authorized checks the bot's bearer token on Connector calls.
func (f *fakeBF) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	ok := f.issued[tok]
	f.mu.Unlock()
	if !ok {
		writeJSON(w, 401, map[string]any{"error": map[string]string{"code": "Unauthorized"}})
	}
	return ok
}

// scripted answers with the next scripted response of op, if any.
func (f *fakeBF) scripted(w http.ResponseWriter, op string) bool {
	f.mu.Lock()
	s := f.script[op]
	if len(s) == 0 {
		f.mu.Unlock()
		return false
	}
	f.script[op] = s[1:]
	f.mu.Unlock()
	for k, v := range s[0].header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(s[0].status)
	_, _ = io.WriteString(w, s[0].body)
	return true
}

func (f *fakeBF) record(c connCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeBF) serveActivity(op string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := connCall{Op: op, Method: r.Method, Conv: r.PathValue("conv"), ActivityID: r.PathValue("id"), Auth: r.Header.Get("Authorization")}
		if err := json.Unmarshal(body, &c.Activity); err != nil {
			f.t.Errorf("%s: body is not an activity: %v", op, err)
		}
		if !f.authorized(w, r) {
			return
		}
		f.record(c)
		if f.scripted(w, op) {
			return
		}
		if op == "update" {
			writeJSON(w, 200, map[string]string{"id": c.ActivityID})
			return
		}
		f.mu.Lock()
		f.nextID++
		id := fmt.Sprintf("act-%d", f.nextID)
		f.mu.Unlock()
		writeJSON(w, 201, map[string]string{"id": id})
	}
}

func (f *fakeBF) serveCreate(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := connCall{Op: "create", Method: r.Method, Auth: r.Header.Get("Authorization")}
	_ = json.Unmarshal(body, &c.Create)
	if !f.authorized(w, r) {
		return
	}
	f.record(c)
	if f.scripted(w, "create") {
		return
	}
	user := ""
	if len(c.Create.Members) > 0 {
		user = c.Create.Members[0].ID
	}
	writeJSON(w, 201, map[string]string{"id": "a:personal-" + user})
}

func (f *fakeBF) serveMember(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.record(connCall{Op: "member", Method: r.Method, Conv: r.PathValue("conv"), ActivityID: r.PathValue("id")})
	if f.scripted(w, "member") {
		return
	}
	f.mu.Lock()
	m, ok := f.members[r.PathValue("id")]
	f.mu.Unlock()
	if !ok {
		writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "MemberNotFoundInConversation"}})
		return
	}
	writeJSON(w, 200, m)
}

// token signs a Bot Connector token with the key kid (which need not be
// published) and the standard claims, changed by mod.
func (f *fakeBF) token(kid string, key *rsa.PrivateKey, now time.Time, mod func(jwt.MapClaims)) string {
	f.t.Helper()
	claims := jwt.MapClaims{
		"iss":        botFrameworkIssuer,
		"aud":        testAppID,
		"serviceurl": f.URL(),
		"nbf":        now.Add(-5 * time.Minute).Unix(),
		"iat":        now.Add(-5 * time.Minute).Unix(),
		"exp":        now.Add(time.Hour).Unix(),
	}
	if mod != nil {
		mod(claims)
	}
	tk := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tk.Header["kid"] = kid
	s, err := tk.SignedString(key)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// cardOf decodes the Adaptive Card of a recorded activity.
func cardOf(t testing.TB, a Activity) map[string]any {
	t.Helper()
	if len(a.Attachments) != 1 || a.Attachments[0].ContentType != contentTypeAdaptiveCard {
		t.Fatalf("activity has no adaptive card: %+v", a.Attachments)
	}
	raw, err := json.Marshal(a.Attachments[0].Content)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// cardText is every text of a card, for "contains" checks.
func cardText(t testing.TB, c any) string {
	t.Helper()
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range []string{"text", "title", "value", "label", "placeholder"} {
				if s, ok := x[k].(string); ok {
					b.WriteString(s + "\n")
				}
			}
			for _, vv := range x {
				walk(vv)
			}
		case []any:
			for _, vv := range x {
				walk(vv)
			}
		}
	}
	walk(c)
	return b.String()
}
