package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	goredis "github.com/redis/go-redis/v9"

	"github.com/licensebot/licensebot/config"
	"github.com/licensebot/licensebot/store/redis"
)

// openRedis opens the Redis store from REDIS_URL (or redis.url in the
// configuration), with Sentinel or Cluster settings and the replica wait
// of durable writes from the configuration. The URL may hold a password:
// it is never logged.
func (a *app) openRedis(ctx context.Context) error {
	set := redisSettings(a.cfg.Redis, os.Getenv("REDIS_URL"))
	opts, err := redis.OptionsFrom(set)
	if err != nil {
		return fmt.Errorf("store is redis: %w", err)
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

// redisSettings reads the configuration's redis section; REDIS_URL, when
// set, wins over redis.url (it may hold a password, which the file must
// not).
func redisSettings(c config.Redis, envURL string) redis.Settings {
	url := envURL
	if url == "" {
		url = c.URL
	}
	return redis.Settings{
		URL:           url,
		Prefix:        c.Prefix,
		MasterName:    c.MasterName,
		SentinelAddrs: c.SentinelAddrs,
		ClusterAddrs:  c.ClusterAddrs,
		WaitReplicas:  c.WaitReplicas,
		WaitTimeout:   c.WaitTimeoutDuration(),
	}
}

// redisLog routes go-redis's own messages (dial failures during an
// outage) to our structured log instead of the standard logger.
type redisLog struct{ l *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}
