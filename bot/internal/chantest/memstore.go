// Package chantest holds test doubles shared by the chat adapters' tests.
package chantest

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
)

// MemStore is the part of store.Store the chat adapters use, in memory,
// with expiry decided by the injected clock. The bolt store would do (some
// tests use it) but fsyncs on every write, which makes a suite slow on a
// busy disk. SetFail makes every call return store.ErrUnavailable.
// Schedules and the audit log are not implemented: adapters do not use
// them.
type MemStore struct {
	clk    clock.Clock
	mu     sync.Mutex
	conv   map[string]expiring
	claims map[string]time.Time
	docs   map[store.Ref]store.Document
	fail   bool
}

type expiring struct {
	data []byte
	exp  time.Time
}

var _ store.Store = (*MemStore)(nil)

// NewMemStore returns an empty store on clk.
func NewMemStore(clk clock.Clock) *MemStore {
	return &MemStore{clk: clk, conv: map[string]expiring{}, claims: map[string]time.Time{}, docs: map[store.Ref]store.Document{}}
}

// SetFail makes every call fail with store.ErrUnavailable, or not.
func (m *MemStore) SetFail(v bool) {
	m.mu.Lock()
	m.fail = v
	m.mu.Unlock()
}

func (m *MemStore) err() error {
	if m.fail {
		return store.ErrUnavailable
	}
	return nil
}

func (m *MemStore) GetConversation(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.err(); err != nil {
		return nil, err
	}
	e, ok := m.conv[key]
	if !ok || !m.clk.Now().Before(e.exp) {
		return nil, store.ErrNotFound
	}
	return append([]byte(nil), e.data...), nil
}

func (m *MemStore) PutConversation(_ context.Context, key string, data []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.err(); err != nil {
		return err
	}
	m.conv[key] = expiring{append([]byte(nil), data...), m.clk.Now().Add(ttl)}
	return nil
}

func (m *MemStore) DeleteConversation(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.conv, key)
	return m.err()
}

func (m *MemStore) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.err(); err != nil {
		return false, err
	}
	if exp, ok := m.claims[key]; ok && m.clk.Now().Before(exp) {
		return false, nil
	}
	m.claims[key] = m.clk.Now().Add(ttl)
	return true, nil
}

func (m *MemStore) Release(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.err(); err != nil {
		return err
	}
	delete(m.claims, key)
	return nil
}

func (m *MemStore) Get(_ context.Context, ref store.Ref) (store.Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.err(); err != nil {
		return store.Document{}, err
	}
	d, ok := m.docs[ref]
	if !ok {
		return store.Document{}, store.ErrNotFound
	}
	return d, nil
}

func (m *MemStore) Create(_ context.Context, ref store.Ref, data []byte, _ ...store.AuditEntry) (store.Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.err(); err != nil {
		return store.Document{}, err
	}
	if _, ok := m.docs[ref]; ok {
		return store.Document{}, store.ErrExists
	}
	d := store.Document{Ref: ref, Version: 1, Data: append([]byte(nil), data...)}
	m.docs[ref] = d
	return d, nil
}

func (m *MemStore) Update(_ context.Context, ref store.Ref, version int64, data []byte, _ ...store.AuditEntry) (store.Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.err(); err != nil {
		return store.Document{}, err
	}
	d, ok := m.docs[ref]
	if !ok {
		return store.Document{}, store.ErrNotFound
	}
	if d.Version != version {
		return store.Document{}, store.ErrVersionMismatch
	}
	d = store.Document{Ref: ref, Version: version + 1, Data: append([]byte(nil), data...)}
	m.docs[ref] = d
	return d, nil
}

func (m *MemStore) List(_ context.Context, scope, collection string) ([]store.Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Document
	for r, d := range m.docs {
		if r.Scope == scope && r.Collection == collection {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref.ID < out[j].Ref.ID })
	return out, m.err()
}

var errUnused = errors.New("chantest.MemStore: not used by the chat adapters")

func (m *MemStore) Schedule(context.Context, string, string, store.ScheduledItem) error {
	return errUnused
}
func (m *MemStore) Due(context.Context, string, string, time.Time, int) ([]store.ScheduledItem, error) {
	return nil, errUnused
}
func (m *MemStore) Unschedule(context.Context, string, string, string) error { return errUnused }
func (m *MemStore) Scheduled(context.Context, string, string, int) ([]store.ScheduledItem, error) {
	return nil, errUnused
}
func (m *MemStore) AppendAudit(context.Context, store.AuditEntry) (store.AuditEntry, error) {
	return store.AuditEntry{}, errUnused
}
func (m *MemStore) ReadAudit(context.Context, string, time.Time, int) ([]store.AuditEntry, error) {
	return nil, errUnused
}
func (m *MemStore) Name() string               { return "memory" }
func (m *MemStore) Ping(context.Context) error { return m.err() }
func (m *MemStore) Close() error               { return nil }
