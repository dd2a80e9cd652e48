package store

import "context"

// DueUnscheduler is implemented by backends that remove many items of a
// queue in one step, each only where it is still scheduled: a reminders
// tick unschedules what it handled, by id and the due instant it read,
// and an item that Sync moved to another instant meanwhile is a new
// schedule to keep. On Redis it is one script that reads the items with
// one command and removes them with two, where UnscheduleMany costs three
// commands per item inside its script (most of the server's time in a
// 1,000-item tick's unschedule).
type DueUnscheduler interface {
	// UnscheduleDue removes each item (by ID) of one queue that is
	// still scheduled at its Due; one absent, or scheduled at another
	// instant, is left as it is. Payloads are ignored.
	UnscheduleDue(ctx context.Context, scope, queue string, items []ScheduledItem) error
}

// UnscheduleDueAll removes the items still scheduled at their Due (see
// DueUnscheduler). A backend without it removes them by id
// (UnscheduleAll), moved or not.
func UnscheduleDueAll(ctx context.Context, s Schedules, scope, queue string, items []ScheduledItem) error {
	if len(items) == 0 {
		return nil
	}
	if u, ok := s.(DueUnscheduler); ok {
		return u.UnscheduleDue(ctx, scope, queue, items)
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return UnscheduleAll(ctx, s, scope, queue, ids)
}
