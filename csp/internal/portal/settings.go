package portal

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/catalog"
)

// LocationOf is the time zone of a customer's term dates: its own
// setting, else def.
func LocationOf(each map[string]csp.CustomerSettings, customerID string, def *time.Location) *time.Location {
	if s, ok := each[customerID]; ok && s.Location != nil {
		return s.Location
	}
	return def
}

// WindowOf is a customer's seat-removal window when the portal does not
// say: its own setting, else def.
func WindowOf(each map[string]csp.CustomerSettings, customerID string, def time.Duration) time.Duration {
	if s, ok := each[customerID]; ok && s.RemovalWindow > 0 {
		return s.RemovalWindow
	}
	return def
}

// Common is what both clients take from their options in the same way.
type Common struct {
	HTTPClient *http.Client
	Logger     *slog.Logger
	Catalog    *csp.Catalog
	// Location and RemovalWindow are the defaults for customers that
	// have no settings of their own.
	Location      *time.Location
	RemovalWindow time.Duration
	Currency      string
	Sleep         Sleep
	// PollInterval and PollTimeout bound how long a write is followed.
	PollInterval time.Duration
	PollTimeout  time.Duration
}

// Defaults are a portal's values for what its options leave zero.
type Defaults struct {
	// Name prefixes errors and is the logger's "provider" attribute.
	Name          string
	Timeout       time.Duration
	Location      string
	RemovalWindow time.Duration
	PollInterval  time.Duration
	PollTimeout   time.Duration
	Currency      string
}

// Fill puts d's values into what c leaves zero, and tags the logger with
// the provider's name.
func (c *Common) Fill(d Defaults) error {
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: d.Timeout}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Logger = c.Logger.With("provider", d.Name)
	if c.Catalog == nil {
		cat, err := catalog.Default()
		if err != nil {
			return fmt.Errorf("%s: %w", d.Name, err)
		}
		c.Catalog = cat
	}
	if c.Location == nil {
		loc, err := time.LoadLocation(d.Location)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Name, err)
		}
		c.Location = loc
	}
	positive := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	positive(&c.RemovalWindow, d.RemovalWindow)
	positive(&c.PollInterval, d.PollInterval)
	positive(&c.PollTimeout, d.PollTimeout)
	if c.Currency == "" {
		c.Currency = d.Currency
	}
	if c.Sleep == nil {
		c.Sleep = SleepTimer
	}
	return nil
}

// Polls is how many times a write is re-read within PollTimeout. Polls
// are counted rather than timed so that a test clock that stands still
// cannot make a poll loop run forever.
func (c Common) Polls() int {
	return max(1, int((c.PollTimeout+c.PollInterval-1)/c.PollInterval))
}

// FirstNonEmpty returns the first non-empty string, or "".
func FirstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
