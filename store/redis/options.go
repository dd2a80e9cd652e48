package redis

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Defaults for Options. They are short on purpose: a chat adapter must ack
// within 3 s, so "storage unavailable" has to be known well before that.
const (
	DefaultPrefix       = "licensebot"
	DefaultDialTimeout  = 2 * time.Second
	DefaultReadTimeout  = time.Second
	DefaultWriteTimeout = time.Second
	DefaultOpTimeout    = 5 * time.Second
	// DefaultWaitTimeout bounds how long a durable write waits for a
	// replica: long enough for a healthy replica on the same network
	// (well under a millisecond), short enough to stay inside a chat
	// turn when the replica is gone.
	DefaultWaitTimeout = 500 * time.Millisecond
)

// Options configure New. The zero value plus Addrs is a working single
// node configuration.
type Options struct {
	// Addrs: one "host:port" for a single node; several for Cluster (or
	// set Cluster with one seed).
	Addrs []string
	// Cluster forces Cluster mode even with a single seed address.
	Cluster bool
	// MasterName selects Sentinel: the client asks SentinelAddrs (or
	// Addrs if empty) for the current master of this name.
	MasterName       string
	SentinelAddrs    []string
	SentinelUsername string
	SentinelPassword string

	Username string
	Password string
	DB       int
	// TLSConfig enables TLS (rediss:// sets it).
	TLSConfig *tls.Config

	// Prefix starts every key (default DefaultPrefix). Several
	// deployments can share one Redis with different prefixes. It may not
	// contain '{' or '}', which would break Cluster hash tags.
	Prefix string

	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// OpTimeout bounds one store call whose context has no deadline, so
	// that an unreachable server becomes ErrUnavailable in bounded time
	// rather than after every dial retry.
	OpTimeout time.Duration
	// MaxRetries is go-redis's retry count for network errors (0: its
	// default of 3; -1: none). Every write this package sends is
	// idempotent, so retries never apply a change twice.
	MaxRetries int
	// PoolSize is the number of connections per node (0: go-redis
	// default, 10 per CPU).
	PoolSize int
	// ClientName is shown by CLIENT LIST (default "licensebot").
	ClientName string

	// WaitReplicas is how many replicas a durable write
	// (store.UpdateDurable) waits for with WAIT. 0, the default, means
	// one when the master reports a connected replica and none
	// otherwise; a negative value never waits.
	WaitReplicas int
	// WaitTimeout bounds that wait (default DefaultWaitTimeout, or half
	// of a ReadTimeout shorter than twice that). It must be shorter than
	// ReadTimeout, which bounds reading WAIT's reply.
	WaitTimeout time.Duration
}

// ParseURL reads a REDIS_URL: redis://[user:password@]host[:port][/db] or
// rediss:// for TLS, with go-redis query options (dial_timeout,
// read_timeout, write_timeout, pool_size, max_retries). Sentinel and
// Cluster settings (MasterName, SentinelAddrs, Addrs) are added by the
// caller from configuration. Errors never echo the URL, which may hold a
// password.
func ParseURL(rawURL string) (Options, error) {
	if strings.HasPrefix(rawURL, "unix:") {
		return Options{}, errors.New("redis: parse url: unix sockets are not supported")
	}
	o, err := goredis.ParseURL(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Options{}, fmt.Errorf("redis: parse url: %w", err)
	}
	return Options{
		Addrs:        []string{o.Addr},
		Username:     o.Username,
		Password:     o.Password,
		DB:           o.DB,
		TLSConfig:    o.TLSConfig,
		DialTimeout:  o.DialTimeout,
		ReadTimeout:  o.ReadTimeout,
		WriteTimeout: o.WriteTimeout,
		MaxRetries:   o.MaxRetries,
		PoolSize:     o.PoolSize,
		ClientName:   o.ClientName,
	}, nil
}

func (o Options) universal() *goredis.UniversalOptions {
	u := &goredis.UniversalOptions{
		Addrs:            o.Addrs,
		IsClusterMode:    o.Cluster,
		MasterName:       o.MasterName,
		SentinelUsername: o.SentinelUsername,
		SentinelPassword: o.SentinelPassword,
		Username:         o.Username,
		Password:         o.Password,
		DB:               o.DB,
		TLSConfig:        o.TLSConfig,
		ClientName:       cmp.Or(o.ClientName, "licensebot"),
		DialTimeout:      cmp.Or(o.DialTimeout, DefaultDialTimeout),
		ReadTimeout:      cmp.Or(o.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:     cmp.Or(o.WriteTimeout, DefaultWriteTimeout),
		// Without it a context deadline does not bound socket waits.
		ContextTimeoutEnabled: true,
		MaxRetries:            o.MaxRetries,
		PoolSize:              o.PoolSize,
		// go-redis dials 5 times per attempt by default; against a
		// black-holed address that is 5 dial timeouts before a retry.
		DialerRetries: 2,
	}
	if o.MasterName != "" && len(o.SentinelAddrs) > 0 {
		u.Addrs = o.SentinelAddrs
	}
	return u
}

// Settings are the bot's Redis settings as an operator writes them: the
// URL (REDIS_URL or redis.url), and the configuration's redis section.
type Settings struct {
	// URL carries the credentials, TLS, database and client options;
	// with Sentinel or Cluster it may be empty or name no useful host.
	URL    string
	Prefix string
	// MasterName with SentinelAddrs selects Sentinel.
	MasterName    string
	SentinelAddrs []string
	// ClusterAddrs selects Cluster.
	ClusterAddrs []string
	// WaitReplicas and WaitTimeout: see Options.
	WaitReplicas int
	WaitTimeout  time.Duration
}

// ErrNoAddress: the settings name no Redis to connect to.
var ErrNoAddress = errors.New("no Redis address: set REDIS_URL, redis.url, redis.cluster_addrs or redis.master_name with redis.sentinel_addrs")

// OptionsFrom turns settings into Options: the URL first, then Cluster
// or Sentinel addresses on top of it. The bot's commands and the tests
// that connect the way it does both go through it. Errors never echo the
// URL.
func OptionsFrom(s Settings) (Options, error) {
	var opts Options
	if s.URL != "" {
		o, err := ParseURL(s.URL)
		if err != nil {
			return Options{}, err
		}
		opts = o
	}
	if len(s.ClusterAddrs) > 0 {
		opts.Addrs, opts.Cluster = s.ClusterAddrs, true
	}
	if s.MasterName != "" {
		if len(s.SentinelAddrs) == 0 {
			return Options{}, fmt.Errorf("redis: master name %q without sentinel addresses", s.MasterName)
		}
		opts.MasterName, opts.SentinelAddrs = s.MasterName, s.SentinelAddrs
	}
	if len(opts.Addrs) == 0 && len(opts.SentinelAddrs) == 0 {
		return Options{}, ErrNoAddress
	}
	opts.Prefix = cmp.Or(s.Prefix, opts.Prefix)
	opts.WaitReplicas = s.WaitReplicas
	opts.WaitTimeout = s.WaitTimeout
	return opts, nil
}
