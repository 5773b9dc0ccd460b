import { createRequire } from 'node:module'

// libpg-query is the PostgreSQL server's own parser compiled to WebAssembly (the `parse` entry point; its 17.x line is
// parse-only, so the fingerprint is computed here from the parse tree). It ships as CommonJS, hence require.
interface LibPgQuery {
  loadModule(): Promise<void>
  parseSync(query: string): ParseResult
}

export interface ParseResult {
  version: number
  stmts: { stmt: AstNode; stmt_location?: number; stmt_len?: number }[]
}

/** A parse-tree node: `{ SelectStmt: {...} }`, as libpg-query's JSON output gives it. */
export type AstNode = Record<string, unknown>

const libpg = createRequire(import.meta.url)('libpg-query') as LibPgQuery
let loaded: Promise<void> | undefined
let ready = false

/** Loads the WebAssembly parser once; every cache waits for it before its first query. */
export function loadSqlParser(): Promise<void> {
  loaded ??= libpg.loadModule().then(() => {
    ready = true
  })
  return loaded
}

/** Parses SQL with PostgreSQL's grammar. Throws the parser's syntax error as is. */
export function parseSql(sql: string): ParseResult {
  if (!ready) throw new Error('The SQL parser is not loaded yet: await loadSqlParser() first')
  return libpg.parseSync(sql)
}
