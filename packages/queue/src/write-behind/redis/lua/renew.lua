-- Extends the lease of keys still pending. KEYS: 1 ready ; ARGV: 1 leaseUntil, 2.. fields
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[i])
end
return 0
