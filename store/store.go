// Package store holds the small storage contracts licensebot needs:
// per-user conversation state with an idle TTL, versioned documents with
// compare-and-swap, claims (set-if-absent with TTL), time-ordered
// schedules, and an append-only audit log.
//
// Every backend (store/bolt, store/redis) passes the same conformance suite
// in store/storetest. Data is partitioned by a Scope (the customer id):
// the Redis backend uses it as a Cluster hash tag so that a document, its
// collection index and the audit entries written with it share one slot
// and can change together atomically.
//
// This package imports only the standard library.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors callers branch on.
var (
	ErrNotFound = errors.New("not found")
	// ErrExists: Create found a document already there.
	ErrExists = errors.New("already exists")
	// ErrVersionMismatch: a compare-and-swap lost; reread and decide again.
	ErrVersionMismatch = errors.New("version mismatch")
	// ErrUnavailable: the backend cannot be reached or timed out; nothing
	// was written.
	ErrUnavailable = errors.New("storage unavailable")
)

// Ref names a document: Scope (customer id, "" for global data),
// Collection ("requests") and ID.
type Ref struct {
	Scope      string
	Collection string
	ID         string
}

// Document is stored bytes with a version that increases by one on every
// successful write, starting at 1.
type Document struct {
	Ref     Ref
	Version int64
	Data    []byte
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	// Seq is assigned by the store on append; it orders entries of one
	// scope.
	Seq   string    `json:"seq,omitempty"`
	Scope string    `json:"scope"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	// Action is a short verb: "request.submitted", "change.executed".
	Action string `json:"action"`
	// Subject is what it concerns: a request or subscription id.
	Subject string `json:"subject"`
	// Detail is a JSON object with quantities before/after and the like.
	Detail []byte `json:"detail,omitempty"`
}

// ScheduledItem is an item in a time-ordered schedule.
type ScheduledItem struct {
	ID      string
	Due     time.Time
	Payload []byte
}

// Conversations keeps per-user dialogue state that disappears after ttl
// without a write.
type Conversations interface {
	// GetConversation returns ErrNotFound when absent or expired.
	GetConversation(ctx context.Context, key string) ([]byte, error)
	PutConversation(ctx context.Context, key string, data []byte, ttl time.Duration) error
	DeleteConversation(ctx context.Context, key string) error
}

// Documents are versioned records updated by compare-and-swap. Create and
// Update take audit entries that are appended atomically with the write,
// so a state change and its audit line are never half-written.
type Documents interface {
	Get(ctx context.Context, ref Ref) (Document, error)
	// Create writes version 1, or returns ErrExists.
	Create(ctx context.Context, ref Ref, data []byte, audit ...AuditEntry) (Document, error)
	// Update writes version+1 if the stored version is version, or
	// returns ErrVersionMismatch (ErrNotFound if absent).
	Update(ctx context.Context, ref Ref, version int64, data []byte, audit ...AuditEntry) (Document, error)
	// List returns every document of a scope's collection, in ID order.
	List(ctx context.Context, scope, collection string) ([]Document, error)
}

// Claims are short-lived exclusive markers: de-duplication of platform
// events, reminder sends, execution locks.
type Claims interface {
	// Claim sets key if absent, for ttl; it reports whether this caller
	// won.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Release deletes a claim (a failed send can then be retried).
	Release(ctx context.Context, key string) error
}

// Schedules are time-ordered queues of items. Reading what is due costs
// in proportion to what is due, not to the size of the queue.
type Schedules interface {
	// Schedule adds or replaces the item with that id.
	Schedule(ctx context.Context, scope, queue string, item ScheduledItem) error
	// Due returns up to limit items with Due <= now, earliest first.
	Due(ctx context.Context, scope, queue string, now time.Time, limit int) ([]ScheduledItem, error)
	// Unschedule removes an item; absent items are not an error.
	Unschedule(ctx context.Context, scope, queue, id string) error
	// Scheduled returns up to limit items in due order, from the start.
	Scheduled(ctx context.Context, scope, queue string, limit int) ([]ScheduledItem, error)
}

// Audit is the append-only log.
type Audit interface {
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// ReadAudit returns up to limit entries of a scope with At >= since,
	// oldest first (limit <= 0: no limit).
	ReadAudit(ctx context.Context, scope string, since time.Time, limit int) ([]AuditEntry, error)
}

// Store is everything a backend provides.
type Store interface {
	Conversations
	Documents
	Claims
	Schedules
	Audit
	// Name is "bolt" or "redis", for logs and `config check`.
	Name() string
	// Ping reports whether the backend is reachable (readiness).
	Ping(ctx context.Context) error
	Close() error
}

// ConversationClaimer is an optional fast path a backend may provide: the
// de-duplication claim of a platform event and the load of the person's
// conversation state in one round trip (pipelined on Redis). A chat turn
// starts with it.
type ConversationClaimer interface {
	// ClaimAndGetConversation claims claimKey for ttl and reads the
	// conversation; conv is nil when absent. When the claim is lost the
	// event is a duplicate and conv may be ignored.
	ClaimAndGetConversation(ctx context.Context, claimKey string, ttl time.Duration, convKey string) (claimed bool, conv []byte, err error)
}
