-- KEYS: 1 since, 2 ready ; ARGV: 1 now. Returns {depth, oldestAt or -1, ready}.
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {redis.call('ZCARD', KEYS[1]), oldest[2] or '-1', redis.call('ZCOUNT', KEYS[2], '-inf', ARGV[1])}
