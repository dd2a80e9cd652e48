package bolt

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/licensebot/licensebot/store"
)

var _ store.Batcher = (*Store)(nil)

// ClaimMany claims every key in one transaction.
func (s *Store) ClaimMany(ctx context.Context, keys []string, ttl time.Duration) ([]bool, error) {
	for _, k := range keys {
		if err := checkKeyTTL(k, ttl); err != nil {
			return nil, fmt.Errorf("bolt: claim: %w", err)
		}
	}
	now := s.clock.Now()
	won := make([]bool, len(keys))
	if len(keys) == 0 {
		return won, nil
	}
	err := s.update(ctx, "claim", func(tx *bbolt.Tx) error {
		for i, k := range keys {
			var err error
			if won[i], err = s.claim(tx, k, ttl, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return won, nil
}

// ReleaseMany deletes claims in one transaction.
func (s *Store) ReleaseMany(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	return s.update(ctx, "release", func(tx *bbolt.Tx) error {
		for _, k := range keys {
			if err := deleteExpiring(tx, kindClaim, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetMany reads documents in one read transaction.
func (s *Store) GetMany(ctx context.Context, refs []store.Ref) ([]store.Document, error) {
	out := make([]store.Document, len(refs))
	err := s.view(ctx, "get", func(tx *bbolt.Tx) error {
		for i, ref := range refs {
			out[i] = store.Document{Ref: ref}
			b := collection(tx, ref.Scope, ref.Collection)
			if b == nil || ref.ID == "" {
				continue
			}
			v := b.Get([]byte(ref.ID))
			if v == nil {
				continue
			}
			var err error
			if out[i].Version, out[i].Data, err = decodeDoc(v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WriteMany applies each write as its own compare-and-swap, all in one
// transaction.
func (s *Store) WriteMany(ctx context.Context, writes []store.Write) ([]store.WriteResult, error) {
	entries := make([][]store.AuditEntry, len(writes))
	for i, w := range writes {
		var err error
		if entries[i], err = checkWrite(w.Ref, w.Audit); err != nil {
			return nil, fmt.Errorf("bolt: write: %w", err)
		}
	}
	out := make([]store.WriteResult, len(writes))
	if len(writes) == 0 {
		return out, nil
	}
	err := s.update(ctx, "write", func(tx *bbolt.Tx) error {
		for i, w := range writes {
			err := writeOne(tx, w, entries[i])
			switch {
			case err == nil:
				out[i] = store.WriteResult{Doc: store.Document{Ref: w.Ref, Version: w.Version + 1, Data: w.Data}}
			case lostCAS(err):
				out[i] = store.WriteResult{Err: fmt.Errorf("bolt: write: %w", err)}
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// writeOne is Create (version 0) or Update of one document; a lost
// compare-and-swap is found before anything is written.
func writeOne(tx *bbolt.Tx, w store.Write, entries []store.AuditEntry) error {
	var b *bbolt.Bucket
	if w.Version == 0 {
		var err error
		if b, err = createCollection(tx, w.Ref.Scope, w.Ref.Collection); err != nil {
			return err
		}
		if b.Get([]byte(w.Ref.ID)) != nil {
			return store.ErrExists
		}
	} else {
		if b = collection(tx, w.Ref.Scope, w.Ref.Collection); b == nil {
			return store.ErrNotFound
		}
		v := b.Get([]byte(w.Ref.ID))
		switch {
		case v == nil:
			return store.ErrNotFound
		case len(v) < 8:
			return errCorruptData
		case int64(binary.BigEndian.Uint64(v)) != w.Version:
			return store.ErrVersionMismatch
		}
	}
	if err := b.Put([]byte(w.Ref.ID), encodeDoc(w.Version+1, w.Data)); err != nil {
		return err
	}
	return appendAll(tx, entries)
}

// ScheduleMany adds or replaces items of one queue in one transaction.
func (s *Store) ScheduleMany(ctx context.Context, scope, queue string, items []store.ScheduledItem) error {
	for _, it := range items {
		if it.ID == "" {
			return fmt.Errorf("bolt: schedule: %w", errEmptyKey)
		}
	}
	if len(items) == 0 {
		return nil
	}
	return s.update(ctx, "schedule", func(tx *bbolt.Tx) error {
		for _, it := range items {
			if err := schedule(tx, scope, queue, it); err != nil {
				return err
			}
		}
		return nil
	})
}

// UnscheduleMany removes items of one queue in one transaction.
func (s *Store) UnscheduleMany(ctx context.Context, scope, queue string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.update(ctx, "unschedule", func(tx *bbolt.Tx) error {
		for _, id := range ids {
			if err := unschedule(tx, scope, queue, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Increment adds one to the JSON integer counter at ref in one
// transaction.
func (s *Store) Increment(ctx context.Context, ref store.Ref) (int64, error) {
	if ref.ID == "" {
		return 0, fmt.Errorf("bolt: increment: %w", errEmptyKey)
	}
	var n int64
	err := s.update(ctx, "increment", func(tx *bbolt.Tx) error {
		b, err := createCollection(tx, ref.Scope, ref.Collection)
		if err != nil {
			return err
		}
		var version int64
		n = 0
		if v := b.Get([]byte(ref.ID)); v != nil {
			var data []byte
			if version, data, err = decodeDoc(v); err != nil {
				return err
			}
			if n, err = strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err != nil {
				return fmt.Errorf("%w: counter %s: %w", errCorruptData, ref.ID, err)
			}
		}
		n++
		return b.Put([]byte(ref.ID), encodeDoc(version+1, strconv.AppendInt(nil, n, 10)))
	})
	return n, err
}
