package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua sources are constants; each Store builds its own *Script values
// (they cache a digest and are not shared between stores).

// Every mutating script is safe to run twice. go-redis retries a command
// whose reply was lost to a network error, and a Lua script that already
// ran would otherwise answer the retry with "exists" or "mismatch" for
// what was in fact our own success. Writes that are not naturally
// idempotent carry a random token: the first run records its result under
// a short-lived "done" key (same hash tag), and a rerun returns that
// result without writing again.

// luaAppendAudit appends ARGV entries (6 fields each, from index first) to
// the stream KEYS[key]. Entry ids are max(at ms, last id ms)-seq: the
// stream stays in append order when replicas' clocks disagree, and
// XRANGE from a time is still a seek. Never XDEL from these streams: the
// next id is derived from the last entry present.
const luaAppendAudit = `
local function append_audit(key, first, n)
  local lms_s, lms, lseq = '0', 0, 0
  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
  if #last > 0 then
    local id = last[1][1]
    local dash = string.find(id, '-', 1, true)
    lms_s = string.sub(id, 1, dash - 1)
    lms = tonumber(lms_s)
    lseq = tonumber(string.sub(id, dash + 1))
  end
  local ids = {}
  for i = 0, n - 1 do
    local b = first + i * 6
    local ms = tonumber(ARGV[b])
    if ms > lms then
      lms_s, lms, lseq = ARGV[b], ms, 0
    else
      lseq = lseq + 1
    end
    local id = lms_s .. '-' .. tostring(lseq)
    redis.call('XADD', key, id, 'at', ARGV[b+1], 'actor', ARGV[b+2], 'action', ARGV[b+3],
      'subject', ARGV[b+4], 'detail', ARGV[b+5])
    ids[#ids + 1] = id
  end
  return ids
end
`

// luaWrite is Create (ARGV[1] "c") and Update ("u") of a document with
// its audit entries, in one atomic step.
//
//	KEYS: doc hash, collection index, audit stream, done key
//	ARGV: mode, expected version, data, id, done ttl ms, n audit, entries...
//	reply: {"ok", version} | {"exists"} | {"notfound"} | {"mismatch"}
const luaWrite = luaAppendAudit + `
local done = redis.call('GET', KEYS[4])
if done then
  -- A retry of a write that was done: refresh the token, a replicated
  -- write, so that a WAIT on the retry's connection covers the original.
  redis.call('PEXPIRE', KEYS[4], ARGV[5])
  return {'ok', tonumber(done)}
end
local cur = redis.call('HGET', KEYS[1], 'v')
local v
if ARGV[1] == 'c' then
  if cur then return {'exists'} end
  v = 1
else
  if not cur then return {'notfound'} end
  if cur ~= ARGV[2] then return {'mismatch'} end
  v = tonumber(cur) + 1
end
redis.call('HSET', KEYS[1], 'v', v, 'd', ARGV[3])
if ARGV[1] == 'c' then redis.call('ZADD', KEYS[2], 0, ARGV[4]) end
append_audit(KEYS[3], 7, tonumber(ARGV[6]))
redis.call('SET', KEYS[4], v, 'PX', ARGV[5])
return {'ok', v}
`

// luaWriteMany is luaWrite for several documents of one scope, in order,
// in one call: each write is its own compare-and-swap with its own audit
// entries, and one that loses does not stop the others. A call per write
// cost the server more than the writes themselves (a reminders tick
// writes a thousand ledgers). One token covers the call: a rerun returns
// the first run's results.
//
//	KEYS: audit stream, done key, then a doc hash and a collection index per write
//	ARGV: done ttl ms, n writes, then per write: mode, expected version,
//	      data, id, n audit, entries...
//	reply: per write, the new version | "exists" | "notfound" | "mismatch"
const luaWriteMany = luaAppendAudit + `
local done = redis.call('GET', KEYS[2])
if done then
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
  local out = {}
  for r in string.gmatch(done, '[^,]+') do
    out[#out + 1] = tonumber(r) or r
  end
  return out
end
local out, a = {}, 3
for i = 1, tonumber(ARGV[2]) do
  local doc, idx = KEYS[1 + 2 * i], KEYS[2 + 2 * i]
  local mode, n = ARGV[a], tonumber(ARGV[a + 4])
  local cur = redis.call('HGET', doc, 'v')
  local r
  if mode == 'c' then
    if cur then r = 'exists' else r = 1 end
  elseif not cur then
    r = 'notfound'
  elseif cur ~= ARGV[a + 1] then
    r = 'mismatch'
  else
    r = tonumber(cur) + 1
  end
  if type(r) == 'number' then
    redis.call('HSET', doc, 'v', r, 'd', ARGV[a + 2])
    if mode == 'c' then redis.call('ZADD', idx, 0, ARGV[a + 3]) end
    if n > 0 then append_audit(KEYS[1], a + 5, n) end
  end
  out[i] = r
  a = a + 5 + 6 * n
end
redis.call('SET', KEYS[2], table.concat(out, ','), 'PX', ARGV[1])
return out
`

// luaAppend appends one audit entry.
//
//	KEYS: audit stream, done key
//	ARGV: done ttl ms, entry (6 fields)
//	reply: stream id
const luaAppend = luaAppendAudit + `
local done = redis.call('GET', KEYS[2])
if done then return done end
local id = append_audit(KEYS[1], 2, 1)[1]
redis.call('SET', KEYS[2], id, 'PX', ARGV[1])
return id
`

// luaClaim sets the claim to the caller's token if absent; finding its
// own token (a retried call) is a win too.
//
//	KEYS: claim key
//	ARGV: token, ttl ms
const luaClaim = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[1] then return 1 end
return 0
`

// Schedules: a sorted set whose members are hex(due) .. id, all with score
// 0 so that ZRANGEBYLEX orders by due time then id and "due by now" is a
// range that ends at hex(now+1ns); a hash id -> hex(due) .. payload finds
// the member to replace.

// luaSchedule adds or moves an item.
//
//	KEYS: zset, hash
//	ARGV: id, hex due, payload
const luaSchedule = `
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then redis.call('ZREM', KEYS[1], string.sub(old, 1, 16) .. ARGV[1]) end
redis.call('ZADD', KEYS[1], 0, ARGV[2] .. ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ARGV[3])
return 1
`

// luaUnschedule removes an item.
//
//	KEYS: zset, hash
//	ARGV: id
const luaUnschedule = `
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then return 0 end
redis.call('ZREM', KEYS[1], string.sub(old, 1, 16) .. ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`

// luaUnscheduleMany removes items: luaUnschedule for each id, in one
// call (the queue's keys share one slot).
//
//	KEYS: zset, hash
//	ARGV: ids
const luaUnscheduleMany = `
for _, id in ipairs(ARGV) do
  local old = redis.call('HGET', KEYS[2], id)
  if old then
    redis.call('ZREM', KEYS[1], string.sub(old, 1, 16) .. id)
    redis.call('HDEL', KEYS[2], id)
  end
end
return 1
`

// luaClaimMany is luaClaim for each key, in one call; only where keys
// may be in different slots together (not on Cluster). SET NX first: a
// free key, the usual case, costs one command instead of two.
//
//	KEYS: claim keys
//	ARGV: a token per key, then ttl ms
//	reply: {1 | 0, ...}
const luaClaimMany = `
local ttl = ARGV[#KEYS + 1]
local won = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[i], 'NX', 'PX', ttl) then
    won[i] = 1
  elseif redis.call('GET', key) == ARGV[i] then
    won[i] = 1
  else
    won[i] = 0
  end
end
return won
`

// luaIncrement adds one to a counter document (its data a decimal
// integer, as JSON writes it), creating it at 1; a retry with the same
// token returns the first result.
//
//	KEYS: doc hash, collection index, done key
//	ARGV: id, done ttl ms
//	reply: the new value
const luaIncrement = `
local done = redis.call('GET', KEYS[3])
if done then return tonumber(done) end
local cur = redis.call('HMGET', KEYS[1], 'v', 'd')
local v, n = 1, 1
if cur[1] then
  v = tonumber(cur[1]) + 1
  n = tonumber(cur[2])
  if not n then return redis.error_reply('ERR counter is not a number') end
  n = n + 1
else
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
end
redis.call('HSET', KEYS[1], 'v', v, 'd', tostring(n))
redis.call('SET', KEYS[3], n, 'PX', ARGV[2])
return n
`

// luaRange reads items up to a lex bound, in one round trip and one
// consistent view.
//
//	KEYS: zset, hash
//	ARGV: max ("+" or "(" .. hex), limit (<= 0: all)
//	reply: {id, hex due .. payload, ...}
const luaRange = `
local members
if tonumber(ARGV[2]) > 0 then
  members = redis.call('ZRANGEBYLEX', KEYS[1], '-', ARGV[1], 'LIMIT', 0, ARGV[2])
else
  members = redis.call('ZRANGEBYLEX', KEYS[1], '-', ARGV[1])
end
local out = {}
for _, m in ipairs(members) do
  local id = string.sub(m, 17)
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
end
return out
`

type scripts struct {
	write, append, claim, schedule, unschedule, rng *goredis.Script
	unscheduleMany, claimMany, increment, writeMany *goredis.Script
}

func newScripts() scripts {
	return scripts{
		write:      goredis.NewScript(luaWrite),
		append:     goredis.NewScript(luaAppend),
		claim:      goredis.NewScript(luaClaim),
		schedule:   goredis.NewScript(luaSchedule),
		unschedule: goredis.NewScript(luaUnschedule),
		rng:        goredis.NewScript(luaRange),

		unscheduleMany: goredis.NewScript(luaUnscheduleMany),
		claimMany:      goredis.NewScript(luaClaimMany),
		increment:      goredis.NewScript(luaIncrement),
		writeMany:      goredis.NewScript(luaWriteMany),
	}
}
