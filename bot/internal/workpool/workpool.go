// Package workpool is the bounded, sharded worker pool the chat adapters
// (Slack, Teams) hand acknowledged events to. Work is sharded by a key
// (the person), so one person's messages are handled in the order they
// arrived — "add 2 seats" then "yes" must not swap — while different
// people proceed in parallel.
package workpool

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"
	"time"
)

// ErrClosed: the pool no longer takes work.
var ErrClosed = errors.New("adapter closed")

// Pool runs jobs of type J on a fixed number of workers, each with its
// own bounded queue.
type Pool[J any] struct {
	queues []chan J
	run    func(ctx context.Context, j J)

	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.RWMutex
	closed  bool
	workers sync.WaitGroup
	pending sync.WaitGroup
}

// New starts workers; queueSize is shared out between them.
func New[J any](workers, queueSize int, run func(context.Context, J)) *Pool[J] {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool[J]{run: run, ctx: ctx, cancel: cancel}
	per := max(queueSize/workers, 1)
	for range workers {
		q := make(chan J, per)
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

// Submit queues j on the worker for key, waiting up to wait for room. It
// reports false when the queue stayed full, and ErrClosed when the pool
// is closed; the caller decides what a refusal means for its platform.
func (p *Pool[J]) Submit(key string, j J, wait time.Duration) (bool, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false, ErrClosed
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

// Idle waits until every submitted job has run (tests).
func (p *Pool[J]) Idle() { p.pending.Wait() }

// Close stops accepting work, lets the queues drain until ctx is done,
// then cancels running jobs and waits for the workers.
func (p *Pool[J]) Close(ctx context.Context) error {
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
