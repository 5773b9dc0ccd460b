-- Writes values and cancels the lease on each: a write is newer than whatever a lease holder is still loading, so
-- that holder's setWithLease must fail instead of overwriting it.
-- KEYS: lease1, value1, lease2, value2, ...   ARGV: bytes1, ttlMs1, bytes2, ttlMs2, ...  (the same pairing)
for i = 1, #KEYS, 2 do
  redis.call('SET', KEYS[i + 1], ARGV[i], 'PX', ARGV[i + 1])
  redis.call('DEL', KEYS[i])
end
return #KEYS / 2
