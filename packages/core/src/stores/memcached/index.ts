export { MemcachedStore, memcachedStore, type MemcachedStoreOptions, type MemcachedServerHealth } from './memcached-store.js'
export type { ServerState as MemcachedServerState } from './memcached-server.js'
export { memcachedKeyOf } from './memcached-keys.js'
