// @strata/api — Strata's HTTP contracts: the schemas the gateway validates with, the shapes its answers take, and the
// answers of the alerting and analytics APIs. Shared by those services, the client SDK and the console (which imports
// types only, so nothing of it reaches the browser bundle).
export { Duration, NamespaceSecuritySchema, NamespaceSpecSchema, OriginSpecSchema, type NamespaceSecurity, type NamespaceSpec, type OriginSpec } from './namespace-spec.js'
export { EntryPageSchema, EntryViewSchema, type EntryPage, type EntryView } from './entry-view.js'
export type { NamespaceStatsView, NamespaceView, Readiness, WriteResult } from './namespace-view.js'
export type { Latency, NamespaceStats, ProxyUpstreamStats, StatsSnapshot } from './stats-snapshot.js'
export { ApiKeyViewSchema, AuditRecordSchema, GrantSchema, RateLimitSchema, SCOPES, ScopeSchema, type ApiKeyView, type AuditRecordView, type Grant, type Scope } from './api-key-view.js'
export type {
  AlertRule,
  AlertState,
  AlertView,
  Comparison,
  DeliveryRecord,
  Expr,
  LabelMatcher,
  Selector,
  Severity,
  Silence,
} from './alerting-views.js'
export type {
  AlertTimelineEntry,
  AnalyticsReport,
  Anomaly,
  Granularity,
  HeavyHitter,
  IngestCounters,
  LatencySummary,
  MrcPoint,
  NamespaceReport,
  Recommendation,
  ResourceSample,
  SeriesPoint,
  SeriesReport,
  TierReport,
  TimelineEntry,
  Trend,
  WarmRunTimelineEntry,
} from './analytics-report.js'
export type { ConsoleConfig, ConsoleServices } from './console-config.js'
