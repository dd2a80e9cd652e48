package bolt_test

import (
	"path/filepath"
	"testing"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store/storetest"
)

func TestUnscheduleDue(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "licensebot.db"), clock.NewManual(start))
	storetest.UnscheduleDue(t, s, 2500)
}
