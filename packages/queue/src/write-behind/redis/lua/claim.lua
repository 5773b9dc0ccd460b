-- Leases up to ARGV[2] ready keys, oldest first, until ARGV[3] (variadic ZADD XX in chunks: unpack is bounded).
-- KEYS: 1 ready ; ARGV: 1 now, 2 max, 3 leaseUntil
local CHUNK = 1000
local fields = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
for first = 1, #fields, CHUNK do
  local args = {}
  for i = first, math.min(first + CHUNK - 1, #fields) do
    args[#args + 1] = ARGV[3]
    args[#args + 1] = fields[i]
  end
  redis.call('ZADD', KEYS[1], 'XX', unpack(args))
end
return fields
