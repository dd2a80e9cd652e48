package store

import (
	"context"
	"sync"
	"time"
)

// ReadSet names what a piece of work reads: conversation keys,
// documents and collection indexes (List).
type ReadSet struct {
	Convs []string
	Docs  []Ref
	Lists []ListRef
}

// ListRef names a collection of a scope, as List reads it.
type ListRef struct{ Scope, Collection string }

// Len is the number of reads in the set.
func (rs ReadSet) Len() int { return len(rs.Convs) + len(rs.Docs) + len(rs.Lists) }

// Prefetcher is implemented by backends where a round trip is dear
// (Redis; bolt reads are local and cheap). A chat turn reads a few small
// things one after another — the platform user's cached profile, the
// directory's link and roster, the dialogue — because each read names
// the next. A turn of the same person usually reads the same things
// again, so the caller predicts them from the person's previous turn and
// reads them all, with the event's de-duplication claim, in one round
// trip at the start.
//
// Prefetch claims claimKey for ttl (when not empty) and reads rs, in one
// round trip. The returned context answers the first read of each of
// those from what was read then (Get, GetConversation, List, and the
// claim through Claim or ClaimAndGetConversation); any later read, and
// every read of something not prefetched, goes to the backend. A write
// through the context drops what was prefetched of that key, so a read
// after a write of the same turn sees the write. Nothing is weakened:
// every value comes from the backend, at the start of the turn rather
// than a few milliseconds later, and every write is still a
// compare-and-swap.
//
// claimed reports whether the claim was won (true when claimKey is
// empty).
type Prefetcher interface {
	Prefetch(ctx context.Context, claimKey string, ttl time.Duration, rs ReadSet) (_ context.Context, claimed bool, err error)
}

// maxRecorded bounds what a Recorder keeps: a turn that reads a long
// list of things is not predicted in full.
const maxRecorded = 24

// Recorder notes what is read through a context, for the next
// prediction. A backend that prefetches notes its reads on the recorder
// of the context, if any.
type Recorder struct {
	mu   sync.Mutex
	rs   ReadSet
	seen map[any]bool
}

type recorderKey struct{}

// WithRecorder returns a context whose reads (on a Prefetcher backend)
// are noted on the returned Recorder.
func WithRecorder(ctx context.Context) (context.Context, *Recorder) {
	r := &Recorder{seen: map[any]bool{}}
	return context.WithValue(ctx, recorderKey{}, r), r
}

// RecorderFrom returns the context's Recorder, or nil.
func RecorderFrom(ctx context.Context) *Recorder {
	r, _ := ctx.Value(recorderKey{}).(*Recorder)
	return r
}

func (r *Recorder) note(k any, add func()) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[k] || r.rs.Len() >= maxRecorded {
		return
	}
	r.seen[k] = true
	add()
}

type convRead string

// Conv notes a read of a conversation key.
func (r *Recorder) Conv(key string) {
	r.note(convRead(key), func() { r.rs.Convs = append(r.rs.Convs, key) })
}

// Doc notes a read of a document.
func (r *Recorder) Doc(ref Ref) { r.note(ref, func() { r.rs.Docs = append(r.rs.Docs, ref) }) }

// List notes a read of a collection.
func (r *Recorder) List(l ListRef) { r.note(l, func() { r.rs.Lists = append(r.rs.Lists, l) }) }

// ReadSet returns what was noted, in the order first read.
func (r *Recorder) ReadSet() ReadSet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return ReadSet{
		Convs: append([]string(nil), r.rs.Convs...),
		Docs:  append([]Ref(nil), r.rs.Docs...),
		Lists: append([]ListRef(nil), r.rs.Lists...),
	}
}
