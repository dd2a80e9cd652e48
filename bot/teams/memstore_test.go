package teams

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
)

// memStore is the part of store.Store the adapter uses, in memory, with
// expiry decided by the injected clock (a copy of the Slack adapter's
// test store). The bolt store would do but fsyncs on every write, which
// makes a suite slow on a busy disk. fail makes every call return
// store.ErrUnavailable.
type memStore struct {
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

var _ store.Store = (*memStore)(nil)

func newMemStore(clk clock.Clock) *memStore {
	return &memStore{clk: clk, conv: map[string]expiring{}, claims: map[string]time.Time{}, docs: map[store.Ref]store.Document{}}
}

func (m *memStore) setFail(v bool) {
	m.mu.Lock()
	m.fail = v
	m.mu.Unlock()
}

func (m *memStore) err() error {
	if m.fail {
		return store.ErrUnavailable
	}
	return nil
}

func (m *memStore) GetConversation(_ context.Context, key string) ([]byte, error) {
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

func (m *memStore) PutConversation(_ context.Context, key string, data []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.err(); err != nil {
		return err
	}
	m.conv[key] = expiring{append([]byte(nil), data...), m.clk.Now().Add(ttl)}
	return nil
}

func (m *memStore) DeleteConversation(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.conv, key)
	return m.err()
}

func (m *memStore) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
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

func (m *memStore) Release(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.err(); err != nil {
		return err
	}
	delete(m.claims, key)
	return nil
}

func (m *memStore) Get(_ context.Context, ref store.Ref) (store.Document, error) {
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

func (m *memStore) Create(_ context.Context, ref store.Ref, data []byte, _ ...store.AuditEntry) (store.Document, error) {
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

func (m *memStore) Update(_ context.Context, ref store.Ref, version int64, data []byte, _ ...store.AuditEntry) (store.Document, error) {
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

func (m *memStore) List(_ context.Context, scope, collection string) ([]store.Document, error) {
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

var errUnused = errors.New("memStore: not used by the Teams adapter")

func (m *memStore) Schedule(context.Context, string, string, store.ScheduledItem) error {
	return errUnused
}
func (m *memStore) Due(context.Context, string, string, time.Time, int) ([]store.ScheduledItem, error) {
	return nil, errUnused
}
func (m *memStore) Unschedule(context.Context, string, string, string) error { return errUnused }
func (m *memStore) Scheduled(context.Context, string, string, int) ([]store.ScheduledItem, error) {
	return nil, errUnused
}
func (m *memStore) AppendAudit(context.Context, store.AuditEntry) (store.AuditEntry, error) {
	return store.AuditEntry{}, errUnused
}
func (m *memStore) ReadAudit(context.Context, string, time.Time, int) ([]store.AuditEntry, error) {
	return nil, errUnused
}
func (m *memStore) Name() string               { return "memory" }
func (m *memStore) Ping(context.Context) error { return m.err() }
func (m *memStore) Close() error               { return nil }
