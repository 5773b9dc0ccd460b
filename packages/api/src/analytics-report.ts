// The analytics service's HTTP answers (GET /v1/report): the report model every format renders. The service builds
// it (services/analytics/src/report/report-model.ts) and the console reads it, from these declarations only.

export type Granularity = 'minute' | 'hour' | 'day'

/** Latency percentiles of an HdrHistogram, in milliseconds. */
export interface LatencySummary {
  count: number
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
}

/** One key of a Space-Saving top-K. */
export interface HeavyHitter {
  key: string
  /** Upper bound of the key's count; `count - error` is a lower bound. */
  count: number
  error: number
}

/** One point of a miss-ratio curve. */
export interface MrcPoint {
  /** Cache size in entries. */
  size: number
  /** Estimated LRU hit ratio at that size, 0..1. */
  hitRatio: number
}

export interface TierReport {
  tier: string
  requests: number
  /** Of the namespace's reads (set/delete rows: of its writes). */
  share: number
  latency: LatencySummary
}

/** One rollup bucket: requests of every kind, the hit ratio and latency of the reads (null: no read in the bucket). */
export interface SeriesPoint {
  bucket: number
  requests: number
  hitRatio: number | null
  p50Ms: number | null
  p99Ms: number | null
}

/**
 * GET /v1/series: the rollups of every namespace (or of one) bucket by bucket, for a window of at most 10,080 buckets
 * (a week of minutes; wider: 400 E_INVALID_REQUEST naming `window` or `from..to`, see docs/guides/observability.md).
 */
export interface SeriesReport {
  window: { from: number; to: number; granularity: Granularity }
  namespace: string | null
  series: SeriesPoint[]
}

export interface Trend {
  metric: 'requests' | 'hitRatio'
  /** requests: ratio current/previous - 1; hitRatio: difference in points. Null when the previous period was empty. */
  change: number | null
  current: number
  previous: number
}

export interface Anomaly {
  bucket: number
  metric: 'hitRatio' | 'p99Ms' | 'requests'
  value: number
  mean: number
  std: number
  z: number
}

/**
 * One finding of the optimization report: what the figures show and the policy change that addresses it. `kind` is
 * stable (dashboards and alert rules can key on it); the sentences are for people.
 */
export interface Recommendation {
  kind: 'hot-keys-off-l1' | 'grow-l1' | 'stampede' | 'low-hit-ratio' | 'stale-reads'
  severity: 'info' | 'warning'
  finding: string
  action: string
  /** The keys the finding is about, hottest first (hot keys, stampede-prone keys). */
  keys?: string[]
}

export interface NamespaceReport {
  namespace: string
  requests: number
  perSecond: number
  /** Hits (L1 + L2) over reads; stale answers count as neither. */
  hitRatio: number | null
  staleRatio: number | null
  bytes: number
  evictions: number
  tiers: TierReport[]
  hotKeys: HeavyHitter[]
  stampedeKeys: HeavyHitter[]
  keysHashed: boolean
  /**
   * LRU miss-ratio curve (SHARDS); absent when no access was sampled at rate 1. `relative`: the same read against the
   * gateways' L1 capacity ("an L1 of N× this size would hit X"), when a gateway reported it.
   */
  mrc?: { samplingRate: number; references: number; points: MrcPoint[]; l1MaxEntries?: number; relative?: Array<MrcPoint & { multiple: number }> }
  series: SeriesPoint[]
  trends: { hourOverHour: Trend[]; dayOverDay: Trend[] }
  anomalies: Anomaly[]
  /** The optimization report: findings and the policy changes that address them. */
  recommendations: Recommendation[]
}

/** The newest reading of one resource probe. */
export interface ResourceSample {
  probe: string
  kind: 'redis' | 'memcached' | 'kafka-lag' | 'process' | 'service'
  at: number
  values: Record<string, number>
  /** Set when the probe could not read the resource this time (the values are then empty). */
  error?: string
}

/** An alert changing state, as alerting announced it on strata.alerts.v1. */
export interface AlertTimelineEntry {
  kind: 'alert'
  at: number
  alertId: string
  rule: string
  state: 'pending' | 'firing' | 'resolved'
  severity: string
  summary: string
  labels: Record<string, string>
  value?: number
}

/** A finished warming run, as the warmer announced it on strata.warming.v1. */
export interface WarmRunTimelineEntry {
  kind: 'warm'
  at: number
  runId: string
  target: string
  trigger: 'schedule' | 'start' | 'hot-keys' | 'manual'
  loaded: number
  cached: number
  failed: number
  total: number
  durationMs: number
}

export type TimelineEntry = AlertTimelineEntry | WarmRunTimelineEntry

/** What the analytics service has ingested since it started; `skipped`: messages Kafka redelivered from behind the stored positions. */
export type IngestCounters = Record<'accesses' | 'batches' | 'droppedAtGateways' | 'errors' | 'invalidations' | 'alerts' | 'warmRuns' | 'invalid' | 'skipped', number>

export interface AnalyticsReport {
  generatedAt: number
  window: { from: number; to: number; granularity: Granularity }
  namespaces: NamespaceReport[]
  errors: Array<{ code: string; service: string; namespace: string; count: number }>
  invalidations: Array<{ namespace: string; kind: string; count: number; keys: number }>
  ingest: IngestCounters
  /** The newest reading of each resource probe. */
  resources: ResourceSample[]
  /**
   * Alert state changes (strata.alerts.v1) and finished warm runs (strata.warming.v1) in the window, newest first.
   * Kept in memory since this analytics process started, not in the rollups.
   */
  timeline: TimelineEntry[]
}
