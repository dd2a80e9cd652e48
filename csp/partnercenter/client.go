// Package partnercenter is a csp.Provider for Microsoft Partner Center's
// REST API (v1), for resellers who buy new-commerce licences from
// Microsoft directly (direct-bill partners and indirect providers).
//
// It authenticates with Entra ID: app-only client credentials where an
// operation accepts them, App+User with a refresh token (the secure
// application model) where one requires it or app-only is refused. Tokens
// are cached and renewed before they expire. Every call carries
// MS-Contract-Version, a new MS-CorrelationId (logged) and an
// MS-RequestId that stays the same on every retry of one logical call. A
// write's MS-RequestId comes from its operation key; when one operation
// makes several calls (a cart and its checkout), each has its own id,
// derived from the key, since Microsoft resets the id after an answer.
//
// Partner Center exposes more than CloudCockpit, and the client uses it:
// per-purchase removal windows (refundableQuantity.details), the renewal
// quantity (scheduledNextTermInstructions), transition eligibility with
// its reasons, an operation id to follow an upgrade, and etags. Quantity,
// auto-renew and next-term writes PATCH the whole resource with If-Match;
// a 412 re-reads and decides again. Cancellations and upgrades are sent
// once and afterwards only observed (DESIGN principle 3). Purchases (cart
// and checkout, with end-date alignment) are a method of their own until
// the workflow has a purchase kind. docs/PARTNERCENTER.md has the mapping
// and what remains unverified.
package partnercenter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // the default zone must load on hosts without tzdata

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// Defaults for Options, from Microsoft's documentation.
const (
	DefaultBaseURL = "https://api.partnercenter.microsoft.com"
	// DefaultPricingURL is the root of the pricing API (the price
	// sheets), a resource of its own with its own tokens.
	DefaultPricingURL = "https://api.partner.microsoft.com"
	// PricingScope is the scope of App+User tokens for the pricing API.
	PricingScope = "https://api.partner.microsoft.com/.default offline_access"
	// DefaultCatalogTTL is how long a market's offers and prices are
	// kept. Microsoft changes prices monthly; a day notices a new month's
	// list soon enough without downloading the sheet for every turn.
	DefaultCatalogTTL = 24 * time.Hour
	// DefaultAuthority is the token endpoint; {tenant} is the partner's
	// Entra tenant.
	DefaultAuthority = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
	// AppScope and UserScope are the scopes of app-only and App+User
	// tokens for the Partner Center API.
	AppScope  = "https://api.partnercenter.microsoft.com/.default"
	UserScope = "https://api.partnercenter.microsoft.com/user_impersonation offline_access"
	// DefaultTimeout of one HTTP exchange.
	DefaultTimeout  = 30 * time.Second
	DefaultLocation = "Europe/Paris"
	// DefaultRemovalWindow is Microsoft's window since March 2022 (7
	// days), used to date a refundable lot from its deadline.
	DefaultRemovalWindow = 168 * time.Hour
	DefaultPollInterval  = 5 * time.Second
	DefaultPollTimeout   = 60 * time.Second
	DefaultCurrency      = "EUR"
	// MaxTries is how many times one call is sent at most.
	MaxTries = 4
	// MaxRetryAfter is the longest Retry-After honoured inside a call; a
	// longer one ends it with csp.ErrUnavailable so reconciliation tries
	// later instead of holding a chat turn.
	MaxRetryAfter = 60 * time.Second
	// Name is what Client.Name returns.
	Name = "partnercenter"
	// unmatchedPrefix marks offer ids the catalog does not know.
	unmatchedPrefix = "pc:"
)

// Environment variables holding the secrets (read by the binary, never by
// this package).
const (
	EnvTenantID     = "PARTNERCENTER_TENANT_ID"
	EnvClientID     = "PARTNERCENTER_CLIENT_ID"
	EnvClientSecret = "PARTNERCENTER_CLIENT_SECRET"
	EnvRefreshToken = "PARTNERCENTER_REFRESH_TOKEN"
)

// Options configure a Client. Clock, ClientID and at least one of
// ClientSecret (app-only) or RefreshToken (App+User) are required.
type Options struct {
	BaseURL string
	// PricingURL is the pricing API's root (DefaultPricingURL when empty).
	PricingURL string
	// CatalogTTL is how long a market's catalog is kept
	// (DefaultCatalogTTL when zero).
	CatalogTTL time.Duration
	// TokenURL overrides the token endpoint built from TenantID.
	TokenURL string
	// TenantID is the partner's Entra tenant (id or domain).
	TenantID string
	// ClientID is the Entra application; ClientSecret its secret (needed
	// for app-only, and for App+User when the app is confidential).
	ClientID     string
	ClientSecret string
	// RefreshToken is the App+User refresh token obtained once through
	// the secure application model's consent.
	RefreshToken string
	// OnRefreshToken receives a rotated refresh token so that it can be
	// stored; without it the rotation lives in memory only.
	OnRefreshToken func(string)
	// CustomerIDs are the customer tenant ids this bot serves.
	CustomerIDs []string
	HTTPClient  *http.Client
	Clock       clock.Clock
	Logger      *slog.Logger
	// Catalog is the reseller's catalog; its ProviderOfferID is Partner
	// Center's productId:skuId[:availabilityId].
	Catalog *csp.Catalog
	// Location and RemovalWindow are the defaults for customers that
	// Customers does not name.
	Location      *time.Location
	RemovalWindow time.Duration
	// Customers are each customer's own time zone and removal window.
	Customers map[string]csp.CustomerSettings
	// PollInterval and PollTimeout bound how long an upgrade or an order
	// is followed before it is left pending.
	PollInterval time.Duration
	PollTimeout  time.Duration
	Currency     string
	Sleep        func(ctx context.Context, d time.Duration) error
}

// Client is the Partner Center provider. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	auth      *authenticator
	customers []string
	hc        *http.Client
	clock     clock.Clock
	log       *slog.Logger
	cat       *csp.Catalog
	loc       *time.Location
	window    time.Duration
	settings  map[string]csp.CustomerSettings
	interval  time.Duration
	polls     int
	currency  string
	sleep     func(context.Context, time.Duration) error
	pricing   *url.URL
	markets   marketCache
}

var _ csp.Provider = (*Client)(nil)

// New checks opts, fills the defaults and returns a client. It does no I/O.
func New(opts Options) (*Client, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	base, err := baseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	tokenURL, err := tokenURL(opts)
	if err != nil {
		return nil, err
	}
	pricing, err := baseURL(portal.FirstNonEmpty(opts.PricingURL, DefaultPricingURL))
	if err != nil {
		return nil, err
	}
	common := portal.Common{
		HTTPClient: opts.HTTPClient, Logger: opts.Logger, Catalog: opts.Catalog,
		Location: opts.Location, RemovalWindow: opts.RemovalWindow, Currency: opts.Currency, Sleep: opts.Sleep,
		PollInterval: opts.PollInterval, PollTimeout: opts.PollTimeout,
	}
	if err := common.Fill(portal.Defaults{
		Name: Name, Timeout: DefaultTimeout, Location: DefaultLocation, RemovalWindow: DefaultRemovalWindow,
		PollInterval: DefaultPollInterval, PollTimeout: DefaultPollTimeout, Currency: DefaultCurrency,
	}); err != nil {
		return nil, err
	}
	c := &Client{
		base:      base,
		customers: append([]string(nil), opts.CustomerIDs...),
		hc:        common.HTTPClient,
		clock:     opts.Clock,
		log:       common.Logger,
		cat:       common.Catalog,
		loc:       common.Location,
		window:    common.RemovalWindow,
		settings:  opts.Customers,
		interval:  common.PollInterval,
		polls:     common.Polls(),
		currency:  common.Currency,
		sleep:     common.Sleep,
		pricing:   pricing,
		markets:   newMarketCache(opts.CatalogTTL),
	}
	c.auth = &authenticator{
		tokenURL: tokenURL, clientID: opts.ClientID, clientSecret: opts.ClientSecret,
		appScope: AppScope, userScope: UserScope, pricingScope: PricingScope, hc: c.hc, clock: c.clock, log: c.log,
		sleep: c.sleep, onRefresh: opts.OnRefreshToken, refresh: opts.RefreshToken,
		cache: map[credKind]cached{}, inflight: map[credKind]*flight{},
	}
	return c, nil
}

func (opts Options) validate() error {
	switch {
	case opts.Clock == nil:
		return errors.New("partnercenter: a clock is required")
	case opts.ClientID == "":
		return errors.New("partnercenter: the application (client) id is required")
	case opts.ClientSecret == "" && opts.RefreshToken == "":
		return errors.New("partnercenter: a client secret (app-only) or a refresh token (App+User) is required")
	case opts.TokenURL == "" && opts.TenantID == "":
		return errors.New("partnercenter: the partner tenant id is required")
	}
	return nil
}

// baseURL parses the API's base URL (DefaultBaseURL when empty).
func baseURL(base string) (*url.URL, error) {
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("partnercenter: invalid base URL %q", base)
	}
	return u, nil
}

// tokenURL is opts.TokenURL, or the partner tenant's endpoint.
func tokenURL(opts Options) (string, error) {
	t := opts.TokenURL
	if t == "" {
		t = strings.ReplaceAll(DefaultAuthority, "{tenant}", url.PathEscape(opts.TenantID))
	}
	if u, err := url.Parse(t); err != nil || u.Host == "" {
		return "", fmt.Errorf("partnercenter: invalid token URL %q", t)
	}
	return t, nil
}

// Name returns "partnercenter".
func (c *Client) Name() string { return Name }

// Capabilities implements csp.Provider. Partner Center makes every change
// of the guide. Quantity, renewal, auto-renew and end-date writes set a
// state (a PATCH with If-Match) and are absolute; a cancellation and an
// upgrade are actions, sent once and then observed.
func (c *Client) Capabilities() csp.Capabilities {
	// Transitions and orders usually complete in minutes.
	return csp.GuideCapabilities(30 * time.Minute)
}

// locOf is the time zone of a customer's term dates.
func (c *Client) locOf(customerID string) *time.Location {
	return portal.LocationOf(c.settings, customerID, c.loc)
}

// windowOf is a customer's removal window.
func (c *Client) windowOf(customerID string) time.Duration {
	return portal.WindowOf(c.settings, customerID, c.window)
}

// Customers reads each configured customer (GET /v1/customers/{id}).
func (c *Client) Customers(ctx context.Context) ([]csp.Customer, error) {
	out := make([]csp.Customer, 0, len(c.customers))
	for _, id := range c.customers {
		w, err := c.customer(ctx, id)
		if err != nil {
			return nil, err
		}
		cu := csp.Customer{ID: id, Name: portal.FirstNonEmpty(w.CompanyProfile.CompanyName, w.BillingProfile.CompanyName, id),
			Domain: w.CompanyProfile.Domain, Currency: c.currency, TimeZone: c.locOf(id).String()}
		out = append(out, cu)
	}
	return out, nil
}

func (c *Client) customer(ctx context.Context, id string) (customer, error) {
	var w customer
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/customers/" + url.PathEscape(id)}, &w); err != nil {
		return w, fmt.Errorf("partnercenter: customer %s: %w", id, err)
	}
	return w, nil
}

// Market returns the customer's billing country (two letters), the market
// whose catalog applies to it.
func (c *Client) Market(ctx context.Context, customerID string) (string, error) {
	w, err := c.customer(ctx, customerID)
	if err != nil {
		return "", err
	}
	return strings.ToUpper(w.BillingProfile.DefaultAddress.Country), nil
}

// maxPages stops a paging loop on a portal that always says there is more.
const maxPages = 100

// Subscriptions lists a customer's subscriptions, all statuses. Partner
// Center answers one collection; a links.next is followed if it appears.
func (c *Client) Subscriptions(ctx context.Context, customerID string) ([]csp.Subscription, error) {
	ws, err := c.listSubscriptions(ctx, customerID)
	if err != nil {
		return nil, fmt.Errorf("partnercenter: subscriptions of %s: %w", customerID, err)
	}
	out := make([]csp.Subscription, 0, len(ws))
	for _, w := range ws {
		if !strings.EqualFold(w.UnitType, "") && !strings.EqualFold(w.UnitType, "licenses") && !strings.EqualFold(w.UnitType, "license") {
			continue // usage-based (Azure) lines are not licences
		}
		out = append(out, c.toSubscription(ctx, customerID, w))
	}
	return out, nil
}

func (c *Client) listSubscriptions(ctx context.Context, customerID string) ([]subscription, error) {
	r := request{method: http.MethodGet, path: "/v1/customers/" + url.PathEscape(customerID) + "/subscriptions"}
	var all []subscription
	for n := 1; ; n++ {
		if n > maxPages {
			return nil, fmt.Errorf("more than %d pages", maxPages)
		}
		var col collection[subscription]
		if _, err := c.do(ctx, r, &col); err != nil {
			return nil, err
		}
		all = append(all, col.Items...)
		next := col.Links.Next
		if next == nil || next.URI == "" || len(col.Items) == 0 {
			return all, nil
		}
		r = request{method: http.MethodGet, path: next.URI, header: map[string]string{}}
		for _, h := range next.Headers {
			r.header[h.Key] = h.Value
		}
	}
}

// Subscription reads one subscription.
func (c *Client) Subscription(ctx context.Context, customerID, subscriptionID string) (csp.Subscription, error) {
	w, _, err := c.getSubscription(ctx, customerID, subscriptionID)
	if err != nil {
		return csp.Subscription{}, fmt.Errorf("partnercenter: subscription %s: %w", subscriptionID, err)
	}
	return c.toSubscription(ctx, customerID, w), nil
}

// getSubscription returns the typed resource and its raw JSON, which a
// PATCH sends back whole.
func (c *Client) getSubscription(ctx context.Context, customerID, subscriptionID string) (subscription, map[string]any, error) {
	var raw map[string]any
	if _, err := c.do(ctx, request{method: http.MethodGet, path: subscriptionPath(customerID, subscriptionID)}, &raw); err != nil {
		return subscription{}, nil, err
	}
	w, err := decodeSubscription(raw)
	return w, raw, err
}

func subscriptionPath(customerID, subscriptionID string) string {
	return "/v1/customers/" + url.PathEscape(customerID) + "/subscriptions/" + url.PathEscape(subscriptionID)
}

// Eligibility is one transition Partner Center reports for a
// subscription, eligible or not, with its reasons.
type Eligibility struct {
	OfferID        string
	OfferName      string
	CatalogItemID  string
	TransitionType string
	// TargetSubscriptionID is set for a merge into an existing line.
	TargetSubscriptionID string
	Eligible             bool
	// Reasons are Partner Center's error descriptions when not eligible.
	Reasons []string
}

// TransitionEligibilities lists every transition Partner Center knows for
// a subscription, with the reasons of those that are not eligible
// (GET …/transitionEligibilities?eligibilityType=immediate).
func (c *Client) TransitionEligibilities(ctx context.Context, customerID, subscriptionID string) ([]Eligibility, error) {
	ts, err := c.transitionEligibilities(ctx, customerID, subscriptionID)
	if err != nil {
		return nil, fmt.Errorf("partnercenter: transition eligibilities of %s: %w", subscriptionID, err)
	}
	var out []Eligibility
	for _, t := range ts {
		id, name := c.offerFor(t.CatalogItemID, t.Title)
		for _, e := range t.Eligibilities {
			el := Eligibility{OfferID: id, OfferName: name, CatalogItemID: t.CatalogItemID, TransitionType: e.TransitionType,
				Eligible: e.IsEligible, Reasons: descriptions(e.Errors)}
			if e.TransitionType == transitionWithLicenseTransfer {
				// A merge: one entry per existing line it could go into.
				for _, se := range t.SubscriptionEligibilities {
					m := el
					m.TargetSubscriptionID = se.SubscriptionID
					m.Eligible = el.Eligible && se.IsEligible
					m.Reasons = append(append([]string(nil), el.Reasons...), descriptions(se.Errors)...)
					out = append(out, m)
				}
				continue
			}
			out = append(out, el)
		}
	}
	return out, nil
}

func descriptions(es []eligibError) []string {
	var out []string
	for _, e := range es {
		if d := strings.TrimSpace(e.Description); d != "" {
			out = append(out, d)
		} else if code := codeString(e.Code); code != "" {
			out = append(out, "code "+code)
		}
	}
	return out
}

// Transition types of POST transitions.
const (
	transitionOnly                = "transition_only"
	transitionWithLicenseTransfer = "transition_with_license_transfer"
)

func (c *Client) transitionEligibilities(ctx context.Context, customerID, subscriptionID string) ([]transitionEligibility, error) {
	var col collection[transitionEligibility]
	q := url.Values{"eligibilityType": {"immediate"}}
	_, err := c.do(ctx, request{method: http.MethodGet, path: subscriptionPath(customerID, subscriptionID) + "/transitionEligibilities", query: q}, &col)
	return col.Items, err
}

// EligibleUpgrades lists the transitions Partner Center would accept now.
func (c *Client) EligibleUpgrades(ctx context.Context, customerID, subscriptionID string) ([]csp.UpgradeOption, error) {
	es, err := c.TransitionEligibilities(ctx, customerID, subscriptionID)
	if err != nil {
		return nil, err
	}
	var out []csp.UpgradeOption
	for _, e := range es {
		if e.Eligible {
			out = append(out, csp.UpgradeOption{OfferID: e.OfferID, OfferName: e.OfferName, TargetSubscriptionID: e.TargetSubscriptionID})
		}
	}
	return out, nil
}

// EndDate is a custom term end date Partner Center allows for a new
// subscription: the end of a calendar month or a co-term with an existing
// line.
type EndDate struct {
	// End is the exclusive end instant (the day after the last day).
	End                  time.Time
	Type                 string
	CotermSubscriptionID string
}

// CustomTermEndDates lists the end dates a purchase of the given term can
// be aligned to (GET …/subscriptions/customTermEndDates); cotermWith, when
// set, asks for those matching that subscription.
func (c *Client) CustomTermEndDates(ctx context.Context, customerID string, term csp.Term, cotermWith string) ([]EndDate, error) {
	q := url.Values{"term_duration": {string(term)}}
	if cotermWith != "" {
		q.Set("target_coterm_subscription_id", cotermWith)
	}
	var col collection[customTermEndDate]
	path := "/v1/customers/" + url.PathEscape(customerID) + "/subscriptions/customTermEndDates"
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q}, &col); err != nil {
		return nil, fmt.Errorf("partnercenter: custom term end dates: %w", err)
	}
	var out []EndDate
	for _, d := range col.Items {
		day, ok := portal.LocalDay(d.AllowedCustomTermEndDate, c.locOf(customerID))
		if !ok {
			continue
		}
		out = append(out, EndDate{End: day.AddDate(0, 0, 1), Type: d.AllowedCustomTermEndType, CotermSubscriptionID: d.CotermSubscriptionID})
	}
	return out, nil
}
