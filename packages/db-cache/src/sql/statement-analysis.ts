import { createHash } from 'node:crypto'
import { maskLiterals } from './literal-masking.js'
import { parseSql, type AstNode } from './sql-parser.js'

/** A relation as the query names it; resolved against the catalog later (schema from the search_path). */
export interface RelationName {
  schema?: string
  name: string
}

/**
 * What the parser tells about one SQL text. `kind` decides the path: `read` may be cached, `write` invalidates the
 * tables it changes, `transaction` moves a client in or out of a transaction, `other` (SET, LISTEN, several
 * statements, ...) passes through.
 */
export interface StatementAnalysis {
  kind: 'read' | 'write' | 'transaction' | 'other'
  /** Same shape with other literals → same fingerprint (constants and token positions left out). */
  fingerprint: string
  /** The exact statement (constants kept, positions, whitespace and comments left out): part of the cache key. */
  shape: string
  /** The text with its literals replaced by `?` (what stats show). */
  masked: string
  /** Relations read (CTE names excluded). */
  reads: RelationName[]
  /** Relations changed (INSERT/UPDATE/DELETE/MERGE/TRUNCATE targets, and relations named by DDL). */
  writes: RelationName[]
  /** Functions called, as `name` or `schema.name`. */
  functions: string[]
  /** FOR UPDATE / FOR SHARE / FOR NO KEY UPDATE / FOR KEY SHARE anywhere. */
  locking: boolean
  /** CURRENT_TIMESTAMP, CURRENT_USER, ...: SQL keywords whose value depends on the moment or the session. */
  sessionValues: boolean
  /** For `transaction`: begin, commit, rollback, savepoint, ... */
  transaction?: 'begin' | 'commit' | 'rollback' | 'other'
  /** DDL changes the catalog: cached view resolutions must be dropped. */
  ddl: boolean
  /** Why a statement is not a plain read, when it is not (for stats). */
  note?: string
}

const WRITE_NODES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'])
const READ_ROOTS = new Set(['SelectStmt'])

/** Parses and analyses one SQL text. Throws the parser's error for invalid SQL. */
export function analyzeStatement(sql: string): StatementAnalysis {
  const parsed = parseSql(sql)
  const analysis: StatementAnalysis = {
    kind: 'other',
    fingerprint: '',
    shape: '',
    masked: sql,
    reads: [],
    writes: [],
    functions: [],
    locking: false,
    sessionValues: false,
    ddl: false,
  }
  const fingerprint = createHash('sha1')
  const shape = createHash('sha1')
  fingerprint.update(String(parsed.version))
  for (const { stmt } of parsed.stmts) {
    fingerprint.update(JSON.stringify(stmt, (key, value: unknown) => (POSITION_KEYS.has(key) ? undefined : key === 'A_Const' ? '?' : value)))
    shape.update(JSON.stringify(stmt, (key, value: unknown) => (POSITION_KEYS.has(key) ? undefined : value)))
  }
  analysis.fingerprint = fingerprint.digest('hex').slice(0, 16)
  const constants: number[] = []
  JSON.stringify(parsed.stmts, (key, value: unknown) => {
    if (key === 'A_Const' && typeof (value as { location?: unknown }).location === 'number') constants.push((value as { location: number }).location)
    return value
  })
  analysis.masked = maskLiterals(sql, constants)
  analysis.shape = shape.digest('base64url')

  if (parsed.stmts.length !== 1) {
    analysis.note = parsed.stmts.length === 0 ? 'empty statement' : 'several statements in one query'
    // Still collect what they write, so a multi-statement write invalidates.
    for (const { stmt } of parsed.stmts) collect(stmt, analysis, [])
    if (analysis.writes.length > 0) analysis.kind = 'write'
    return analysis
  }
  const stmt = parsed.stmts[0]!.stmt
  const root = Object.keys(stmt)[0] ?? ''
  const body = stmt[root] as AstNode
  if (root === 'TransactionStmt') {
    analysis.kind = 'transaction'
    analysis.transaction = transactionKind(body.kind as string)
    return analysis
  }
  let writes = false
  collect(stmt, analysis, [], () => {
    writes = true
  })
  if (READ_ROOTS.has(root) && !writes && body.intoClause === undefined) {
    analysis.kind = 'read'
  } else if (writes || root === 'TruncateStmt') {
    analysis.kind = 'write'
  } else if (isDdl(root) || body.intoClause !== undefined) {
    analysis.kind = 'write'
    analysis.ddl = true
    // DDL names its relations in RangeVars (ALTER TABLE, CREATE INDEX, SELECT INTO...) or name lists (DROP).
    analysis.writes.push(...analysis.reads, ...droppedRelations(body))
    analysis.reads = []
  } else {
    analysis.note = `${root} is not a read`
  }
  return analysis
}

// Token positions differ with whitespace and comments, not with meaning.
const POSITION_KEYS = new Set(['location', 'stmt_len', 'stmt_location'])

function transactionKind(kind: string): StatementAnalysis['transaction'] {
  switch (kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START':
      return 'begin'
    case 'TRANS_STMT_COMMIT':
    case 'TRANS_STMT_COMMIT_PREPARED':
      return 'commit'
    case 'TRANS_STMT_ROLLBACK':
    case 'TRANS_STMT_ROLLBACK_PREPARED':
      return 'rollback'
    default:
      return 'other'
  }
}

const NOT_DDL = new Set(['VariableSetStmt', 'VariableShowStmt', 'ListenStmt', 'UnlistenStmt', 'NotifyStmt', 'ExplainStmt', 'PrepareStmt', 'ExecuteStmt', 'DeallocateStmt', 'DiscardStmt', 'LockStmt', 'CopyStmt', 'CallStmt', 'DoStmt', 'CheckPointStmt', 'VacuumStmt', 'DeclareCursorStmt', 'FetchStmt', 'ClosePortalStmt', 'LoadStmt'])

function isDdl(root: string): boolean {
  return root.endsWith('Stmt') && !NOT_DDL.has(root) && root !== 'SelectStmt'
}

function droppedRelations(body: AstNode): RelationName[] {
  // DROP TABLE/VIEW/MATERIALIZED VIEW a.b: objects is a list of name lists.
  if (!Array.isArray(body.objects) || !['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE'].includes(body.removeType as string)) return []
  return (body.objects as AstNode[]).flatMap((object) => {
    const items = (object.List as { items?: AstNode[] } | undefined)?.items
    const names = (items ?? []).map((item) => (item.String as { sval: string } | undefined)?.sval).filter((name): name is string => name !== undefined)
    const name = names.at(-1)
    if (name === undefined) return []
    return [names.length > 1 ? { schema: names.at(-2)!, name } : { name }]
  })
}

/**
 * Walks the tree. `ctes` holds the CTE names in scope, as PostgreSQL scopes them: a WITH clause's names are visible in
 * the query that owns it, in the CTEs after the one that defines them, and (WITH RECURSIVE) in every CTE of the clause.
 * Anywhere else the same name is a table.
 */
function collect(node: unknown, analysis: StatementAnalysis, ctes: readonly string[], onWrite?: () => void): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, analysis, ctes, onWrite)
    return
  }
  if (typeof node !== 'object' || node === null) return
  for (const [key, value] of Object.entries(node as AstNode)) {
    if (typeof value !== 'object' || value === null) continue
    const inner = value as AstNode
    switch (key) {
      case 'RangeVar': {
        const relation = relationOf(inner)
        if (relation.schema !== undefined || !ctes.includes(relation.name)) analysis.reads.push(relation)
        continue
      }
      case 'relation':
      case 'rel':
        // DDL and IntoClause name their relation with a bare RangeVar (no wrapper node).
        if (typeof inner.relname === 'string') {
          analysis.reads.push(relationOf(inner))
          continue
        }
        break
      case 'FuncCall': {
        const names = ((inner.funcname as AstNode[] | undefined) ?? []).map((part) => (part.String as { sval: string } | undefined)?.sval ?? '')
        analysis.functions.push(names.join('.'))
        break
      }
      case 'SQLValueFunction':
        analysis.sessionValues = true
        break
      case 'LockingClause':
        analysis.locking = true
        break
      default:
        break
    }
    if (!key.endsWith('Stmt')) {
      collect(value, analysis, ctes, onWrite)
      continue
    }
    // A statement: its WITH clause first, then its body with the CTE names in scope.
    const withClause = inner.withClause as { ctes?: AstNode[]; recursive?: boolean } | undefined
    const names = (withClause?.ctes ?? []).map((cte) => (cte.CommonTableExpr as { ctename: string }).ctename)
    ;(withClause?.ctes ?? []).forEach((cte, index) => {
      const visible = withClause?.recursive === true ? names : names.slice(0, index)
      collect((cte.CommonTableExpr as AstNode).ctequery, analysis, [...ctes, ...visible], onWrite)
    })
    const scope = [...ctes, ...names]
    let rest: AstNode = { ...inner, withClause: undefined }
    if (WRITE_NODES.has(key) || key === 'TruncateStmt') {
      onWrite?.()
      const targets = key === 'TruncateStmt' ? ((inner.relations as AstNode[] | undefined) ?? []).map((item) => item.RangeVar as AstNode) : [inner.relation as AstNode]
      for (const target of targets) if (target !== undefined) analysis.writes.push(relationOf(target))
      rest = { ...rest, relation: undefined, relations: undefined }
    }
    collect(rest, analysis, scope, onWrite)
  }
}

function relationOf(rangeVar: AstNode): RelationName {
  const name = rangeVar.relname as string
  const schema = rangeVar.schemaname as string | undefined
  return schema === undefined ? { name } : { schema, name }
}
