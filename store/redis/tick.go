package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/store/internal/timekey"
)

var _ store.DueUnscheduler = (*Store)(nil)

// luaUnscheduleDue removes the items still scheduled at the given due
// instants: one HMGET reads them all, then one ZREM and one HDEL per
// thousand remove those whose due matches. A script's redis.call costs
// more than the command it runs, and luaUnscheduleMany makes three per
// item. Safe to run twice: a rerun finds nothing left to remove.
//
//	KEYS: zset, hash
//	ARGV: id, hex due, id, hex due, ...
//	reply: how many were removed
const luaUnscheduleDue = `
local ids = {}
for i = 1, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return 0 end
local cur = redis.call('HMGET', KEYS[2], unpack(ids))
local members, gone = {}, {}
for i, v in ipairs(ids) do
  local at = ARGV[2 * i]
  if cur[i] and string.sub(cur[i], 1, 16) == at then
    members[#members + 1] = at .. v
    gone[#gone + 1] = v
  end
end
for i = 1, #gone, 1000 do
  local j = math.min(i + 999, #gone)
  redis.call('ZREM', KEYS[1], unpack(members, i, j))
  redis.call('HDEL', KEYS[2], unpack(gone, i, j))
end
return #gone
`

// UnscheduleDue removes the items still scheduled at their Due,
// pipeBatch items per script call, all in one round trip.
func (s *Store) UnscheduleDue(ctx context.Context, scope, queue string, items []store.ScheduledItem) error {
	ctx, cancel, err := s.begin(ctx, "unschedule")
	if err != nil {
		return err
	}
	defer cancel()
	keys := s.schedKeys(scope, queue)
	var ks [][]string
	var args [][]any
	for start := 0; start < len(items); start += pipeBatch {
		var a []any
		for _, it := range items[start:min(start+pipeBatch, len(items))] {
			if it.ID != "" {
				a = append(a, it.ID, timekey.Hex(timekey.Uint(it.Due)))
			}
		}
		if len(a) > 0 {
			ks, args = append(ks, keys), append(args, a)
		}
	}
	if len(ks) == 0 {
		return nil
	}
	// Built per call: a Script only holds the source and its digest.
	if _, err := s.runScripts(ctx, goredis.NewScript(luaUnscheduleDue), ks, args); err != nil {
		return s.wrap("unschedule", err)
	}
	return nil
}
