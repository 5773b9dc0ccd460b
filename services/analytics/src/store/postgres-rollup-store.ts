import type pg from 'pg'
import { decodeHistogram, encodeHistogram } from '../sketches/latency-histogram.js'
import { GRANULARITIES, truncate, type AccessRow, type ErrorRow, type Granularity, type InvalidationRow, type Position, type RollupDelta, type SketchSnapshot } from '../aggregation/rollup-rows.js'
import { DEFAULT_RETENTION, type RetentionPolicy, type RollupQuery, type RollupStore, type StoredAccessRow } from './rollup-store.js'
import { accessRowId, expandToGranularities, rollUpAccess } from './roll-up.js'

/**
 * Rollups in PostgreSQL. `write` adds one delta to the minute, hour and day rows AND stores the consumer positions it
 * reaches, in one transaction: after a crash the consumer resumes from the stored positions, so a message is either
 * in the rollups and behind the position, or in neither — nothing counted twice, nothing lost. Latency histograms are
 * merged in the transaction (rows locked FOR UPDATE), since SQL cannot add HdrHistograms.
 */
export class PostgresRollupStore implements RollupStore {
  private readonly t: { access: string; errors: string; invalidations: string; offsets: string; sketches: string }

  constructor(private readonly pool: pg.Pool, private readonly schema = 'strata_analytics') {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`analytics schema name '${schema}' must be a lower-case SQL identifier`)
    this.t = { access: `${schema}.access_rollups`, errors: `${schema}.error_rollups`, invalidations: `${schema}.invalidation_rollups`, offsets: `${schema}.consumer_offsets`, sketches: `${schema}.sketches` }
  }

  async ensureSchema(): Promise<void> {
    await this.pool.query(`
      CREATE SCHEMA IF NOT EXISTS ${this.schema};
      CREATE TABLE IF NOT EXISTS ${this.t.access} (
        granularity text NOT NULL, bucket timestamptz NOT NULL, namespace text NOT NULL, tier text NOT NULL,
        requests float8 NOT NULL, samples bigint NOT NULL, hits float8 NOT NULL, misses float8 NOT NULL, stale float8 NOT NULL,
        bytes float8 NOT NULL, evictions bigint NOT NULL, latency text NOT NULL,
        PRIMARY KEY (granularity, bucket, namespace, tier));
      CREATE TABLE IF NOT EXISTS ${this.t.errors} (
        granularity text NOT NULL, bucket timestamptz NOT NULL, code text NOT NULL, service text NOT NULL, namespace text NOT NULL,
        count bigint NOT NULL, PRIMARY KEY (granularity, bucket, code, service, namespace));
      CREATE TABLE IF NOT EXISTS ${this.t.invalidations} (
        granularity text NOT NULL, bucket timestamptz NOT NULL, namespace text NOT NULL, kind text NOT NULL,
        count bigint NOT NULL, keys bigint NOT NULL, PRIMARY KEY (granularity, bucket, namespace, kind));
      CREATE TABLE IF NOT EXISTS ${this.t.offsets} (
        consumer text NOT NULL, topic text NOT NULL, partition int NOT NULL, next_offset bigint NOT NULL,
        PRIMARY KEY (consumer, topic, partition));
      CREATE TABLE IF NOT EXISTS ${this.t.sketches} (
        consumer text NOT NULL, namespace text NOT NULL, state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, namespace));
    `)
  }

  /** Where `consumer` stands, per "topic\0partition". */
  async positions(consumer: string): Promise<Map<string, bigint>> {
    const { rows } = await this.pool.query<{ topic: string; partition: number; next_offset: string }>(
      `SELECT topic, partition, next_offset FROM ${this.t.offsets} WHERE consumer = $1`,
      [consumer],
    )
    return new Map(rows.map((row) => [`${row.topic}\0${row.partition}`, BigInt(row.next_offset)]))
  }

  /** The hot-key and stampede sketches as of the stored positions. */
  async sketches(consumer: string): Promise<SketchSnapshot[]> {
    const { rows } = await this.pool.query<{ state: SketchSnapshot }>(`SELECT state FROM ${this.t.sketches} WHERE consumer = $1`, [consumer])
    return rows.map((row) => row.state)
  }

  async write(consumer: string, delta: RollupDelta): Promise<void> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      await this.writeAccess(client, delta.access)
      await this.writeErrors(client, delta.errors)
      await this.writeInvalidations(client, delta.invalidations)
      await this.writePositions(client, consumer, delta.positions)
      await this.writeSketches(client, consumer, delta.sketches)
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      client.release()
    }
  }

  async accessRows(query: RollupQuery): Promise<StoredAccessRow[]> {
    const { rows } = await this.pool.query<Record<string, string | number | Date>>(
      `SELECT granularity, bucket, namespace, tier, requests, samples, hits, misses, stale, bytes, evictions, latency FROM ${this.t.access}
       WHERE granularity = $1 AND bucket >= $2 AND bucket < $3 AND ($4::text IS NULL OR namespace = $4) ORDER BY bucket, namespace, tier`,
      // The bucket holding `from` is included: an hourly report over the last 90 minutes shows both hours.
      [query.granularity, new Date(truncate(query.from, query.granularity)), new Date(query.to), query.namespace ?? null],
    )
    return rows.map((row) => ({
      granularity: row.granularity as Granularity,
      bucket: (row.bucket as Date).getTime(),
      namespace: row.namespace as string,
      tier: row.tier as string,
      requests: Number(row.requests),
      samples: Number(row.samples),
      hits: Number(row.hits),
      misses: Number(row.misses),
      stale: Number(row.stale),
      bytes: Number(row.bytes),
      evictions: Number(row.evictions),
      latency: row.latency as string,
    }))
  }

  async errorRows(query: RollupQuery): Promise<Array<ErrorRow & { granularity: Granularity }>> {
    const { rows } = await this.pool.query<{ granularity: Granularity; bucket: Date; code: string; service: string; namespace: string; count: string }>(
      `SELECT granularity, bucket, code, service, namespace, count FROM ${this.t.errors}
       WHERE granularity = $1 AND bucket >= $2 AND bucket < $3 AND ($4::text IS NULL OR namespace = $4) ORDER BY bucket, code`,
      // The bucket holding `from` is included: an hourly report over the last 90 minutes shows both hours.
      [query.granularity, new Date(truncate(query.from, query.granularity)), new Date(query.to), query.namespace ?? null],
    )
    return rows.map((row) => ({ ...row, bucket: row.bucket.getTime(), count: Number(row.count) }))
  }

  async invalidationRows(query: RollupQuery): Promise<Array<InvalidationRow & { granularity: Granularity }>> {
    const { rows } = await this.pool.query<{ granularity: Granularity; bucket: Date; namespace: string; kind: string; count: string; keys: string }>(
      `SELECT granularity, bucket, namespace, kind, count, keys FROM ${this.t.invalidations}
       WHERE granularity = $1 AND bucket >= $2 AND bucket < $3 AND ($4::text IS NULL OR namespace = $4) ORDER BY bucket, namespace`,
      // The bucket holding `from` is included: an hourly report over the last 90 minutes shows both hours.
      [query.granularity, new Date(truncate(query.from, query.granularity)), new Date(query.to), query.namespace ?? null],
    )
    return rows.map((row) => ({ ...row, bucket: row.bucket.getTime(), count: Number(row.count), keys: Number(row.keys) }))
  }

  /** Deletes rows older than the retention of their granularity; returns how many went. */
  async applyRetention(now: number, retention: RetentionPolicy = DEFAULT_RETENTION): Promise<number> {
    let deleted = 0
    for (const table of [this.t.access, this.t.errors, this.t.invalidations]) {
      for (const granularity of GRANULARITIES) {
        const result = await this.pool.query(`DELETE FROM ${table} WHERE granularity = $1 AND bucket < $2`, [granularity, new Date(now - retention[granularity])])
        deleted += result.rowCount ?? 0
      }
    }
    return deleted
  }

  private async writeAccess(client: pg.PoolClient, rows: readonly AccessRow[]): Promise<void> {
    if (rows.length === 0) return
    // One row per (granularity, bucket, namespace, tier): the minute rows rolled up into their hour and day first.
    const merged = rollUpAccess(rows)
    const all = [...merged.values()]
    const keys = columns(all, (row) => [row.granularity, new Date(row.bucket).toISOString(), row.namespace, row.tier])
    const { rows: existing } = await client.query<{ granularity: string; bucket: Date; namespace: string; tier: string; latency: string }>(
      `SELECT a.granularity, a.bucket, a.namespace, a.tier, a.latency FROM ${this.t.access} a
       JOIN unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[]) AS k(granularity, bucket, namespace, tier)
         ON a.granularity = k.granularity AND a.bucket = k.bucket AND a.namespace = k.namespace AND a.tier = k.tier
       ORDER BY 1, 2, 3, 4 FOR UPDATE OF a`,
      keys,
    )
    for (const row of existing) {
      merged.get(accessRowId({ granularity: row.granularity as Granularity, bucket: row.bucket.getTime(), namespace: row.namespace, tier: row.tier }))?.latency.add(decodeHistogram(row.latency))
    }
    await client.query(
      `INSERT INTO ${this.t.access} AS a (granularity, bucket, namespace, tier, requests, samples, hits, misses, stale, bytes, evictions, latency)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::float8[], $6::bigint[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::bigint[], $12::text[])
       ON CONFLICT (granularity, bucket, namespace, tier) DO UPDATE SET
         requests = a.requests + excluded.requests, samples = a.samples + excluded.samples, hits = a.hits + excluded.hits,
         misses = a.misses + excluded.misses, stale = a.stale + excluded.stale, bytes = a.bytes + excluded.bytes,
         evictions = a.evictions + excluded.evictions, latency = excluded.latency`,
      [
        ...keys,
        all.map((row) => row.requests),
        all.map((row) => row.samples),
        all.map((row) => row.hits),
        all.map((row) => row.misses),
        all.map((row) => row.stale),
        all.map((row) => row.bytes),
        all.map((row) => row.evictions),
        // Already merged with the stored histogram above, under the row lock.
        all.map((row) => encodeHistogram(row.latency)),
      ],
    )
  }

  private async writeErrors(client: pg.PoolClient, rows: readonly ErrorRow[]): Promise<void> {
    if (rows.length === 0) return
    const expanded = expandToGranularities(rows)
    await client.query(
      `INSERT INTO ${this.t.errors} AS e (granularity, bucket, code, service, namespace, count)
       SELECT granularity, bucket, code, service, namespace, sum(count) FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::bigint[])
         AS r(granularity, bucket, code, service, namespace, count) GROUP BY 1, 2, 3, 4, 5
       ON CONFLICT (granularity, bucket, code, service, namespace) DO UPDATE SET count = e.count + excluded.count`,
      [
        expanded.map((row) => row.granularity),
        expanded.map((row) => new Date(row.bucket).toISOString()),
        expanded.map((row) => row.code),
        expanded.map((row) => row.service),
        expanded.map((row) => row.namespace),
        expanded.map((row) => row.count),
      ],
    )
  }

  private async writeInvalidations(client: pg.PoolClient, rows: readonly InvalidationRow[]): Promise<void> {
    if (rows.length === 0) return
    const expanded = expandToGranularities(rows)
    await client.query(
      `INSERT INTO ${this.t.invalidations} AS i (granularity, bucket, namespace, kind, count, keys)
       SELECT granularity, bucket, namespace, kind, sum(count), sum(keys) FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
         AS r(granularity, bucket, namespace, kind, count, keys) GROUP BY 1, 2, 3, 4
       ON CONFLICT (granularity, bucket, namespace, kind) DO UPDATE SET count = i.count + excluded.count, keys = i.keys + excluded.keys`,
      [
        expanded.map((row) => row.granularity),
        expanded.map((row) => new Date(row.bucket).toISOString()),
        expanded.map((row) => row.namespace),
        expanded.map((row) => row.kind),
        expanded.map((row) => row.count),
        expanded.map((row) => row.keys),
      ],
    )
  }

  private async writeSketches(client: pg.PoolClient, consumer: string, sketches: readonly SketchSnapshot[]): Promise<void> {
    if (sketches.length === 0) return
    await client.query(
      `INSERT INTO ${this.t.sketches} (consumer, namespace, state, updated_at)
       SELECT $1, namespace, state, now() FROM unnest($2::text[], $3::jsonb[]) AS s(namespace, state)
       ON CONFLICT (consumer, namespace) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      [consumer, sketches.map((s) => s.namespace), sketches.map((s) => JSON.stringify(s))],
    )
  }

  private async writePositions(client: pg.PoolClient, consumer: string, positions: readonly Position[]): Promise<void> {
    if (positions.length === 0) return
    await client.query(
      `INSERT INTO ${this.t.offsets} AS o (consumer, topic, partition, next_offset)
       SELECT $1, * FROM unnest($2::text[], $3::int[], $4::bigint[])
       ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = GREATEST(o.next_offset, excluded.next_offset)`,
      [consumer, positions.map((p) => p.topic), positions.map((p) => p.partition), positions.map((p) => p.nextOffset)],
    )
  }
}

function columns<T>(rows: readonly T[], pick: (row: T) => [string, string, string, string]): [string[], string[], string[], string[]] {
  const out: [string[], string[], string[], string[]] = [[], [], [], []]
  for (const row of rows) {
    const values = pick(row)
    for (let i = 0; i < 4; i++) out[i]!.push(values[i]!)
  }
  return out
}
