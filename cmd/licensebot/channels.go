package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/config"
	"github.com/licensebot/licensebot/internal/secretbox"
)

// channelProblems checks the chat platforms' environment variables
// together, so `config check` says what `serve` would refuse or quietly
// skip: a Slack bot token with no way to receive events, half a Teams
// registration, tokens of the wrong kind.
func channelProblems() error {
	var errs []error
	bot, app, secret := os.Getenv("SLACK_BOT_TOKEN"), os.Getenv("SLACK_APP_TOKEN"), os.Getenv("SLACK_SIGNING_SECRET")
	clientID, clientSecret := os.Getenv("SLACK_CLIENT_ID"), os.Getenv("SLACK_CLIENT_SECRET")
	distributed := clientID != "" || clientSecret != ""
	switch {
	case bot == "" && !distributed && (app != "" || secret != ""):
		errs = append(errs, errors.New("Slack: SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN (xoxb-…) is not"))
	case (bot != "" || distributed) && app == "" && secret == "":
		errs = append(errs, errors.New("Slack: neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP) is set, so no event can arrive"))
	}
	if distributed {
		if clientID == "" || clientSecret == "" {
			errs = append(errs, errors.New("Slack: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (the app's OAuth credentials)"))
		}
		if _, err := secretbox.FromEnv(os.Getenv("LICENSEBOT_SECRET_KEY"), os.Getenv("LICENSEBOT_SECRET_KEY_OLD")); err != nil {
			errs = append(errs, fmt.Errorf("Slack: a distributed app stores each workspace's token encrypted: %w (make one with: openssl rand -base64 32)", err))
		}
		if u, err := url.Parse(os.Getenv("LICENSEBOT_PUBLIC_URL")); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			errs = append(errs, errors.New("Slack: a distributed app needs LICENSEBOT_PUBLIC_URL, the https:// address the install link and OAuth redirect use"))
		}
	}
	if bot != "" && !strings.HasPrefix(bot, "xoxb-") {
		errs = append(errs, errors.New("Slack: SLACK_BOT_TOKEN should be a bot token starting with xoxb-"))
	}
	if app != "" && !strings.HasPrefix(app, "xapp-") {
		errs = append(errs, errors.New("Slack: SLACK_APP_TOKEN should be an app-level token starting with xapp-"))
	}
	id, pw := os.Getenv("TEAMS_APP_ID"), os.Getenv("TEAMS_APP_PASSWORD")
	if (id == "") != (pw == "") {
		errs = append(errs, fmt.Errorf("Teams: TEAMS_APP_ID and TEAMS_APP_PASSWORD go together; only %s is set",
			map[bool]string{true: "TEAMS_APP_ID", false: "TEAMS_APP_PASSWORD"}[id != ""]))
	}
	return errors.Join(errs...)
}

// pool is what the chat adapters' worker pools and HTTP clients are
// sized with: the configuration's serve settings, else defaults for a
// machine of procs processors (GOMAXPROCS).
type pool struct {
	workers, queue, idleConns int
}

func poolFor(s config.Serve, procs int) pool {
	p := pool{workers: s.Workers, queue: s.QueueSize, idleConns: s.IdleConnsPerHost}
	if p.workers <= 0 {
		p.workers = channel.WorkersFor(procs)
	}
	if p.queue <= 0 {
		p.queue = channel.DefaultQueueSize(p.workers)
	}
	if p.idleConns <= 0 {
		p.idleConns = p.workers
	}
	return p
}

// channelConfig is the part of an adapter's configuration serve sizes.
func (p pool) channelConfig(c channel.Config) channel.Config {
	c.Workers, c.QueueSize = p.workers, p.queue
	return c
}

// httpClient is the client of a platform's API: as many idle connections
// per host as there may be calls at once (Go's default keeps 2, so a busy
// pool opens a new connection, and a TLS handshake, for most replies).
func (p pool) httpClient() *http.Client {
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(100, 2*p.idleConns),
		MaxIdleConnsPerHost:   p.idleConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}
