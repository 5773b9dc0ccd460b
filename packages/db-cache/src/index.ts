// @strata/db-cache — a PostgreSQL query and result cache over a pg Pool. Change capture (logical replication to Kafka)
// is the subpath `@strata/db-cache/capture`.
export { DbCache, CachedClient, TransactionState, createDbCache, type DbCacheOptions } from './db-cache.js'
export { Catalog, type BaseTable, type ResolvedRelation, type FunctionInfo, type Volatility } from './catalog/catalog.js'
export { analyzeStatement, type StatementAnalysis, type RelationName } from './sql/statement-analysis.js'
export { loadSqlParser } from './sql/sql-parser.js'
export { decideRead, type CacheDecision, type PassThroughReason } from './sql/cache-decision.js'
export { QueryStats, type FingerprintStats, type Recommendation, type RecommendationOptions } from './stats/query-stats.js'
export { TableActivity } from './stats/table-activity.js'
export { ResultCache, type NamedResult, type ResultDefinition, type ResultLoader } from './results/result-cache.js'
export { tableTag, tableName } from './table-tags.js'
