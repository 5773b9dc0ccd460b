import { beforeAll, describe, expect, it } from 'vitest'
import { loadSqlParser } from './sql-parser.js'
import { analyzeStatement } from './statement-analysis.js'

const names = (relations: { schema?: string; name: string }[]) => relations.map((r) => (r.schema === undefined ? r.name : `${r.schema}.${r.name}`)).sort()

describe('statement analysis with the PostgreSQL parser', () => {
  beforeAll(async () => {
    await loadSqlParser()
  })

  describe('fingerprints', () => {
    it('gives one fingerprint to the same shape with different literals, whitespace and comments', () => {
      const a = analyzeStatement("SELECT * FROM orders WHERE id = 5 AND status = 'open'")
      const b = analyzeStatement("select *\n  from orders -- the orders\n where id = 42 and status = 'closed'")
      expect(a.fingerprint).toBe(b.fingerprint)
      // ...but the cache key part keeps the literals: the two questions have different answers.
      expect(a.shape).not.toBe(b.shape)
      expect(analyzeStatement('SELECT * FROM orders WHERE id = 5').shape).toBe(analyzeStatement('select  *  from orders where id=5').shape)
    })

    it('gives different fingerprints to different shapes (columns, tables, aliases, operators)', () => {
      const base = analyzeStatement('SELECT a FROM t WHERE id = 1').fingerprint
      expect(analyzeStatement('SELECT b FROM t WHERE id = 1').fingerprint).not.toBe(base)
      expect(analyzeStatement('SELECT a FROM u WHERE id = 1').fingerprint).not.toBe(base)
      expect(analyzeStatement('SELECT a AS x FROM t WHERE id = 1').fingerprint).not.toBe(base)
      expect(analyzeStatement('SELECT a FROM t WHERE id > 1').fingerprint).not.toBe(base)
    })

    it('treats $n parameters as part of the shape', () => {
      expect(analyzeStatement('SELECT a FROM t WHERE id = $1').fingerprint).toBe(analyzeStatement('SELECT a FROM t WHERE id = $1 ').fingerprint)
      expect(analyzeStatement('SELECT a FROM t WHERE id = $1').fingerprint).not.toBe(analyzeStatement('SELECT a FROM t WHERE id = 1').fingerprint)
    })

    it('throws the parser error for invalid SQL', () => {
      expect(() => analyzeStatement('SELEC * FROM t')).toThrow(/syntax error/)
    })
  })

  describe('tables read', () => {
    it('finds every table of a join, schema-qualified or not', () => {
      const a = analyzeStatement('SELECT * FROM orders o JOIN public.customers c ON c.id = o.customer_id LEFT JOIN shop.items i USING (order_id)')
      expect(a.kind).toBe('read')
      expect(names(a.reads)).toEqual(['orders', 'public.customers', 'shop.items'])
    })

    it('finds tables in subqueries: FROM, WHERE IN/EXISTS, scalar, LATERAL', () => {
      const a = analyzeStatement(
        'SELECT (SELECT max(x) FROM a), b.* FROM (SELECT * FROM b) b, LATERAL (SELECT * FROM c WHERE c.id = b.id) l WHERE b.id IN (SELECT id FROM d) AND EXISTS (SELECT 1 FROM e)',
      )
      expect(names(a.reads)).toEqual(['a', 'b', 'c', 'd', 'e'])
    })

    it('finds tables inside CTEs and leaves CTE names out', () => {
      const a = analyzeStatement('WITH recent AS (SELECT * FROM orders WHERE created > $1), big AS (SELECT * FROM recent WHERE total > 100) SELECT * FROM big JOIN customers ON true')
      expect(names(a.reads)).toEqual(['customers', 'orders'])
    })

    it('scopes CTE names as PostgreSQL does: a non-recursive CTE named like a table reads the table', () => {
      expect(names(analyzeStatement('WITH orders AS (SELECT * FROM orders WHERE id > 1) SELECT * FROM orders').reads)).toEqual(['orders'])
      expect(names(analyzeStatement('WITH RECURSIVE tree AS (SELECT * FROM nodes WHERE parent IS NULL UNION ALL SELECT n.* FROM nodes n JOIN tree ON n.parent = tree.id) SELECT * FROM tree').reads)).toEqual(['nodes', 'nodes'])
      // A CTE name does not leak out of the subquery that defines it.
      expect(names(analyzeStatement('SELECT * FROM (WITH x AS (SELECT 1) SELECT * FROM x) s, x').reads)).toEqual(['x'])
    })

    it('finds tables of UNION branches', () => {
      expect(names(analyzeStatement('SELECT id FROM a UNION SELECT id FROM b EXCEPT SELECT id FROM c').reads)).toEqual(['a', 'b', 'c'])
    })
  })

  describe('kinds', () => {
    it('classifies writes and their targets', () => {
      expect(analyzeStatement('INSERT INTO h (a) SELECT a FROM src').kind).toBe('write')
      expect(names(analyzeStatement('INSERT INTO h (a) SELECT a FROM src').writes)).toEqual(['h'])
      expect(names(analyzeStatement('UPDATE t SET a = 1 WHERE b IN (SELECT b FROM u)').writes)).toEqual(['t'])
      expect(names(analyzeStatement('DELETE FROM s.t WHERE id = 3').writes)).toEqual(['s.t'])
      expect(names(analyzeStatement('TRUNCATE a, b').writes)).toEqual(['a', 'b'])
    })

    it('sees a data-modifying CTE inside a SELECT as a write', () => {
      const a = analyzeStatement('WITH gone AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT * FROM gone')
      expect(a.kind).toBe('write')
      expect(names(a.writes)).toEqual(['t'])
    })

    it('classifies DDL as a write of the relations it names', () => {
      const alter = analyzeStatement('ALTER TABLE orders ADD COLUMN note text')
      expect(alter).toMatchObject({ kind: 'write', ddl: true })
      expect(names(alter.writes)).toEqual(['orders'])
      expect(names(analyzeStatement('DROP TABLE public.a, b').writes)).toEqual(['b', 'public.a'])
      expect(analyzeStatement('SELECT * INTO copy FROM orders').kind).toBe('write')
    })

    it('classifies transaction control', () => {
      expect(analyzeStatement('BEGIN')).toMatchObject({ kind: 'transaction', transaction: 'begin' })
      expect(analyzeStatement('START TRANSACTION ISOLATION LEVEL SERIALIZABLE')).toMatchObject({ kind: 'transaction', transaction: 'begin' })
      expect(analyzeStatement('COMMIT')).toMatchObject({ kind: 'transaction', transaction: 'commit' })
      expect(analyzeStatement('ROLLBACK')).toMatchObject({ kind: 'transaction', transaction: 'rollback' })
      expect(analyzeStatement('SAVEPOINT s1')).toMatchObject({ kind: 'transaction', transaction: 'other' })
    })

    it('marks locking clauses, function calls, SQL value functions and several statements', () => {
      expect(analyzeStatement('SELECT * FROM t FOR UPDATE').locking).toBe(true)
      expect(analyzeStatement('SELECT * FROM t FOR SHARE SKIP LOCKED').locking).toBe(true)
      expect(analyzeStatement('SELECT now(), pg_catalog.random() FROM t').functions).toEqual(['now', 'pg_catalog.random'])
      expect(analyzeStatement('SELECT CURRENT_TIMESTAMP').sessionValues).toBe(true)
      expect(analyzeStatement('SELECT 1; SELECT 2')).toMatchObject({ kind: 'other', note: 'several statements in one query' })
      expect(analyzeStatement('SET search_path = x')).toMatchObject({ kind: 'other' })
    })
  })
})

describe('literal masking for stats', () => {
  beforeAll(async () => {
    await loadSqlParser()
  })

  it('replaces every kind of literal by ?, keeping parameters and identifiers', () => {
    const sql = "SELECT -5, - 3, 1.5e3, true, NULL, E'a\\'b', 'it''s', $$x$$, date '2020-01-01', B'101', $1 FROM \"t\" WHERE email = 'ada@example.com'"
    expect(analyzeStatement(sql).masked).toBe('SELECT ?, ?, ?, ?, ?, ?, ?, ?, date ?, ?, $1 FROM "t" WHERE email = ?')
  })

  it('counts the parser byte offsets right after non-ASCII text', () => {
    expect(analyzeStatement("SELECT 'é' AS \"ünï\", 'secret' FROM t WHERE a = 7").masked).toBe('SELECT ? AS "ünï", ? FROM t WHERE a = ?')
  })
})
