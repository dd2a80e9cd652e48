package bot

import (
	"context"
	"sync"

	"github.com/licensebot/licensebot/store"
)

// maxPredicted bounds the people whose last turn's reads an engine
// remembers (a few kilobytes each at most).
const maxPredicted = 10000

// eventClaimKey is the de-duplication claim of a platform event.
func eventClaimKey(platform, eventID string) string { return "event:" + platform + ":" + eventID }

// StartTurn begins the turn of a platform event before its sender is
// looked up, by claiming the event: a platform's retry, a replay or a
// second replica's delivery of it is ErrDuplicateEvent before any other
// work, and Handle then does not claim it again. On a store where round
// trips are dear (store.Prefetcher) the same round trip reads what the
// same sender's previous turn read (their cached platform profile, the
// directory's documents, their dialogue), and the lookups and the
// engine's load are answered from it (see store.Prefetcher). who names
// the sender as the platform does (its user id). finish records what
// this turn read, for the next; call it when the turn is over.
//
// A store error comes back as is, with ctx unchanged: nothing is claimed
// that the turn knows of, and Handle meets the store again and tells
// the person. Without an event id there is nothing to claim.
func (e *Engine) StartTurn(ctx context.Context, platform, eventID, who string) (_ context.Context, finish func(), err error) {
	nothing := func() {}
	if eventID == "" {
		return ctx, nothing, nil
	}
	key := eventClaimKey(platform, eventID)
	p, ok := e.opt.Store.(store.Prefetcher)
	if !ok || who == "" {
		won, err := e.opt.Store.Claim(ctx, key, eventClaimTTL)
		switch {
		case err != nil:
			return ctx, nothing, err
		case !won:
			return ctx, nothing, ErrDuplicateEvent
		}
		return context.WithValue(ctx, claimedEvent{}, key), nothing, nil
	}
	memo := platform + "\x00" + who
	rctx, rec := store.WithRecorder(ctx)
	pctx, claimed, err := p.Prefetch(rctx, key, eventClaimTTL, e.reads.get(memo))
	switch {
	case err != nil:
		return ctx, nothing, err
	case !claimed:
		return ctx, nothing, ErrDuplicateEvent
	}
	return context.WithValue(pctx, claimedEvent{}, key), func() { e.reads.put(memo, rec.ReadSet()) }, nil
}

// claimedEvent marks a context whose turn's event StartTurn claimed.
type claimedEvent struct{}

// readMemo remembers the last turn's reads per sender, up to max senders
// (past that, an arbitrary one is forgotten: a wrong or missing
// prediction only costs a round trip).
type readMemo struct {
	mu  sync.Mutex
	max int
	m   map[string]store.ReadSet
}

func newReadMemo(max int) *readMemo { return &readMemo{max: max, m: map[string]store.ReadSet{}} }

func (r *readMemo) get(key string) store.ReadSet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[key]
}

func (r *readMemo) put(key string, rs store.ReadSet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[key]; !ok && len(r.m) >= r.max {
		for k := range r.m {
			delete(r.m, k)
			break
		}
	}
	r.m[key] = rs
}
