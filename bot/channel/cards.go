package channel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/internal/backoff"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
)

// CardsCollection holds one record per card (a message with a Key), in
// the customer's scope, id: the Key. It says where the card is shown, per
// platform and recipient; it is the only place that knows it.
const CardsCollection = "cards"

// Timing of the post reservation that stands in for a lock.
const (
	// reserveTTL: a reservation older than this is taken to belong to a
	// delivery that died between posting and recording; the card is then
	// posted again (the one duplicate a crash can cause).
	reserveTTL = 2 * time.Minute
	// reserveWait is how long a delivery waits for another one that is
	// posting the same card, polling every reservePoll, before giving up
	// with ErrCardBusy (the outbox then retries).
	reserveWait = 5 * time.Second
	reservePoll = 20 * time.Millisecond
)

// ErrCardBusy: another delivery is posting the same card to the same
// recipient right now; try again shortly (it will then be an update).
var ErrCardBusy = errors.New("channel: card being posted by another delivery")

// CardRecord is where one card is shown. Places are keyed by platform and
// recipient ("slack:alice@contoso.example", "teams:#19:…@thread.tacv2").
type CardRecord struct {
	Places map[string]Place `json:"places"`
}

// Place is one copy of a card: the conversation and message that show
// it, and a hash of what they show, so an identical re-render costs no
// update.
type Place struct {
	Conversation string `json:"conversation,omitempty"`
	MessageID    string `json:"message_id,omitempty"`
	Hash         string `json:"hash,omitempty"`
	// Service is the Teams service URL the conversation lives on.
	Service string `json:"service,omitempty"`
	// Org is the Slack installation (team or Enterprise Grid id) the
	// message was posted through, so its update uses the same
	// workspace's token; empty for the single-workspace token.
	Org string `json:"org,omitempty"`
	// Users are the Teams users whose clients refresh the card.
	Users []string `json:"users,omitempty"`
	// Reserved and ReservedAt mark a post in flight (no MessageID yet).
	Reserved   string    `json:"reserved,omitempty"`
	ReservedAt time.Time `json:"reserved_at,omitzero"`
}

// Address is where a new message goes.
type Address struct {
	Conversation string
	// Thread: Slack thread ts, or the Teams channel post to answer under.
	Thread  string
	Service string
	// Org: see Place.Org.
	Org   string
	Users []string
}

// Poster creates and updates messages on one platform.
type Poster interface {
	// Hash identifies what m looks like at addr once rendered.
	Hash(m bot.Message, at Address) string
	// Post creates m at addr and says where it landed.
	Post(ctx context.Context, reqID string, at Address, m bot.Message) (Place, error)
	// Update replaces the message at p with m.
	Update(ctx context.Context, reqID string, p Place, m bot.Message) error
	// Gone: err says the message to update is not there any more.
	Gone(err error) bool
}

// Cards keeps card records by compare-and-swap, with no lock: any
// replica may deliver any card.
type Cards struct {
	Store    store.Store
	Clock    clock.Clock
	Log      *slog.Logger
	Platform string
	// Wait pauses between polls of a reservation (default: a real
	// timer; not the adapters' injected retry sleep, which tests make
	// instant).
	Wait backoff.SleepFunc
}

// Slot names a recipient's copy of a card in its record.
func (c *Cards) Slot(recipient string) string {
	return c.Platform + ":" + strings.ToLower(strings.TrimSpace(recipient))
}

func cardRef(m bot.Message) store.Ref {
	return store.Ref{Scope: m.CustomerID, Collection: CardsCollection, ID: m.Key}
}

// Load reads a card's record (empty when absent or unreadable as JSON).
func (c *Cards) Load(ctx context.Context, m bot.Message) (CardRecord, error) {
	doc, err := c.Store.Get(ctx, cardRef(m))
	if errors.Is(err, store.ErrNotFound) {
		return CardRecord{}, nil
	}
	if err != nil {
		return CardRecord{}, err
	}
	var r CardRecord
	_ = json.Unmarshal(doc.Data, &r) // corrupt: as if empty, rewritten on the next post
	return r, nil
}

// Where returns recipient's copy of m's card, if it has been posted.
func (c *Cards) Where(ctx context.Context, m bot.Message, recipient string) (Place, bool) {
	if m.Key == "" {
		return Place{}, false
	}
	r, err := c.Load(ctx, m)
	if err != nil {
		return Place{}, false
	}
	p, ok := r.Places[c.Slot(recipient)]
	return p, ok && p.MessageID != ""
}

// Shows reports whether the message conv/id is one of the copies of m's
// card on this platform.
func (c *Cards) Shows(ctx context.Context, m bot.Message, conv, id string) bool {
	if m.Key == "" {
		return false
	}
	r, err := c.Load(ctx, m)
	if err != nil {
		return false
	}
	for slot, p := range r.Places {
		if strings.HasPrefix(slot, c.Platform+":") && p.Conversation == conv && p.MessageID == id {
			return true
		}
	}
	return false
}

// change applies f to the record of m's card by compare-and-swap.
func (c *Cards) change(ctx context.Context, m bot.Message, f func(*CardRecord) error) error {
	_, err := store.Modify(ctx, c.Store, cardRef(m), func(old []byte) ([]byte, error) {
		var r CardRecord
		if len(old) > 0 {
			_ = json.Unmarshal(old, &r)
		}
		if r.Places == nil {
			r.Places = map[string]Place{}
		}
		if err := f(&r); err != nil {
			return nil, err
		}
		return json.Marshal(r)
	})
	return err
}

// Record says that recipient's copy of m's card is now p (the message
// was updated in place outside Show, e.g. a Teams card press).
func (c *Cards) Record(ctx context.Context, m bot.Message, recipient string, p Place) error {
	if m.Key == "" {
		return nil
	}
	slot := c.Slot(recipient)
	return c.change(ctx, m, func(r *CardRecord) error {
		r.Places[slot] = p
		return nil
	})
}

// errReserved: the slot holds another delivery's fresh reservation.
var errReserved = errors.New("reserved")

// Show puts m in front of recipient at addr: a new message, or — when m
// has a Key the record shows them already — an update of that message
// in place (nothing at all when it already shows the same). A card that
// can no longer be updated (deleted, conversation gone) is posted anew.
// Two deliveries of one card to one recipient never both post: the first
// reserves the slot, the other waits for the message id and updates.
func (c *Cards) Show(ctx context.Context, reqID string, out Poster, recipient string, addr Address, m bot.Message) error {
	if m.Key == "" {
		_, err := out.Post(ctx, reqID, addr, m)
		return err
	}
	hash := out.Hash(m, addr)
	slot := c.Slot(recipient)
	waited := time.Duration(0)
	for {
		r, err := c.Load(ctx, m)
		if err != nil {
			// Showing the card matters more than replacing the old one;
			// without the record, the next version will post anew.
			c.Log.WarnContext(ctx, c.Platform+" card record unreadable; posting", "request_id", reqID, "key", m.Key, "err", err)
			_, err := out.Post(ctx, reqID, addr, m)
			return err
		}
		p := r.Places[slot]
		if p.MessageID != "" {
			done, err := c.update(ctx, reqID, out, slot, p, hash, m)
			if done || err != nil {
				return err
			}
			// Gone: post anew below.
		} else if p.Reserved != "" && c.Clock.Now().Sub(p.ReservedAt) < reserveTTL {
			if waited >= reserveWait {
				return fmt.Errorf("%w: %s", ErrCardBusy, m.Key)
			}
			if err := c.wait(ctx); err != nil {
				return err
			}
			waited += reservePoll
			continue
		}
		err = c.post(ctx, reqID, out, slot, p, hash, addr, m)
		if errors.Is(err, errReserved) {
			continue // another delivery got there first: wait for it
		}
		return err
	}
}

func (c *Cards) wait(ctx context.Context) error {
	if c.Wait != nil {
		return c.Wait(ctx, reservePoll)
	}
	return backoff.Sleep(ctx, reservePoll)
}

// update replaces the message at p; done is false when it is gone.
func (c *Cards) update(ctx context.Context, reqID string, out Poster, slot string, p Place, hash string, m bot.Message) (bool, error) {
	if p.Hash == hash {
		return true, nil
	}
	err := out.Update(ctx, reqID, p, m)
	if err != nil {
		if out.Gone(err) {
			c.Log.InfoContext(ctx, c.Platform+" card gone; posting a new one", "request_id", reqID, "key", m.Key, "err", err)
			return false, nil
		}
		return true, err
	}
	if err := c.change(ctx, m, func(r *CardRecord) error {
		if cur := r.Places[slot]; cur.MessageID == p.MessageID {
			cur.Hash = hash
			r.Places[slot] = cur
		}
		return nil
	}); err != nil {
		// Shown; the next identical version costs one more update.
		c.Log.WarnContext(ctx, c.Platform+" card record not saved", "request_id", reqID, "key", m.Key, "err", err)
	}
	return true, nil
}

// post reserves the slot (unless another delivery has), posts, and
// records where the card landed.
func (c *Cards) post(ctx context.Context, reqID string, out Poster, slot string, seen Place, hash string, addr Address, m bot.Message) error {
	token := RequestID("")
	now := c.Clock.Now()
	err := c.change(ctx, m, func(r *CardRecord) error {
		cur := r.Places[slot]
		if cur.MessageID != seen.MessageID || cur.Reserved != seen.Reserved {
			return errReserved
		}
		r.Places[slot] = Place{Reserved: token, ReservedAt: now}
		return nil
	})
	if err != nil {
		if errors.Is(err, errReserved) {
			return err
		}
		c.Log.WarnContext(ctx, c.Platform+" card record unwritable; posting", "request_id", reqID, "key", m.Key, "err", err)
		_, err := out.Post(ctx, reqID, addr, m)
		return err
	}
	placed, perr := out.Post(ctx, reqID, addr, m)
	// The request may be gone by now; the record must still be set
	// right, or the slot stays reserved.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = c.change(rctx, m, func(r *CardRecord) error {
		cur := r.Places[slot]
		if cur.Reserved != token && cur.MessageID != "" {
			return nil // a later delivery took over: keep its record
		}
		if perr != nil {
			delete(r.Places, slot)
			return nil
		}
		placed.Hash = hash
		r.Places[slot] = placed
		return nil
	})
	if perr != nil {
		return perr
	}
	if err != nil {
		// The card is shown; only its later versions will post anew.
		c.Log.ErrorContext(ctx, c.Platform+" card record not saved", "request_id", reqID, "key", m.Key, "err", err)
	}
	return nil
}
