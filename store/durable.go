package store

import (
	"context"
	"errors"
)

// Replicated is implemented by backends that acknowledge a write before
// their replicas have it (Redis with replicas).
type Replicated interface {
	// UpdateReplicated is Update followed by a wait for the backend's
	// replicas. When too few acknowledge in time it returns the written
	// Document together with an error wrapping ErrNotReplicated: the
	// write stands on the primary, but a failover before the replicas
	// catch up could lose it.
	UpdateReplicated(ctx context.Context, ref Ref, version int64, data []byte, audit ...AuditEntry) (Document, error)
}

// ErrNotReplicated: the write is done on the primary, but fewer replicas
// than required acknowledged it within the timeout.
var ErrNotReplicated = errors.New("write not acknowledged by enough replicas")

// UpdateDurable is Update, waiting for replicas where the backend has
// them. It is meant for the few writes that decide money (a request's
// move to executing, its recorded portal attempt): a failover must not
// forget them once the portal may have been changed. Backends without
// replicas (bolt: one fsynced file) make it a plain Update. On
// ErrNotReplicated the returned Document is the one written.
func UpdateDurable(ctx context.Context, d Documents, ref Ref, version int64, data []byte, audit ...AuditEntry) (Document, error) {
	if r, ok := d.(Replicated); ok {
		return r.UpdateReplicated(ctx, ref, version, data, audit...)
	}
	return d.Update(ctx, ref, version, data, audit...)
}
