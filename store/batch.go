package store

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// Batcher is implemented by backends that can do many small operations
// in one round trip (Redis: a pipeline) or one transaction (bolt). Each
// operation keeps its own meaning: a claim is won or lost alone, each
// write is its own compare-and-swap with its own audit lines. Only the
// cost is shared. A reminders tick uses it to handle a thousand due items
// in a handful of round trips instead of six per item.
//
// Callers use the functions below (ClaimAll, GetAll, ...), which fall
// back to one call per item on a backend (or a wrapper) without it.
type Batcher interface {
	// ClaimMany claims each key for ttl; won[i] reports whether this call
	// won keys[i].
	ClaimMany(ctx context.Context, keys []string, ttl time.Duration) (won []bool, err error)
	// ReleaseMany deletes claims; absent ones are not an error.
	ReleaseMany(ctx context.Context, keys []string) error
	// GetMany reads documents; an absent one comes back with Version 0
	// and nil Data (its Ref set).
	GetMany(ctx context.Context, refs []Ref) ([]Document, error)
	// WriteMany applies each write (Create when Version is 0, Update
	// otherwise) as its own compare-and-swap with its audit lines. A
	// write that loses (ErrExists, ErrVersionMismatch, ErrNotFound) has
	// its error in its result and does not stop the others; err is for
	// a failure of the whole batch, after which any write may or may not
	// have been applied (as with a single write that times out).
	WriteMany(ctx context.Context, writes []Write) ([]WriteResult, error)
	// ScheduleMany adds or replaces items of one queue.
	ScheduleMany(ctx context.Context, scope, queue string, items []ScheduledItem) error
	// UnscheduleMany removes items of one queue; absent ones are not an
	// error.
	UnscheduleMany(ctx context.Context, scope, queue string, ids []string) error
}

// Write is one document write of a batch: a Create when Version is 0,
// else an Update expecting that version.
type Write struct {
	Ref     Ref
	Version int64
	Data    []byte
	Audit   []AuditEntry
}

// WriteResult is the outcome of one Write: the written document, or why
// it was not written.
type WriteResult struct {
	Doc Document
	Err error
}

// ClaimAll claims every key (see Batcher.ClaimMany).
func ClaimAll(ctx context.Context, c Claims, keys []string, ttl time.Duration) ([]bool, error) {
	if b, ok := c.(Batcher); ok {
		return b.ClaimMany(ctx, keys, ttl)
	}
	won := make([]bool, len(keys))
	for i, k := range keys {
		w, err := c.Claim(ctx, k, ttl)
		if err != nil {
			return nil, err
		}
		won[i] = w
	}
	return won, nil
}

// ReleaseAll releases every claim, trying all of them and returning the
// failures joined.
func ReleaseAll(ctx context.Context, c Claims, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if b, ok := c.(Batcher); ok {
		return b.ReleaseMany(ctx, keys)
	}
	var errs []error
	for _, k := range keys {
		if err := c.Release(ctx, k); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// GetAll reads every document; absent ones have Version 0.
func GetAll(ctx context.Context, d Documents, refs []Ref) ([]Document, error) {
	if b, ok := d.(Batcher); ok {
		return b.GetMany(ctx, refs)
	}
	out := make([]Document, len(refs))
	for i, r := range refs {
		doc, err := d.Get(ctx, r)
		switch {
		case errors.Is(err, ErrNotFound):
			doc, err = Document{Ref: r}, nil
		case err != nil:
			return nil, err
		}
		out[i] = doc
	}
	return out, nil
}

// WriteAll applies every write (see Batcher.WriteMany).
func WriteAll(ctx context.Context, d Documents, writes []Write) ([]WriteResult, error) {
	if b, ok := d.(Batcher); ok {
		return b.WriteMany(ctx, writes)
	}
	out := make([]WriteResult, len(writes))
	for i, w := range writes {
		var doc Document
		var err error
		if w.Version == 0 {
			doc, err = d.Create(ctx, w.Ref, w.Data, w.Audit...)
		} else {
			doc, err = d.Update(ctx, w.Ref, w.Version, w.Data, w.Audit...)
		}
		if err != nil && !lost(err) {
			return nil, err
		}
		out[i] = WriteResult{Doc: doc, Err: err}
	}
	return out, nil
}

// lost reports whether a write failed because of the data, not the
// backend.
func lost(err error) bool {
	return errors.Is(err, ErrExists) || errors.Is(err, ErrVersionMismatch) || errors.Is(err, ErrNotFound)
}

// ScheduleAll adds or replaces every item of one queue.
func ScheduleAll(ctx context.Context, s Schedules, scope, queue string, items []ScheduledItem) error {
	if len(items) == 0 {
		return nil
	}
	if b, ok := s.(Batcher); ok {
		return b.ScheduleMany(ctx, scope, queue, items)
	}
	for _, it := range items {
		if err := s.Schedule(ctx, scope, queue, it); err != nil {
			return err
		}
	}
	return nil
}

// UnscheduleAll removes every item id of one queue.
func UnscheduleAll(ctx context.Context, s Schedules, scope, queue string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if b, ok := s.(Batcher); ok {
		return b.UnscheduleMany(ctx, scope, queue, ids)
	}
	for _, id := range ids {
		if err := s.Unschedule(ctx, scope, queue, id); err != nil {
			return err
		}
	}
	return nil
}

// Counters is implemented by backends that add one to a counter document
// in one step (Redis: one script; bolt: one transaction) rather than a
// read and a compare-and-swap.
type Counters interface {
	// Increment adds one to the JSON integer in the document at ref
	// (creating it at 1) and returns the new value.
	Increment(ctx context.Context, ref Ref) (int64, error)
}

// Increment adds one to the counter document at ref (a JSON integer) and
// returns the new value.
func Increment(ctx context.Context, d Documents, ref Ref) (int64, error) {
	if c, ok := d.(Counters); ok {
		return c.Increment(ctx, ref)
	}
	return UpdateJSON(ctx, d, ref, func(n *int64, _ bool) ([]AuditEntry, error) {
		*n++
		return nil, nil
	})
}

// ListingCounter is implemented by backends that read a collection and
// add one to a counter in one round trip (Redis: one pipeline). A
// request's submission uses it: the check for open requests on the same
// subscription and the request's number cost one round trip, not two.
type ListingCounter interface {
	// ListAndIncrement is List(scope, collection) and
	// Increment(counter). The increment happens whatever the list finds:
	// a caller that then does not use the number leaves a gap (or gives
	// it back, see GiveBack).
	ListAndIncrement(ctx context.Context, scope, collection string, counter Ref) ([]Document, int64, error)
}

// ListAndIncrement lists a collection and increments a counter document
// (see ListingCounter), in one round trip where the backend can.
func ListAndIncrement(ctx context.Context, d Documents, scope, collection string, counter Ref) ([]Document, int64, error) {
	if lc, ok := d.(ListingCounter); ok {
		return lc.ListAndIncrement(ctx, scope, collection, counter)
	}
	docs, err := d.List(ctx, scope, collection)
	if err != nil {
		return nil, 0, err
	}
	n, err := Increment(ctx, d, counter)
	if err != nil {
		return nil, 0, err
	}
	return docs, n, nil
}

// GiveBack undoes the increment that returned n, if the counter at ref
// still holds n (nobody took a number since): the number was not used.
// It reports whether it did; a counter that moved on keeps its gap.
func GiveBack(ctx context.Context, d Documents, ref Ref, n int64) (bool, error) {
	doc, err := d.Get(ctx, ref)
	if err != nil {
		return false, err
	}
	var cur int64
	if err := json.Unmarshal(doc.Data, &cur); err != nil || cur != n {
		return false, nil
	}
	if _, err := d.Update(ctx, ref, doc.Version, strconv.AppendInt(nil, n-1, 10)); err != nil {
		if errors.Is(err, ErrVersionMismatch) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
