-- Removes keys whose pending version reached the origin (or a dead letter); a key with a newer pending write stays,
-- becomes ready at once, and its lag counts from that write. One HMGET and variadic deletes for the whole batch
-- (see put.lua: the per-call cost, not the work, dominated a loop of single-key calls).
-- KEYS: 1 versions, 2 values, 3 since, 4 ready ; ARGV: field, version, field, version, ...
local CHUNK = 1000

local function each(command, key, list)
  local result = {}
  for first = 1, #list, CHUNK do
    local part = redis.call(command, key, unpack(list, first, math.min(first + CHUNK - 1, #list)))
    if type(part) == 'table' then
      for j = 1, #part do result[first + j - 1] = part[j] end
    end
  end
  return result
end

-- A field named twice counts once, with the highest version settled.
local fields, settled, index = {}, {}, {}
for i = 1, #ARGV, 2 do
  local field, version = ARGV[i], tonumber(ARGV[i + 1])
  local n = index[field]
  if n == nil then
    fields[#fields + 1] = field
    settled[#fields] = version
    index[field] = #fields
  elseif version > settled[n] then
    settled[n] = version
  end
end

local current = each('HMGET', KEYS[1], fields)
local gone, again = {}, {}
for n = 1, #fields do
  if current[n] then
    if tonumber(current[n]) <= settled[n] then gone[#gone + 1] = fields[n] else again[#again + 1] = fields[n] end
  end
end

if #gone > 0 then
  each('HDEL', KEYS[1], gone)
  each('HDEL', KEYS[2], gone)
  each('ZREM', KEYS[3], gone)
  each('ZREM', KEYS[4], gone)
end
if #again > 0 then
  local payloads = each('HMGET', KEYS[2], again)
  for first = 1, #again, CHUNK do
    local args = {}
    for n = first, math.min(first + CHUNK - 1, #again) do
      args[#args + 1] = cjson.decode(payloads[n]).at
      args[#args + 1] = again[n]
    end
    redis.call('ZADD', KEYS[3], unpack(args))
    redis.call('ZADD', KEYS[4], unpack(args))
  end
end
return #gone
