package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/internal/timekey"
)

var _ store.Batcher = (*Store)(nil)

// pipeBatch bounds the commands of one pipeline, so a large batch is a
// few round trips rather than one huge request and reply.
const pipeBatch = 1000

// runScripts runs one script per (keys, args) in pipelines of pipeBatch,
// by digest; a server that lost its script cache gets the source for the
// ones it refused (every script here is safe to run twice).
func (s *Store) runScripts(ctx context.Context, script *goredis.Script, keys [][]string, args [][]any) ([]*goredis.Cmd, error) {
	cmds := make([]*goredis.Cmd, len(keys))
	for start := 0; start < len(keys); start += pipeBatch {
		end := min(start+pipeBatch, len(keys))
		pipe := s.c.Pipeline()
		for i := start; i < end; i++ {
			cmds[i] = script.EvalSha(ctx, pipe, keys[i], args[i]...)
		}
		_, _ = pipe.Exec(ctx)
		var again []int
		for i := start; i < end; i++ {
			if err := cmds[i].Err(); goredis.HasErrorPrefix(err, "NOSCRIPT") {
				again = append(again, i)
			}
		}
		if len(again) > 0 {
			pipe := s.c.Pipeline()
			for _, i := range again {
				cmds[i] = script.Eval(ctx, pipe, keys[i], args[i]...)
			}
			_, _ = pipe.Exec(ctx)
		}
		for i := start; i < end; i++ {
			if err := cmds[i].Err(); err != nil && !errors.Is(err, goredis.Nil) {
				return nil, err
			}
		}
	}
	return cmds, nil
}

// ClaimMany claims every key in one pipeline (per pipeBatch keys), each
// with its own token, as Claim does.
func (s *Store) ClaimMany(ctx context.Context, keys []string, ttl time.Duration) ([]bool, error) {
	ctx, cancel, err := s.begin(ctx, "claim")
	if err != nil {
		return nil, err
	}
	defer cancel()
	for _, k := range keys {
		if err := checkKeyTTL(k, ttl); err != nil {
			return nil, fmt.Errorf("redis: claim: %w", err)
		}
	}
	won := make([]bool, len(keys))
	if _, cluster := s.c.(*goredis.ClusterClient); cluster {
		// Claim keys carry no hash tag: one script per key, pipelined.
		ks, args := make([][]string, len(keys)), make([][]any, len(keys))
		for i, k := range keys {
			ks[i], args[i] = []string{s.claimKey(k)}, []any{rand.Text(), pxMillis(ttl)}
		}
		cmds, err := s.runScripts(ctx, s.scripts.claim, ks, args)
		if err != nil {
			return nil, s.wrap("claim", err)
		}
		for i, c := range cmds {
			n, _ := c.Int()
			won[i] = n == 1
		}
		return won, nil
	}
	var ks [][]string
	var args [][]any
	for start := 0; start < len(keys); start += pipeBatch {
		batch := keys[start:min(start+pipeBatch, len(keys))]
		k, a := make([]string, len(batch)), make([]any, 0, len(batch)+1)
		for i, key := range batch {
			k[i] = s.claimKey(key)
			a = append(a, rand.Text())
		}
		ks, args = append(ks, k), append(args, append(a, pxMillis(ttl)))
	}
	cmds, err := s.runScripts(ctx, s.scripts.claimMany, ks, args)
	if err != nil {
		return nil, s.wrap("claim", err)
	}
	for b, c := range cmds {
		res, err := c.Int64Slice()
		if err != nil || len(res) != len(ks[b]) {
			return nil, fmt.Errorf("redis: claim: %w: %v %v", errReply, res, err)
		}
		for i, n := range res {
			won[b*pipeBatch+i] = n == 1
		}
	}
	return won, nil
}

// ReleaseMany deletes claims in one round trip (per pipeBatch keys).
func (s *Store) ReleaseMany(ctx context.Context, keys []string) error {
	ctx, cancel, err := s.begin(ctx, "release")
	if err != nil {
		return err
	}
	defer cancel()
	pipe := s.c.Pipeline()
	n := 0
	for _, k := range keys {
		if k == "" {
			continue
		}
		// One DEL per key: claim keys carry no hash tag, so on Cluster
		// they live in different slots.
		pipe.Del(ctx, s.claimKey(k))
		if n++; n%pipeBatch == 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return s.wrap("release", err)
			}
		}
	}
	if n%pipeBatch != 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return s.wrap("release", err)
		}
	}
	return nil
}

// GetMany reads documents in one pipeline (per pipeBatch).
func (s *Store) GetMany(ctx context.Context, refs []store.Ref) ([]store.Document, error) {
	ctx, cancel, err := s.begin(ctx, "get")
	if err != nil {
		return nil, err
	}
	defer cancel()
	out := make([]store.Document, len(refs))
	for start := 0; start < len(refs); start += pipeBatch {
		end := min(start+pipeBatch, len(refs))
		pipe := s.c.Pipeline()
		cmds := make([]*goredis.SliceCmd, end-start)
		for i := start; i < end; i++ {
			if refs[i].ID != "" {
				cmds[i-start] = pipe.HMGet(ctx, s.docKey(refs[i]), "v", "d")
			}
		}
		if pipe.Len() > 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return nil, s.wrap("get", err)
			}
		}
		for i := start; i < end; i++ {
			out[i] = store.Document{Ref: refs[i]}
			if c := cmds[i-start]; c != nil {
				d, ok, err := decodeDoc(refs[i], c.Val())
				if err != nil {
					return nil, fmt.Errorf("redis: get: %w", err)
				}
				if ok {
					out[i] = d
				}
			}
		}
	}
	return out, nil
}

// writeChunk bounds the writes of one luaWriteMany call: Redis runs
// nothing else while a script runs.
const writeChunk = 100

// WriteMany applies the writes of each scope (the keys of one scope share
// a slot) with luaWriteMany, writeChunk writes per call, all calls in one
// pipeline (per pipeBatch). Each write is its own compare-and-swap with
// its audit lines, as in Create and Update.
func (s *Store) WriteMany(ctx context.Context, writes []store.Write) ([]store.WriteResult, error) {
	ctx, cancel, err := s.begin(ctx, "write")
	if err != nil {
		return nil, err
	}
	defer cancel()
	// Check every write before sending any.
	args := make([][]any, len(writes))
	for i, w := range writes {
		if args[i], err = writeManyArgs(w); err != nil {
			return nil, err
		}
	}
	var (
		ks    [][]string
		as    [][]any
		which [][]int // the writes of each call
		open  = map[string]int{}
	)
	for i, w := range writes {
		c, ok := open[w.Ref.Scope]
		if !ok || len(which[c]) == writeChunk {
			c = len(ks)
			open[w.Ref.Scope] = c
			ks = append(ks, []string{s.auditKey(w.Ref.Scope), s.doneKey(w.Ref.Scope, rand.Text())})
			as = append(as, []any{doneTTL.Milliseconds(), 0})
			which = append(which, nil)
		}
		ks[c] = append(ks[c], s.docKey(w.Ref), s.idxKey(w.Ref.Scope, w.Ref.Collection))
		as[c] = append(as[c], args[i]...)
		as[c][1] = len(which[c]) + 1
		which[c] = append(which[c], i)
		s.snap(ctx).forget("", "", &w.Ref, w.Version == 0)
	}
	cmds, err := s.runScripts(ctx, s.scripts.writeMany, ks, as)
	if err != nil {
		return nil, s.wrap("write", err)
	}
	out := make([]store.WriteResult, len(writes))
	for c, cmd := range cmds {
		res, err := cmd.Slice()
		if err != nil {
			return nil, s.wrap("write", err)
		}
		if len(res) != len(which[c]) {
			return nil, fmt.Errorf("redis: write: %w: %d results for %d writes", errReply, len(res), len(which[c]))
		}
		for j, i := range which[c] {
			r := res[j]
			if _, isVersion := r.(int64); isVersion {
				r = []any{"ok", r}
			} else {
				r = []any{r}
			}
			doc, err := decodeWrite("write", writes[i].Ref, writes[i].Data, r.([]any))
			if err != nil && !errors.Is(err, store.ErrExists) && !errors.Is(err, store.ErrVersionMismatch) && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			out[i] = store.WriteResult{Doc: doc, Err: err}
		}
	}
	return out, nil
}

// writeManyArgs are one write's arguments of luaWriteMany.
func writeManyArgs(w store.Write) ([]any, error) {
	if w.Ref.ID == "" {
		return nil, fmt.Errorf("redis: write: %w", errEmptyKey)
	}
	mode := "u"
	if w.Version == 0 {
		mode = "c"
	}
	args := []any{mode, w.Version, w.Data, w.Ref.ID, len(w.Audit)}
	for _, e := range w.Audit {
		if e.Scope != "" && e.Scope != w.Ref.Scope {
			return nil, fmt.Errorf("redis: write: %w: %q, document in %q", errAuditScope, e.Scope, w.Ref.Scope)
		}
		args = append(args, auditArgs(e)...)
	}
	return args, nil
}

// ScheduleMany adds or replaces items of one queue, pipelined.
func (s *Store) ScheduleMany(ctx context.Context, scope, queue string, items []store.ScheduledItem) error {
	ctx, cancel, err := s.begin(ctx, "schedule")
	if err != nil {
		return err
	}
	defer cancel()
	keys := s.schedKeys(scope, queue)
	ks, args := make([][]string, len(items)), make([][]any, len(items))
	for i, it := range items {
		if it.ID == "" {
			return fmt.Errorf("redis: schedule: %w", errEmptyKey)
		}
		ks[i], args[i] = keys, []any{it.ID, timekey.Hex(timekey.Uint(it.Due)), it.Payload}
	}
	_, err = s.runScripts(ctx, s.scripts.schedule, ks, args)
	return s.wrap("schedule", err)
}

// UnscheduleMany removes items of one queue, pipeBatch ids per script
// call.
func (s *Store) UnscheduleMany(ctx context.Context, scope, queue string, ids []string) error {
	ctx, cancel, err := s.begin(ctx, "unschedule")
	if err != nil {
		return err
	}
	defer cancel()
	keys := s.schedKeys(scope, queue)
	var ks [][]string
	var args [][]any
	for start := 0; start < len(ids); start += pipeBatch {
		var batch []any
		for _, id := range ids[start:min(start+pipeBatch, len(ids))] {
			if id != "" {
				batch = append(batch, id)
			}
		}
		if len(batch) > 0 {
			ks, args = append(ks, keys), append(args, batch)
		}
	}
	_, err = s.runScripts(ctx, s.scripts.unscheduleMany, ks, args)
	return s.wrap("unschedule", err)
}

var _ store.Counters = (*Store)(nil)

// Increment adds one to the counter document at ref in one script call.
func (s *Store) Increment(ctx context.Context, ref store.Ref) (int64, error) {
	ctx, cancel, err := s.begin(ctx, "increment")
	if err != nil {
		return 0, err
	}
	defer cancel()
	if ref.ID == "" {
		return 0, fmt.Errorf("redis: increment: %w", errEmptyKey)
	}
	s.snap(ctx).forget("", "", &ref, true)
	keys := []string{s.docKey(ref), s.idxKey(ref.Scope, ref.Collection), s.doneKey(ref.Scope, rand.Text())}
	n, err := s.scripts.increment.Run(ctx, s.c, keys, ref.ID, doneTTL.Milliseconds()).Int64()
	if err != nil {
		return 0, s.wrap("increment", err)
	}
	return n, nil
}

var _ store.ListingCounter = (*Store)(nil)

// ListAndIncrement is List and Increment in one pipeline: the counter's
// script goes with the collection's index read (ZRANGE) or, when a
// Prefetch read the index already, with the first batch of its
// documents. The counter and the collection share the scope's slot on
// Cluster only if their scopes are the same; a ClusterClient splits the
// pipeline by node otherwise, still one wall-clock round trip.
func (s *Store) ListAndIncrement(ctx context.Context, scope, coll string, counter store.Ref) ([]store.Document, int64, error) {
	const op = "list and increment"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, 0, err
	}
	defer cancel()
	if counter.ID == "" {
		return nil, 0, fmt.Errorf("redis: %s: %w", op, errEmptyKey)
	}
	l := store.ListRef{Scope: scope, Collection: coll}
	store.RecorderFrom(ctx).List(l)
	sn := s.snap(ctx)
	ids, prefetched := sn.takeList(l)
	sn.forget("", "", &counter, true)
	keys := []string{s.docKey(counter), s.idxKey(counter.Scope, counter.Collection), s.doneKey(counter.Scope, rand.Text())}
	args := []any{counter.ID, doneTTL.Milliseconds()}

	pipe := s.c.Pipeline()
	incr := s.scripts.increment.EvalSha(ctx, pipe, keys, args...)
	var index *goredis.StringSliceCmd
	var first []string
	var firstCmds []*goredis.SliceCmd
	if prefetched {
		first, ids = ids[:min(len(ids), listBatch)], ids[min(len(ids), listBatch):]
		firstCmds = s.queueDocs(ctx, pipe, scope, coll, first)
	} else {
		index = pipe.ZRange(ctx, s.idxKey(scope, coll), 0, -1)
	}
	_, _ = pipe.Exec(ctx)
	n, err := incr.Int64()
	if goredis.HasErrorPrefix(err, "NOSCRIPT") {
		// A restarted or flushed server lost the script cache; the
		// write token makes running it again harmless.
		n, err = s.scripts.increment.Run(ctx, s.c, keys, args...).Int64()
	}
	if err != nil {
		return nil, 0, s.wrap(op, err)
	}
	docs := make([]store.Document, 0, len(first)+len(ids))
	if index != nil {
		if ids, err = index.Result(); err != nil {
			return nil, 0, s.wrap(op, err)
		}
	} else if docs, err = s.decodeDocs(op, scope, coll, docs, first, firstCmds); err != nil {
		return nil, 0, err
	}
	if docs, err = s.readDocs(ctx, op, scope, coll, docs, ids); err != nil {
		return nil, 0, err
	}
	return docs, n, nil
}
