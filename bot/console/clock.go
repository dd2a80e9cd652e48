package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// The terminal's clock only moves forward over the life of a data
// directory: reminders, expiries and rollovers already run for a time
// must not run again because a later session started at the real
// (earlier) time or moved the clock back. The furthest time the clock was
// set to is kept in the store.

var clockRef = store.Ref{Collection: "console-clock", ID: "last"}

type savedClock struct {
	Last time.Time `json:"last"`
}

// LastClock is the furthest time a chat session set the clock to in
// this store, or zero.
func LastClock(ctx context.Context, s store.Store) (time.Time, error) {
	c, _, err := store.GetJSON[savedClock](ctx, s, clockRef)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read the chat clock: %w", err)
	}
	return c.Last, nil
}

// saveClock records t unless a later time is recorded already.
func saveClock(ctx context.Context, s store.Store, t time.Time) error {
	_, err := store.UpdateJSON(ctx, s, clockRef, func(c *savedClock, _ bool) ([]store.AuditEntry, error) {
		if t.After(c.Last) {
			c.Last = t
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("save the chat clock: %w", err)
	}
	return nil
}

// BackwardsError is a clock move to before a time already reached.
type BackwardsError struct {
	Want, Last time.Time
	Loc        *time.Location
}

func (e *BackwardsError) Error() string {
	return fmt.Sprintf("the clock is already at %s; it cannot go back to %s (what fell due in between has run: reminders would be sent twice). Use a later time, or a fresh --data directory",
		ShowTime(e.Last, e.Loc), ShowTime(e.Want, e.Loc))
}

// Resume brings the clock forward to where an earlier session left it,
// when it reads earlier (a new session starts at the real time). It
// returns the time resumed from, or zero when the clock was not moved.
// A clock fixed by the caller (--now) before that time is refused.
func (r *Runner) Resume(ctx context.Context, fixed bool) (time.Time, error) {
	last, err := LastClock(ctx, r.Store)
	if err != nil {
		return time.Time{}, err
	}
	now := r.Clock.Now()
	if last.IsZero() || !now.Before(last) {
		return time.Time{}, saveClock(ctx, r.Store, now)
	}
	if fixed {
		return time.Time{}, &BackwardsError{Want: now, Last: last, Loc: r.zone(workflows.Person{})}
	}
	r.Clock.Set(last)
	return last, nil
}

// when reads a /now or @now argument: an RFC 3339 time, a time without
// offset in the person's time zone ("2026-12-27T09:00", "2026-12-27"), or
// a move forward ("+30d", "+1w", "+2h", "+1d12h"; days keep the time of
// day in loc).
func when(arg string, now time.Time, loc *time.Location) (time.Time, error) {
	arg = strings.TrimSpace(arg)
	if days, dur, err := parseRelative(arg); err == nil {
		return now.In(loc).AddDate(0, 0, days).Add(dur), nil
	}
	if t, err := time.Parse(time.RFC3339, arg); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, arg, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: write +30d, +2h, 2026-12-27T09:00 (in %s) or 2026-12-27T09:00:00+01:00", arg, loc)
}

// ShowTime writes t in loc for people at a terminal: "Sun 27 Dec 2026,
// 09:00 CET (Europe/Paris)".
func ShowTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return fmt.Sprintf("%s (%s)", t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST"), loc)
}
