// @strata/config/l2 — the L2 store (and a Redis client beside it) from the `l2` section; drivers load lazily.
export { createL2Store, createL2RedisClient, hostAndPort } from './l2-store-from-config.js'
