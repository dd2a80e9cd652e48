package teams

import (
	"context"

	"github.com/licensebot/licensebot/bot/internal/workpool"
)

// job is one activity handed from an acknowledged request to a worker.
type job struct {
	reqID string
	act   *Activity
}

// pool is the shared worker pool (bot/internal/workpool): sharded by
// person so one person's turns run in order.
type pool = workpool.Pool[job]

func newPool(workers, queueSize int, run func(context.Context, job)) *pool {
	return workpool.New(workers, queueSize, run)
}
