package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/licensebot/licensebot/store"
)

// DueScheduler is a store with UnscheduleDue.
type DueScheduler interface {
	store.Schedules
	store.DueUnscheduler
}

// UnscheduleDue checks a backend's UnscheduleDue: it removes the items
// still scheduled at the given instants, and leaves alone an item moved
// to another instant since, an absent one, the others of the queue and
// the same ids in another queue; running it again changes nothing; n
// items (more than a backend's pipeline or script chunk) go whole.
func UnscheduleDue(t *testing.T, s DueScheduler, n int) {
	t.Helper()
	ctx := context.Background()
	t1 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	var items []store.ScheduledItem
	for i := range n {
		items = append(items, store.ScheduledItem{ID: fmt.Sprintf("it-%04d", i), Due: t1, Payload: []byte(`{}`)})
	}
	for _, q := range []string{"q", "other"} {
		if err := store.ScheduleAll(ctx, s, "scope", q, items); err != nil {
			t.Fatal(err)
		}
	}
	// it-0001 moves to t2 after the tick read it at t1.
	if err := s.Schedule(ctx, "scope", "q", store.ScheduledItem{ID: "it-0001", Due: t2, Payload: []byte(`{"moved":true}`)}); err != nil {
		t.Fatal(err)
	}
	// Remove every item but the last, as read at t1, and one never
	// scheduled.
	gone := append(items[:n-1:n-1], store.ScheduledItem{ID: "absent", Due: t1})
	for range 2 {
		if err := s.UnscheduleDue(ctx, "scope", "q", gone); err != nil {
			t.Fatal(err)
		}
		left, err := s.Scheduled(ctx, "scope", "q", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 2 || left[0].ID != items[n-1].ID || !left[0].Due.Equal(t1) ||
			left[1].ID != "it-0001" || !left[1].Due.Equal(t2) || string(left[1].Payload) != `{"moved":true}` {
			t.Fatalf("left in the queue: %+v, want %s at %s and it-0001 moved to %s", left, items[n-1].ID, t1, t2)
		}
	}
	other, err := s.Scheduled(ctx, "scope", "other", 0)
	if err != nil || len(other) != n {
		t.Fatalf("the other queue: %d items, %v; want %d", len(other), err, n)
	}
	if err := s.UnscheduleDue(ctx, "scope", "empty", gone); err != nil {
		t.Fatalf("a queue never used: %v", err)
	}
}
