package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/licensebot/licensebot/store"
)

var _ store.Prefetcher = (*Store)(nil)

// snapshot is what a Prefetch read, handed out once per key to the reads
// of the context it was made for (see store.Prefetcher).
type snapshot struct {
	owner  *Store
	mu     sync.Mutex
	claims map[string]bool
	convs  map[string]convRead
	docs   map[store.Ref]store.Document // Version 0: absent
	lists  map[store.ListRef][]string
}

type convRead struct {
	data  []byte
	found bool
}

type snapKey struct{}

// snap returns the snapshot ctx carries for this store, or nil.
func (s *Store) snap(ctx context.Context) *snapshot {
	sn, _ := ctx.Value(snapKey{}).(*snapshot)
	if sn == nil || sn.owner != s {
		return nil
	}
	return sn
}

func (sn *snapshot) takeClaim(key string) (won, ok bool) {
	if sn == nil {
		return false, false
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	won, ok = sn.claims[key]
	delete(sn.claims, key)
	return won, ok
}

func (sn *snapshot) takeConv(key string) (convRead, bool) {
	if sn == nil {
		return convRead{}, false
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	c, ok := sn.convs[key]
	delete(sn.convs, key)
	return c, ok
}

func (sn *snapshot) takeDoc(ref store.Ref) (store.Document, bool) {
	if sn == nil {
		return store.Document{}, false
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	d, ok := sn.docs[ref]
	delete(sn.docs, ref)
	return d, ok
}

func (sn *snapshot) takeList(l store.ListRef) ([]string, bool) {
	if sn == nil {
		return nil, false
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	ids, ok := sn.lists[l]
	delete(sn.lists, l)
	return ids, ok
}

// forget drops what was prefetched of the keys a write changes, so a
// later read of the same turn goes to Redis and sees the write.
func (sn *snapshot) forget(claim, conv string, ref *store.Ref, created bool) {
	if sn == nil {
		return
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if claim != "" {
		delete(sn.claims, claim)
	}
	if conv != "" {
		delete(sn.convs, conv)
	}
	if ref != nil {
		delete(sn.docs, *ref)
		if created {
			delete(sn.lists, store.ListRef{Scope: ref.Scope, Collection: ref.Collection})
		}
	}
}

// Prefetch claims claimKey and reads rs in one pipeline: the claim
// script, one MGET of the conversations (one GET each on Cluster, where
// they are in different slots), one HMGET per document and one ZRANGE
// per collection.
func (s *Store) Prefetch(ctx context.Context, claimKey string, ttl time.Duration, rs store.ReadSet) (context.Context, bool, error) {
	const op = "prefetch"
	rctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return ctx, false, err
	}
	defer cancel()
	if claimKey != "" {
		if err := checkKeyTTL(claimKey, ttl); err != nil {
			return ctx, false, fmt.Errorf("redis: %s: %w", op, err)
		}
	}
	var convs []string
	for _, k := range rs.Convs {
		if k != "" {
			convs = append(convs, k)
		}
	}
	var refs []store.Ref
	for _, r := range rs.Docs {
		if r.ID != "" {
			refs = append(refs, r)
		}
	}
	_, cluster := s.c.(*goredis.ClusterClient)
	token := rand.Text()
	for attempt := 0; ; attempt++ {
		pipe := s.c.Pipeline()
		var claimCmd *goredis.Cmd
		if claimKey != "" {
			claimCmd = s.scripts.claim.EvalSha(rctx, pipe, []string{s.claimKey(claimKey)}, token, pxMillis(ttl))
		}
		var mget *goredis.SliceCmd
		gets := make([]*goredis.StringCmd, 0, len(convs))
		switch {
		case len(convs) == 0:
		case cluster || len(convs) == 1:
			for _, k := range convs {
				gets = append(gets, pipe.Get(rctx, s.convKey(k)))
			}
		default:
			keys := make([]string, len(convs))
			for i, k := range convs {
				keys[i] = s.convKey(k)
			}
			mget = pipe.MGet(rctx, keys...)
		}
		docCmds := make([]*goredis.SliceCmd, len(refs))
		for i, r := range refs {
			docCmds[i] = pipe.HMGet(rctx, s.docKey(r), "v", "d")
		}
		listCmds := make([]*goredis.StringSliceCmd, len(rs.Lists))
		for i, l := range rs.Lists {
			listCmds[i] = pipe.ZRange(rctx, s.idxKey(l.Scope, l.Collection), 0, -1)
		}
		if pipe.Len() == 0 {
			return ctx, true, nil
		}
		_, _ = pipe.Exec(rctx)
		claimed := true
		if claimCmd != nil {
			err := claimCmd.Err()
			if goredis.HasErrorPrefix(err, "NOSCRIPT") && attempt == 0 {
				// The token makes running the claim again harmless.
				if err := s.scripts.claim.Load(rctx, s.c).Err(); err != nil {
					return ctx, false, s.wrap(op, err)
				}
				continue
			}
			if err != nil {
				return ctx, false, s.wrap(op, err)
			}
			claimed = claimCmd.Val() == int64(1)
		}
		sn := &snapshot{owner: s, claims: map[string]bool{}, convs: map[string]convRead{},
			docs: map[store.Ref]store.Document{}, lists: map[store.ListRef][]string{}}
		if claimKey != "" {
			sn.claims[claimKey] = claimed
		}
		if mget != nil {
			vals, err := mget.Result()
			if err != nil || len(vals) != len(convs) {
				return ctx, false, s.wrap(op, errors.Join(err, errReply))
			}
			for i, k := range convs {
				switch v := vals[i].(type) {
				case nil:
					sn.convs[k] = convRead{}
				case string:
					sn.convs[k] = convRead{data: []byte(v), found: true}
				default:
					return ctx, false, fmt.Errorf("redis: %s: %w: %T", op, errReply, v)
				}
			}
		}
		for i, g := range gets {
			b, err := g.Bytes()
			switch {
			case errors.Is(err, goredis.Nil):
				sn.convs[convs[i]] = convRead{}
			case err != nil:
				return ctx, false, s.wrap(op, err)
			default:
				if b == nil {
					b = []byte{}
				}
				sn.convs[convs[i]] = convRead{data: b, found: true}
			}
		}
		for i, r := range refs {
			vals, err := docCmds[i].Result()
			if err != nil {
				return ctx, false, s.wrap(op, err)
			}
			d, ok, err := decodeDoc(r, vals)
			if err != nil {
				return ctx, false, fmt.Errorf("redis: %s: %w", op, err)
			}
			if !ok {
				d = store.Document{Ref: r}
			}
			sn.docs[r] = d
		}
		for i, l := range rs.Lists {
			ids, err := listCmds[i].Result()
			if err != nil {
				return ctx, false, s.wrap(op, err)
			}
			sn.lists[l] = ids
		}
		return context.WithValue(ctx, snapKey{}, sn), claimed, nil
	}
}
