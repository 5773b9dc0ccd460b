-- Extends the lease of keys still pending (XX: a settled key is not brought back), in one variadic ZADD per chunk.
-- KEYS: 1 ready ; ARGV: 1 leaseUntil, 2.. fields
local CHUNK = 1000
for first = 2, #ARGV, CHUNK do
  local args = {}
  for i = first, math.min(first + CHUNK - 1, #ARGV) do
    args[#args + 1] = ARGV[1]
    args[#args + 1] = ARGV[i]
  end
  redis.call('ZADD', KEYS[1], 'XX', unpack(args))
end
return 0
