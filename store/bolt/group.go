package bolt

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	bbolt "go.etcd.io/bbolt"

	"github.com/licensebot/licensebot/store"
)

// group is a group commit. bbolt has one writer at a time and each commit
// costs two fdatasync calls, so concurrent chat turns used to queue for
// one commit each. Here the first writer commits at once with everything
// queued so far, and whoever queued meanwhile is committed together by
// the next leader: alone, a write waits for nothing (unlike bbolt's
// DB.Batch, which waits up to MaxBatchDelay for company); under load,
// one fsync serves many writes.
//
// As with DB.Batch, a function that fails with a real error rolls back
// its whole commit; the others are run again without it in a new
// transaction, and it gets its error. A lost compare-and-swap is not
// such an error: it is the caller's answer, and the commit goes on.
type group struct {
	mu      sync.Mutex
	running bool
	pending []*groupCall
	commits atomic.Int64
}

type groupCall struct {
	fn  func(*bbolt.Tx) error
	err error
	// wake carries true when the call is to lead the next commit, false
	// when it is done.
	wake chan bool
}

// lostCAS: errors that fail only their own call.
func lostCAS(err error) bool {
	return errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrVersionMismatch) || errors.Is(err, store.ErrNotFound)
}

func (g *group) do(db *bbolt.DB, fn func(*bbolt.Tx) error) error {
	c := &groupCall{fn: fn, wake: make(chan bool, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, c)
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if !lead && !<-c.wake {
		return c.err
	}
	g.mu.Lock()
	calls := g.pending
	g.pending = nil
	g.mu.Unlock()
	g.commit(db, calls)
	for _, o := range calls {
		if o != c {
			o.wake <- false
		}
	}
	g.mu.Lock()
	if len(g.pending) > 0 {
		g.pending[0].wake <- true
	} else {
		g.running = false
	}
	g.mu.Unlock()
	return c.err
}

// commit runs calls in one transaction, setting each call's err.
func (g *group) commit(db *bbolt.DB, calls []*groupCall) {
	for len(calls) > 0 {
		failed := -1
		err := db.Update(func(tx *bbolt.Tx) error {
			for i, c := range calls {
				c.err = safely(c.fn, tx)
				if c.err != nil && !lostCAS(c.err) {
					failed = i
					return c.err
				}
			}
			return nil
		})
		if err == nil {
			g.commits.Add(1)
			return
		}
		if failed < 0 {
			// The commit itself failed (the disk, a closed file).
			for _, c := range calls {
				c.err = err
			}
			return
		}
		calls = append(calls[:failed:failed], calls[failed+1:]...)
	}
}

// safely runs fn, turning a panic into an error: a panic in one caller's
// function must not leave the others of its commit waiting forever.
func safely(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bolt: write panicked: %v", p)
		}
	}()
	return fn(tx)
}
