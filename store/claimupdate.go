package store

import (
	"context"
	"errors"
	"time"
)

// ClaimingUpdater is implemented by backends that make a document update
// and take a claim in one round trip (Redis: one pipeline; bolt: one
// transaction). The outbox uses it: the write that records a transition
// also takes the claim of the drain that tells people about it, instead
// of a round trip of its own just after.
type ClaimingUpdater interface {
	// UpdateAndClaim is Update and Claim(claim, ttl). claimed reports
	// whether this call holds the claim, and is only ever true with a
	// successful write: a write that loses leaves the claim as it found
	// it (a backend that took it alongside gives it back). When the
	// write succeeds but the claim cannot be taken (held by someone
	// else, or failing on its own) claimed is false and err nil: the
	// write is the call's outcome, the claim only saves a round trip.
	UpdateAndClaim(ctx context.Context, ref Ref, version int64, data []byte, claim string, ttl time.Duration, audit ...AuditEntry) (doc Document, claimed bool, err error)
}

// ReplicatedClaimingUpdater is UpdateAndClaim for a durable write (see
// Replicated), on backends with replicas.
type ReplicatedClaimingUpdater interface {
	// UpdateReplicatedAndClaim is UpdateReplicated and Claim(claim,
	// ttl), as UpdateAndClaim. On ErrNotReplicated the write stands on
	// the primary: the written Document and claimed come back with the
	// error.
	UpdateReplicatedAndClaim(ctx context.Context, ref Ref, version int64, data []byte, claim string, ttl time.Duration, audit ...AuditEntry) (doc Document, claimed bool, err error)
}

// ClaimingStore is what UpdateAndClaim needs of a store.
type ClaimingStore interface {
	Documents
	Claims
}

// UpdateAndClaim updates the document at ref and, if that succeeded,
// claims claim for ttl (see ClaimingUpdater), in one round trip where
// the backend can, else as two calls.
func UpdateAndClaim(ctx context.Context, s ClaimingStore, ref Ref, version int64, data []byte, claim string, ttl time.Duration, audit ...AuditEntry) (Document, bool, error) {
	if c, ok := s.(ClaimingUpdater); ok {
		return c.UpdateAndClaim(ctx, ref, version, data, claim, ttl, audit...)
	}
	doc, err := s.Update(ctx, ref, version, data, audit...)
	if err != nil {
		return doc, false, err
	}
	return doc, claimAfter(ctx, s, claim, ttl), nil
}

// UpdateDurableAndClaim is UpdateDurable and, if the write stands (done,
// or ErrNotReplicated), Claim(claim, ttl): one round trip where the
// backend can. Backends without replicas make it UpdateAndClaim.
func UpdateDurableAndClaim(ctx context.Context, s ClaimingStore, ref Ref, version int64, data []byte, claim string, ttl time.Duration, audit ...AuditEntry) (Document, bool, error) {
	if c, ok := s.(ReplicatedClaimingUpdater); ok {
		return c.UpdateReplicatedAndClaim(ctx, ref, version, data, claim, ttl, audit...)
	}
	r, ok := s.(Replicated)
	if !ok {
		return UpdateAndClaim(ctx, s, ref, version, data, claim, ttl, audit...)
	}
	doc, err := r.UpdateReplicated(ctx, ref, version, data, audit...)
	if err != nil && !errors.Is(err, ErrNotReplicated) {
		return doc, false, err
	}
	return doc, claimAfter(ctx, s, claim, ttl), err
}

// claimAfter claims after a write that succeeded; a failure to claim is
// not the write's (see ClaimingUpdater).
func claimAfter(ctx context.Context, c Claims, claim string, ttl time.Duration) bool {
	won, err := c.Claim(ctx, claim, ttl)
	return err == nil && won
}
