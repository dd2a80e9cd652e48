package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrNoChange is returned by an UpdateJSON callback that decides, having
// read the document, that nothing is to be written; UpdateJSON then
// returns the value as read and a nil error.
var ErrNoChange = errors.New("no change")

// maxCASAttempts bounds the compare-and-swap retries of one update: past
// it the document is too contended for this caller to win.
const maxCASAttempts = 64

// GetJSON reads the JSON document at ref into a T, with its version.
func GetJSON[T any](ctx context.Context, d Documents, ref Ref) (T, int64, error) {
	var v T
	doc, err := d.Get(ctx, ref)
	if err != nil {
		return v, 0, err
	}
	if err := json.Unmarshal(doc.Data, &v); err != nil {
		return v, 0, fmt.Errorf("decode %s/%s: %w", ref.Collection, ref.ID, err)
	}
	return v, doc.Version, nil
}

// UpdateJSON is the typed compare-and-swap of a JSON document: it reads
// the document at ref (exists is false and v the zero value when absent),
// lets f change v and name the audit entries to append with the write,
// and writes it by create-if-absent or compare-and-swap, rereading and
// calling f again when another writer got there first. f may run several
// times and must have no side effects; it returns ErrNoChange to write
// nothing, or any other error to stop.
func UpdateJSON[T any](ctx context.Context, d Documents, ref Ref, f func(v *T, exists bool) ([]AuditEntry, error)) (T, error) {
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		v, version, err := GetJSON[T](ctx, d, ref)
		exists := true
		if errors.Is(err, ErrNotFound) {
			exists, err = false, nil
		}
		if err != nil {
			return v, err
		}
		audit, err := f(&v, exists)
		if errors.Is(err, ErrNoChange) {
			return v, nil
		}
		if err != nil {
			return v, err
		}
		data, err := json.Marshal(v)
		if err != nil {
			return v, fmt.Errorf("encode %s/%s: %w", ref.Collection, ref.ID, err)
		}
		if exists {
			_, err = d.Update(ctx, ref, version, data, audit...)
		} else {
			_, err = d.Create(ctx, ref, data, audit...)
		}
		if errors.Is(err, ErrVersionMismatch) || errors.Is(err, ErrExists) {
			continue
		}
		return v, err
	}
	var zero T
	return zero, fmt.Errorf("update %s/%s: too much contention", ref.Collection, ref.ID)
}
