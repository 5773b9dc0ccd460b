-- Coalesces a batch of write-behind writes, in order, each with the backpressure check in the same atomic step:
-- the batch is exactly the writes one by one, in one script call (the producer's round trip and script start are
-- paid once per batch instead of once per write). Redis is read once and written once per key set (HMGET, then
-- variadic HSET / ZADD): a redis.call costs more than the work it does, so per-write calls would be most of the
-- script's time. The state the checks need (each key's version, the depth, the oldest write) is followed in Lua.
-- KEYS: 1 versions (hash field -> version), 2 values (hash field -> payload),
--       3 since (zset field -> time of its oldest unflushed write), 4 ready (zset field -> claimable-at)
-- ARGV: 1 maxDepth (0 = none), 2 maxLagMs (0 = none), then 5 per write: field, version, at, payload, now
-- Returns {} when every write was accepted (or superseded by a newer pending write), else one reply per write:
-- {1} accepted, {0, reason, depth, lagMs} refused.
local maxDepth = tonumber(ARGV[1])
local maxLag = tonumber(ARGV[2])
local CHUNK = 1000

-- Variadic commands in chunks of CHUNK pairs (unpack is bounded by Lua's stack).
local function pairwise(command, key, flat, option)
  for first = 1, #flat, 2 * CHUNK do
    local last = math.min(first + 2 * CHUNK - 1, #flat)
    if option then redis.call(command, key, option, unpack(flat, first, last))
    else redis.call(command, key, unpack(flat, first, last)) end
  end
end

local fields = {}
for i = 3, #ARGV, 5 do fields[#fields + 1] = ARGV[i] end
local stored = {}
for first = 1, #fields, CHUNK do
  local part = redis.call('HMGET', KEYS[1], unpack(fields, first, math.min(first + CHUNK - 1, #fields)))
  for j = 1, #part do stored[first + j - 1] = part[j] end
end

-- versions: field -> version pending after the writes so far; depth and oldest are read only if a limit needs them.
local versions = {}
local depth, oldest
if maxDepth > 0 or maxLag > 0 then depth = redis.call('ZCARD', KEYS[3]) end
if maxLag > 0 then
  local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if first[2] then oldest = tonumber(first[2]) end
end

local replies, refused = {}, false
local versionArgs, valueArgs, sinceArgs = {}, {}, {}
for n = 1, #fields do
  local i = 3 + (n - 1) * 5
  local field = fields[n]
  local version = tonumber(ARGV[i + 1])
  local current = versions[field]
  if current == nil then
    current = stored[n] and tonumber(stored[n]) or false
    versions[field] = current
  end
  local reply = {1}
  if not (current and current >= version) then
    if not current and maxDepth > 0 and depth >= maxDepth then
      reply = {0, 'depth', depth, 0}
    elseif maxLag > 0 and oldest and tonumber(ARGV[i + 4]) - oldest > maxLag then
      reply = {0, 'lag', depth, tonumber(ARGV[i + 4]) - oldest}
    else
      local at = tonumber(ARGV[i + 2])
      if not current then
        if depth then depth = depth + 1 end
        if maxLag > 0 and (not oldest or at < oldest) then oldest = at end
      end
      versions[field] = version
      versionArgs[#versionArgs + 1] = field
      versionArgs[#versionArgs + 1] = ARGV[i + 1]
      valueArgs[#valueArgs + 1] = field
      valueArgs[#valueArgs + 1] = ARGV[i + 3]
      sinceArgs[#sinceArgs + 1] = ARGV[i + 2]
      sinceArgs[#sinceArgs + 1] = field
    end
  end
  if reply[1] == 0 then refused = true end
  replies[n] = reply
end

if #versionArgs > 0 then
  -- A key written twice in the batch: HSET keeps the last (the newest, each accepted write beat the one before);
  -- ZADD NX keeps the first, the time of its oldest unflushed write, and a leased key keeps its lease (the flush
  -- job in progress, or the settle after it, picks the newer version up).
  pairwise('HSET', KEYS[1], versionArgs)
  pairwise('HSET', KEYS[2], valueArgs)
  pairwise('ZADD', KEYS[3], sinceArgs, 'NX')
  pairwise('ZADD', KEYS[4], sinceArgs, 'NX')
end
if refused then return replies end
return {}
