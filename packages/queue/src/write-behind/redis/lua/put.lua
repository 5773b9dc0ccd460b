-- Coalesces one write-behind write, with the backpressure check in the same atomic step.
-- KEYS: 1 versions (hash field -> version), 2 values (hash field -> payload),
--       3 since (zset field -> time of its oldest unflushed write), 4 ready (zset field -> claimable-at)
-- ARGV: 1 field, 2 version, 3 at, 4 payload, 5 now, 6 maxDepth (0 = none), 7 maxLagMs (0 = none)
-- Returns {1} when accepted (or superseded by a newer pending write), {0, reason, depth, lagMs} when refused.
local field = ARGV[1]
local version = tonumber(ARGV[2])
local current = redis.call('HGET', KEYS[1], field)
if current and tonumber(current) >= version then
  return {1}
end
local maxDepth = tonumber(ARGV[6])
local maxLag = tonumber(ARGV[7])
local depth = -1
if not current and maxDepth > 0 then
  depth = redis.call('ZCARD', KEYS[3])
  if depth >= maxDepth then
    return {0, 'depth', depth, 0}
  end
end
if maxLag > 0 then
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if oldest[2] then
    local lag = tonumber(ARGV[5]) - tonumber(oldest[2])
    if lag > maxLag then
      if depth < 0 then depth = redis.call('ZCARD', KEYS[3]) end
      return {0, 'lag', depth, lag}
    end
  end
end
redis.call('HSET', KEYS[1], field, ARGV[2])
redis.call('HSET', KEYS[2], field, ARGV[4])
-- NX: a key already pending keeps the time of its oldest unflushed write, and a leased key keeps its lease (the
-- flush job in progress, or the settle after it, picks the newer version up).
redis.call('ZADD', KEYS[3], 'NX', ARGV[3], field)
redis.call('ZADD', KEYS[4], 'NX', ARGV[3], field)
return {1}
