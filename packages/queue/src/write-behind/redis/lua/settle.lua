-- Removes keys whose pending version reached the origin (or a dead letter); a key with a newer pending write stays,
-- becomes ready at once, and its lag counts from that write.
-- KEYS: 1 versions, 2 values, 3 since, 4 ready ; ARGV: field, version, field, version, ...
local removed = 0
for i = 1, #ARGV, 2 do
  local field = ARGV[i]
  local current = redis.call('HGET', KEYS[1], field)
  if current then
    if tonumber(current) <= tonumber(ARGV[i + 1]) then
      redis.call('HDEL', KEYS[1], field)
      redis.call('HDEL', KEYS[2], field)
      redis.call('ZREM', KEYS[3], field)
      redis.call('ZREM', KEYS[4], field)
      removed = removed + 1
    else
      local at = cjson.decode(redis.call('HGET', KEYS[2], field)).at
      redis.call('ZADD', KEYS[3], at, field)
      redis.call('ZADD', KEYS[4], at, field)
    end
  end
end
return removed
