-- Compare-and-delete: only the holder releases a lease; a lease that expired and was taken by another stays.
-- KEYS[1] lease   ARGV[1] token
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
