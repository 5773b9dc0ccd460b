// @strata/core — the cache engine. Drivers for Redis and Memcached are subpath exports (@strata/core/redis,
// @strata/core/memcached) so that ioredis and memcached load only for those who use them.
export { createCache, StrataCache, type CreateCacheOptions } from './cache/strata-cache.js'
export { NamespaceCache } from './cache/namespace-cache.js'
export type { EntryOptions, SetOptions, GetOptions, SetEntryOptions } from './cache/entry-options.js'
export type {
  NamespaceOptions,
  Loader,
  LoaderContext,
  BatchLoader,
  Writer,
  EntryInfo,
  EntryMeta,
  EntryResult,
  EntrySource,
} from './cache/namespace-types.js'
export { HOOK_STAGES, type CacheHook, type HookContexts, type HookStage } from './cache/cache-hooks.js'
export type { CacheEventMap, CacheEventName, CacheListener, InvalidationKind, Tier } from './cache/cache-events.js'
export type { StatsSnapshot } from './cache/cache-stats.js'
export type { WriteCondition } from './cache/key-guard.js'
export type { InvalidationBus, InvalidationMessage, InvalidationOutbox, WriteBehindQueue, BufferedWrite } from './cache/ports.js'
export { LocalInvalidationBus } from './cache/local-bus.js'
export type { ResilienceOptions } from './cache/resilient-l2.js'
export type { L1Tier } from './cache/l1-tier.js'
export { type CacheEntry, type EntryState, entryState } from './model/cache-entry.js'
export {
  DEFAULT_POLICY,
  resolvePolicy,
  validatePolicy,
  type CachePolicy,
  type L1Options,
  type StampedeMode,
  type WriteMode,
} from './model/cache-policy.js'
export {
  StrataError,
  isStrataError,
  ERROR_CODES,
  type ErrorCode,
  toProblem,
  problem,
  validationIssues,
  PROBLEM_CONTENT_TYPE,
  type Problem,
} from './errors/index.js'
export { jsonCodec, msgpackCodec, createKeyring, encodeEntry, decodeEntry, type Codec, type Keyring } from './codecs/index.js'
export * from './stores/index.js'
export * from './l1/index.js'
