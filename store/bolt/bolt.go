// Package bolt is the embedded store.Store: one bbolt file in the data
// directory, the default when no REDIS_URL is configured.
//
// bbolt takes an exclusive lock on its file, so a data file serves exactly
// one process. Running several replicas needs the Redis backend; a second
// process pointed at the same file gets ErrLocked after Options.Timeout
// instead of waiting forever.
//
// Expiry (conversations, claims) is decided against the injected clock
// when a value is read, so tests and the scripted chat control it fully.
// Expired entries are also swept in the write transactions that create
// them, at most once per SweepInterval, through an index ordered by
// expiry time; there is no background goroutine.
//
// Layout (bucket → key → value; be64 is big-endian uint64, t is a
// timekey-encoded instant, "=" prefixes nested bucket names so that the
// empty scope is a valid name):
//
//	meta    "schema"                      → "1"
//	conv    key                           → be64(t expires) + data
//	claims  key                           → be64(t expires)
//	expiry  be64(t expires) + kind + key  → ""    kind: 'c' conv, 'k' claim
//	docs    =scope / =collection / id     → be64(version) + data
//	sched   =scope / =queue / due: be64(t due) + id → payload
//	                         / ids: id                → be64(t due)
//	audit   =scope / be64(t at) + be64(seq) → JSON store.AuditEntry
//
// The audit time key is max(At, previous key's time), so the log keeps
// append order even when clocks disagree and ReadAudit(since) is a seek.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/internal/timekey"
	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrLocked means another process holds the data file.
var ErrLocked = errors.New("data file in use by another process")

var (
	errBadTTL      = errors.New("ttl must be positive")
	errEmptyKey    = errors.New("empty key")
	errAuditScope  = errors.New("audit entry belongs to another scope than the document")
	errCorruptData = errors.New("corrupt record")
)

// Defaults for Options.
const (
	DefaultTimeout       = time.Second
	DefaultSweepInterval = time.Minute
	// sweepBatch bounds how much one write transaction deletes, so a
	// backlog of expired claims never makes a single chat turn slow.
	sweepBatch = 1000
)

var (
	bucketMeta   = []byte("meta")
	bucketConv   = []byte("conv")
	bucketClaims = []byte("claims")
	bucketExpiry = []byte("expiry")
	bucketDocs   = []byte("docs")
	bucketSched  = []byte("sched")
	bucketAudit  = []byte("audit")
	bucketDue    = []byte("due")
	bucketIDs    = []byte("ids")

	topBuckets = [][]byte{bucketMeta, bucketConv, bucketClaims, bucketExpiry, bucketDocs, bucketSched, bucketAudit}
)

const (
	kindConv  byte = 'c'
	kindClaim byte = 'k'
)

// Options configure Open.
type Options struct {
	// Clock decides expiry of conversations and claims. Required.
	Clock clock.Clock
	// Timeout bounds the wait for the file lock (default DefaultTimeout).
	Timeout time.Duration
	// SweepInterval is the minimum clock time between two sweeps of
	// expired entries (default DefaultSweepInterval).
	SweepInterval time.Duration
}

// Store is a store.Store on a bbolt file. It is safe for concurrent use.
type Store struct {
	db         *bbolt.DB
	clock      clock.Clock
	sweepEvery time.Duration
	// lastSweep is clock time in Unix nanoseconds; atomic because read
	// transactions never take bbolt's writer lock.
	lastSweep atomic.Int64
	swept     atomic.Int64
	group     group
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the data file at path (its directory is created
// if missing).
func Open(path string, opts Options) (*Store, error) {
	if opts.Clock == nil {
		return nil, errors.New("bolt: open: Options.Clock is required")
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	sweep := opts.SweepInterval
	if sweep <= 0 {
		sweep = DefaultSweepInterval
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("bolt: open: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("bolt: open %s: %w (no lock after %v; one process per data file, use Redis to run several)", path, ErrLocked, timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range topBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get([]byte("schema")); v != nil && string(v) != "1" {
			return fmt.Errorf("unknown schema %q", v)
		}
		return meta.Put([]byte("schema"), []byte("1"))
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	return &Store{db: db, clock: opts.Clock, sweepEvery: sweep}, nil
}

// Name returns "bolt".
func (s *Store) Name() string { return "bolt" }

// Ping reports whether the file is open.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, "ping", func(*bbolt.Tx) error { return nil })
}

// Close releases the file lock.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("bolt: close: %w", err)
	}
	return nil
}

// Path is the data file's path.
func (s *Store) Path() string { return s.db.Path() }

// Commits counts the write transactions committed since Open (each one
// fsync); concurrent writes share one.
func (s *Store) Commits() int64 { return s.group.commits.Load() }

// Swept counts entries removed by sweeps since Open (for tests and
// metrics).
func (s *Store) Swept() int64 { return s.swept.Load() }

func (s *Store) view(ctx context.Context, op string, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	return wrap(op, s.db.View(fn))
}

// update runs fn in a write transaction, committed together with the
// writes other goroutines make at the same time (see group.go): one
// fsync for all of them. fn may run more than once and must set its
// results afresh on every run. A lost compare-and-swap (store.ErrExists,
// ErrVersionMismatch, ErrNotFound) must be returned before fn writes
// anything: it fails that call alone, not the others of its commit.
func (s *Store) update(ctx context.Context, op string, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	return wrap(op, s.group.do(s.db, fn))
}

func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("bolt: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("bolt: %s: %w", op, err)
}

// name turns a scope, collection or queue into a nested bucket name; the
// prefix makes "" valid and keeps user names apart from fixed ones.
func name(s string) []byte { return append([]byte{'='}, s...) }

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// --- conversations and claims ----------------------------------------------

// GetConversation returns ErrNotFound when absent or expired.
func (s *Store) GetConversation(ctx context.Context, key string) ([]byte, error) {
	var out []byte
	now := timekey.Uint(s.clock.Now())
	err := s.view(ctx, "get conversation", func(tx *bbolt.Tx) error {
		v, err := live(tx.Bucket(bucketConv), key, now)
		out = v
		return err
	})
	return out, err
}

// live returns a copy of the data behind key unless it is absent or
// expired at now.
func live(b *bbolt.Bucket, key string, now uint64) ([]byte, error) {
	if key == "" {
		return nil, store.ErrNotFound
	}
	v := b.Get([]byte(key))
	if v == nil || timekey.Decode(v) <= now {
		return nil, store.ErrNotFound
	}
	return bytes.Clone(v[timekey.Size:]), nil
}

// PutConversation stores data for ttl of clock time.
func (s *Store) PutConversation(ctx context.Context, key string, data []byte, ttl time.Duration) error {
	if err := checkKeyTTL(key, ttl); err != nil {
		return fmt.Errorf("bolt: put conversation: %w", err)
	}
	now := s.clock.Now()
	return s.update(ctx, "put conversation", func(tx *bbolt.Tx) error {
		if err := putExpiring(tx, kindConv, key, timekey.Uint(now.Add(ttl)), data); err != nil {
			return err
		}
		return s.maybeSweep(tx, now)
	})
}

// DeleteConversation removes the conversation; absent is not an error.
func (s *Store) DeleteConversation(ctx context.Context, key string) error {
	return s.update(ctx, "delete conversation", func(tx *bbolt.Tx) error {
		return deleteExpiring(tx, kindConv, key)
	})
}

// Claim sets key for ttl unless a live claim holds it.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := checkKeyTTL(key, ttl); err != nil {
		return false, fmt.Errorf("bolt: claim: %w", err)
	}
	now := s.clock.Now()
	var won bool
	err := s.update(ctx, "claim", func(tx *bbolt.Tx) error {
		var err error
		won, err = s.claim(tx, key, ttl, now)
		return err
	})
	return won, err
}

func (s *Store) claim(tx *bbolt.Tx, key string, ttl time.Duration, now time.Time) (bool, error) {
	if v := tx.Bucket(bucketClaims).Get([]byte(key)); v != nil && timekey.Decode(v) > timekey.Uint(now) {
		return false, nil
	}
	if err := putExpiring(tx, kindClaim, key, timekey.Uint(now.Add(ttl)), nil); err != nil {
		return false, err
	}
	return true, s.maybeSweep(tx, now)
}

// Release deletes a claim; absent is not an error.
func (s *Store) Release(ctx context.Context, key string) error {
	return s.update(ctx, "release", func(tx *bbolt.Tx) error {
		return deleteExpiring(tx, kindClaim, key)
	})
}

// ClaimAndGetConversation is the read a chat turn starts with, in one
// transaction: claim the platform event id and load the user's state.
// conv is nil when there is no live conversation.
func (s *Store) ClaimAndGetConversation(ctx context.Context, claimKey string, ttl time.Duration, convKey string) (bool, []byte, error) {
	if err := checkKeyTTL(claimKey, ttl); err != nil {
		return false, nil, fmt.Errorf("bolt: claim and get conversation: %w", err)
	}
	now := s.clock.Now()
	var (
		won  bool
		conv []byte
	)
	err := s.update(ctx, "claim and get conversation", func(tx *bbolt.Tx) error {
		var err error
		if won, err = s.claim(tx, claimKey, ttl, now); err != nil {
			return err
		}
		conv, err = live(tx.Bucket(bucketConv), convKey, timekey.Uint(now))
		if errors.Is(err, store.ErrNotFound) {
			conv, err = nil, nil
		}
		return err
	})
	return won, conv, err
}

func checkKeyTTL(key string, ttl time.Duration) error {
	if key == "" {
		return errEmptyKey
	}
	if ttl <= 0 {
		return errBadTTL
	}
	return nil
}

func expiringBucket(tx *bbolt.Tx, kind byte) *bbolt.Bucket {
	if kind == kindConv {
		return tx.Bucket(bucketConv)
	}
	return tx.Bucket(bucketClaims)
}

func expiryKey(exp uint64, kind byte, key string) []byte {
	k := make([]byte, 0, timekey.Size+1+len(key))
	k = binary.BigEndian.AppendUint64(k, exp)
	k = append(k, kind)
	return append(k, key...)
}

func putExpiring(tx *bbolt.Tx, kind byte, key string, exp uint64, data []byte) error {
	b, idx := expiringBucket(tx, kind), tx.Bucket(bucketExpiry)
	if old := b.Get([]byte(key)); old != nil {
		if err := idx.Delete(expiryKey(timekey.Decode(old), kind, key)); err != nil {
			return err
		}
	}
	v := make([]byte, 0, timekey.Size+len(data))
	v = binary.BigEndian.AppendUint64(v, exp)
	v = append(v, data...)
	if err := b.Put([]byte(key), v); err != nil {
		return err
	}
	return idx.Put(expiryKey(exp, kind, key), nil)
}

func deleteExpiring(tx *bbolt.Tx, kind byte, key string) error {
	if key == "" {
		return nil
	}
	b := expiringBucket(tx, kind)
	old := b.Get([]byte(key))
	if old == nil {
		return nil
	}
	if err := tx.Bucket(bucketExpiry).Delete(expiryKey(timekey.Decode(old), kind, key)); err != nil {
		return err
	}
	return b.Delete([]byte(key))
}

// maybeSweep deletes up to sweepBatch entries whose expiry has passed, if
// SweepInterval of clock time went by since the last sweep. It runs inside
// a write transaction that was happening anyway.
func (s *Store) maybeSweep(tx *bbolt.Tx, now time.Time) error {
	n := now.UnixNano()
	last := s.lastSweep.Load()
	// A clock set backwards (tests) sweeps again rather than never.
	if n >= last && n-last < int64(s.sweepEvery) {
		return nil
	}
	s.lastSweep.Store(n)
	nowKey := timekey.Uint(now)
	idx := tx.Bucket(bucketExpiry)
	var expired [][]byte
	c := idx.Cursor()
	for k, _ := c.First(); k != nil && len(expired) < sweepBatch; k, _ = c.Next() {
		if len(k) <= timekey.Size || timekey.Decode(k) > nowKey {
			break
		}
		// Collected first: deleting under a bbolt cursor can skip keys.
		expired = append(expired, bytes.Clone(k))
	}
	for _, k := range expired {
		exp, kind, key := timekey.Decode(k), k[timekey.Size], k[timekey.Size+1:]
		b := expiringBucket(tx, kind)
		if v := b.Get(key); v != nil && timekey.Decode(v) == exp {
			if err := b.Delete(key); err != nil {
				return err
			}
		}
		if err := idx.Delete(k); err != nil {
			return err
		}
	}
	s.swept.Add(int64(len(expired)))
	return nil
}

// --- documents -------------------------------------------------------------

// Get returns the document or ErrNotFound.
func (s *Store) Get(ctx context.Context, ref store.Ref) (store.Document, error) {
	doc := store.Document{Ref: ref}
	err := s.view(ctx, "get", func(tx *bbolt.Tx) error {
		b := collection(tx, ref.Scope, ref.Collection)
		if b == nil || ref.ID == "" {
			return store.ErrNotFound
		}
		v := b.Get([]byte(ref.ID))
		if v == nil {
			return store.ErrNotFound
		}
		var err error
		doc.Version, doc.Data, err = decodeDoc(v)
		return err
	})
	if err != nil {
		return store.Document{}, err
	}
	return doc, nil
}

// Create writes version 1 and the audit entries, or returns ErrExists.
func (s *Store) Create(ctx context.Context, ref store.Ref, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	entries, err := checkWrite(ref, audit)
	if err != nil {
		return store.Document{}, fmt.Errorf("bolt: create: %w", err)
	}
	err = s.update(ctx, "create", func(tx *bbolt.Tx) error {
		b, err := createCollection(tx, ref.Scope, ref.Collection)
		if err != nil {
			return err
		}
		if b.Get([]byte(ref.ID)) != nil {
			return store.ErrExists
		}
		if err := b.Put([]byte(ref.ID), encodeDoc(1, data)); err != nil {
			return err
		}
		return appendAll(tx, entries)
	})
	if err != nil {
		return store.Document{}, err
	}
	return store.Document{Ref: ref, Version: 1, Data: data}, nil
}

// Update writes version+1 and the audit entries if the stored version is
// version; otherwise ErrVersionMismatch or ErrNotFound, and nothing is
// appended.
func (s *Store) Update(ctx context.Context, ref store.Ref, version int64, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	entries, err := checkWrite(ref, audit)
	if err != nil {
		return store.Document{}, fmt.Errorf("bolt: update: %w", err)
	}
	err = s.update(ctx, "update", func(tx *bbolt.Tx) error {
		return updateTx(tx, ref, version, data, entries)
	})
	if err != nil {
		return store.Document{}, err
	}
	return store.Document{Ref: ref, Version: version + 1, Data: data}, nil
}

// UpdateAndRelease is Update and Release in one transaction (see
// store.ReleasingUpdater): the claim goes whatever the update's outcome.
func (s *Store) UpdateAndRelease(ctx context.Context, ref store.Ref, version int64, data []byte, claim string, audit ...store.AuditEntry) (store.Document, error) {
	entries, err := checkWrite(ref, audit)
	if err != nil {
		return store.Document{}, fmt.Errorf("bolt: update and release: %w", err)
	}
	var lost error
	err = s.update(ctx, "update and release", func(tx *bbolt.Tx) error {
		if err := deleteExpiring(tx, kindClaim, claim); err != nil {
			return err
		}
		lost = updateTx(tx, ref, version, data, entries)
		if errors.Is(lost, store.ErrNotFound) || errors.Is(lost, store.ErrVersionMismatch) {
			return nil // the release still commits
		}
		return lost
	})
	if err == nil && lost != nil {
		err = fmt.Errorf("bolt: update and release: %w", lost)
	}
	if err != nil {
		return store.Document{}, err
	}
	return store.Document{Ref: ref, Version: version + 1, Data: data}, nil
}

var _ store.ClaimingUpdater = (*Store)(nil)

// UpdateAndClaim is Update and Claim in one transaction (see
// store.ClaimingUpdater): the claim is taken only with a successful
// write. There are no replicas to wait for, so it is also what
// store.UpdateDurableAndClaim does here.
func (s *Store) UpdateAndClaim(ctx context.Context, ref store.Ref, version int64, data []byte, claim string, ttl time.Duration, audit ...store.AuditEntry) (store.Document, bool, error) {
	const op = "update and claim"
	if err := checkKeyTTL(claim, ttl); err != nil {
		return store.Document{}, false, fmt.Errorf("bolt: %s: %w", op, err)
	}
	entries, err := checkWrite(ref, audit)
	if err != nil {
		return store.Document{}, false, fmt.Errorf("bolt: %s: %w", op, err)
	}
	now := s.clock.Now()
	var won bool
	err = s.update(ctx, op, func(tx *bbolt.Tx) error {
		won = false
		// A lost compare-and-swap returns before anything is written.
		if err := updateTx(tx, ref, version, data, entries); err != nil {
			return err
		}
		var err error
		won, err = s.claim(tx, claim, ttl, now)
		return err
	})
	if err != nil {
		return store.Document{}, false, err
	}
	return store.Document{Ref: ref, Version: version + 1, Data: data}, won, nil
}

// updateTx is Update's compare-and-swap inside tx.
func updateTx(tx *bbolt.Tx, ref store.Ref, version int64, data []byte, entries []store.AuditEntry) error {
	b := collection(tx, ref.Scope, ref.Collection)
	if b == nil {
		return store.ErrNotFound
	}
	v := b.Get([]byte(ref.ID))
	if v == nil {
		return store.ErrNotFound
	}
	if len(v) < 8 {
		return errCorruptData
	}
	if int64(binary.BigEndian.Uint64(v)) != version {
		return store.ErrVersionMismatch
	}
	if err := b.Put([]byte(ref.ID), encodeDoc(version+1, data)); err != nil {
		return err
	}
	return appendAll(tx, entries)
}

// List returns the collection's documents in ID (byte) order.
func (s *Store) List(ctx context.Context, scope, coll string) ([]store.Document, error) {
	var docs []store.Document
	err := s.view(ctx, "list", func(tx *bbolt.Tx) error {
		b := collection(tx, scope, coll)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			version, data, err := decodeDoc(v)
			if err != nil {
				return err
			}
			docs = append(docs, store.Document{
				Ref:     store.Ref{Scope: scope, Collection: coll, ID: string(k)},
				Version: version,
				Data:    data,
			})
			return nil
		})
	})
	return docs, err
}

func collection(tx *bbolt.Tx, scope, coll string) *bbolt.Bucket {
	sb := tx.Bucket(bucketDocs).Bucket(name(scope))
	if sb == nil {
		return nil
	}
	return sb.Bucket(name(coll))
}

func createCollection(tx *bbolt.Tx, scope, coll string) (*bbolt.Bucket, error) {
	sb, err := tx.Bucket(bucketDocs).CreateBucketIfNotExists(name(scope))
	if err != nil {
		return nil, err
	}
	return sb.CreateBucketIfNotExists(name(coll))
}

func encodeDoc(version int64, data []byte) []byte {
	v := make([]byte, 0, 8+len(data))
	v = binary.BigEndian.AppendUint64(v, uint64(version))
	return append(v, data...)
}

func decodeDoc(v []byte) (int64, []byte, error) {
	if len(v) < 8 {
		return 0, nil, errCorruptData
	}
	return int64(binary.BigEndian.Uint64(v)), bytes.Clone(v[8:]), nil
}

// checkWrite validates a document write before any transaction starts and
// returns the audit entries with their scope filled in.
func checkWrite(ref store.Ref, audit []store.AuditEntry) ([]store.AuditEntry, error) {
	if ref.ID == "" {
		return nil, errEmptyKey
	}
	entries := make([]store.AuditEntry, len(audit))
	for i, e := range audit {
		if e.Scope == "" {
			e.Scope = ref.Scope
		}
		if e.Scope != ref.Scope {
			return nil, fmt.Errorf("%w: %q, document in %q", errAuditScope, e.Scope, ref.Scope)
		}
		entries[i] = e
	}
	return entries, nil
}

// --- schedules -------------------------------------------------------------

// Schedule adds or replaces the item with that id.
func (s *Store) Schedule(ctx context.Context, scope, queue string, item store.ScheduledItem) error {
	if item.ID == "" {
		return fmt.Errorf("bolt: schedule: %w", errEmptyKey)
	}
	return s.update(ctx, "schedule", func(tx *bbolt.Tx) error {
		return schedule(tx, scope, queue, item)
	})
}

func schedule(tx *bbolt.Tx, scope, queue string, item store.ScheduledItem) error {
	sb, err := tx.Bucket(bucketSched).CreateBucketIfNotExists(name(scope))
	if err != nil {
		return err
	}
	qb, err := sb.CreateBucketIfNotExists(name(queue))
	if err != nil {
		return err
	}
	due, err := qb.CreateBucketIfNotExists(bucketDue)
	if err != nil {
		return err
	}
	ids, err := qb.CreateBucketIfNotExists(bucketIDs)
	if err != nil {
		return err
	}
	id := []byte(item.ID)
	if old := ids.Get(id); old != nil {
		if err := due.Delete(append(bytes.Clone(old), id...)); err != nil {
			return err
		}
	}
	at := timekey.Bytes(item.Due)
	if err := due.Put(append(bytes.Clone(at), id...), bytes.Clone(item.Payload)); err != nil {
		return err
	}
	return ids.Put(id, at)
}

// Due returns up to limit items due at or before now, earliest first
// (limit <= 0: all). It seeks to the start of the queue's time index and
// stops at the first item not yet due.
func (s *Store) Due(ctx context.Context, scope, queue string, now time.Time, limit int) ([]store.ScheduledItem, error) {
	return s.scan(ctx, "due", scope, queue, timekey.Uint(now), limit)
}

// Scheduled returns up to limit items in due order (limit <= 0: all).
func (s *Store) Scheduled(ctx context.Context, scope, queue string, limit int) ([]store.ScheduledItem, error) {
	return s.scan(ctx, "scheduled", scope, queue, ^uint64(0), limit)
}

func (s *Store) scan(ctx context.Context, op, scope, queue string, until uint64, limit int) ([]store.ScheduledItem, error) {
	var items []store.ScheduledItem
	err := s.view(ctx, op, func(tx *bbolt.Tx) error {
		due := dueBucket(tx, scope, queue)
		if due == nil {
			return nil
		}
		c := due.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) < timekey.Size {
				return errCorruptData
			}
			at := timekey.Decode(k)
			if at > until || (limit > 0 && len(items) == limit) {
				break
			}
			items = append(items, store.ScheduledItem{
				ID:      string(k[timekey.Size:]),
				Due:     timekey.Time(at),
				Payload: bytes.Clone(v),
			})
		}
		return nil
	})
	return items, err
}

func queueBucket(tx *bbolt.Tx, scope, queue string) *bbolt.Bucket {
	sb := tx.Bucket(bucketSched).Bucket(name(scope))
	if sb == nil {
		return nil
	}
	return sb.Bucket(name(queue))
}

func dueBucket(tx *bbolt.Tx, scope, queue string) *bbolt.Bucket {
	qb := queueBucket(tx, scope, queue)
	if qb == nil {
		return nil
	}
	return qb.Bucket(bucketDue)
}

// Unschedule removes an item; absent items are not an error.
func (s *Store) Unschedule(ctx context.Context, scope, queue, id string) error {
	return s.update(ctx, "unschedule", func(tx *bbolt.Tx) error {
		return unschedule(tx, scope, queue, id)
	})
}

func unschedule(tx *bbolt.Tx, scope, queue, id string) error {
	qb := queueBucket(tx, scope, queue)
	if qb == nil || id == "" {
		return nil
	}
	due, ids := qb.Bucket(bucketDue), qb.Bucket(bucketIDs)
	old := ids.Get([]byte(id))
	if old == nil {
		return nil
	}
	if err := due.Delete(append(bytes.Clone(old), id...)); err != nil {
		return err
	}
	return ids.Delete([]byte(id))
}

// --- audit -----------------------------------------------------------------

// AppendAudit appends e to its scope's log and returns it with Seq set.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	err := s.update(ctx, "append audit", func(tx *bbolt.Tx) error {
		var err error
		e, err = appendOne(tx, e)
		return err
	})
	if err != nil {
		return store.AuditEntry{}, err
	}
	return e, nil
}

// appendAll appends entries already checked by checkWrite.
func appendAll(tx *bbolt.Tx, entries []store.AuditEntry) error {
	for _, e := range entries {
		if _, err := appendOne(tx, e); err != nil {
			return err
		}
	}
	return nil
}

func appendOne(tx *bbolt.Tx, e store.AuditEntry) (store.AuditEntry, error) {
	b, err := tx.Bucket(bucketAudit).CreateBucketIfNotExists(name(e.Scope))
	if err != nil {
		return e, err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return e, err
	}
	at := timekey.Uint(e.At)
	if last, _ := b.Cursor().Last(); len(last) >= timekey.Size {
		at = max(at, timekey.Decode(last))
	}
	// Zero-padded so that Seq strings sort like the numbers.
	e.Seq = fmt.Sprintf("%020d", seq)
	e.At = e.At.UTC()
	v, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	return e, b.Put(binary.BigEndian.AppendUint64(be64(at), seq), v)
}

// ReadAudit returns up to limit entries with At >= since, in append order
// (limit <= 0: all).
func (s *Store) ReadAudit(ctx context.Context, scope string, since time.Time, limit int) ([]store.AuditEntry, error) {
	var entries []store.AuditEntry
	err := s.view(ctx, "read audit", func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit).Bucket(name(scope))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		// Key times are >= At, so nothing at or after since lies before.
		for k, v := c.Seek(timekey.Bytes(since)); k != nil; k, v = c.Next() {
			if limit > 0 && len(entries) == limit {
				break
			}
			var e store.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("%w: %w", errCorruptData, err)
			}
			if e.At.Before(since) {
				continue
			}
			e.At = e.At.UTC()
			entries = append(entries, e)
		}
		return nil
	})
	return entries, err
}
