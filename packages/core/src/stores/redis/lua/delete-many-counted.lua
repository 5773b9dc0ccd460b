-- Deletes values and their leases, answering how many of the values were there: an invalidation's count and its
-- delete in one atomic step (one round trip), so nothing written between a count and a delete is miscounted.
-- KEYS: lease1, value1, lease2, value2, ...
local found = 0
for i = 1, #KEYS, 2 do
  found = found + redis.call('DEL', KEYS[i + 1])
  redis.call('DEL', KEYS[i])
end
return found
