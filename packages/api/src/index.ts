// @strata/api — the gateway's HTTP contract: schemas it validates with, and the shapes its answers take. Shared by the
// gateway, the client SDK and the console (which imports types only, so nothing of it reaches the browser bundle).
export { Duration, NamespaceSecuritySchema, NamespaceSpecSchema, OriginSpecSchema, type NamespaceSecurity, type NamespaceSpec, type OriginSpec } from './namespace-spec.js'
export { EntryPageSchema, EntryViewSchema, type EntryPage, type EntryView } from './entry-view.js'
export type { NamespaceStatsView, NamespaceView, Readiness, WriteResult } from './namespace-view.js'
export type { Latency, NamespaceStats, StatsSnapshot } from './stats-snapshot.js'
