// Package redis is the distributed store.Store on Redis (single node,
// Sentinel or Cluster through go-redis's UniversalClient). Any number of
// licensebot replicas can share it: compare-and-swap, claims and the audit
// log are decided by Redis, not by a process.
//
// Keys (scope "" is written "_"; scope, collection and queue names are
// escaped so that they contain no ':', '{' or '}'; ids and keys at the end
// of a key are raw):
//
//	<prefix>:{<scope>}:doc:<collection>:<id>   hash v (version), d (data)
//	<prefix>:{<scope>}:idx:<collection>        zset of ids, score 0 (ID order)
//	<prefix>:{<scope>}:audit                   stream, never trimmed
//	<prefix>:{<scope>}:sched:<queue>           zset hex(due)+id, score 0
//	<prefix>:{<scope>}:schedp:<queue>          hash id -> hex(due)+payload
//	<prefix>:{<scope>}:done:<token>            result of a write, 5 min
//	<prefix>:claim:<key>                       string token, PX ttl
//	<prefix>:conv:<key>                        string data, PX ttl
//
// Everything a script touches together carries the {scope} hash tag, so
// one Cluster slot holds a customer's documents, index, schedules and
// audit log, and a document write with its audit lines is one Lua script.
//
// Retries: go-redis retries network errors (MaxRetries, default 3). All
// writes are idempotent, the non-idempotent ones through a write token
// (see scripts.go), so a retry never applies a change twice. When every
// retry fails the caller gets ErrUnavailable; if the failure came after
// the server received the command, the write may have happened, and a
// reread shows it.
package redis

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/internal/timekey"
)

// doneTTL keeps a write's result long enough to answer any go-redis retry
// of it (seconds), with a wide margin.
const doneTTL = 5 * time.Minute

var (
	errBadTTL     = errors.New("ttl must be positive")
	errEmptyKey   = errors.New("empty key")
	errAuditScope = errors.New("audit entry belongs to another scope than the document")
	errReply      = errors.New("unexpected reply")
)

// Store is a store.Store on Redis. It is safe for concurrent use.
type Store struct {
	c         goredis.UniversalClient
	prefix    string
	opTimeout time.Duration
	scripts   scripts
	stats     counter

	// waitReplicas and waitTimeout configure UpdateReplicated (see
	// Options). sawReplica (auto mode) is set once ROLE showed a replica:
	// from then on a master without one is not trusted with a durable
	// write (see UpdateReplicated).
	waitReplicas int
	waitTimeout  time.Duration
	sawReplica   atomic.Bool
}

var (
	_ store.Store      = (*Store)(nil)
	_ store.Replicated = (*Store)(nil)
)

// New creates the client. It does not connect: the first command (or
// Ping, for readiness) does.
func New(opts Options) (*Store, error) {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, fmt.Errorf("redis: prefix %q: braces would break Cluster hash tags", prefix)
	}
	if len(opts.Addrs) == 0 && len(opts.SentinelAddrs) == 0 {
		return nil, errors.New("redis: no address")
	}
	// WAIT's reply is read under the read timeout: an explicit wait
	// timeout must fit in it, and the default shrinks to half of a short
	// one (read_timeout=100ms in REDIS_URL must not stop the bot).
	waitTimeout := opts.WaitTimeout
	readTimeout := cmp.Or(opts.ReadTimeout, DefaultReadTimeout)
	switch {
	case waitTimeout == 0 && readTimeout > 0:
		waitTimeout = min(DefaultWaitTimeout, readTimeout/2)
	case waitTimeout == 0:
		waitTimeout = DefaultWaitTimeout
	case opts.WaitReplicas >= 0 && readTimeout > 0 && waitTimeout >= readTimeout:
		return nil, fmt.Errorf("redis: wait timeout %s must be shorter than the read timeout %s", waitTimeout, readTimeout)
	}
	s := &Store{
		c:            goredis.NewUniversalClient(opts.universal()),
		prefix:       prefix,
		opTimeout:    opts.OpTimeout,
		scripts:      newScripts(),
		waitReplicas: opts.WaitReplicas,
		waitTimeout:  waitTimeout,
	}
	if s.opTimeout <= 0 {
		s.opTimeout = DefaultOpTimeout
	}
	s.c.AddHook(&s.stats)
	return s, nil
}

// Name returns "redis".
func (s *Store) Name() string { return "redis" }

// Ping reports whether the server answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel, err := s.begin(ctx, "ping")
	if err != nil {
		return err
	}
	defer cancel()
	return s.wrap("ping", s.c.Ping(ctx).Err())
}

// Close closes the client's connections.
func (s *Store) Close() error {
	if err := s.c.Close(); err != nil {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}

// Client is the underlying go-redis client, for callers that need Redis
// directly (e.g. to share the connection pool).
func (s *Store) Client() goredis.UniversalClient { return s.c }

// AddHook adds a go-redis hook (tracing, metrics) to the client.
func (s *Store) AddHook(h goredis.Hook) { s.c.AddHook(h) }

// Stats counts the traffic since New.
type Stats struct {
	// RoundTrips counts commands and pipelines sent (a pipeline is one;
	// go-redis's own retries of it are not counted again).
	RoundTrips int64
	// Commands counts commands, pipelined or not.
	Commands int64
}

// Stats returns the counters; the difference across a chat turn is its
// cost.
func (s *Store) Stats() Stats {
	return Stats{RoundTrips: s.stats.roundTrips.Load(), Commands: s.stats.commands.Load()}
}

// counter is a go-redis hook. It leaves out connection setup (go-redis
// runs HELLO, AUTH, SELECT, CLIENT through the same hooks when it dials),
// which happens once per pooled connection, not once per chat turn.
type counter struct{ roundTrips, commands atomic.Int64 }

func setup(cmd goredis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "select", "client", "readonly":
		return true
	}
	return false
}

func (c *counter) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (c *counter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if !setup(cmd) {
			c.roundTrips.Add(1)
			c.commands.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		var n int64
		for _, cmd := range cmds {
			if !setup(cmd) {
				n++
			}
		}
		if n > 0 {
			c.roundTrips.Add(1)
			c.commands.Add(n)
		}
		return next(ctx, cmds)
	}
}

// begin refuses a done context before any I/O and bounds a context
// without deadline by OpTimeout.
func (s *Store) begin(ctx context.Context, op string) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("redis: %s: %w", op, err)
	}
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opTimeout)
	return ctx, cancel, nil
}

func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if unavailable(err) {
		return fmt.Errorf("redis: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("redis: %s: %w", op, err)
}

// unavailable tells "cannot reach or use the server now" (retry later,
// tell the user storage is down) from errors in the request itself.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, goredis.ErrPoolTimeout),
		errors.Is(err, goredis.ErrPoolExhausted),
		errors.Is(err, goredis.ErrClosed),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.As(err, &ne):
		return true
	}
	// Server states during restarts and failovers, and a full server:
	// nothing was written, and trying later may work.
	for _, p := range []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY", "NOREPLICAS", "OOM"} {
		if goredis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

// --- keys ------------------------------------------------------------------

// esc makes a name safe inside a key: no ':' (separator) and no braces
// (hash tag), and "" distinct from "_".
func esc(s string) string {
	switch s {
	case "":
		return "_"
	case "_":
		return "%5F"
	}
	if !strings.ContainsAny(s, "%:{}") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%', ':', '{', '}':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (s *Store) scoped(scope string) string { return s.prefix + ":{" + esc(scope) + "}:" }

func (s *Store) docKey(r store.Ref) string {
	return s.scoped(r.Scope) + "doc:" + esc(r.Collection) + ":" + r.ID
}
func (s *Store) idxKey(scope, coll string) string { return s.scoped(scope) + "idx:" + esc(coll) }
func (s *Store) auditKey(scope string) string     { return s.scoped(scope) + "audit" }
func (s *Store) doneKey(scope, token string) string {
	return s.scoped(scope) + "done:" + token
}
func (s *Store) schedKeys(scope, queue string) []string {
	b := s.scoped(scope)
	return []string{b + "sched:" + esc(queue), b + "schedp:" + esc(queue)}
}
func (s *Store) claimKey(key string) string { return s.prefix + ":claim:" + key }
func (s *Store) convKey(key string) string  { return s.prefix + ":conv:" + key }

func pxMillis(ttl time.Duration) int64 {
	return int64((ttl + time.Millisecond - 1) / time.Millisecond)
}

// --- conversations ---------------------------------------------------------

// GetConversation returns ErrNotFound when absent or expired.
func (s *Store) GetConversation(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel, err := s.begin(ctx, "get conversation")
	if err != nil {
		return nil, err
	}
	defer cancel()
	if key == "" {
		return nil, fmt.Errorf("redis: get conversation: %w", store.ErrNotFound)
	}
	store.RecorderFrom(ctx).Conv(key)
	if c, ok := s.snap(ctx).takeConv(key); ok {
		if !c.found {
			return nil, fmt.Errorf("redis: get conversation: %w", store.ErrNotFound)
		}
		return c.data, nil
	}
	b, err := s.c.Get(ctx, s.convKey(key)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: get conversation: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, s.wrap("get conversation", err)
	}
	return b, nil
}

// PutConversation stores data with a TTL (rounded up to milliseconds).
func (s *Store) PutConversation(ctx context.Context, key string, data []byte, ttl time.Duration) error {
	ctx, cancel, err := s.begin(ctx, "put conversation")
	if err != nil {
		return err
	}
	defer cancel()
	if err := checkKeyTTL(key, ttl); err != nil {
		return fmt.Errorf("redis: put conversation: %w", err)
	}
	s.snap(ctx).forget("", key, nil, false)
	err = s.c.Set(ctx, s.convKey(key), data, time.Duration(pxMillis(ttl))*time.Millisecond).Err()
	return s.wrap("put conversation", err)
}

// DeleteConversation removes the conversation; absent is not an error.
func (s *Store) DeleteConversation(ctx context.Context, key string) error {
	ctx, cancel, err := s.begin(ctx, "delete conversation")
	if err != nil {
		return err
	}
	defer cancel()
	if key == "" {
		return nil
	}
	s.snap(ctx).forget("", key, nil, false)
	return s.wrap("delete conversation", s.c.Del(ctx, s.convKey(key)).Err())
}

// --- claims ----------------------------------------------------------------

// Claim sets key for ttl if absent and reports whether this call won.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ctx, cancel, err := s.begin(ctx, "claim")
	if err != nil {
		return false, err
	}
	defer cancel()
	if err := checkKeyTTL(key, ttl); err != nil {
		return false, fmt.Errorf("redis: claim: %w", err)
	}
	if won, ok := s.snap(ctx).takeClaim(key); ok {
		return won, nil
	}
	n, err := s.scripts.claim.Run(ctx, s.c, []string{s.claimKey(key)}, rand.Text(), pxMillis(ttl)).Int()
	if err != nil {
		return false, s.wrap("claim", err)
	}
	return n == 1, nil
}

// Release deletes a claim; absent is not an error.
func (s *Store) Release(ctx context.Context, key string) error {
	ctx, cancel, err := s.begin(ctx, "release")
	if err != nil {
		return err
	}
	defer cancel()
	if key == "" {
		return nil
	}
	s.snap(ctx).forget(key, "", nil, false)
	return s.wrap("release", s.c.Del(ctx, s.claimKey(key)).Err())
}

// ClaimAndGetConversation is the read a chat turn starts with, as one
// pipelined round trip: claim the platform event id (de-duplication) and
// load the user's dialogue state. conv is nil when there is none (an
// empty stored conversation is a non-nil empty slice).
func (s *Store) ClaimAndGetConversation(ctx context.Context, claimKey string, ttl time.Duration, convKey string) (claimed bool, conv []byte, err error) {
	const op = "claim and get conversation"
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return false, nil, err
	}
	defer cancel()
	if err := checkKeyTTL(claimKey, ttl); err != nil {
		return false, nil, fmt.Errorf("redis: %s: %w", op, err)
	}
	if won, ok := s.snap(ctx).takeClaim(claimKey); ok {
		// The turn's first round trip claimed it already.
		if !won || convKey == "" {
			return won, nil, nil
		}
		conv, err := s.GetConversation(ctx, convKey)
		if errors.Is(err, store.ErrNotFound) {
			return true, nil, nil
		}
		if err == nil && conv == nil {
			conv = []byte{}
		}
		return err == nil, conv, err
	}
	if convKey != "" {
		store.RecorderFrom(ctx).Conv(convKey)
	}
	token := rand.Text()
	for attempt := 0; ; attempt++ {
		pipe := s.c.Pipeline()
		claimCmd := s.scripts.claim.EvalSha(ctx, pipe, []string{s.claimKey(claimKey)}, token, pxMillis(ttl))
		var getCmd *goredis.StringCmd
		if convKey != "" {
			getCmd = pipe.Get(ctx, s.convKey(convKey))
		}
		_, _ = pipe.Exec(ctx)
		err := claimCmd.Err()
		if goredis.HasErrorPrefix(err, "NOSCRIPT") && attempt == 0 {
			// A restarted or flushed server lost the script cache. The
			// token makes running the claim again harmless.
			if err := s.scripts.claim.Load(ctx, s.c).Err(); err != nil {
				return false, nil, s.wrap(op, err)
			}
			continue
		}
		if err != nil {
			return false, nil, s.wrap(op, err)
		}
		if getCmd != nil {
			conv, err = getCmd.Bytes()
			switch {
			case errors.Is(err, goredis.Nil):
				conv = nil
			case err != nil:
				return false, nil, s.wrap(op, err)
			case conv == nil:
				conv = []byte{}
			}
		}
		return claimCmd.Val() == int64(1), conv, nil
	}
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

// --- documents -------------------------------------------------------------

// Get returns the document or ErrNotFound.
func (s *Store) Get(ctx context.Context, ref store.Ref) (store.Document, error) {
	ctx, cancel, err := s.begin(ctx, "get")
	if err != nil {
		return store.Document{}, err
	}
	defer cancel()
	if ref.ID == "" {
		return store.Document{}, fmt.Errorf("redis: get: %w", store.ErrNotFound)
	}
	store.RecorderFrom(ctx).Doc(ref)
	if d, ok := s.snap(ctx).takeDoc(ref); ok {
		if d.Version == 0 {
			return store.Document{}, fmt.Errorf("redis: get: %w", store.ErrNotFound)
		}
		return d, nil
	}
	vals, err := s.c.HMGet(ctx, s.docKey(ref), "v", "d").Result()
	if err != nil {
		return store.Document{}, s.wrap("get", err)
	}
	d, ok, err := decodeDoc(ref, vals)
	if err != nil {
		return store.Document{}, fmt.Errorf("redis: get: %w", err)
	}
	if !ok {
		return store.Document{}, fmt.Errorf("redis: get: %w", store.ErrNotFound)
	}
	return d, nil
}

func decodeDoc(ref store.Ref, vals []any) (store.Document, bool, error) {
	if len(vals) != 2 || vals[0] == nil {
		return store.Document{}, false, nil
	}
	vs, ok1 := vals[0].(string)
	data, ok2 := vals[1].(string)
	v, err := strconv.ParseInt(vs, 10, 64)
	if !ok1 || !ok2 || err != nil {
		return store.Document{}, false, fmt.Errorf("%w: document %v", errReply, vals)
	}
	return store.Document{Ref: ref, Version: v, Data: []byte(data)}, true, nil
}

// Create writes version 1 and the audit entries atomically, or returns
// ErrExists.
func (s *Store) Create(ctx context.Context, ref store.Ref, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	return s.write(ctx, "create", "c", ref, 0, data, audit)
}

// Update writes version+1 and the audit entries atomically if the stored
// version is version; otherwise ErrVersionMismatch or ErrNotFound, and no
// audit entry is appended.
func (s *Store) Update(ctx context.Context, ref store.Ref, version int64, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	return s.write(ctx, "update", "u", ref, version, data, audit)
}

func (s *Store) write(ctx context.Context, op, mode string, ref store.Ref, version int64, data []byte, audit []store.AuditEntry) (store.Document, error) {
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return store.Document{}, err
	}
	defer cancel()
	keys, args, err := s.writeArgs(op, mode, ref, version, data, audit)
	if err != nil {
		return store.Document{}, err
	}
	s.snap(ctx).forget("", "", &ref, mode == "c")
	res, err := s.scripts.write.Run(ctx, s.c, keys, args...).Slice()
	if err != nil {
		return store.Document{}, s.wrap(op, err)
	}
	return decodeWrite(op, ref, data, res)
}

// UpdateAndRelease is Update and Release in one pipeline (see
// store.ReleasingUpdater): the claim's DEL goes whatever the update's
// outcome. On Cluster the ClusterClient splits the pipeline by slot.
func (s *Store) UpdateAndRelease(ctx context.Context, ref store.Ref, version int64, data []byte, claim string, audit ...store.AuditEntry) (store.Document, error) {
	const op = "update and release"
	if claim == "" {
		return store.Document{}, fmt.Errorf("redis: %s: %w", op, errEmptyKey)
	}
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return store.Document{}, err
	}
	defer cancel()
	keys, args, err := s.writeArgs(op, "u", ref, version, data, audit)
	if err != nil {
		return store.Document{}, err
	}
	s.snap(ctx).forget(claim, "", &ref, false)
	for _, sha := range []bool{true, false} {
		pipe := s.c.Pipeline()
		var script *goredis.Cmd
		if sha {
			script = s.scripts.write.EvalSha(ctx, pipe, keys, args...)
		} else {
			script = s.scripts.write.Eval(ctx, pipe, keys, args...)
		}
		del := pipe.Del(ctx, s.claimKey(claim))
		_, _ = pipe.Exec(ctx)
		if err := script.Err(); err != nil {
			if sha && goredis.HasErrorPrefix(err, "NOSCRIPT") {
				continue
			}
			return store.Document{}, s.wrap(op, err)
		}
		if err := del.Err(); err != nil {
			return store.Document{}, s.wrap(op, err)
		}
		res, err := script.Slice()
		if err != nil {
			return store.Document{}, s.wrap(op, err)
		}
		return decodeWrite(op, ref, data, res)
	}
	return store.Document{}, fmt.Errorf("redis: %s: %w: script missing after loading it", op, errReply)
}

var _ store.ClaimingUpdater = (*Store)(nil)

// UpdateAndClaim is Update and Claim in one pipeline (see
// store.ClaimingUpdater): the claim's script runs after the write
// whatever the write's outcome, and is given back (a DEL, one more round
// trip) when the write lost. On Cluster the ClusterClient splits the
// pipeline by node and sends the parts at the same time.
func (s *Store) UpdateAndClaim(ctx context.Context, ref store.Ref, version int64, data []byte, claim string, ttl time.Duration, audit ...store.AuditEntry) (store.Document, bool, error) {
	const op = "update and claim"
	if err := checkKeyTTL(claim, ttl); err != nil {
		return store.Document{}, false, fmt.Errorf("redis: %s: %w", op, err)
	}
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return store.Document{}, false, err
	}
	defer cancel()
	keys, args, err := s.writeArgs(op, "u", ref, version, data, audit)
	if err != nil {
		return store.Document{}, false, err
	}
	s.snap(ctx).forget(claim, "", &ref, false)
	cl := &claimArgs{key: claim, token: rand.Text(), ttl: ttl}
	for _, sha := range []bool{true, false} {
		pipe := s.c.Pipeline()
		var script *goredis.Cmd
		if sha {
			script = s.scripts.write.EvalSha(ctx, pipe, keys, args...)
		} else {
			script = s.scripts.write.Eval(ctx, pipe, keys, args...)
		}
		claimCmd := cl.queue(ctx, s, pipe, sha)
		_, _ = pipe.Exec(ctx)
		err := script.Err()
		if sha && (goredis.HasErrorPrefix(err, "NOSCRIPT") || goredis.HasErrorPrefix(claimCmd.Err(), "NOSCRIPT")) {
			// Both carry a token: sending them again is harmless.
			continue
		}
		if err != nil {
			return store.Document{}, false, s.wrap(op, err)
		}
		res, err := script.Slice()
		if err != nil {
			return store.Document{}, false, s.wrap(op, err)
		}
		doc, err := decodeWrite(op, ref, data, res)
		return doc, s.settleClaim(ctx, cl, won(claimCmd), err), err
	}
	return store.Document{}, false, fmt.Errorf("redis: %s: %w: script missing after loading it", op, errReply)
}

// writeArgs builds the keys and arguments of luaWrite, with a fresh write
// token (keys[3] is its done key).
func (s *Store) writeArgs(op, mode string, ref store.Ref, version int64, data []byte, audit []store.AuditEntry) ([]string, []any, error) {
	if ref.ID == "" {
		return nil, nil, fmt.Errorf("redis: %s: %w", op, errEmptyKey)
	}
	args := []any{mode, version, data, ref.ID, doneTTL.Milliseconds(), len(audit)}
	for _, e := range audit {
		if e.Scope != "" && e.Scope != ref.Scope {
			return nil, nil, fmt.Errorf("redis: %s: %w: %q, document in %q", op, errAuditScope, e.Scope, ref.Scope)
		}
		args = append(args, auditArgs(e)...)
	}
	token := rand.Text()
	keys := []string{s.docKey(ref), s.idxKey(ref.Scope, ref.Collection), s.auditKey(ref.Scope), s.doneKey(ref.Scope, token)}
	return keys, args, nil
}

func decodeWrite(op string, ref store.Ref, data []byte, res []any) (store.Document, error) {
	status, _ := res[0].(string)
	switch status {
	case "ok":
		if v, ok := res[1].(int64); ok && len(res) == 2 {
			return store.Document{Ref: ref, Version: v, Data: data}, nil
		}
	case "exists":
		return store.Document{}, fmt.Errorf("redis: %s: %w", op, store.ErrExists)
	case "notfound":
		return store.Document{}, fmt.Errorf("redis: %s: %w", op, store.ErrNotFound)
	case "mismatch":
		return store.Document{}, fmt.Errorf("redis: %s: %w", op, store.ErrVersionMismatch)
	}
	return store.Document{}, fmt.Errorf("redis: %s: %w: %v", op, errReply, res)
}

// --- durable writes ----------------------------------------------------------

// pipeliner is a client whose pipelines run on one connection: a
// *goredis.Client (single node or Sentinel) or one Cluster node's client.
type pipeliner interface {
	Pipeline() goredis.Pipeliner
}

// UpdateReplicated is Update followed by WAIT for the configured number
// of replicas (Options.WaitReplicas), in one pipeline.
//
// WAIT only counts the replication offset of the writes made on its own
// connection, so the script and WAIT must share one. A go-redis pipeline
// does: each attempt takes one connection from the pool, writes every
// command on it and reads every reply from it (baseClient.
// generalProcessPipeline → withPipelineConn → pipelineProcessCmds), and a
// retry re-sends the whole pipeline on its next connection. A retried
// script that finds its write token done refreshes the token's TTL, which
// is itself replicated, so the WAIT of the retry still covers the write.
// On Cluster the pipeline goes to the client of the key's master, since
// a ClusterClient would send the keyless WAIT to any node.
//
// In auto mode (WaitReplicas 0) the pipeline also asks ROLE how many
// replicas are online. A master that never had one is a single node and
// is not waited on; once one was seen, every durable write waits for one.
// A master that lost its replica is exactly what a failover in progress
// looks like from the old master (its replica was just promoted, and
// what it takes now is thrown away when Sentinel demotes it), so it is
// not trusted either.
//
// When the replicas do not acknowledge in time, the write is confirmed
// (see confirm) before the caller hears ErrNotReplicated: waited for
// again, and after a failover looked for on the new master.
func (s *Store) UpdateReplicated(ctx context.Context, ref store.Ref, version int64, data []byte, audit ...store.AuditEntry) (store.Document, error) {
	if s.waitReplicas < 0 {
		return s.Update(ctx, ref, version, data, audit...)
	}
	doc, _, err := s.updateReplicated(ctx, "update", ref, version, data, nil, audit)
	return doc, err
}

var _ store.ReplicatedClaimingUpdater = (*Store)(nil)

// UpdateReplicatedAndClaim is UpdateReplicated with the claim's script
// in the same pipeline, after the write and before WAIT, so that the
// WAIT covers the claim too (see store.ReplicatedClaimingUpdater). On
// Cluster the pipeline goes to the document's master and the claim key
// may live on another node: the claim is then sent at the same time on
// its own, still one wall-clock round trip.
func (s *Store) UpdateReplicatedAndClaim(ctx context.Context, ref store.Ref, version int64, data []byte, claim string, ttl time.Duration, audit ...store.AuditEntry) (store.Document, bool, error) {
	const op = "update and claim"
	if s.waitReplicas < 0 {
		return s.UpdateAndClaim(ctx, ref, version, data, claim, ttl, audit...)
	}
	if err := checkKeyTTL(claim, ttl); err != nil {
		return store.Document{}, false, fmt.Errorf("redis: %s: %w", op, err)
	}
	return s.updateReplicated(ctx, op, ref, version, data, &claimArgs{key: claim, token: rand.Text(), ttl: ttl}, audit)
}

// claimArgs is a claim sent along with a write.
type claimArgs struct {
	key, token string
	ttl        time.Duration
}

// queue adds the claim's script to pipe (by digest, or by source).
func (c *claimArgs) queue(ctx context.Context, s *Store, pipe goredis.Pipeliner, sha bool) *goredis.Cmd {
	keys, args := []string{s.claimKey(c.key)}, []any{c.token, pxMillis(c.ttl)}
	if sha {
		return s.scripts.claim.EvalSha(ctx, pipe, keys, args...)
	}
	return s.scripts.claim.Eval(ctx, pipe, keys, args...)
}

// won reads the claim's reply; an error counts as not won.
func won(cmd *goredis.Cmd) bool {
	n, err := cmd.Int()
	return err == nil && n == 1
}

// settleClaim gives back a claim taken alongside a write that did not
// stand (see store.ClaimingUpdater). A release that fails leaves the
// claim to expire.
func (s *Store) settleClaim(ctx context.Context, c *claimArgs, claimed bool, err error) bool {
	if c == nil || !claimed {
		return false
	}
	if err == nil || errors.Is(err, store.ErrNotReplicated) {
		return true
	}
	relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opTimeout)
	defer cancel()
	_ = s.c.Del(relCtx, s.claimKey(c.key)).Err()
	return false
}

// updateReplicated is UpdateReplicated, with a claim when cl is set.
func (s *Store) updateReplicated(ctx context.Context, op string, ref store.Ref, version int64, data []byte, cl *claimArgs, audit []store.AuditEntry) (store.Document, bool, error) {
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return store.Document{}, false, err
	}
	defer cancel()
	keys, args, err := s.writeArgs(op, "u", ref, version, data, audit)
	if err != nil {
		return store.Document{}, false, err
	}
	claimKey := ""
	if cl != nil {
		claimKey = cl.key
	}
	s.snap(ctx).forget(claimKey, "", &ref, false)
	node, err := s.nodeFor(ctx, keys[0])
	if err != nil {
		return store.Document{}, false, s.wrap(op, err)
	}
	auto := s.waitReplicas == 0
	want := s.waitReplicas
	if auto && s.sawReplica.Load() {
		want = 1
	}
	res, acked, online, claimed, err := s.writeAndWait(ctx, node, keys, args, want, auto, cl)
	if err != nil {
		// The write may or may not have happened; a claim taken with
		// it expires.
		return store.Document{}, false, s.wrap(op, err)
	}
	doc, err := decodeWrite(op, ref, data, res)
	if err != nil {
		return store.Document{}, s.settleClaim(ctx, cl, claimed, err), err
	}
	if auto && online > 0 {
		s.sawReplica.Store(true)
		want = 1
	}
	if acked >= int64(want) {
		return doc, claimed, nil
	}
	doc, err = s.confirm(ctx, op, doc, keys[0], keys[3], want, acked)
	return doc, s.settleClaim(ctx, cl, claimed, err), err
}

// nodeFor is the client whose pipelines reach the master of key on one
// connection.
func (s *Store) nodeFor(ctx context.Context, key string) (pipeliner, error) {
	if cc, ok := s.c.(*goredis.ClusterClient); ok {
		return cc.MasterForKey(ctx, key)
	}
	return s.c, nil
}

// confirmRounds bounds confirm: this many more WAITs (each up to the
// wait timeout) before the write is reported not replicated. Five at the
// default 500 ms cover a Sentinel promotion with a down-after of one
// second, and the reconnection that follows.
const confirmRounds = 5

// confirm settles a durable write its replicas did not acknowledge in
// time. It touches the write's token (a replicated write after it) and
// waits again, round after round, on the current master:
//
//   - acknowledged: the write is durable after all;
//   - the token is gone: the master that took the write was replaced by
//     one that never had it (a failover), so the write is lost. The
//     caller gets ErrVersionMismatch, as if another writer had won: it
//     rereads and decides again on what the store now holds;
//   - errors (a demoted master answering READONLY, a connection cut) are
//     tried again after a pause until the rounds run out.
//
// Still unsettled after confirmRounds, the written document comes back
// with ErrNotReplicated.
func (s *Store) confirm(ctx context.Context, op string, doc store.Document, key, doneKey string, want int, acked int64) (store.Document, error) {
	var last error
	for range confirmRounds {
		node, err := s.nodeFor(ctx, key)
		if err == nil {
			var alive bool
			alive, acked, err = s.waitAgain(ctx, node, doneKey, want)
			switch {
			case err == nil && !alive:
				return store.Document{}, fmt.Errorf("redis: %s: %w: the write was lost at a failover", op, store.ErrVersionMismatch)
			case err == nil && acked >= int64(want):
				return doc, nil
			case err == nil:
				continue // WAIT itself took the wait timeout
			}
		}
		last = err
		if ctx.Err() != nil {
			break
		}
		t := time.NewTimer(s.waitTimeout / 5)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	if last != nil {
		return doc, fmt.Errorf("redis: %s: %w: %d of %d replicas: %w", op, store.ErrNotReplicated, acked, want, last)
	}
	return doc, fmt.Errorf("redis: %s: %w: %d of %d replicas within %s", op, store.ErrNotReplicated, acked, want, s.waitTimeout)
}

// writeAndWait sends the write script, WAIT and (when role) ROLE in one
// pipeline; a server that lost its script cache (a restart, a promoted
// replica) gets the source once.
//
// A claim (cl set) goes between the write and WAIT, on the same
// connection; on Cluster, where its key may live on another node, it is
// sent at the same time through the cluster client instead.
func (s *Store) writeAndWait(ctx context.Context, node pipeliner, keys []string, args []any, want int, role bool, cl *claimArgs) (res []any, acked, online int64, claimed bool, err error) {
	var apart chan bool
	if _, cluster := s.c.(*goredis.ClusterClient); cluster && cl != nil {
		apart = make(chan bool, 1)
		go func() {
			n, err := s.scripts.claim.Run(ctx, s.c, []string{s.claimKey(cl.key)}, cl.token, pxMillis(cl.ttl)).Int()
			apart <- err == nil && n == 1
		}()
		defer func() { claimed = <-apart && err == nil }()
		cl = nil
	}
	for _, sha := range []bool{true, false} {
		pipe := node.Pipeline()
		var script *goredis.Cmd
		if sha {
			script = s.scripts.write.EvalSha(ctx, pipe, keys, args...)
		} else {
			script = s.scripts.write.Eval(ctx, pipe, keys, args...)
		}
		var claimCmd *goredis.Cmd
		if cl != nil {
			claimCmd = cl.queue(ctx, s, pipe, sha)
		}
		wait := s.waitCmd(ctx, pipe, want)
		var roleCmd *goredis.SliceCmd
		if role {
			roleCmd = goredis.NewSliceCmd(ctx, "role")
			_ = pipe.Process(ctx, roleCmd)
		}
		_, _ = pipe.Exec(ctx)
		if err := script.Err(); err != nil {
			if sha && goredis.HasErrorPrefix(err, "NOSCRIPT") {
				continue
			}
			return nil, 0, 0, false, err
		}
		if claimCmd != nil && sha && goredis.HasErrorPrefix(claimCmd.Err(), "NOSCRIPT") {
			// The write's token and the claim's make sending both
			// again harmless.
			continue
		}
		if res, err = script.Slice(); err != nil {
			return nil, 0, 0, false, err
		}
		if acked, err = wait.Result(); err != nil {
			return nil, 0, 0, false, err
		}
		if role {
			var rerr goredis.Error
			online, err = onlineReplicas(roleCmd)
			switch {
			case errors.As(err, &rerr):
				// A server that refuses ROLE (some managed services,
				// miniredis) tells nothing of replicas: treat it as
				// having none; set WaitReplicas there to wait anyway.
				online = 0
			case err != nil:
				return nil, 0, 0, false, err
			}
		}
		return res, acked, online, claimCmd != nil && won(claimCmd), nil
	}
	return nil, 0, 0, false, fmt.Errorf("%w: script missing after loading it", errReply)
}

// waitCmd queues WAIT (go-redis has it on *Client only, where it could
// run on another connection than the write).
func (s *Store) waitCmd(ctx context.Context, pipe goredis.Pipeliner, want int) *goredis.IntCmd {
	cmd := goredis.NewIntCmd(ctx, "wait", want, s.waitTimeout.Milliseconds())
	_ = pipe.Process(ctx, cmd)
	return cmd
}

// waitAgain makes a replicated write after the original one (a refresh
// of its token's TTL) and waits for it on one connection. alive is false
// when the token is not there: the master no longer has the write.
func (s *Store) waitAgain(ctx context.Context, node pipeliner, doneKey string, want int) (alive bool, acked int64, err error) {
	pipe := node.Pipeline()
	touch := pipe.PExpire(ctx, doneKey, doneTTL)
	wait := s.waitCmd(ctx, pipe, want)
	_, _ = pipe.Exec(ctx)
	if alive, err = touch.Result(); err != nil {
		return false, 0, err
	}
	acked, err = wait.Result()
	return alive, acked, err
}

// onlineReplicas reads a master's ROLE reply: "master", offset, then one
// entry per online replica.
func onlineReplicas(cmd *goredis.SliceCmd) (int64, error) {
	v, err := cmd.Result()
	if err != nil {
		return 0, err
	}
	if len(v) < 3 {
		return 0, fmt.Errorf("%w: role %v", errReply, v)
	}
	if r, _ := v[0].(string); r != "master" {
		return 0, fmt.Errorf("%w: role %q, not master", errReply, r)
	}
	replicas, _ := v[2].([]any)
	return int64(len(replicas)), nil
}

// listBatch bounds one pipeline of List, so a large collection is read in
// a few round trips rather than one huge reply.
const listBatch = 500

// List returns the collection's documents in ID (byte) order.
func (s *Store) List(ctx context.Context, scope, coll string) ([]store.Document, error) {
	ctx, cancel, err := s.begin(ctx, "list")
	if err != nil {
		return nil, err
	}
	defer cancel()
	l := store.ListRef{Scope: scope, Collection: coll}
	store.RecorderFrom(ctx).List(l)
	ids, ok := s.snap(ctx).takeList(l)
	if !ok {
		ids, err = s.c.ZRange(ctx, s.idxKey(scope, coll), 0, -1).Result()
		if err != nil {
			return nil, s.wrap("list", err)
		}
	}
	return s.readDocs(ctx, "list", scope, coll, make([]store.Document, 0, len(ids)), ids)
}

// readDocs reads the documents of a collection named by ids (from its
// index), listBatch per pipeline, appending those that exist to docs.
func (s *Store) readDocs(ctx context.Context, op, scope, coll string, docs []store.Document, ids []string) ([]store.Document, error) {
	for len(ids) > 0 {
		batch := ids[:min(len(ids), listBatch)]
		ids = ids[len(batch):]
		pipe := s.c.Pipeline()
		cmds := s.queueDocs(ctx, pipe, scope, coll, batch)
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, s.wrap(op, err)
		}
		var err error
		if docs, err = s.decodeDocs(op, scope, coll, docs, batch, cmds); err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// queueDocs queues the reads of a batch of a collection's documents.
func (s *Store) queueDocs(ctx context.Context, pipe goredis.Pipeliner, scope, coll string, batch []string) []*goredis.SliceCmd {
	cmds := make([]*goredis.SliceCmd, len(batch))
	for i, id := range batch {
		cmds[i] = pipe.HMGet(ctx, s.docKey(store.Ref{Scope: scope, Collection: coll, ID: id}), "v", "d")
	}
	return cmds
}

// decodeDocs appends to docs those of a batch that exist (a document
// deleted since the index was read is left out).
func (s *Store) decodeDocs(op, scope, coll string, docs []store.Document, batch []string, cmds []*goredis.SliceCmd) ([]store.Document, error) {
	for i, id := range batch {
		vals, err := cmds[i].Result()
		if err != nil {
			return nil, s.wrap(op, err)
		}
		ref := store.Ref{Scope: scope, Collection: coll, ID: id}
		d, ok, err := decodeDoc(ref, vals)
		if err != nil {
			return nil, fmt.Errorf("redis: %s: %w", op, err)
		}
		if ok {
			docs = append(docs, d)
		}
	}
	return docs, nil
}

// --- audit -----------------------------------------------------------------

// auditArgs are the 6 script arguments of one entry: the id time (ms, not
// before 1970, which stream ids cannot express) then the stored fields.
func auditArgs(e store.AuditEntry) []any {
	ms := max(timekey.Nanos(e.At)/int64(time.Millisecond), 0)
	return []any{ms, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.Subject, e.Detail}
}

// seq turns a stream id into a Seq that sorts as a string like the ids do
// as numbers.
func seq(id string) (string, error) {
	msPart, seqPart, ok := strings.Cut(id, "-")
	ms, err1 := strconv.ParseUint(msPart, 10, 64)
	n, err2 := strconv.ParseUint(seqPart, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return "", fmt.Errorf("%w: stream id %q", errReply, id)
	}
	return fmt.Sprintf("%013d-%010d", ms, n), nil
}

// AppendAudit appends e to its scope's stream and returns it with Seq set.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	ctx, cancel, err := s.begin(ctx, "append audit")
	if err != nil {
		return store.AuditEntry{}, err
	}
	defer cancel()
	token := rand.Text()
	keys := []string{s.auditKey(e.Scope), s.doneKey(e.Scope, token)}
	args := append([]any{doneTTL.Milliseconds()}, auditArgs(e)...)
	id, err := s.scripts.append.Run(ctx, s.c, keys, args...).Text()
	if err != nil {
		return store.AuditEntry{}, s.wrap("append audit", err)
	}
	if e.Seq, err = seq(id); err != nil {
		return store.AuditEntry{}, fmt.Errorf("redis: append audit: %w", err)
	}
	e.At = e.At.UTC()
	return e, nil
}

// auditPage is how many stream entries one XRANGE reads.
const auditPage = 500

// ReadAudit returns up to limit entries with At >= since, in append order
// (limit <= 0: all). Stream ids are never earlier than At, so the read
// starts at since's millisecond and filters on At exactly.
func (s *Store) ReadAudit(ctx context.Context, scope string, since time.Time, limit int) ([]store.AuditEntry, error) {
	ctx, cancel, err := s.begin(ctx, "read audit")
	if err != nil {
		return nil, err
	}
	defer cancel()
	key := s.auditKey(scope)
	start := strconv.FormatInt(max(timekey.Nanos(since)/int64(time.Millisecond), 0), 10)
	var entries []store.AuditEntry
	for {
		msgs, err := s.c.XRangeN(ctx, key, start, "+", auditPage).Result()
		if err != nil {
			return nil, s.wrap("read audit", err)
		}
		for _, m := range msgs {
			e, err := decodeAudit(scope, m)
			if err != nil {
				return nil, fmt.Errorf("redis: read audit: %w", err)
			}
			if e.At.Before(since) {
				continue
			}
			entries = append(entries, e)
			if limit > 0 && len(entries) == limit {
				return entries, nil
			}
		}
		if len(msgs) < auditPage {
			return entries, nil
		}
		if start, err = nextID(msgs[len(msgs)-1].ID); err != nil {
			return nil, fmt.Errorf("redis: read audit: %w", err)
		}
	}
}

// nextID is the smallest stream id after id ("(" ranges need Redis 6.2).
func nextID(id string) (string, error) {
	msPart, seqPart, _ := strings.Cut(id, "-")
	n, err := strconv.ParseUint(seqPart, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: stream id %q", errReply, id)
	}
	return msPart + "-" + strconv.FormatUint(n+1, 10), nil
}

func decodeAudit(scope string, m goredis.XMessage) (store.AuditEntry, error) {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	at, err := time.Parse(time.RFC3339Nano, str("at"))
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("%w: audit entry %s: %w", errReply, m.ID, err)
	}
	sq, err := seq(m.ID)
	if err != nil {
		return store.AuditEntry{}, err
	}
	e := store.AuditEntry{
		Seq:     sq,
		Scope:   scope,
		At:      at.UTC(),
		Actor:   str("actor"),
		Action:  str("action"),
		Subject: str("subject"),
	}
	if d := str("detail"); d != "" {
		e.Detail = []byte(d)
	}
	return e, nil
}

// --- schedules -------------------------------------------------------------

// Schedule adds or replaces the item with that id.
func (s *Store) Schedule(ctx context.Context, scope, queue string, item store.ScheduledItem) error {
	ctx, cancel, err := s.begin(ctx, "schedule")
	if err != nil {
		return err
	}
	defer cancel()
	if item.ID == "" {
		return fmt.Errorf("redis: schedule: %w", errEmptyKey)
	}
	due := timekey.Hex(timekey.Uint(item.Due))
	err = s.scripts.schedule.Run(ctx, s.c, s.schedKeys(scope, queue), item.ID, due, item.Payload).Err()
	return s.wrap("schedule", err)
}

// Unschedule removes an item; absent items are not an error.
func (s *Store) Unschedule(ctx context.Context, scope, queue, id string) error {
	ctx, cancel, err := s.begin(ctx, "unschedule")
	if err != nil {
		return err
	}
	defer cancel()
	if id == "" {
		return nil
	}
	return s.wrap("unschedule", s.scripts.unschedule.Run(ctx, s.c, s.schedKeys(scope, queue), id).Err())
}

// Due returns up to limit items with Due <= now, earliest first (limit <=
// 0: all); the cost is a seek plus the items returned.
func (s *Store) Due(ctx context.Context, scope, queue string, now time.Time, limit int) ([]store.ScheduledItem, error) {
	bound := "+"
	if u := timekey.Uint(now); u != ^uint64(0) {
		bound = "(" + timekey.Hex(u+1)
	}
	return s.rangeItems(ctx, "due", scope, queue, bound, limit)
}

// Scheduled returns up to limit items in due order (limit <= 0: all).
func (s *Store) Scheduled(ctx context.Context, scope, queue string, limit int) ([]store.ScheduledItem, error) {
	return s.rangeItems(ctx, "scheduled", scope, queue, "+", limit)
}

func (s *Store) rangeItems(ctx context.Context, op, scope, queue, bound string, limit int) ([]store.ScheduledItem, error) {
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return nil, err
	}
	defer cancel()
	res, err := s.scripts.rng.Run(ctx, s.c, s.schedKeys(scope, queue), bound, max(limit, 0)).Slice()
	if err != nil {
		return nil, s.wrap(op, err)
	}
	items := make([]store.ScheduledItem, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		id, _ := res[i].(string)
		v, _ := res[i+1].(string)
		u, ok := timekey.ParseHex(v[:min(len(v), 2*timekey.Size)])
		if !ok {
			return nil, fmt.Errorf("redis: %s: %w: item %q", op, errReply, id)
		}
		items = append(items, store.ScheduledItem{ID: id, Due: timekey.Time(u), Payload: []byte(v[2*timekey.Size:])})
	}
	return items, nil
}
