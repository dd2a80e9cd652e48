// Package cloudcockpit is a csp.Provider for the CloudCockpit reseller
// portal API (v1): OAuth2 client-credentials authentication against Entra
// ID, the X-Tenant and X-Correlation-Id headers on every call, the paged
// envelope of list endpoints, and the portal's enum objects and error
// envelope mapped onto the csp domain types.
//
// Writes follow licensebot's rule that every write is absolute and
// idempotent: Apply reads the subscription first, answers AlreadyApplied
// when it already has the target, refuses a stale decision with
// csp.ErrConflict, and otherwise sends the absolute value (PATCH quantity,
// PATCH autoRenewEnabled, PATCH autoRenewSettings.customTermEndDate,
// DELETE, POST upgrade). CloudCockpit accepts writes asynchronously
// (HTTP 202) and documents no status endpoint, so Apply confirms a write
// by re-reading the subscription until the target shows, and reports
// Result.Pending when it does not show in time.
//
// What the API does not expose is not invented: renewal quantities cannot
// be scheduled (set_renewal_quantity is refused with
// "not_supported_by_portal"), and per-purchase seat lots are approximated
// by one lot per subscription. docs/CLOUDCOCKPIT.md has the mapping table
// and the limitations.
package cloudcockpit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the default zone must load on hosts without tzdata

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// Defaults for Options, from the CloudCockpit API documentation.
const (
	// DefaultBaseURL is the host every example of the public API
	// reference calls (docs/CLOUDCOCKPIT.md says what else is known).
	DefaultBaseURL       = "https://app-cloudcockpitapi-prod-01.azurewebsites.net"
	DefaultTokenURL      = "https://login.microsoftonline.com/4e806121-ff28-4286-ab4e-3be0a08f9ce0/oauth2/v2.0/token"
	DefaultScope         = "api://b92a36a4-feb8-4f47-a69c-29a180aa6d0a/.default"
	DefaultTimeout       = 15 * time.Second
	DefaultLocation      = "Europe/Paris"
	DefaultRemovalWindow = 72 * time.Hour
	DefaultPollInterval  = 2 * time.Second
	DefaultPollTimeout   = 60 * time.Second
	DefaultPageSize      = 500
	DefaultCurrency      = "EUR"
	// MaxPageSize is the largest pageSize the API accepts.
	MaxPageSize = 2000
	// MaxTries is how many times one call is sent at most (429, 5xx and
	// network errors are retried).
	MaxTries = 3
	// MaxRetryAfter is the longest Retry-After honoured inside one call;
	// a longer one ends the call with csp.ErrUnavailable so the workflow's
	// reconciliation tries again later instead of holding a chat turn.
	MaxRetryAfter = 60 * time.Second
	// Name is what Client.Name returns.
	Name = "cloudcockpit"
	// unmatchedPrefix marks offer ids of subscriptions whose offer is not
	// in the catalog.
	unmatchedPrefix = "cc:"
)

// Options configure a Client. Tenant, ClientID, ClientSecret and Clock are
// required.
type Options struct {
	// BaseURL of the API, default DefaultBaseURL.
	BaseURL string
	// TokenURL is the OAuth2 token endpoint, default DefaultTokenURL.
	TokenURL string
	// Scope of the client-credentials token, default DefaultScope.
	Scope string
	// ClientID and ClientSecret of the API application. The secret is
	// only ever sent to TokenURL and never logged.
	ClientID     string
	ClientSecret string
	// Tenant is the X-Tenant header: the reseller's portal domain
	// (csp.example.fr).
	Tenant string
	// CustomerIDs are the CloudCockpit customer ids this bot serves;
	// Customers lists only these.
	CustomerIDs []string
	// HTTPClient defaults to a client with a DefaultTimeout timeout.
	HTTPClient *http.Client
	Clock      clock.Clock
	// Logger defaults to a logger that discards everything.
	Logger *slog.Logger
	// Catalog is the reseller's catalog; default catalog.Default().
	// Subscriptions are matched to its offers by ProviderOfferID, then by
	// name or alias.
	Catalog *csp.Catalog
	// Location is the default time zone of customers; default
	// Europe/Paris.
	Location *time.Location
	// RemovalWindow approximates, by default, the removal window of a
	// subscription's seats when the portal gives no
	// cancellationAllowedUntil; default 72h.
	RemovalWindow time.Duration
	// Customers override Location and RemovalWindow per customer id.
	Customers map[string]csp.CustomerSettings
	// PollInterval and PollTimeout bound how long Apply re-reads a
	// subscription to confirm an asynchronous (202) write; default 2 s
	// and 60 s.
	PollInterval time.Duration
	PollTimeout  time.Duration
	// PageSize of list calls, 1–MaxPageSize; default DefaultPageSize.
	PageSize int
	// Currency of prices that carry none; default EUR.
	Currency string
	// Sleep waits d or until ctx is done; tests inject it. The default
	// uses a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// ProviderInstanceID is the reseller's Microsoft provider instance in
	// CloudCockpit, sent as providerInstanceId to the licences and GDAP
	// endpoints when set.
	ProviderInstanceID string
}

// Client is the CloudCockpit provider. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	tokenURL  string
	scope     string
	clientID  string
	secret    string
	tenant    string
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
	pageSize  int
	currency  string
	sleep     func(context.Context, time.Duration) error
	instance  string

	// mu guards the cached token.
	mu       sync.Mutex
	tok      string
	tokUntil time.Time
}

var _ csp.Provider = (*Client)(nil)

// New checks opts, fills the defaults and returns a client. It does no I/O.
func New(opts Options) (*Client, error) {
	switch {
	case opts.Clock == nil:
		return nil, errors.New("cloudcockpit: a clock is required")
	case opts.Tenant == "":
		return nil, errors.New("cloudcockpit: the tenant (X-Tenant portal domain) is required")
	case opts.ClientID == "" || opts.ClientSecret == "":
		return nil, errors.New("cloudcockpit: client id and client secret are required")
	}
	opts.fill()
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
	u, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("cloudcockpit: invalid base URL %q", opts.BaseURL)
	}
	if tu, err := url.Parse(opts.TokenURL); err != nil || tu.Host == "" {
		return nil, fmt.Errorf("cloudcockpit: invalid token URL %q", opts.TokenURL)
	}
	return &Client{
		base:      u,
		tokenURL:  opts.TokenURL,
		scope:     opts.Scope,
		clientID:  opts.ClientID,
		secret:    opts.ClientSecret,
		tenant:    opts.Tenant,
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
		pageSize:  min(opts.PageSize, MaxPageSize),
		currency:  common.Currency,
		sleep:     common.Sleep,
		instance:  opts.ProviderInstanceID,
	}, nil
}

// fill puts CloudCockpit's own defaults in the options left zero; those
// both portals share are portal.Common's.
func (o *Options) fill() {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&o.BaseURL, DefaultBaseURL)
	def(&o.TokenURL, DefaultTokenURL)
	def(&o.Scope, DefaultScope)
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
}

// locOf is the time zone of a customer's term dates.
func (c *Client) locOf(customerID string) *time.Location {
	return portal.LocationOf(c.settings, customerID, c.loc)
}

// windowOf is a customer's removal window, when the portal does not say.
func (c *Client) windowOf(customerID string) time.Duration {
	return portal.WindowOf(c.settings, customerID, c.window)
}

// Name returns "cloudcockpit".
func (c *Client) Name() string { return Name }

// Catalog returns the configured catalog. CloudCockpit's own offer list
// (GET /v1/Offers) is not read: the bot sells what the reseller's catalog
// file describes, with its aliases and tiers, for every customer.
func (c *Client) Catalog(context.Context, string) (*csp.Catalog, error) { return c.cat, nil }

// Customers returns the configured customers, each read from
// GET /v1/Customers/{id}.
func (c *Client) Customers(ctx context.Context) ([]csp.Customer, error) {
	out := make([]csp.Customer, 0, len(c.customers))
	for _, id := range c.customers {
		var w customer
		if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/Customers/" + url.PathEscape(id)}, &w); err != nil {
			return nil, fmt.Errorf("cloudcockpit: customer %s: %w", id, err)
		}
		cu := csp.Customer{
			ID:       portal.FirstNonEmpty(w.ID, id),
			Name:     portal.FirstNonEmpty(w.CompanyName, w.Name),
			Domain:   portal.FirstNonEmpty(w.Domain, w.DefaultDomain),
			Currency: portal.FirstNonEmpty(w.Currency, w.CurrencyCode, c.currency),
			TimeZone: c.locOf(id).String(),
		}
		if w.Company != nil {
			cu.Name = portal.FirstNonEmpty(w.Company.Name, cu.Name)
			cu.Domain = portal.FirstNonEmpty(cu.Domain, w.Company.Domain)
		}
		if cu.Name == "" {
			cu.Name = cu.ID
		}
		out = append(out, cu)
	}
	return out, nil
}

// detailWorkers bounds concurrent detail reads in Subscriptions: the API
// documents no rate limit, so stay gentle.
const detailWorkers = 4

// Subscriptions lists a customer's subscriptions, all statuses. The list
// endpoint lacks the auto-renew settings, so each subscription's detail is
// read too (at most detailWorkers at a time); a subscription that
// disappears between the two reads is left out.
func (c *Client) Subscriptions(ctx context.Context, customerID string) ([]csp.Subscription, error) {
	items, err := c.listSubscriptions(ctx, customerID)
	if err != nil {
		return nil, err
	}
	subs := make([]csp.Subscription, len(items))
	found := make([]bool, len(items))
	errs := make([]error, len(items))
	sem := make(chan struct{}, detailWorkers)
	var wg sync.WaitGroup
	for i, item := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			d, err := c.getSubscription(ctx, customerID, item.ID)
			if errors.Is(err, csp.ErrNotFound) {
				c.log.WarnContext(ctx, "subscription listed but not found; skipped", "customer_id", customerID, "subscription_id", item.ID)
				return
			}
			if err != nil {
				errs[i] = err
				return
			}
			d.fillFrom(item)
			subs[i], found[i] = c.toSubscription(ctx, customerID, d), true
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("cloudcockpit: subscriptions of %s: %w", customerID, err)
		}
	}
	out := subs[:0]
	for i, s := range subs {
		if found[i] {
			out = append(out, s)
		}
	}
	return out, nil
}

// maxPages stops a paging loop on a portal that always says there is more.
const maxPages = 1000

func (c *Client) listSubscriptions(ctx context.Context, customerID string) ([]subscription, error) {
	path := "/v1/customers/" + url.PathEscape(customerID) + "/subscriptions"
	var all []subscription
	cont := ""
	for n := 1; ; n++ {
		if n > maxPages {
			return nil, fmt.Errorf("cloudcockpit: subscriptions of %s: more than %d pages", customerID, maxPages)
		}
		q := url.Values{}
		q.Set("PageNumber", strconv.Itoa(n))
		q.Set("PageSize", strconv.Itoa(c.pageSize))
		if cont != "" {
			q.Set("ContinuationToken", cont)
		}
		var pg page[subscription]
		if _, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q}, &pg); err != nil {
			return nil, fmt.Errorf("cloudcockpit: subscriptions of %s, page %d: %w", customerID, n, err)
		}
		all = append(all, pg.Items...)
		if !(pg.HasNextPage || pg.TotalPages > n) || len(pg.Items) == 0 {
			return all, nil
		}
		cont = pg.ContinuationToken
	}
}

// Subscription reads one subscription's detail.
func (c *Client) Subscription(ctx context.Context, customerID, subscriptionID string) (csp.Subscription, error) {
	w, err := c.getSubscription(ctx, customerID, subscriptionID)
	if err != nil {
		return csp.Subscription{}, fmt.Errorf("cloudcockpit: subscription %s: %w", subscriptionID, err)
	}
	return c.toSubscription(ctx, customerID, w), nil
}

func (c *Client) getSubscription(ctx context.Context, customerID, subscriptionID string) (subscription, error) {
	var w subscription
	_, err := c.do(ctx, request{method: http.MethodGet, path: subscriptionPath(customerID, subscriptionID)}, &w)
	return w, err
}

func subscriptionPath(customerID, subscriptionID string) string {
	return "/v1/customers/" + url.PathEscape(customerID) + "/subscriptions/" + url.PathEscape(subscriptionID)
}

// EligibleUpgrades lists the portal's eligible transitions for a
// subscription. Offers are named by catalog id when the catalog knows
// them, "cc:<offerId>" otherwise.
func (c *Client) EligibleUpgrades(ctx context.Context, customerID, subscriptionID string) ([]csp.UpgradeOption, error) {
	ts, err := c.transitions(ctx, customerID, subscriptionID)
	if err != nil {
		return nil, fmt.Errorf("cloudcockpit: eligible upgrades of %s: %w", subscriptionID, err)
	}
	out := make([]csp.UpgradeOption, 0, len(ts))
	for _, t := range ts {
		id, name := c.offerFor(t.OfferID, t.ProviderOfferID, t.OfferName)
		out = append(out, csp.UpgradeOption{OfferID: id, OfferName: name, TargetSubscriptionID: t.DestinationSubscriptionID})
	}
	return out, nil
}

func (c *Client) transitions(ctx context.Context, customerID, subscriptionID string) ([]transition, error) {
	var ts []transition
	_, err := c.do(ctx, request{method: http.MethodGet, path: subscriptionPath(customerID, subscriptionID) + "/eligible-transitions"}, &ts)
	return ts, err
}
