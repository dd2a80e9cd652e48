package channel

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"
)

// Errors of Pool.Submit; the caller says what a refusal means on its
// platform (Slack: 503 so it retries; Teams: 503).
var (
	// ErrBusy: the person's queue is full. Nothing was queued.
	ErrBusy = errors.New("channel: queue full")
	// ErrClosed: the pool no longer takes work.
	ErrClosed = errors.New("channel: closed")
)

// Pool runs jobs on a fixed number of workers, each with its own bounded
// queue. Work is sharded by a key (the person), so one person's turns run
// in the order they arrived — "add 2 seats" then "yes" must not swap —
// while different people proceed in parallel.
//
// Submit never waits: when the shard's queue is full it refuses at once,
// so overload costs one quick answer per request and no goroutine waits
// for a slot.
type Pool struct {
	queues []chan func(context.Context)

	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.RWMutex
	closed  bool
	workers sync.WaitGroup
	pending sync.WaitGroup
}

// NewPool starts workers; queueSize is shared out between them.
func NewPool(workers, queueSize int) *Pool {
	workers = max(workers, 1)
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool{ctx: ctx, cancel: cancel}
	per := max(queueSize/workers, 1)
	for range workers {
		q := make(chan func(context.Context), per)
		p.queues = append(p.queues, q)
		p.workers.Go(func() {
			for j := range q {
				j(p.ctx)
				p.pending.Done()
			}
		})
	}
	return p
}

// Submit queues job on the worker for key, or returns ErrBusy when that
// queue is full and ErrClosed after Close.
func (p *Pool) Submit(key string, job func(context.Context)) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	q := p.queues[shard(key, len(p.queues))]
	p.pending.Add(1)
	select {
	case q <- job:
		return nil
	default:
		p.pending.Done()
		return ErrBusy
	}
}

// Idle waits until every submitted job has run (tests).
func (p *Pool) Idle() { p.pending.Wait() }

// Close stops accepting work, lets the queues drain until ctx is done,
// then cancels running jobs and waits for the workers.
func (p *Pool) Close(ctx context.Context) error {
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
