package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// channelProblems checks the chat platforms' environment variables
// together, so `config check` says what `serve` would refuse or quietly
// skip: a Slack bot token with no way to receive events, half a Teams
// registration, tokens of the wrong kind.
func channelProblems() error {
	var errs []error
	bot, app, secret := os.Getenv("SLACK_BOT_TOKEN"), os.Getenv("SLACK_APP_TOKEN"), os.Getenv("SLACK_SIGNING_SECRET")
	switch {
	case bot == "" && (app != "" || secret != ""):
		errs = append(errs, errors.New("Slack: SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN (xoxb-…) is not"))
	case bot != "" && app == "" && secret == "":
		errs = append(errs, errors.New("Slack: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP) is"))
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
