export { RedisStore, type RedisStoreOptions } from './redis-store.js'
export { redisStore, FAIL_FAST_REDIS_OPTIONS, type RedisStoreConfig, type HostAndPort } from './redis-store-factory.js'
export { hashSlot } from './hash-slot.js'
export { leaseKeyOf } from './redis-keys.js'
