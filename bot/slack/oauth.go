package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/channel"
	slackapi "github.com/slack-go/slack"
	"golang.org/x/text/language"
)

// BotScopes are the bot scopes the app asks for at install; they are
// the manifest's (a test keeps the two equal).
var BotScopes = []string{"app_mentions:read", "chat:write", "commands", "im:history", "im:write", "users:read", "users:read.email"}

// Defaults of OAuthOptions.
const (
	// DefaultAuthorizeURL is Slack's OAuth v2 authorize page.
	DefaultAuthorizeURL = "https://slack.com/oauth/v2/authorize"
	// DefaultStateTTL is how long an install link's state is good for.
	DefaultStateTTL = 10 * time.Minute
	// InstallPath and CallbackPath are the install endpoints.
	InstallPath  = "/slack/install"
	CallbackPath = "/slack/oauth/callback"
	// stateCookie binds the state to the browser that started the install.
	stateCookie = "licensebot_slack_state"
)

// OAuthOptions configure the OAuth v2 install flow of a distributed app.
type OAuthOptions struct {
	// ClientID and ClientSecret are the app's (SLACK_CLIENT_ID,
	// SLACK_CLIENT_SECRET: Basic Information → App Credentials).
	ClientID     string
	ClientSecret string
	// PublicURL is the base URL people reach the bot at
	// (LICENSEBOT_PUBLIC_URL, e.g. https://licensebot.example.com); the
	// redirect URI is PublicURL + CallbackPath and must be listed in the
	// app's OAuth settings.
	PublicURL string
	// AuthorizeURL overrides Slack's authorize page (tests).
	AuthorizeURL string
	// StateTTL bounds the time between the install link and the
	// callback (default DefaultStateTTL).
	StateTTL time.Duration
}

func (o OAuthOptions) enabled() bool { return o.ClientID != "" || o.ClientSecret != "" }

// RedirectURL is the OAuth redirect URI.
func (o OAuthOptions) RedirectURL() string { return strings.TrimRight(o.PublicURL, "/") + CallbackPath }

// checkOAuth validates the install flow's options, filling defaults.
func (a *Adapter) checkOAuth() error {
	o := &a.opt.OAuth
	if !o.enabled() {
		return nil
	}
	var errs []error
	if o.ClientID == "" || o.ClientSecret == "" {
		errs = append(errs, errors.New("OAuth needs both the client id and the client secret"))
	}
	if a.opt.Secrets == nil {
		errs = append(errs, errors.New("OAuth needs the secret key that encrypts the tokens (LICENSEBOT_SECRET_KEY)"))
	}
	if u, err := url.Parse(o.PublicURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		errs = append(errs, fmt.Errorf("OAuth needs the public base URL (LICENSEBOT_PUBLIC_URL), got %q", o.PublicURL))
	}
	if o.AuthorizeURL == "" {
		o.AuthorizeURL = DefaultAuthorizeURL
	}
	if o.StateTTL <= 0 {
		o.StateTTL = DefaultStateTTL
	}
	if len(errs) > 0 {
		return fmt.Errorf("slack: %w", errors.Join(errs...))
	}
	return nil
}

// InstallRoutes mounts GET /slack/install and GET /slack/oauth/callback
// when OAuth is configured. They are plain browser pages, needed in
// Socket Mode too (Slack redirects the installer's browser to them).
func (a *Adapter) InstallRoutes(mux *http.ServeMux) {
	if !a.opt.OAuth.enabled() {
		return
	}
	mux.HandleFunc("GET "+InstallPath, a.serveInstall)
	mux.HandleFunc("GET "+CallbackPath, a.serveCallback)
}

// serveInstall sends the browser to Slack's authorize page with a fresh
// signed state, also kept in a cookie.
func (a *Adapter) serveInstall(w http.ResponseWriter, r *http.Request) {
	reqID := channel.RequestID("in-")
	state, err := a.newState()
	if err != nil {
		a.log.ErrorContext(r.Context(), "slack install: no state", "request_id", reqID, "err", err)
		a.page(w, r, http.StatusInternalServerError, pageFailed, "", reqID)
		return
	}
	o := a.opt.OAuth
	q := url.Values{
		"client_id":    {o.ClientID},
		"scope":        {strings.Join(BotScopes, ",")},
		"redirect_uri": {o.RedirectURL()},
		"state":        {state},
	}
	if team := r.URL.Query().Get("team"); team != "" {
		// Preselects the workspace on Slack's page (a link sent to one
		// customer); Slack still lets the installer choose.
		q.Set("team", team)
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/slack/", MaxAge: int(o.StateTTL / time.Second),
		HttpOnly: true, Secure: strings.HasPrefix(o.PublicURL, "https:"), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, o.AuthorizeURL+"?"+q.Encode(), http.StatusFound)
}

// newState is base64url(nonce ‖ expiry) "." base64url(HMAC): signed
// with a key derived from LICENSEBOT_SECRET_KEY, good until expiry, and
// single use (its nonce is claimed at the callback).
func (a *Adapter) newState() (string, error) {
	payload := make([]byte, 16+8)
	if _, err := rand.Read(payload[:16]); err != nil {
		return "", err
	}
	binary.BigEndian.PutUint64(payload[16:], uint64(a.opt.Clock.Now().Add(a.opt.OAuth.StateTTL).Unix()))
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(a.stateMAC(payload)), nil
}

func (a *Adapter) stateMAC(payload []byte) []byte {
	m := hmac.New(sha256.New, a.opt.Secrets.MACKey("slack oauth state"))
	_, _ = m.Write(payload)
	return m.Sum(nil)
}

var (
	errStateInvalid = errors.New("state invalid")
	errStateExpired = errors.New("state expired")
	errStateUsed    = errors.New("state already used")
	errStateBrowser = errors.New("state not from this browser")
)

// checkState verifies the callback's state: the signature, the expiry,
// the browser's cookie, then claims it so it serves once.
func (a *Adapter) checkState(ctx context.Context, r *http.Request) error {
	state := r.URL.Query().Get("state")
	p, s, ok := strings.Cut(state, ".")
	if !ok {
		return errStateInvalid
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	sig, err2 := base64.RawURLEncoding.DecodeString(s)
	if err1 != nil || err2 != nil || len(payload) != 24 || !hmac.Equal(sig, a.stateMAC(payload)) {
		return errStateInvalid
	}
	if exp := time.Unix(int64(binary.BigEndian.Uint64(payload[16:])), 0); !a.opt.Clock.Now().Before(exp) {
		return errStateExpired
	}
	if c, err := r.Cookie(stateCookie); err != nil || !hmac.Equal([]byte(c.Value), []byte(state)) {
		return errStateBrowser
	}
	won, err := a.opt.Store.Claim(ctx, "slack:oauth-state:"+hex.EncodeToString(payload[:16]), a.opt.OAuth.StateTTL+time.Minute)
	if err != nil {
		return fmt.Errorf("claim state: %w", err)
	}
	if !won {
		return errStateUsed
	}
	return nil
}

// serveCallback finishes an install: state, code exchange
// (oauth.v2.access), the installation stored with its token sealed, and
// a page that says what happened and what comes next.
func (a *Adapter) serveCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	reqID := channel.RequestID("in-")
	log := a.log.With("request_id", reqID)
	defer channel.Recover(w, r, log, "slack oauth callback")
	// The cookie has done its work either way.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: "/slack/", MaxAge: -1, HttpOnly: true,
		Secure: strings.HasPrefix(a.opt.OAuth.PublicURL, "https:"), SameSite: http.SameSiteLaxMode})
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		log.InfoContext(ctx, "slack install cancelled on Slack's page", "error", e)
		a.page(w, r, http.StatusOK, pageCancelled, "", reqID)
		return
	}
	if err := a.checkState(ctx, r); err != nil {
		log.WarnContext(ctx, "slack install refused: bad state", "reason", err.Error(), "remote", r.RemoteAddr)
		a.metrics.Dropped("oauth_state")
		a.page(w, r, http.StatusBadRequest, pageExpired, "", reqID)
		return
	}
	code := q.Get("code")
	if code == "" {
		a.page(w, r, http.StatusBadRequest, pageExpired, "", reqID)
		return
	}
	var opts []slackapi.OAuthOption
	if a.opt.APIURL != "" {
		opts = append(opts, slackapi.OAuthOptionAPIURL(a.opt.APIURL))
	}
	o := a.opt.OAuth
	res, err := slackapi.GetOAuthV2ResponseContext(ctx, a.httpClient(), o.ClientID, o.ClientSecret, code, o.RedirectURL(), opts...)
	if err == nil && (res.AccessToken == "" || !strings.EqualFold(res.TokenType, "bot") ||
		installID(res.Team.ID, res.Enterprise.ID, res.IsEnterpriseInstall) == "") {
		err = errors.New("oauth.v2.access gave no bot token or no workspace")
	}
	if err != nil {
		log.ErrorContext(ctx, "slack install: code exchange failed", "err", err)
		a.page(w, r, http.StatusBadGateway, pageFailed, "", reqID)
		return
	}
	in := Installation{
		ID: installID(res.Team.ID, res.Enterprise.ID, res.IsEnterpriseInstall), TeamID: res.Team.ID, TeamName: res.Team.Name,
		EnterpriseID: res.Enterprise.ID, EnterpriseName: res.Enterprise.Name, EnterpriseInstall: res.IsEnterpriseInstall,
		BotUserID: res.BotUserID, AppID: res.AppID, Scope: res.Scope, InstalledBy: res.AuthedUser.ID,
	}
	if _, err := a.installs.Save(ctx, in, res.AccessToken); err != nil {
		log.ErrorContext(ctx, "slack install: not saved", "installation", in.ID, "err", err)
		a.page(w, r, http.StatusServiceUnavailable, pageFailed, "", reqID)
		return
	}
	a.clients.drop(in.ID)
	name := in.TeamName
	if in.EnterpriseInstall && in.EnterpriseName != "" {
		name = in.EnterpriseName
	}
	a.page(w, r, http.StatusOK, pageInstalled, name, reqID)
}

// httpClient is the client for Slack's Web API.
func (a *Adapter) httpClient() *http.Client {
	if a.opt.HTTPClient != nil {
		return a.opt.HTTPClient
	}
	return &http.Client{Timeout: httpTimeout, Transport: pooledTransport(a.opt.Workers)}
}

// The install pages.
type pageKind int

const (
	pageInstalled pageKind = iota
	pageCancelled
	pageExpired
	pageFailed
)

type pageText struct{ Title, Lead, Next string }

// pageWords are the install pages' sentences. They are the installer's
// only guide, so each says what happened and what to do now.
var pageWords = map[string]map[pageKind]pageText{
	"en": {
		pageInstalled: {"licensebot is installed", "licensebot is now installed in the Slack workspace “%s”.",
			"Next: ask your reseller to link this workspace to your company in licensebot. Until they do, the bot tells people here that they are not set up yet. Once it is linked, anyone can open a direct message with licensebot and write, for example, “my subscriptions”."},
		pageCancelled: {"Installation cancelled", "Nothing was installed.",
			"To install licensebot, open the install link your reseller gave you again."},
		pageExpired: {"This install link has expired", "Nothing was installed: for your security, an install link works once, for 10 minutes, in the browser that opened it.",
			"Open the install link your reseller gave you again."},
		pageFailed: {"The installation did not finish", "Slack did not confirm the installation, or it could not be saved; nothing was installed.",
			"Try again in a few minutes. If it keeps failing, tell your reseller and give them this reference: %s."},
	},
	"fr": {
		pageInstalled: {"licensebot est installé", "licensebot est maintenant installé dans l’espace de travail Slack « %s ».",
			"Prochaine étape : demandez à votre revendeur de relier cet espace de travail à votre entreprise dans licensebot. D’ici là, le bot répond aux personnes d’ici qu’elles ne sont pas encore configurées. Une fois l’espace relié, chacun peut ouvrir une conversation directe avec licensebot et écrire, par exemple, « mes abonnements »."},
		pageCancelled: {"Installation annulée", "Rien n’a été installé.",
			"Pour installer licensebot, ouvrez à nouveau le lien d’installation que votre revendeur vous a donné."},
		pageExpired: {"Ce lien d’installation a expiré", "Rien n’a été installé : par sécurité, un lien d’installation ne sert qu’une fois, pendant 10 minutes, dans le navigateur qui l’a ouvert.",
			"Ouvrez à nouveau le lien d’installation que votre revendeur vous a donné."},
		pageFailed: {"L’installation n’a pas abouti", "Slack n’a pas confirmé l’installation, ou elle n’a pas pu être enregistrée ; rien n’a été installé.",
			"Réessayez dans quelques minutes. Si cela échoue encore, prévenez votre revendeur en lui donnant cette référence : %s."},
	},
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1d3557}h1{font-size:1.5rem}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Lead}}</p><p>{{.Next}}</p></body></html>
`))

var pageLangs = language.NewMatcher([]language.Tag{language.English, language.French})

// pageLang picks English or French from Accept-Language.
func pageLang(r *http.Request) string {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, conf := pageLangs.Match(tags...)
	if conf != language.No && i == 1 {
		return "fr"
	}
	return "en"
}

// page writes an install page in the browser's language; name (a
// workspace name, from Slack) and the request id are escaped by
// html/template.
func (a *Adapter) page(w http.ResponseWriter, r *http.Request, status int, kind pageKind, name, reqID string) {
	lang := pageLang(r)
	t := pageWords[lang][kind]
	data := struct{ Lang, Title, Lead, Next string }{Lang: lang, Title: t.Title, Lead: t.Lead, Next: t.Next}
	switch kind {
	case pageInstalled:
		data.Lead = fmt.Sprintf(t.Lead, name)
	case pageFailed:
		data.Next = fmt.Sprintf(t.Next, reqID)
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", lang)
	h.Set("Cache-Control", "no-store")
	// The callback's URL holds the code: no referrer, no framing, no
	// scripts.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
