package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	goredis "github.com/redis/go-redis/v9"

	"github.com/licensebot/licensebot/store/redis"
)

// openRedis opens the Redis store from REDIS_URL (or redis.url in the
// configuration), with Sentinel or Cluster settings from the
// configuration. The URL may hold a password: it is never logged.
func (a *app) openRedis(ctx context.Context) error {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = a.cfg.Redis.URL
	}
	var opts redis.Options
	if url != "" {
		o, err := redis.ParseURL(url)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		opts = o
	}
	if len(a.cfg.Redis.ClusterAddrs) > 0 {
		opts.Addrs, opts.Cluster = a.cfg.Redis.ClusterAddrs, true
	}
	if a.cfg.Redis.MasterName != "" {
		opts.MasterName, opts.SentinelAddrs = a.cfg.Redis.MasterName, a.cfg.Redis.SentinelAddrs
	}
	if len(opts.Addrs) == 0 && len(opts.SentinelAddrs) == 0 {
		return errors.New("store is redis but neither REDIS_URL nor redis.url, redis.cluster_addrs or redis.sentinel_addrs is set")
	}
	if a.cfg.Redis.Prefix != "" {
		opts.Prefix = a.cfg.Redis.Prefix
	}
	// go-redis logs through a process-wide logger: set it here, in main,
	// the one place allowed to touch process-wide state.
	goredis.SetLogger(redisLog{a.log})
	s, err := redis.New(opts)
	if err != nil {
		return fmt.Errorf("open redis store: %w", err)
	}
	a.store = s
	return nil
}

// redisLog routes go-redis's own messages (dial failures during an
// outage) to our structured log instead of the standard logger.
type redisLog struct{ l *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}
