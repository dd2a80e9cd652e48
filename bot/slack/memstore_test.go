package slack

import (
	"github.com/licensebot/licensebot/bot/internal/chantest"
	"github.com/licensebot/licensebot/clock"
)

// memStore is the shared in-memory test store.
type memStore = chantest.MemStore

func newMemStore(clk clock.Clock) *memStore { return chantest.NewMemStore(clk) }
