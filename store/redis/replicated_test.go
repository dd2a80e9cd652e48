package redis_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/redis"
	"github.com/licensebot/licensebot/store/redis/redistest"
)

// onReplica reads a document straight from a replica, bypassing the
// store: what a failover would promote.
func onReplica(t *testing.T, replica *redistest.Server, s *redis.Store, ref store.Ref) (version string) {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: replica.Addr})
	defer c.Close()
	// The store's own key for ref, found by its unique id.
	keys, err := c.Keys(t.Context(), "*:doc:"+ref.Collection+":"+ref.ID).Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("replica keys for %s: %v %v", ref.ID, keys, err)
	}
	v, err := c.HGet(t.Context(), keys[0], "v").Result()
	if err != nil {
		t.Fatalf("replica read: %v", err)
	}
	return v
}

// generous gives an acknowledging replica all the time a loaded machine
// needs; short is for replicas that will not answer.
func generous(o *redis.Options) {
	o.WaitTimeout, o.ReadTimeout, o.OpTimeout = 5*time.Second, 10*time.Second, 20*time.Second
}

func short(o *redis.Options) { o.WaitTimeout = 100 * time.Millisecond }

func create(t *testing.T, s *redis.Store, ref store.Ref) store.Document {
	t.Helper()
	d, err := s.Create(t.Context(), ref, []byte("v1"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// With a replica, a durable write returns only once the replica has it;
// when the replica stops acknowledging, the caller is told the write is
// on the master only.
func TestUpdateReplicatedWaitsForTheReplica(t *testing.T) {
	master := redistest.StartServer(t)
	replica := redistest.StartReplica(t, master)
	prefix := redistest.Prefix()
	s := newStore(t, master.URL, prefix, generous)
	ctx := t.Context()
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "R-" + redistest.Prefix()}
	d := create(t, s, ref)

	for range 3 {
		var err error
		d, err = store.UpdateDurable(ctx, s, ref, d.Version, []byte("next"), store.AuditEntry{At: when, Action: "request.executing"})
		if err != nil {
			t.Fatalf("UpdateDurable with an in-sync replica: %v", err)
		}
		if got := onReplica(t, replica, s, ref); got != itoa(d.Version) {
			t.Fatalf("replica has version %s after the durable write of %d", got, d.Version)
		}
	}

	replica.Pause(t)
	defer replica.Resume(t)
	s = newStore(t, master.URL, prefix, short)
	d2, err := store.UpdateDurable(ctx, s, ref, d.Version, []byte("unacked"))
	if !errors.Is(err, store.ErrNotReplicated) {
		t.Fatalf("UpdateDurable with a stalled replica: %v, want ErrNotReplicated", err)
	}
	if d2.Version != d.Version+1 {
		t.Fatalf("ErrNotReplicated came with document version %d, want the written %d", d2.Version, d.Version+1)
	}
	got, err := s.Get(ctx, ref)
	if err != nil || got.Version != d2.Version || string(got.Data) != "unacked" {
		t.Fatalf("the master does not have the unacknowledged write: %+v %v", got, err)
	}
	// A plain Update never waits.
	if _, err := s.Update(ctx, ref, d2.Version, []byte("fast")); err != nil {
		t.Fatalf("Update with a stalled replica: %v", err)
	}
}

// Without a replica the default waits for none; an explicit count is
// reported as not met, with the write done.
func TestUpdateReplicatedWithoutReplica(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := t.Context()
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "R-1"}

	auto := newStore(t, srv.URL, redistest.Prefix())
	d := create(t, auto, ref)
	if d, err := store.UpdateDurable(ctx, auto, ref, d.Version, []byte("v2")); err != nil || d.Version != 2 {
		t.Fatalf("UpdateDurable without replica, default: %+v %v", d, err)
	}

	one := newStore(t, srv.URL, redistest.Prefix(), func(o *redis.Options) { o.WaitReplicas, o.WaitTimeout = 1, 50*time.Millisecond })
	d = create(t, one, ref)
	d, err := store.UpdateDurable(ctx, one, ref, d.Version, []byte("v2"))
	if !errors.Is(err, store.ErrNotReplicated) || d.Version != 2 {
		t.Fatalf("UpdateDurable waiting for 1 of 0 replicas: %+v %v, want version 2 and ErrNotReplicated", d, err)
	}
	if got, _ := one.Get(ctx, ref); got.Version != 2 {
		t.Fatalf("the write is not on the master: version %d", got.Version)
	}
	// CAS still decides: a stale version writes nothing and is not
	// reported as a replication problem.
	if _, err := store.UpdateDurable(ctx, one, ref, 1, []byte("stale")); !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("stale UpdateDurable: %v, want ErrVersionMismatch", err)
	}
}

// A replica that attaches after the store last looked is waited for at
// once; a server that lost its script cache (a promoted replica) still
// takes durable writes.
func TestUpdateReplicatedFollowsTopology(t *testing.T) {
	master := redistest.StartServer(t)
	prefix := redistest.Prefix()
	s := newStore(t, master.URL, prefix, short)
	ctx := t.Context()
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "R-" + redistest.Prefix()}
	d := create(t, s, ref)
	d, err := store.UpdateDurable(ctx, s, ref, d.Version, []byte("alone"))
	if err != nil {
		t.Fatal(err)
	}

	replica := redistest.StartReplica(t, master)
	c := goredis.NewClient(&goredis.Options{Addr: master.Addr})
	defer c.Close()
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// Stall the replica's acknowledgements: the write that first sees it
	// must wait for it, and say it could not.
	replica.Pause(t)
	d2, err := store.UpdateDurable(ctx, s, ref, d.Version, []byte("seen"))
	if !errors.Is(err, store.ErrNotReplicated) || d2.Version != d.Version+1 {
		t.Fatalf("first durable write after a replica attached: %+v %v, want ErrNotReplicated", d2, err)
	}
	replica.Resume(t)
	// A store that has not seen the replica yet waits for it at once.
	fresh := newStore(t, master.URL, prefix, generous)
	d3, err := store.UpdateDurable(ctx, fresh, ref, d2.Version, []byte("acked"))
	if err != nil {
		t.Fatalf("UpdateDurable once the replica is back: %v", err)
	}
	if got := onReplica(t, replica, s, ref); got != itoa(d3.Version) {
		t.Fatalf("replica has version %s, want %d", got, d3.Version)
	}

	never := newStore(t, master.URL, redistest.Prefix(), func(o *redis.Options) { o.WaitReplicas = -1 })
	replica.Pause(t)
	defer replica.Resume(t)
	d4 := create(t, never, ref)
	if _, err := store.UpdateDurable(ctx, never, ref, d4.Version, []byte("no wait")); err != nil {
		t.Fatalf("UpdateDurable with WaitReplicas -1 and a stalled replica: %v", err)
	}
}

// A master that had a replica and lost it is what the old master looks
// like while a failover promotes that replica: a durable write there is
// reported not replicated, never taken as durable because no replica is
// left to wait for.
func TestUpdateReplicatedDoesNotTrustAMasterThatLostItsReplica(t *testing.T) {
	master := redistest.StartServer(t)
	replica := redistest.StartReplica(t, master)
	ctx := t.Context()
	s := newStore(t, master.URL, redistest.Prefix(), func(o *redis.Options) {
		o.WaitTimeout, o.ReadTimeout, o.OpTimeout = 200*time.Millisecond, 5*time.Second, 20*time.Second
	})
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "R-" + redistest.Prefix()}
	d := create(t, s, ref)
	redistest.WaitInSync(t, master, 1)
	d, err := store.UpdateDurable(ctx, s, ref, d.Version, []byte("acked"))
	if err != nil {
		t.Fatalf("UpdateDurable with an in-sync replica: %v", err)
	}
	// The replica leaves the master (as a promoted one does).
	c := goredis.NewClient(&goredis.Options{Addr: replica.Addr})
	defer c.Close()
	if err := c.Do(ctx, "replicaof", "no", "one").Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		d2, err := store.UpdateDurable(ctx, s, ref, d.Version, []byte("alone"))
		if !errors.Is(err, store.ErrNotReplicated) {
			t.Fatalf("durable write %d on a master that lost its replica: %v, want ErrNotReplicated", i+1, err)
		}
		d = d2
	}
}

// A durable write that a failover lost while it waited for the replica
// is reported as a lost compare-and-swap (reread and decide again), not
// as done: store/redis looks for the write's token on the master it
// reaches, and a promoted replica that never had the write lacks it.
func TestUpdateReplicatedReportsAWriteLostAtFailover(t *testing.T) {
	master := redistest.StartServer(t)
	replica := redistest.StartReplica(t, master)
	ctx := t.Context()
	prefix := redistest.Prefix()
	s := newStore(t, master.URL, prefix, func(o *redis.Options) {
		o.WaitTimeout, o.ReadTimeout, o.OpTimeout = 300*time.Millisecond, 2*time.Second, 20*time.Second
	})
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "R-" + prefix}
	d := create(t, s, ref)
	if _, err := store.UpdateDurable(ctx, s, ref, d.Version, []byte("seen")); err != nil {
		t.Fatal(err)
	}
	d, _ = s.Get(ctx, ref)
	replica.Pause(t)
	defer replica.Resume(t)
	// What the promoted replica lacks: the write and its token. Both are
	// taken off the master while the write waits, as if the store had
	// reconnected to a new master without them.
	raw := goredis.NewClient(&goredis.Options{Addr: master.Addr})
	defer raw.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			keys, _ := raw.Keys(ctx, prefix+":*:done:*").Result()
			for _, k := range keys {
				if n, _ := raw.PTTL(ctx, k).Result(); n > 0 && raw.Get(ctx, k).Val() == itoa(d.Version+1) {
					raw.Del(ctx, k)
					return
				}
			}
		}
	}()
	_, err := store.UpdateDurable(ctx, s, ref, d.Version, []byte("lost"))
	if !errors.Is(err, store.ErrVersionMismatch) || errors.Is(err, store.ErrNotReplicated) {
		t.Fatalf("durable write whose token vanished: %v, want ErrVersionMismatch", err)
	}
}

func TestWaitTimeoutMustFitReadTimeout(t *testing.T) {
	_, err := redis.New(redis.Options{Addrs: []string{"127.0.0.1:1"}, WaitTimeout: 2 * time.Second})
	if err == nil {
		t.Fatal("a wait timeout longer than the read timeout was accepted")
	}
	s, err := redis.New(redis.Options{Addrs: []string{"127.0.0.1:1"}, WaitTimeout: 2 * time.Second, ReadTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	// A short read timeout with the default wait is not an error: the
	// wait shrinks to fit.
	s, err = redis.New(redis.Options{Addrs: []string{"127.0.0.1:1"}, ReadTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("short read timeout, default wait: %v", err)
	}
	_ = s.Close()
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestOptionsFromSettings(t *testing.T) {
	o, err := redis.OptionsFrom(redis.Settings{URL: "redis://:pw@ignored:1/0", MasterName: "mymaster",
		SentinelAddrs: []string{"s1:26379", "s2:26379"}, Prefix: "bot", WaitReplicas: 2, WaitTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if o.MasterName != "mymaster" || len(o.SentinelAddrs) != 2 || o.Password != "pw" || o.Prefix != "bot" || o.WaitReplicas != 2 || o.WaitTimeout != time.Second {
		t.Fatalf("Sentinel settings: %+v", o)
	}
	o, err = redis.OptionsFrom(redis.Settings{ClusterAddrs: []string{"c1:7000"}})
	if err != nil || !o.Cluster || len(o.Addrs) != 1 {
		t.Fatalf("Cluster settings: %+v %v", o, err)
	}
	if _, err := redis.OptionsFrom(redis.Settings{}); !errors.Is(err, redis.ErrNoAddress) {
		t.Fatalf("no address: %v", err)
	}
	if _, err := redis.OptionsFrom(redis.Settings{MasterName: "m"}); err == nil {
		t.Fatal("a master name without sentinels was accepted")
	}
	if _, err := redis.OptionsFrom(redis.Settings{URL: "redis://u:s3cret@bad host:1"}); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("bad URL: %v", err)
	}
}

// BenchmarkDurableUpdate measures what WAIT costs: a document update
// with its audit line, plain and durable, against a master with an
// in-sync replica (both on loopback), and durable without a replica.
func BenchmarkDurableUpdate(b *testing.B) {
	master := redistest.StartServer(b)
	redistest.StartReplica(b, master)
	alone := redistest.StartServer(b)
	run := func(b *testing.B, url string, durable bool) {
		s := newStore(b, url, redistest.Prefix())
		ctx := b.Context()
		ref := store.Ref{Scope: "acme", Collection: "requests", ID: "R-1"}
		d, err := s.Create(ctx, ref, make([]byte, 1024))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			e := store.AuditEntry{At: when, Action: "request.executing"}
			if durable {
				d, err = store.UpdateDurable(ctx, s, ref, d.Version, d.Data, e)
			} else {
				d, err = s.Update(ctx, ref, d.Version, d.Data, e)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("Update/replica", func(b *testing.B) { run(b, master.URL, false) })
	b.Run("UpdateDurable/replica", func(b *testing.B) { run(b, master.URL, true) })
	b.Run("UpdateDurable/no-replica", func(b *testing.B) { run(b, alone.URL, true) })
}

// A durable write with a claim: the claim goes in the write's pipeline,
// before WAIT, so a replica that acknowledged the write has the claim
// too; a write that stands only on the master keeps its claim, and one
// that lost gives it back.
func TestUpdateReplicatedAndClaim(t *testing.T) {
	master := redistest.StartServer(t)
	replica := redistest.StartReplica(t, master)
	ctx := t.Context()
	s := newStore(t, master.URL, redistest.Prefix(), generous)
	ref := store.Ref{Scope: "acme", Collection: "requests", ID: "R-" + redistest.Prefix()}
	d := create(t, s, ref)
	claim := "outbox:" + ref.ID
	d, claimed, err := store.UpdateDurableAndClaim(ctx, s, ref, d.Version, []byte("pending"), claim, time.Minute, store.AuditEntry{At: when, Action: "request.pending_approval"})
	if err != nil || !claimed {
		t.Fatalf("UpdateDurableAndClaim with an in-sync replica: claimed %v, %v", claimed, err)
	}
	if got := onReplica(t, replica, s, ref); got != itoa(d.Version) {
		t.Fatalf("replica has version %s after the durable write of %d", got, d.Version)
	}
	rc := goredis.NewClient(&goredis.Options{Addr: replica.Addr})
	defer rc.Close()
	if keys, err := rc.Keys(ctx, "*:claim:"+claim).Result(); err != nil || len(keys) != 1 {
		t.Fatalf("the replica does not have the claim the WAIT covered: %v %v", keys, err)
	}

	srv := redistest.StartServer(t)
	one := newStore(t, srv.URL, redistest.Prefix(), func(o *redis.Options) { o.WaitReplicas, o.WaitTimeout = 1, 50*time.Millisecond })
	d = create(t, one, ref)
	d, claimed, err = store.UpdateDurableAndClaim(ctx, one, ref, d.Version, []byte("v2"), claim, time.Minute)
	if !errors.Is(err, store.ErrNotReplicated) || !claimed || d.Version != 2 {
		t.Fatalf("UpdateDurableAndClaim waiting for 1 of 0 replicas: version %d, claimed %v, %v; want version 2, the claim and ErrNotReplicated", d.Version, claimed, err)
	}
	if won, err := one.Claim(ctx, claim, time.Minute); err != nil || won {
		t.Fatalf("Claim after a write that stands on the master: %v %v, want it held", won, err)
	}
	if err := one.Release(ctx, claim); err != nil {
		t.Fatal(err)
	}
	if _, claimed, err := store.UpdateDurableAndClaim(ctx, one, ref, 1, []byte("stale"), claim, time.Minute); !errors.Is(err, store.ErrVersionMismatch) || claimed {
		t.Fatalf("stale UpdateDurableAndClaim: claimed %v, %v; want ErrVersionMismatch", claimed, err)
	}
	if won, err := one.Claim(ctx, claim, time.Minute); err != nil || !won {
		t.Fatalf("Claim after a stale durable write: %v %v, want it given back", won, err)
	}
}
