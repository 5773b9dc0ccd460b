/** The gateway's request and answer shapes, as its OpenAPI document describes them (durations in milliseconds). */

export interface WriteOptions {
  ttl?: number
  tags?: readonly string[]
  /** Write only if the current ETag is this one (412 E_PRECONDITION_FAILED otherwise). */
  ifMatch?: string
  /** '*' creates only: 412 if the key exists. */
  ifNoneMatch?: string
}

export interface WriteResult {
  namespace: string
  key: string
  etag: string
  version: number
  expiresAt: number
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

/** An entry as the gateway's entry browser shows it: metadata only, never the value. */
export interface EntryView {
  key: string
  /** Where the answering gateway found it: its own L1, or L2. */
  tier: 'l1' | 'l2'
  ttlLeftMs: number
  graceLeftMs: number
  stale: boolean
  /** Encoded bytes (0 when unknown). */
  size: number
  tags: string[]
  version: number
}

export interface ListEntriesOptions {
  prefix?: string
  tag?: string
  /** Per page, 1 to 500 (default 50). */
  limit?: number
  /** The cursor of the previous page. */
  cursor?: string
}

export interface EntryPage {
  entries: EntryView[]
  /** Null once everything was listed. */
  cursor: string | null
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

export interface OriginPolicy {
  url: string
  timeoutMs?: number
  headers?: Record<string, string>
  honorCacheControl?: boolean
}

export interface NamespacePolicy {
  ttl?: number
  grace?: number
  l1Ttl?: number
  failSafeBackoff?: number
  refreshAhead?: number
  softTimeout?: number
  hardTimeout?: number
  stampede?: 'none' | 'local' | 'fleet'
  leaseTtl?: number
  writeMode?: 'cache-aside' | 'write-through' | 'write-behind'
  maxKeyLength?: number
  maxValueBytes?: number
  compressAbove?: number
  maxTtl?: number
  codec?: 'json' | 'msgpack'
  origin?: OriginPolicy
}

export interface NamespaceStatsView {
  hits: number
  misses: number
  l1Hits: number
  l2Hits: number
  staleHits: number
  hitRatio: number
  sets: number
  deletes: number
  loads: number
  loadErrors: number
}

export interface NamespaceView {
  name: string
  policy: NamespacePolicy
  stats: NamespaceStatsView
}

export interface Readiness {
  status: 'ready' | 'unready'
  checks: Record<string, { status: 'up' | 'down'; detail?: string }>
}
