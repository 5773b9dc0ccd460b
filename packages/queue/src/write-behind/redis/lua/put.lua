-- Coalesces a batch of write-behind writes, in order, each with the backpressure check in the same atomic step:
-- the batch is exactly the writes one by one, in one script call (the producer's round trip and script start are
-- paid once per batch instead of once per write).
-- KEYS: 1 versions (hash field -> version), 2 values (hash field -> payload),
--       3 since (zset field -> time of its oldest unflushed write), 4 ready (zset field -> claimable-at)
-- ARGV: 1 maxDepth (0 = none), 2 maxLagMs (0 = none), then 5 per write: field, version, at, payload, now
-- Returns one reply per write: {1} when accepted (or superseded by a newer pending write), {0, reason, depth, lagMs}
-- when refused.
local maxDepth = tonumber(ARGV[1])
local maxLag = tonumber(ARGV[2])
local replies = {}
for i = 3, #ARGV, 5 do
  local field = ARGV[i]
  local version = tonumber(ARGV[i + 1])
  local reply = {1}
  local current = redis.call('HGET', KEYS[1], field)
  if not (current and tonumber(current) >= version) then
    local depth = -1
    if not current and maxDepth > 0 then
      depth = redis.call('ZCARD', KEYS[3])
      if depth >= maxDepth then
        reply = {0, 'depth', depth, 0}
      end
    end
    if reply[1] == 1 and maxLag > 0 then
      local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
      if oldest[2] then
        local lag = tonumber(ARGV[i + 4]) - tonumber(oldest[2])
        if lag > maxLag then
          if depth < 0 then depth = redis.call('ZCARD', KEYS[3]) end
          reply = {0, 'lag', depth, lag}
        end
      end
    end
    if reply[1] == 1 then
      redis.call('HSET', KEYS[1], field, ARGV[i + 1])
      redis.call('HSET', KEYS[2], field, ARGV[i + 3])
      -- NX: a key already pending keeps the time of its oldest unflushed write, and a leased key keeps its lease
      -- (the flush job in progress, or the settle after it, picks the newer version up).
      redis.call('ZADD', KEYS[3], 'NX', ARGV[i + 2], field)
      redis.call('ZADD', KEYS[4], 'NX', ARGV[i + 2], field)
    end
  end
  replies[#replies + 1] = reply
end
return replies
