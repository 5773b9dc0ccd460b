// Shapes of the public APIs the console reads (docs/reference/openapi.json). The gateway's own shapes come from
// @strata/api, which the gateway validates with and the client SDK uses too; types only, nothing reaches the bundle.
import type { EntryView, NamespaceSpec } from '@strata/api'

export type { Latency, NamespaceSecurity, NamespaceStats, NamespaceView, StatsSnapshot } from '@strata/api'
export type NamespacePolicy = NamespaceSpec
export type WriteMode = NonNullable<NamespaceSpec['writeMode']>
export type EntryInfo = EntryView

export interface ConsoleConfig {
  mode: 'embedded' | 'gateway'
  version: string
  services: { alerting?: string; analytics?: string; invalidator?: string }
}

/** @strata/invalidation's one dry run: null where the store cannot count (no L2 for keys; Memcached for the rest). */
export interface DryRunCounts {
  keys: number | null
  prefixes: number | null
  tags: number | null
  expireTags: number | null
  all: number | null
}

export interface InvalidationRequest {
  keys?: string[]
  tags?: string[]
  prefixes?: string[]
  all?: boolean
}

/** @strata/invalidation's one invalidation record, as GET /v1/invalidations lists it. */
export interface InvalidationRecord {
  id: string
  at: number
  namespace: string | null
  trigger: 'event' | 'manual' | 'schedule' | 'purge' | 'subject'
  actor?: string
  rule?: string
  sourceEventType?: string
  upstream?: string
  targets: { keys?: string[]; tags?: string[]; expireTags?: string[]; prefixes?: string[]; all?: boolean; surrogateKeys?: string[]; urls?: string[] }
  entriesRemoved: number | null
}

export interface Grant {
  namespace: string
  scopes: string[]
}

export interface ApiKeyView {
  id: string
  name: string
  grants: Grant[]
  createdAt: number
  expiresAt?: number
  revokedAt?: number
}

export interface AuditRecord {
  seq: number
  at: number
  actor: string
  action: string
  resource: string
  outcome: string
  ip?: string
  detail?: Record<string, unknown>
}

export interface AlertRuleView {
  name: string
  kind: string
  severity: string
  summary: string
  origin: string
  forMs: number
  windowMs: number
  by: string[]
  op?: string
  threshold?: number
}

export interface AlertView {
  fingerprint: string
  rule: string
  labels: Record<string, string>
  severity: string
  summary: string
  state: 'pending' | 'firing' | 'resolved'
  activeSince: number
  firedAt?: number
  resolvedAt?: number
  value?: number
}

export interface SilenceView {
  id: string
  matchers: Record<string, string>
  startsAt: number
  endsAt: number
  comment: string
  createdBy: string
}

export interface DeliveryView {
  notificationId: string
  receiver: string
  attempt: number
  outcome: string
  status?: number
  error?: string
  at: number
}

export interface HeavyHitter {
  key: string
  count: number
  error: number
}

export interface Trend {
  metric: string
  change: number | null
  current: number
  previous: number
}

export interface NamespaceReport {
  namespace: string
  requests: number
  perSecond: number
  hitRatio: number | null
  staleRatio: number | null
  bytes: number
  evictions: number
  hotKeys: HeavyHitter[]
  keysHashed: boolean
  mrc?: { samplingRate: number; references: number; points: Array<{ size: number; hitRatio: number }>; l1MaxEntries?: number }
  series: Array<{ bucket: number; requests: number; hitRatio: number | null }>
  trends: { hourOverHour: Trend[]; dayOverDay: Trend[] }
  /** The optimization report (missing from analytics services older than this console). */
  recommendations?: Recommendation[]
}

export interface Recommendation {
  kind: string
  severity: 'info' | 'warning'
  finding: string
  action: string
  keys?: string[]
}

export interface AnalyticsReport {
  generatedAt: number
  window: { from: number; to: number; granularity: string }
  namespaces: NamespaceReport[]
  errors: Array<{ code: string; service: string; namespace: string; count: number }>
  invalidations: Array<{ namespace: string; kind: string; count: number; keys: number }>
}
