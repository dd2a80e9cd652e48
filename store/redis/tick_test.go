package redis_test

import (
	"testing"

	"github.com/licensebot/licensebot/store/redis"
	"github.com/licensebot/licensebot/store/redis/redistest"
	"github.com/licensebot/licensebot/store/storetest"
)

func TestUnscheduleDue(t *testing.T) {
	s, _ := redistest.Store(t)
	storetest.UnscheduleDue(t, s, 2500) // three script calls
}

// The same on miniredis, which the tests use where no redis-server is
// installed: its Lua must run the script too (fewer items: miniredis
// under -race is slow).
func TestUnscheduleDueMiniredis(t *testing.T) {
	in := redistest.Miniredis(t).Instance(t)
	s, err := redis.New(in.Options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	storetest.UnscheduleDue(t, s, 50)
}
