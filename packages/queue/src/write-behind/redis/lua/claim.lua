-- Leases up to ARGV[2] ready keys, oldest first, until ARGV[3].
-- KEYS: 1 ready ; ARGV: 1 now, 2 max, 3 leaseUntil
local fields = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
if #fields > 0 then
  local args = {}
  for i, field in ipairs(fields) do
    args[2 * i - 1] = ARGV[3]
    args[2 * i] = field
  end
  redis.call('ZADD', KEYS[1], 'XX', unpack(args))
end
return fields
