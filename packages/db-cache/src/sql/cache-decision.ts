import type { BaseTable, Catalog } from '../catalog/catalog.js'
import type { StatementAnalysis } from './statement-analysis.js'

/** Why a query went to PostgreSQL without the cache. Stable names: they are keys in stats. */
export type PassThroughReason =
  | 'not-a-read'
  | 'unparsable'
  | 'several-statements'
  | 'volatile-function'
  | 'time-dependent'
  | 'stable-user-function'
  | 'locking-clause'
  | 'open-transaction'
  | 'temporary-table'
  | 'unknown-relation'
  | 'unknown-function'
  | 'custom-type-parsers'
  | 'too-large'

export type CacheDecision = { cache: true; tables: BaseTable[] } | { cache: false; reason: PassThroughReason; detail: string }

// Built-in functions whose value moves with the clock or the session even though pg_proc calls them stable (now() is
// STABLE: fixed within a transaction, not across them). Volatile ones (random, clock_timestamp, nextval, ...) are
// found in pg_proc and need no list.
const TIME_DEPENDENT = new Set([
  'now',
  'current_timestamp',
  'statement_timestamp',
  'transaction_timestamp',
  'localtimestamp',
  'current_date',
  'current_time',
  'localtime',
  'current_setting',
  'pg_backend_pid',
  'txid_current',
  'txid_current_if_assigned',
  'pg_current_xact_id',
  'inet_client_addr',
  'inet_client_port',
  'pg_postmaster_start_time',
  'pg_conf_load_time',
])

/**
 * Decides whether a read may be cached and which tables tag it. Everything that could make two runs of the same
 * text differ without a table change passes through, with the reason.
 */
export async function decideRead(analysis: StatementAnalysis, catalog: Catalog): Promise<CacheDecision> {
  if (analysis.kind !== 'read') {
    const reason: PassThroughReason = analysis.note === 'several statements in one query' ? 'several-statements' : 'not-a-read'
    return { cache: false, reason, detail: analysis.note ?? `a ${analysis.kind} statement` }
  }
  if (analysis.locking) return { cache: false, reason: 'locking-clause', detail: 'FOR UPDATE/SHARE takes row locks' }
  if (analysis.sessionValues) return { cache: false, reason: 'time-dependent', detail: 'uses CURRENT_TIMESTAMP/CURRENT_USER-like SQL value functions' }
  for (const name of new Set(analysis.functions)) {
    const bare = name.slice(name.lastIndexOf('.') + 1)
    if (TIME_DEPENDENT.has(bare) && (bare === name || name.startsWith('pg_catalog.'))) {
      return { cache: false, reason: 'time-dependent', detail: `${name}() changes with time or session` }
    }
    const info = await catalog.functionInfo(name)
    if (info === undefined) return { cache: false, reason: 'unknown-function', detail: `${name}() is not in pg_proc on the search_path` }
    if (info.volatility === 'volatile') return { cache: false, reason: 'volatile-function', detail: `${name}() is volatile (pg_proc.provolatile = 'v')` }
    // A stable user function may read tables the query does not name: its result cannot be tagged.
    if (info.volatility === 'stable' && info.userDefined) return { cache: false, reason: 'stable-user-function', detail: `${name}() is a stable user function and may read tables` }
  }
  const tables = new Map<string, BaseTable>()
  for (const relation of analysis.reads) {
    const resolved = await catalog.resolveRelation(relation)
    const label = relation.schema === undefined ? relation.name : `${relation.schema}.${relation.name}`
    if (resolved === undefined) return { cache: false, reason: 'unknown-relation', detail: `relation ${label} does not exist` }
    if (resolved.temporary) return { cache: false, reason: 'temporary-table', detail: `${label} is a temporary table (private to one session)` }
    for (const table of resolved.tables) tables.set(`${table.schema}.${table.name}`, table)
  }
  return { cache: true, tables: [...tables.values()] }
}
