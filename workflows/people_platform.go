package workflows

import (
	"context"
	"errors"
	"fmt"

	"github.com/licensebot/licensebot/store"
)

// ErrUnknownPlatform is returned for a platform the bot does not speak.
var ErrUnknownPlatform = errors.New("unknown chat platform")

// Platforms a person can choose for the bot's messages.
const (
	PlatformSlack = "slack"
	PlatformTeams = "teams"
)

// SetPlatform records where email wants the bot's messages: "slack",
// "teams", or "" for wherever they last talked to it. It reports whether
// anything changed. Someone the directory does not know gets an error
// wrapping ErrUnknownPerson, and nothing is written.
func (d *StoreDirectory) SetPlatform(ctx context.Context, email, platform string) (bool, error) {
	email = normEmail(email)
	switch platform {
	case "", PlatformSlack, PlatformTeams:
	default:
		return false, fmt.Errorf("%q: %w", platform, ErrUnknownPlatform)
	}
	changed := false
	_, err := store.UpdateJSON(ctx, d.st, indexRef(email), func(v *personIndex, exists bool) ([]store.AuditEntry, error) {
		if !exists {
			return nil, fmt.Errorf("%s: %w", email, ErrUnknownPerson)
		}
		if v.Prefers == platform {
			return nil, store.ErrNoChange
		}
		v.Prefers, changed = platform, true
		return nil, nil
	})
	if err != nil && !errors.Is(err, store.ErrNoChange) {
		return false, fmt.Errorf("choose platform for %s: %w", email, err)
	}
	return changed, nil
}
