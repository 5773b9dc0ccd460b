-- Fills a key only while the caller still holds its lease, then releases the lease, in one atomic step: a delete or
-- a set that lands before this runs has removed the lease, so a fill that began earlier cannot write after it.
-- KEYS[1] lease, KEYS[2] value   ARGV[1] token, ARGV[2] bytes, ARGV[3] ttlMs
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[1])
return 1
