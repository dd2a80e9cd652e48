package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/cards"
	"github.com/licensebot/licensebot/bot/intent"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// IdleTimeout is how long a dialogue is kept without a word.
const IdleTimeout = 30 * time.Minute

// maxInput bounds what is read of one message; the rest is ignored.
const maxInput = 4000

// Customer is what the bot needs to know of a customer beyond the portal
// (see package cards).
type Customer = cards.Customer

// Deliverer sends a message to someone outside the current turn: an
// approval card to an account manager, a status change to a requester, a
// reminder. A message with a Key replaces the earlier one with that key
// where the platform allows it.
type Deliverer interface {
	Deliver(ctx context.Context, to workflows.Person, msg Message) error
}

// Options configure an Engine.
type Options struct {
	Service    *workflows.Service
	Provider   csp.Provider
	Store      store.Store
	Clock      clock.Clock
	Logger     *slog.Logger
	Translator *Translator
	Deliverer  Deliverer
	Customers  []Customer
}

// Engine is the conversation engine. It keeps no state of its own between
// turns; dialogue state lives in the store.
type Engine struct {
	opt Options
	log *slog.Logger
	// tr says the dialogue's own sentences; cards renders the cards.
	tr        *Translator
	cards     *cards.Renderer
	customers map[string]Customer
	// catalogs are per customer ("" is the default); parsers per
	// catalog. Both are immutable after New.
	catalogs map[string]*csp.Catalog
	parsers  map[*csp.Catalog]*intent.Parser
	// reads predicts what a person's turn reads (prefetch.go).
	reads *readMemo
	// usage keeps each customer's licence usage briefly (usage.go).
	usageCache *usageMemo
}

// catalogOf returns the catalog customerID buys from.
func (e *Engine) catalogOf(customerID string) *csp.Catalog {
	if c, ok := e.catalogs[customerID]; ok {
		return c
	}
	return e.catalogs[""]
}

// parserOf returns the intent parser for customerID's catalog.
func (e *Engine) parserOf(customerID string) *intent.Parser {
	return e.parsers[e.catalogOf(customerID)]
}

// sameOffers reports whether two catalogs list the same offers, so that
// customers of one market share one parser.
func sameOffers(a, b *csp.Catalog) bool { return reflect.DeepEqual(a.Offers, b.Offers) }

// New returns an Engine and registers it as the workflow's notifier.
func New(ctx context.Context, opt Options) (*Engine, error) {
	if opt.Service == nil || opt.Provider == nil || opt.Store == nil || opt.Clock == nil || opt.Translator == nil {
		return nil, errors.New("bot: service, provider, store, clock and translator are required")
	}
	e := &Engine{
		opt:        opt,
		log:        opt.Logger,
		tr:         opt.Translator,
		customers:  map[string]Customer{},
		catalogs:   map[string]*csp.Catalog{},
		parsers:    map[*csp.Catalog]*intent.Parser{},
		reads:      newReadMemo(maxPredicted),
		usageCache: &usageMemo{byCustomer: map[string]usageRead{}},
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	for _, c := range opt.Customers {
		if c.Location == nil {
			c.Location = time.UTC
		}
		e.customers[c.ID] = c
	}
	// Each customer buys from the catalog of its market; customers of
	// one market share a catalog and its parser. They are read once
	// here, so rendering does no I/O.
	ids := []string{""}
	for _, c := range opt.Customers {
		ids = append(ids, c.ID)
	}
	for _, id := range ids {
		cat, err := opt.Provider.Catalog(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("bot: read catalog of %q: %w", id, err)
		}
		for known := range e.parsers {
			if known == cat || sameOffers(known, cat) {
				cat = known
			}
		}
		e.catalogs[id] = cat
		if e.parsers[cat] == nil {
			e.parsers[cat] = intent.NewParser(cat)
		}
	}
	e.cards = cards.New(cards.Options{
		Translator: opt.Translator, Clock: opt.Clock, Customers: opt.Customers, Catalogs: e.catalogs,
		Policy: opt.Service.Policy, SettleTime: opt.Provider.Capabilities().SettleTime,
	})
	opt.Service.SetNotifier(e)
	return e, nil
}

// Translator returns the engine's translator (adapters render with it).
func (e *Engine) Translator() *Translator { return e.tr }

// dialog is one person's conversation state, stored with an idle TTL.
type dialog struct {
	Lang       string    `json:"lang,omitempty"`
	Pinned     bool      `json:"pinned,omitempty"`
	LastActive time.Time `json:"last_active"`
	Draft      *draft    `json:"draft,omitempty"`
	// Rejecting is the request whose rejection reason we are waiting for,
	// asked at RejectAskedAt.
	Rejecting     *reqRef   `json:"rejecting,omitempty"`
	RejectAskedAt time.Time `json:"reject_asked_at,omitzero"`
	// Submitted remembers the last confirmed draft, so a double click
	// says which request it became.
	Submitted *submitted `json:"submitted,omitempty"`
}

type reqRef struct {
	CustomerID string `json:"customer_id"`
	ID         string `json:"id"`
}

type submitted struct {
	DraftID   string `json:"draft_id"`
	RequestID string `json:"request_id"`
}

// draft is a change being put together: slots still missing are asked for.
type draft struct {
	ID         string     `json:"id"`
	CustomerID string     `json:"customer_id"`
	Change     csp.Change `json:"change"`
	// HasQuantity and All say whether the quantity slot is filled.
	HasQuantity bool `json:"has_quantity"`
	All         bool `json:"all,omitempty"`
	// Total ("set E3 to 12") and Delta ("reduce the renewal by 2") are
	// resolved against the subscription once it is known.
	Total int `json:"total,omitempty"`
	Delta int `json:"delta,omitempty"`
	// Source offer candidates still to choose between.
	SubChoices []string `json:"sub_choices,omitempty"`
	// TargetChoices are offer ids (upgrade target) to choose between.
	TargetChoices []string `json:"target_choices,omitempty"`
	// MergeAsked: the user chose between an existing line and a new one.
	MergeAsked bool `json:"merge_asked,omitempty"`
	// Awaiting names the slot being asked for.
	Awaiting string `json:"awaiting,omitempty"`
	// Previewed: the preview is shown and Confirm is awaited.
	Previewed bool `json:"previewed,omitempty"`
	// Alternatives offered by the last refusal (pressed by index).
	Alternatives []altChoice `json:"alternatives,omitempty"`
	// Purchase is set while a new subscription is being bought
	// (purchase.go).
	Purchase *purchaseDraft `json:"purchase,omitempty"`
}

type altChoice struct {
	Change *csp.Change `json:"change,omitempty"`
	Remind time.Time   `json:"remind,omitzero"`
}

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// convKey names a person's dialogue by where they talk from and who they
// are: the same e-mail in two workspaces is two dialogues, so nothing said
// in one workspace is answered in another.
func convKey(t Turn) string {
	org := t.Org.Key()
	if t.Org.IsZero() {
		org = t.Platform
	}
	return org + ":" + strings.ToLower(t.Person.Email)
}

// profile is what outlives a dialogue: the language a person speaks with
// us, so that messages sent to them days later are in that language.
type profile struct {
	Lang   string `json:"lang"`
	Pinned bool   `json:"pinned,omitempty"`
}

func profileRef(email string) store.Ref {
	return store.Ref{Collection: "profiles", ID: strings.ToLower(email)}
}

func (e *Engine) loadProfile(ctx context.Context, email string) (profile, error) {
	p, _, err := store.GetJSON[profile](ctx, e.opt.Store, profileRef(email))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return profile{}, nil
	case errors.Is(err, store.ErrUnavailable):
		return profile{}, err
	case err != nil:
		return profile{}, nil // a corrupt profile is as good as none
	}
	return p, nil
}

func (e *Engine) saveProfile(ctx context.Context, email string, p profile) error {
	_, err := store.UpdateJSON(ctx, e.opt.Store, profileRef(email), func(cur *profile, _ bool) ([]store.AuditEntry, error) {
		*cur = p
		return nil, nil
	})
	return err
}

func (e *Engine) loadDialog(ctx context.Context, t Turn) (*dialog, error) {
	data, err := e.opt.Store.GetConversation(ctx, convKey(t))
	return e.decodeDialog(ctx, t, data, err)
}

// ErrDuplicateEvent: the platform delivered this event before (a Slack
// retry, a Teams redelivery); it was handled then and is ignored now.
var ErrDuplicateEvent = errors.New("duplicate event")

// claimAndLoad de-duplicates the turn's platform event and loads the
// dialogue, in one round trip where the store allows it.
func (e *Engine) claimAndLoad(ctx context.Context, t Turn) (*dialog, error) {
	if t.EventID == "" {
		return e.loadDialog(ctx, t)
	}
	key := eventClaimKey(t.Platform, t.EventID)
	if k, _ := ctx.Value(claimedEvent{}).(string); k == key {
		return e.loadDialog(ctx, t)
	}
	if cc, ok := e.opt.Store.(store.ConversationClaimer); ok {
		claimed, data, err := cc.ClaimAndGetConversation(ctx, key, eventClaimTTL, convKey(t))
		if err != nil {
			return nil, err
		}
		if !claimed {
			return nil, ErrDuplicateEvent
		}
		if data == nil {
			return e.decodeDialog(ctx, t, nil, store.ErrNotFound)
		}
		return e.decodeDialog(ctx, t, data, nil)
	}
	claimed, err := e.opt.Store.Claim(ctx, key, eventClaimTTL)
	if err != nil {
		return nil, err
	}
	if !claimed {
		return nil, ErrDuplicateEvent
	}
	return e.loadDialog(ctx, t)
}

// eventClaimTTL covers Slack's retries (up to about 5 minutes) with room.
const eventClaimTTL = time.Hour

func (e *Engine) decodeDialog(ctx context.Context, t Turn, data []byte, err error) (*dialog, error) {
	if errors.Is(err, store.ErrNotFound) {
		// A new dialogue starts in the language the person last used.
		p, err := e.loadProfile(ctx, t.Person.Email)
		if err != nil {
			return nil, err
		}
		return &dialog{Lang: p.Lang, Pinned: p.Pinned}, nil
	}
	if err != nil {
		return nil, err
	}
	var d dialog
	if json.Unmarshal(data, &d) != nil {
		return &dialog{}, nil // a corrupt state is dropped, not fatal
	}
	// The store's TTL is a backstop; the injected clock decides, so a
	// scripted chat that moves time forward sees dialogues expire.
	if !d.LastActive.IsZero() && e.opt.Clock.Now().Sub(d.LastActive) > IdleTimeout {
		return &dialog{Lang: d.Lang, Pinned: d.Pinned}, nil
	}
	return &d, nil
}

func (e *Engine) saveDialog(ctx context.Context, t Turn, d *dialog) error {
	d.LastActive = e.opt.Clock.Now()
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode dialog: %w", err)
	}
	return e.opt.Store.PutConversation(ctx, convKey(t), data, IdleTimeout)
}

// turnCtx carries what one turn needs while it runs.
type turnCtx struct {
	turn     Turn
	lang     string
	customer Customer
	d        *dialog
	out      []Message
}

func (tc *turnCtx) say(m Message) {
	m.To = tc.turn.Person.Email
	if m.Lang == "" {
		m.Lang = tc.lang
	}
	if m.Kind == "" {
		m.Kind = KindText
	}
	// A later message with the same key replaces the earlier one within
	// a turn, so a request that moves through several states in one turn
	// shows once, in its final state.
	if m.Key != "" {
		for i := range tc.out {
			if tc.out[i].Key == m.Key {
				tc.out[i] = m
				return
			}
		}
	}
	tc.out = append(tc.out, m)
}

// Handle answers one turn. It never returns a Go error to show a user:
// failures become a sentence in the user's language; the error is
// returned alongside for logging and metrics.
func (e *Engine) Handle(ctx context.Context, t Turn) ([]Message, error) {
	if len(t.Text) > maxInput {
		t.Text = t.Text[:maxInput]
	}
	lang := e.baseLang(t)
	d, err := e.claimAndLoad(ctx, t)
	if errors.Is(err, ErrDuplicateEvent) {
		return nil, err
	}
	if err != nil {
		// No state to tell the language: read it from the words.
		if l := e.parserOf(t.Person.CustomerID).Parse(t.Text).Lang; l != "" {
			lang = l
		}
		return []Message{e.storageDown(t, lang)}, err
	}
	loadedLang, loadedPinned := d.Lang, d.Pinned
	tc := &turnCtx{turn: t, d: d}
	tc.lang = e.pickLang(t, d, "")
	tc.customer = e.customerOf(t.Person)

	if t.Press != nil {
		err = e.handlePress(ctx, tc, *t.Press)
	} else {
		err = e.handleText(ctx, tc, t.Text)
	}
	if err != nil {
		e.log.ErrorContext(ctx, "turn failed", "person", t.Person.Email, "customer_id", tc.customer.ID, "err", err)
		var notRecorded *workflows.NotRecordedError
		if errors.As(err, &notRecorded) {
			// The portal has the change: never say "nothing was changed".
			tc.out = append(tc.out, Message{To: t.Person.Email, Lang: tc.lang, Kind: KindText, RequestID: notRecorded.Request.ID,
				Text: e.tr.T(tc.lang, "error.not_recorded", map[string]any{"ID": notRecorded.Request.ID})})
			return tc.out, err
		}
		if errors.Is(err, store.ErrUnavailable) {
			return []Message{e.storageDown(t, tc.lang)}, err
		}
		if errors.Is(err, csp.ErrUnavailable) {
			tc.out = append(tc.out, Message{To: t.Person.Email, Lang: tc.lang, Kind: KindError, Text: e.tr.T(tc.lang, "error.portal", nil)})
			return tc.out, err
		}
		tc.out = append(tc.out, Message{To: t.Person.Email, Lang: tc.lang, Kind: KindError, Text: e.tr.T(tc.lang, "error.generic", nil)})
		return tc.out, err
	}
	if tc.lang != loadedLang || d.Pinned != loadedPinned {
		if err := e.saveProfile(ctx, t.Person.Email, profile{Lang: tc.lang, Pinned: d.Pinned}); err != nil {
			e.log.WarnContext(ctx, "save profile", "person", t.Person.Email, "err", err)
		}
	}
	d.Lang = tc.lang
	if err := e.saveDialog(ctx, t, d); err != nil {
		e.log.ErrorContext(ctx, "save dialog", "person", t.Person.Email, "err", err)
		if errors.Is(err, store.ErrUnavailable) {
			return []Message{e.storageDown(t, tc.lang)}, err
		}
	}
	return tc.out, nil
}

func (e *Engine) storageDown(t Turn, lang string) Message {
	return Message{To: t.Person.Email, Lang: lang, Kind: KindError, Text: e.tr.T(lang, "error.storage", nil)}
}

func (e *Engine) baseLang(t Turn) string {
	if l := Lang(t.Person.Locale); l != "" {
		return l
	}
	if l := Lang(t.Locale); l != "" {
		return l
	}
	if c, ok := e.customers[t.Person.CustomerID]; ok && c.Lang != "" {
		return c.Lang
	}
	return "en"
}

// pickLang: an explicit choice wins; otherwise the language the person
// writes in; otherwise what we used last; otherwise their locale.
func (e *Engine) pickLang(t Turn, d *dialog, detected string) string {
	if d.Pinned && d.Lang != "" {
		return d.Lang
	}
	if detected != "" {
		return detected
	}
	if d.Lang != "" {
		return d.Lang
	}
	return e.baseLang(t)
}

// customerOf returns the customer a person acts for: their own, or for
// an account manager the first customer they serve.
func (e *Engine) customerOf(p workflows.Person) Customer {
	if c, ok := e.customers[p.CustomerID]; ok {
		return c
	}
	for _, c := range e.opt.Customers {
		if p.Serves(c.ID) {
			return e.customers[c.ID]
		}
	}
	return Customer{Location: time.UTC}
}

// customersOf lists the customers whose requests p may see.
func (e *Engine) customersOf(p workflows.Person) []string {
	var out []string
	for _, c := range e.opt.Customers {
		if c.ID == p.CustomerID || p.Serves(c.ID) {
			out = append(out, c.ID)
		}
	}
	return out
}
