-- Token bucket, one hash per subject: KEYS[1]; ARGV: rate (tokens/s), burst, now (ms), want (tokens to take, >= 1),
-- returned (unused tokens of an earlier lease handed back, >= 0).
-- One script so that the read, the refill and the take are one atomic step across every gateway instance.
-- Returns { granted (0..want), tokens left (floored), retry ms when nothing was granted }.
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local want = tonumber(ARGV[4] or '1')
local returned = tonumber(ARGV[5] or '0')
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000 + returned)
local granted = math.min(want, math.floor(tokens))
local retry = 0
if granted >= 1 then
  tokens = tokens - granted
else
  granted = 0
  retry = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return { granted, math.floor(tokens), retry }
