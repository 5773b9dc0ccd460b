import type { NamespaceSpec, OriginSpec } from '@strata/api'

/** The gateway's request and answer shapes, as its OpenAPI document describes them (durations in milliseconds). */

// The shapes the gateway, this SDK and the console share live in @strata/api.
export type { EntryPage, EntryView, NamespaceStatsView, NamespaceView, Readiness, WriteResult } from '@strata/api'
export type NamespacePolicy = NamespaceSpec
export type OriginPolicy = OriginSpec

export interface WriteOptions {
  ttl?: number
  tags?: readonly string[]
  /** Write only if the current ETag is this one (412 E_PRECONDITION_FAILED otherwise). */
  ifMatch?: string
  /** '*' creates only: 412 if the key exists. */
  ifNoneMatch?: string
}

export interface EntryMetadata<T> {
  /** Undefined when `notModified`. */
  value: T
  notModified: boolean
  etag: string | undefined
  cache: 'HIT' | 'MISS'
  ageSeconds: number | undefined
  ttlSeconds: number | undefined
}

export interface ListEntriesOptions {
  prefix?: string
  tag?: string
  /** Per page, 1 to 500 (default 50). */
  limit?: number
  /** The cursor of the previous page. */
  cursor?: string
}

export interface BatchSetItem {
  key: string
  value: unknown
  ttl?: number
  tags?: readonly string[]
}

export interface InvalidationRequest {
  keys?: readonly string[]
  tags?: readonly string[]
  expireTags?: readonly string[]
  /** Every key that starts with one of these (the gateway scans L2 for them). */
  prefixes?: readonly string[]
  all?: boolean
}

export interface InvalidationResult {
  namespace: string
  keys: number
  tags: number
  expireTags: number
  prefixes: number
  all: boolean
  /** The invalidation record (@strata/invalidation's InvalidationRecord), as GET /v1/invalidations lists it. */
  record?: unknown
}

/** What `dryRun: true` answers: per target, what would be invalidated; null where the store cannot count it. */
export interface DryRunResult {
  dryRun: true
  namespace: string
  counts: { keys: number | null; prefixes: number | null; tags: number | null; expireTags: number | null; all: number | null }
}

export interface PurgeRequest {
  url?: string
  upstream?: string
  surrogateKeys?: readonly string[]
}

export interface PurgeResult {
  purged: { urls: number; surrogateKeys: number }
}

export interface EventResult {
  type: string
  /** Rules the event matched; 0 comes with a `warning` (e.g. a misspelled type). */
  matched: number
  applied: number
  /** One invalidation record per rule applied (@strata/invalidation's InvalidationRecord). */
  invalidations: unknown[]
  warning?: string
}
