package config

import (
	"fmt"
	"time"
)

// Sandbox settings make the embedded portal behave like a slow or flaky
// real one, so that a person can watch in `licensebot chat` what the bot
// does when a change is slow to show or its answer is lost. Both are off
// by default.
type Sandbox struct {
	// AcceptDelay is a duration ("2m"): every change is accepted at once
	// but shows in the portal only after it.
	AcceptDelay string `yaml:"accept_delay"`
	// FailAfterWrite is a probability from 0 to 1 that a change is made
	// but the call reports an error, as when a portal's answer is lost.
	FailAfterWrite float64 `yaml:"fail_after_write"`
}

// Delay is AcceptDelay parsed; 0 when unset (Validate has checked it).
func (s Sandbox) Delay() time.Duration {
	d, _ := time.ParseDuration(s.AcceptDelay)
	return d
}

// validateSandbox lists the sandbox settings' problems.
func (c *Config) validateSandbox() []error {
	var errs []error
	s := c.Sandbox
	if s.AcceptDelay != "" {
		if d, err := time.ParseDuration(s.AcceptDelay); err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("sandbox.accept_delay: %q is not a duration of 0 or more, like 2m", s.AcceptDelay))
		}
	}
	if s.FailAfterWrite < 0 || s.FailAfterWrite > 1 {
		errs = append(errs, fmt.Errorf("sandbox.fail_after_write: %g is not a probability from 0 to 1, like 0.2", s.FailAfterWrite))
	}
	if (s.AcceptDelay != "" || s.FailAfterWrite != 0) && c.Provider != "" && c.Provider != "sandbox" {
		errs = append(errs, fmt.Errorf("sandbox: accept_delay and fail_after_write apply to the sandbox provider only, not %q", c.Provider))
	}
	return errs
}
