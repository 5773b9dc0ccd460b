-- Deletes a key only while the caller still holds its lease, releasing the lease with it, in one atomic step: a set
-- or delete that lands after the caller checked the value has removed the lease, so this delete does not remove it.
-- KEYS[1] lease, KEYS[2] value   ARGV[1] token
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
