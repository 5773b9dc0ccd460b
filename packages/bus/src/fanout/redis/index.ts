// @strata/bus/redis — the fast invalidation fanout over Redis pub/sub (ioredis is loaded only by those who import it).
export { RedisInvalidationFanout, fastInvalidationChannel, type RedisInvalidationFanoutOptions } from './redis-invalidation-fanout.js'
