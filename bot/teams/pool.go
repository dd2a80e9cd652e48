package teams

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"
	"time"
)

// job is one activity handed from an acknowledged request to a worker.
type job struct {
	reqID string
	act   *Activity
}

// pool is a bounded set of workers, each with its own queue. Work is
// sharded by a key (the person), so one person's messages are handled in
// the order they arrived — "add 2 seats" then "yes" must not swap —
// while different people proceed in parallel.
type pool struct {
	queues []chan job
	run    func(ctx context.Context, j job)

	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.RWMutex
	closed  bool
	workers sync.WaitGroup
	pending sync.WaitGroup
}

var errPoolClosed = errors.New("teams: adapter closed")

func newPool(workers, queueSize int, run func(context.Context, job)) *pool {
	ctx, cancel := context.WithCancel(context.Background())
	p := &pool{run: run, ctx: ctx, cancel: cancel}
	per := max(queueSize/workers, 1)
	for range workers {
		q := make(chan job, per)
		p.queues = append(p.queues, q)
		p.workers.Go(func() {
			for j := range q {
				p.run(p.ctx, j)
				p.pending.Done()
			}
		})
	}
	return p
}

// submit queues j on the worker for key, waiting up to wait for room. It
// reports false when the queue stayed full or the pool is closed.
func (p *pool) submit(key string, j job, wait time.Duration) (bool, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false, errPoolClosed
	}
	q := p.queues[shard(key, len(p.queues))]
	p.pending.Add(1)
	select {
	case q <- j:
		return true, nil
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case q <- j:
		return true, nil
	case <-t.C:
		p.pending.Done()
		return false, nil
	}
}

// idle waits until every submitted job has run (tests).
func (p *pool) idle() { p.pending.Wait() }

// close stops accepting work, lets the queues drain until ctx is done,
// then cancels running jobs and waits for the workers.
func (p *pool) close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for _, q := range p.queues {
		close(q)
	}
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		p.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		p.cancel()
		return nil
	case <-ctx.Done():
		p.cancel()
		<-done
		return ctx.Err()
	}
}

func shard(key string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}
