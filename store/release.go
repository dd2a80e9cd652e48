package store

import (
	"context"
	"errors"
)

// ReleasingUpdater is implemented by backends that make a document
// update and drop a claim in one round trip (Redis: one pipeline; bolt:
// one transaction). The outbox uses it: the write that records its
// transitions told also gives up the claim that kept other replicas from
// telling them at the same time.
type ReleasingUpdater interface {
	// UpdateAndRelease is Update and Release(claim). The claim is
	// released whatever the update's outcome: a lost compare-and-swap
	// still gives it up.
	UpdateAndRelease(ctx context.Context, ref Ref, version int64, data []byte, claim string, audit ...AuditEntry) (Document, error)
}

// UpdateAndRelease updates the document at ref and releases claim (see
// ReleasingUpdater), in one round trip where the backend can, else as
// two calls. The update's error comes first.
func UpdateAndRelease(ctx context.Context, s interface {
	Documents
	Claims
}, ref Ref, version int64, data []byte, claim string, audit ...AuditEntry) (Document, error) {
	if r, ok := s.(ReleasingUpdater); ok {
		return r.UpdateAndRelease(ctx, ref, version, data, claim, audit...)
	}
	doc, err := s.Update(ctx, ref, version, data, audit...)
	if rerr := s.Release(ctx, claim); rerr != nil {
		return doc, errors.Join(err, rerr)
	}
	return doc, err
}
