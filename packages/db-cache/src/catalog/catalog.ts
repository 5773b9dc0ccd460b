import type { RelationName } from '../sql/statement-analysis.js'

/** The one thing the catalog needs from a connection: run a parameterised query. */
export interface CatalogQueryable {
  query<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>
}

/** A base relation a query depends on, with its tag name `schema.name`. */
export interface BaseTable {
  schema: string
  name: string
}

export interface ResolvedRelation {
  /** The tables whose changes change the relation's content: itself, or a view's base tables (recursively). */
  tables: BaseTable[]
  /** A temporary relation is private to one session: a pooled query must not cache it. */
  temporary: boolean
}

export type Volatility = 'immutable' | 'stable' | 'volatile'

export interface FunctionInfo {
  /** The most volatile overload with that name (the parser does not know which overload is called). */
  volatility: Volatility
  /** Defined outside pg_catalog: may read tables the query does not name. */
  userDefined: boolean
}

// A view's base tables, through its rewrite rule's dependencies (pg_depend on pg_rewrite), down through nested
// views. Materialized views, foreign tables and partitioned tables are leaves: their own changes are what matters.
const BASE_TABLES_SQL = `
WITH RECURSIVE deps(oid) AS (
  SELECT c.oid FROM pg_class c WHERE c.oid = $1::oid
  UNION
  SELECT d.refobjid
    FROM deps
    JOIN pg_class v ON v.oid = deps.oid AND v.relkind = 'v'
    JOIN pg_rewrite r ON r.ev_class = v.oid
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
   WHERE d.refobjid <> deps.oid
)
SELECT n.nspname AS schema, c.relname AS name
  FROM deps JOIN pg_class c ON c.oid = deps.oid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'm', 'f')
 ORDER BY 1, 2`

/**
 * Resolves relation names to base tables and function names to their volatility, from pg_catalog, and remembers the
 * answers (cleared when DDL goes through the cache). Lookups of one name share one round trip.
 */
export class Catalog {
  private readonly relations = new Map<string, Promise<ResolvedRelation | undefined>>()
  private readonly functions = new Map<string, Promise<FunctionInfo | undefined>>()

  constructor(private readonly db: CatalogQueryable) {}

  /** undefined when no such relation exists (the query will fail on its own). */
  resolveRelation(relation: RelationName): Promise<ResolvedRelation | undefined> {
    const qualified = relation.schema === undefined ? quoteIdent(relation.name) : `${quoteIdent(relation.schema)}.${quoteIdent(relation.name)}`
    let found = this.relations.get(qualified)
    if (found === undefined) {
      found = this.lookupRelation(qualified)
      this.relations.set(qualified, found)
      // A relation that does not exist yet may be created later: do not remember its absence.
      found.then(
        (value) => value === undefined && this.relations.delete(qualified),
        () => this.relations.delete(qualified),
      )
    }
    return found
  }

  functionInfo(name: string): Promise<FunctionInfo | undefined> {
    let found = this.functions.get(name)
    if (found === undefined) {
      found = this.lookupFunction(name)
      this.functions.set(name, found)
      found.catch(() => this.functions.delete(name))
    }
    return found
  }

  /** After DDL: views, tables and functions may have changed. */
  clear(): void {
    this.relations.clear()
    this.functions.clear()
  }

  private async lookupRelation(qualified: string): Promise<ResolvedRelation | undefined> {
    const found = await this.db.query<{ oid: number; relpersistence: string }>(
      `SELECT c.oid::int AS oid, c.relpersistence FROM pg_class c WHERE c.oid = to_regclass($1)`,
      [qualified],
    )
    const row = found.rows[0]
    if (row === undefined) return undefined
    const tables = await this.db.query<{ schema: string; name: string }>(BASE_TABLES_SQL, [row.oid])
    return { tables: tables.rows.map(({ schema, name }) => ({ schema, name })), temporary: row.relpersistence === 't' }
  }

  private async lookupFunction(name: string): Promise<FunctionInfo | undefined> {
    const parts = name.split('.')
    const proname = parts.at(-1)!
    const schema = parts.length > 1 ? parts.at(-2) : undefined
    const found = await this.db.query<{ volatility: string | null; user_defined: boolean | null }>(
      `SELECT max(CASE p.provolatile WHEN 'v' THEN 3 WHEN 's' THEN 2 ELSE 1 END)::int AS volatility,
              bool_or(n.nspname NOT IN ('pg_catalog', 'information_schema')) AS user_defined
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.proname = $1 AND ($2::text IS NULL OR n.nspname = $2)
          AND ($2::text IS NOT NULL OR n.nspname = ANY (current_schemas(true)))`,
      [proname, schema ?? null],
    )
    const row = found.rows[0]
    if (row?.volatility === null || row?.volatility === undefined) return undefined
    const volatility: Volatility = Number(row.volatility) === 3 ? 'volatile' : Number(row.volatility) === 2 ? 'stable' : 'immutable'
    return { volatility, userDefined: row.user_defined === true }
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
