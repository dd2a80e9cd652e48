// Command licensebot is the one binary: `serve` runs the bot on Slack and
// Teams, `chat` talks to it in a terminal, and `subscriptions`,
// `requests`, `audit`, `config check` and `version` look inside.
//
// main is the only place that reads the real clock (time.Now); everything
// else takes the clock it is given, so --now can fix it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdin, os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "licensebot: %v\n", ue.err)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "licensebot: %v\n", err)
		os.Exit(1)
	}
}

// usageError is a bad flag or argument: one line, exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
