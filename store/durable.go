package store

import (
	"context"
	"errors"
)

// Replicated is implemented by backends that acknowledge a write before
// their replicas have it (Redis with replicas).
type Replicated interface {
	UpdateReplicated(ctx context.Context, ref Ref, version int64, data []byte, audit ...AuditEntry) (Document, error)
}

// ErrNotReplicated: the write is done on the primary, but fewer replicas
// than required acknowledged it within the timeout.
var ErrNotReplicated = errors.New("write not acknowledged by enough replicas")

// UpdateDurable is Update, waiting for replicas where the backend has
// them.
func UpdateDurable(ctx context.Context, d Documents, ref Ref, version int64, data []byte, audit ...AuditEntry) (Document, error) {
	if r, ok := d.(Replicated); ok {
		return r.UpdateReplicated(ctx, ref, version, data, audit...)
	}
	return d.Update(ctx, ref, version, data, audit...)
}
