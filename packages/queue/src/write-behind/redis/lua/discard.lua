-- Removes the given keys' pending writes if they still carry the tag and set a value (a newer write that dropped the
-- tag, or a pending delete, stays): the check is repeated here because a write may have replaced the one the caller
-- scanned. Removal is settle's, whatever the lease: a flush that already read the write still lands it.
-- KEYS: 1 versions, 2 values, 3 since, 4 ready ; ARGV: 1 tag, then fields
local tag = ARGV[1]
local removed = 0
for i = 2, #ARGV do
  local field = ARGV[i]
  local text = redis.call('HGET', KEYS[2], field)
  if text then
    local payload = cjson.decode(text)
    local tagged = false
    if type(payload.tg) == 'table' then
      for _, t in ipairs(payload.tg) do
        if t == tag then tagged = true end
      end
    end
    if tagged and payload.x ~= cjson.null then
      redis.call('HDEL', KEYS[1], field)
      redis.call('HDEL', KEYS[2], field)
      redis.call('ZREM', KEYS[3], field)
      redis.call('ZREM', KEYS[4], field)
      removed = removed + 1
    end
  end
end
return removed
