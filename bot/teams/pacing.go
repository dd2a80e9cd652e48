package teams

import (
	"sync"
	"time"
)

// paceLimit is "at most n sends per window".
type paceLimit struct {
	n      int
	window time.Duration
}

// teamsLimits are Teams' limits per bot and conversation (thread) that
// matter at our volumes: 7 messages a second and 60 in 30 seconds.
func teamsLimits() []paceLimit {
	return []paceLimit{{n: 7, window: time.Second}, {n: 60, window: 30 * time.Second}}
}

// pacer hands out send slots per conversation so this process stays
// under Teams' limits and 429s remain the exception. It keeps, per
// conversation, the times already handed out (in the future when callers
// queue) and never sleeps itself: reserve says how long the caller waits.
// Slots are first come, first served. Several replicas each pace
// themselves; the retry on 429 covers the rest. Safe for concurrent use.
type pacer struct {
	limits []paceLimit
	keep   time.Duration // the longest window
	most   int           // the largest n
	mu     sync.Mutex
	convs  map[string][]time.Time // reserved send times, oldest first
	calls  int
}

func newPacer(limits []paceLimit) *pacer {
	p := &pacer{limits: limits, convs: map[string][]time.Time{}}
	for _, l := range limits {
		p.keep, p.most = max(p.keep, l.window), max(p.most, l.n)
	}
	return p
}

// reserve books the earliest send time for conv, at or after now and
// after every earlier reservation, that keeps each limit; it returns how
// long to wait for it.
func (p *pacer) reserve(conv string, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.calls%256 == 0 {
		p.prune(now)
	}
	log := p.convs[conv]
	for len(log) > 0 && now.Sub(log[0]) >= p.keep {
		log = log[1:]
	}
	at := now
	if n := len(log); n > 0 && log[n-1].After(at) {
		at = log[n-1]
	}
	// With at after every reservation, a limit holds when the n-th most
	// recent reservation is a full window before at.
	for _, l := range p.limits {
		if len(log) >= l.n {
			if t := log[len(log)-l.n].Add(l.window); t.After(at) {
				at = t
			}
		}
	}
	log = append(log, at)
	if len(log) > p.most {
		log = append([]time.Time(nil), log[len(log)-p.most:]...)
	}
	p.convs[conv] = log
	return at.Sub(now)
}

// prune forgets conversations idle for longer than every window.
func (p *pacer) prune(now time.Time) {
	for c, log := range p.convs {
		if len(log) == 0 || now.Sub(log[len(log)-1]) >= p.keep {
			delete(p.convs, c)
		}
	}
}
