package store

import (
	"context"
	"errors"
	"fmt"
)

// Modify reads the document at ref (nil data when absent), lets f compute
// the new data, and writes it by create-if-absent or compare-and-swap,
// retrying when another writer got there first. f may run several times
// and must not have side effects.
func Modify(ctx context.Context, d Documents, ref Ref, f func(old []byte) ([]byte, error), audit ...AuditEntry) (Document, error) {
	for attempt := 0; attempt < 64; attempt++ {
		doc, err := d.Get(ctx, ref)
		exists := true
		if errors.Is(err, ErrNotFound) {
			exists, err = false, nil
		}
		if err != nil {
			return Document{}, err
		}
		data, err := f(doc.Data)
		if err != nil {
			return Document{}, err
		}
		var out Document
		if exists {
			out, err = d.Update(ctx, ref, doc.Version, data, audit...)
		} else {
			out, err = d.Create(ctx, ref, data, audit...)
		}
		if errors.Is(err, ErrVersionMismatch) || errors.Is(err, ErrExists) {
			continue
		}
		return out, err
	}
	return Document{}, fmt.Errorf("modify %s/%s: too much contention", ref.Collection, ref.ID)
}
