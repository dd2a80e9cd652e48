package bolt

import (
	"bytes"
	"context"

	bbolt "go.etcd.io/bbolt"

	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/internal/timekey"
)

var _ store.DueUnscheduler = (*Store)(nil)

// UnscheduleDue removes, in one transaction, the items still scheduled
// at their Due; one moved to another instant (or absent) is left as it
// is.
func (s *Store) UnscheduleDue(ctx context.Context, scope, queue string, items []store.ScheduledItem) error {
	if len(items) == 0 {
		return nil
	}
	return s.update(ctx, "unschedule", func(tx *bbolt.Tx) error {
		qb := queueBucket(tx, scope, queue)
		if qb == nil {
			return nil
		}
		due, ids := qb.Bucket(bucketDue), qb.Bucket(bucketIDs)
		for _, it := range items {
			at := timekey.Bytes(it.Due)
			if it.ID == "" || !bytes.Equal(ids.Get([]byte(it.ID)), at) {
				continue
			}
			if err := due.Delete(append(at, it.ID...)); err != nil {
				return err
			}
			if err := ids.Delete([]byte(it.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}
