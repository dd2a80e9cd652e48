package teams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/workflows"
)

// Handler answers a turn; *bot.Engine is one.
type Handler = channel.Handler

// Metrics receives the adapter's measurements (see PrometheusMetrics).
type Metrics = channel.Metrics

// NopMetrics discards everything; it is the default.
type NopMetrics = channel.NopMetrics

// Defaults for Options.
const (
	// DefaultInvokeTimeout bounds a card press: Teams gives up on an
	// invoke after about 15 seconds.
	DefaultInvokeTimeout = 10 * time.Second
	// DefaultServiceURL is Teams' global Bot Connector endpoint, used for
	// the approvals conversation until an activity from it tells us its
	// regional one.
	DefaultServiceURL = "https://smba.trafficmanager.net/teams/"
	// maxBody bounds what is read of a request; Teams activities are far
	// smaller.
	maxBody = 1 << 20
	// userTTL is how long a Teams user's e-mail is cached, so the roster
	// is not read for every message.
	userTTL = 12 * time.Hour
	// cardTTL is how long the card shown in a message is remembered for
	// presses and refreshes (its confirmation text, its buttons).
	cardTTL = 7 * 24 * time.Hour
	// httpTimeout is the default timeout of outbound HTTP calls.
	httpTimeout = 15 * time.Second
)

// ErrNoConversation: the person has never written to the bot nor
// installed it, so there is no conversation to write into yet (Teams
// has no "message this e-mail"). Deliver returns it wrapped; a router
// delivering over several platforms can try the next one.
var ErrNoConversation = errors.New("teams: no conversation with this person yet")

// Options configure an Adapter: the Azure bot's identity, and the Config
// every channel shares (People, Store and Clock are required). A message
// that finds the queue full is answered 503 at once, logged and counted
// (the Bot Framework then retries it; see the package documentation);
// Workers also bounds the card presses answered at once.
type Options struct {
	// AppID and AppPassword are the Azure bot's Microsoft App ID and
	// client secret (TEAMS_APP_ID, TEAMS_APP_PASSWORD). Required.
	AppID       string
	AppPassword string
	// TenantID is the home tenant of a single-tenant bot
	// (TEAMS_TENANT_ID): its outbound token comes from that tenant's
	// authority, whichever tenant it writes to. Activities from other
	// tenants are accepted when the directory links them to a customer
	// (channel.OrgLinker), and refused (403) otherwise, as are
	// activities naming no tenant. Empty means a multi-tenant bot.
	TenantID string
	// OpenIDMetadataURL locates the keys that sign inbound requests
	// (default DefaultOpenIDMetadataURL; tests point it at their own).
	OpenIDMetadataURL string
	// TokenURL is where the bot gets its outbound token (default: the
	// tenant's authority, or MultiTenantTokenURL without a TenantID).
	TokenURL string
	// TokenIssuer is the issuer of inbound tokens (default
	// https://api.botframework.com; US Government and China have their
	// own) and TokenScope the scope of the outbound token (default
	// https://api.botframework.com/.default).
	TokenIssuer string
	TokenScope  string
	// ConnectorOrigins are the Bot Connector hosts activities may name as
	// their serviceUrl, the only hosts the bot sends its token to
	// (default DefaultConnectorOrigins): "https://host",
	// "https://host:port" or "https://*.domain".
	ConnectorOrigins []string
	channel.Config
	// InvokeTimeout bounds a card press (default DefaultInvokeTimeout).
	InvokeTimeout time.Duration
	// HTTPClient for the Bot Connector, the token endpoint and the key
	// set (default: 15 s timeout).
	HTTPClient *http.Client
	// ApprovalsConversation, if set, is a Teams conversation id (a
	// channel, "19:…@thread.tacv2", or a group chat) where approval cards
	// go for approvers the bot cannot reach yet (they never wrote to it).
	// The bot must be installed there.
	ApprovalsConversation string
	// ApprovalsServiceURL is the service URL for ApprovalsConversation
	// until an activity from that conversation says otherwise (default
	// DefaultServiceURL).
	ApprovalsServiceURL string
}

// Adapter is the Microsoft Teams channel adapter. Create it with New; it
// is safe for concurrent use.
type Adapter struct {
	opt     Options
	log     *slog.Logger
	metrics Metrics
	words   channel.Words
	auth    *tokenValidator
	conn    *connector
	run     *channel.Runner
	cards   *channel.Cards
	cache   *channel.Cache
	// invokes bounds the card presses answered at once.
	invokes chan struct{}
	// linker: the directory says which tenants are linked.
	linker bool
}

// New checks the options and starts the worker pool. Call Close to stop
// it.
func New(opt Options) (*Adapter, error) {
	var missing []string
	if opt.AppID == "" {
		missing = append(missing, "AppID")
	}
	if opt.AppPassword == "" {
		missing = append(missing, "AppPassword")
	}
	if missing = append(missing, opt.Missing()...); len(missing) > 0 {
		return nil, fmt.Errorf("teams: missing options: %s", strings.Join(missing, ", "))
	}
	if opt.OpenIDMetadataURL == "" {
		opt.OpenIDMetadataURL = DefaultOpenIDMetadataURL
	}
	if opt.TokenURL == "" {
		opt.TokenURL = MultiTenantTokenURL
		if opt.TenantID != "" {
			opt.TokenURL = fmt.Sprintf(DefaultTokenURLFormat, opt.TenantID)
		}
	}
	if opt.TokenIssuer == "" {
		opt.TokenIssuer = botFrameworkIssuer
	}
	if opt.TokenScope == "" {
		opt.TokenScope = botFrameworkScope
	}
	if len(opt.ConnectorOrigins) == 0 {
		opt.ConnectorOrigins = DefaultConnectorOrigins
	}
	allowed, err := parseOrigins(opt.ConnectorOrigins)
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	if opt.ApprovalsServiceURL == "" {
		opt.ApprovalsServiceURL = DefaultServiceURL
	}
	if opt.InvokeTimeout <= 0 {
		opt.InvokeTimeout = DefaultInvokeTimeout
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: httpTimeout}
	}
	a := &Adapter{}
	k, err := opt.Build("teams", classify, func(ctx context.Context, reqID string, to workflows.Person, m bot.Message) error {
		return a.deliver(ctx, reqID, to, m, true)
	})
	if err != nil {
		return nil, err
	}
	a.opt, a.log, a.metrics, a.words = opt, k.Log, k.Metrics, k.Words
	a.run, a.cards, a.cache = k.Run, k.Cards, k.Cache
	a.invokes = make(chan struct{}, opt.Workers)
	_, a.linker = opt.People.(channel.OrgLinker)
	a.auth = newTokenValidator(opt.OpenIDMetadataURL, opt.AppID, opt.HTTPClient, opt.Clock, a.log)
	a.auth.issuer = opt.TokenIssuer
	a.conn = &connector{
		http: opt.HTTPClient, tokenURL: opt.TokenURL, appID: opt.AppID, password: opt.AppPassword, scope: opt.TokenScope, origins: allowed,
		clock: opt.Clock, sleep: opt.Sleep, pacer: newPacer(teamsLimits()), retry: k.Retry,
	}
	return a, nil
}

// SetHandler sets the turn handler (the engine). The engine takes the
// adapter as its Deliverer, so the two are wired in this order: New the
// adapter, build the engine with it, SetHandler(engine), then serve.
func (a *Adapter) SetHandler(h Handler) { a.run.SetHandler(h) }

// Close stops taking messages, lets queued turns finish until ctx is
// done, then cancels what is still running.
func (a *Adapter) Close(ctx context.Context) error { return a.run.Close(ctx) }

// Routes mounts the Bot Framework messaging endpoint on mux: the Azure
// bot's "Messaging endpoint" is https://<host>/api/messages.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.Handle("POST /api/messages", http.HandlerFunc(a.serveHTTP))
}
