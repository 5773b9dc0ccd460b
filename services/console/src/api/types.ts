// Shapes of the public APIs the console reads (docs/reference/openapi.json). Each is declared once, where the service
// that answers it takes it from: @strata/api for the gateway's, alerting's and analytics' answers, @strata/invalidation
// for the invalidation record, request and dry run. Types only: nothing of them reaches the bundle.
import type { EntryView, NamespaceSpec } from '@strata/api'

export type {
  AlertRule,
  AlertView,
  AnalyticsReport,
  ApiKeyView,
  AuditRecordView,
  ConsoleConfig,
  DeliveryRecord,
  Grant,
  HeavyHitter,
  Latency,
  NamespaceReport,
  NamespaceSecurity,
  NamespaceStats,
  NamespaceView,
  ProxyUpstreamStats,
  Recommendation,
  SeriesReport,
  Silence,
  StatsSnapshot,
  Trend,
} from '@strata/api'
export type { DryRunCounts, InvalidationRecord, InvalidationTargets } from '@strata/invalidation'
export type NamespacePolicy = NamespaceSpec
export type WriteMode = NonNullable<NamespaceSpec['writeMode']>
export type EntryInfo = EntryView
