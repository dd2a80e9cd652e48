// Package clock is the injected source of time. Nothing in licensebot calls
// time.Now() outside main: every package takes a Clock, so tests and the
// scripted chat can set the time and move it forward.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Func adapts a function to Clock; main passes Func(time.Now).
type Func func() time.Time

// Now returns f().
func (f Func) Now() time.Time { return f() }

// Manual is a clock that only moves when told to. It is safe for
// concurrent use.
type Manual struct {
	mu  sync.RWMutex
	now time.Time
}

// NewManual returns a clock stopped at t.
func NewManual(t time.Time) *Manual { return &Manual{now: t} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.now
}

// Set moves the clock to t (forward or back).
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.now = t
	m.mu.Unlock()
}

// Advance moves the clock forward by d.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.mu.Unlock()
}

// Offset is a clock that runs with a real one but can be moved: after
// Set(t) it reads t plus the real time elapsed since. The interactive chat
// uses it so /now jumps ahead while time keeps flowing.
type Offset struct {
	real Clock
	mu   sync.RWMutex
	off  time.Duration
}

// NewOffset returns a clock reading real's time until Set.
func NewOffset(real Clock) *Offset { return &Offset{real: real} }

// Now returns the real time plus the offset.
func (o *Offset) Now() time.Time {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.real.Now().Add(o.off)
}

// Set makes the clock read t now.
func (o *Offset) Set(t time.Time) {
	o.mu.Lock()
	o.off = t.Sub(o.real.Now())
	o.mu.Unlock()
}

// Setter is a clock that can be set (Manual, Offset).
type Setter interface {
	Clock
	Set(time.Time)
}
