import { addAccess, truncate, type AccessRow, type ErrorRow, type Granularity, type InvalidationRow, type RollupDelta, type SketchSnapshot } from '../aggregation/rollup-rows.js'
import { encodeHistogram } from '../sketches/latency-histogram.js'
import { expandToGranularities, rollUpAccess, type RolledUp } from './roll-up.js'
import { DEFAULT_RETENTION, type RetentionPolicy, type RollupQuery, type RollupStore, type StoredAccessRow } from './rollup-store.js'

/**
 * Rollups in the process: the embedded platform's store (`pnpm start`), gone with the process. `write` changes
 * nothing until it has checked the whole delta and then applies it without awaiting, so a delta and its positions
 * land together as they do in PostgreSQL's transaction.
 */
export class MemoryRollupStore implements RollupStore {
  private readonly access = new Map<string, RolledUp<AccessRow>>()
  private readonly errors = new Map<string, RolledUp<ErrorRow>>()
  private readonly invalidations = new Map<string, RolledUp<InvalidationRow>>()
  /** consumer → "topic\0partition" → next offset. */
  private readonly offsets = new Map<string, Map<string, bigint>>()
  /** consumer → namespace → sketch. */
  private readonly sketchesOf = new Map<string, Map<string, SketchSnapshot>>()

  ensureSchema(): Promise<void> {
    return Promise.resolve()
  }

  positions(consumer: string): Promise<Map<string, bigint>> {
    return Promise.resolve(new Map(this.offsets.get(consumer)))
  }

  sketches(consumer: string): Promise<SketchSnapshot[]> {
    return Promise.resolve([...(this.sketchesOf.get(consumer)?.values() ?? [])].map((sketch) => structuredClone(sketch)))
  }

  write(consumer: string, delta: RollupDelta): Promise<void> {
    // A thrown parse error becomes the promise's rejection, as an async store's would.
    return new Promise((resolve) => {
      this.apply(consumer, delta)
      resolve()
    })
  }

  private apply(consumer: string, delta: RollupDelta): void {
    // Parse everything that can fail before the first change.
    const positions = delta.positions.map((p) => [`${p.topic}\0${p.partition}`, BigInt(p.nextOffset)] as const)
    const sketches = delta.sketches.map((sketch) => structuredClone(sketch))

    for (const [id, row] of rollUpAccess(delta.access)) {
      const into = this.access.get(id)
      if (into === undefined) this.access.set(id, row)
      else addAccess(into, row)
    }
    for (const row of expandToGranularities(delta.errors)) {
      const id = `${row.granularity}\0${row.bucket}\0${row.code}\0${row.service}\0${row.namespace}`
      const into = this.errors.get(id)
      if (into === undefined) this.errors.set(id, { ...row })
      else into.count += row.count
    }
    for (const row of expandToGranularities(delta.invalidations)) {
      const id = `${row.granularity}\0${row.bucket}\0${row.namespace}\0${row.kind}`
      const into = this.invalidations.get(id)
      if (into === undefined) this.invalidations.set(id, { ...row })
      else {
        into.count += row.count
        into.keys += row.keys
      }
    }
    const offsets = this.offsets.get(consumer) ?? new Map<string, bigint>()
    this.offsets.set(consumer, offsets)
    // Positions only move forward, as GREATEST does in PostgreSQL.
    for (const [id, next] of positions) if ((offsets.get(id) ?? -1n) < next) offsets.set(id, next)
    const stored = this.sketchesOf.get(consumer) ?? new Map<string, SketchSnapshot>()
    this.sketchesOf.set(consumer, stored)
    for (const sketch of sketches) stored.set(sketch.namespace, sketch)
  }

  accessRows(query: RollupQuery): Promise<StoredAccessRow[]> {
    const rows = this.select(this.access, query).sort((a, b) => a.bucket - b.bucket || compare(a.namespace, b.namespace) || compare(a.tier, b.tier))
    return Promise.resolve(rows.map((row) => ({ ...row, latency: encodeHistogram(row.latency) })))
  }

  errorRows(query: RollupQuery): Promise<Array<ErrorRow & { granularity: Granularity }>> {
    return Promise.resolve(this.select(this.errors, query).sort((a, b) => a.bucket - b.bucket || compare(a.code, b.code)).map((row) => ({ ...row })))
  }

  invalidationRows(query: RollupQuery): Promise<Array<InvalidationRow & { granularity: Granularity }>> {
    return Promise.resolve(this.select(this.invalidations, query).sort((a, b) => a.bucket - b.bucket || compare(a.namespace, b.namespace)).map((row) => ({ ...row })))
  }

  applyRetention(now: number, retention: RetentionPolicy = DEFAULT_RETENTION): Promise<number> {
    let deleted = 0
    for (const rows of [this.access, this.errors, this.invalidations] as Array<Map<string, { granularity: Granularity; bucket: number }>>) {
      for (const [id, row] of rows) {
        if (row.bucket < now - retention[row.granularity]) {
          rows.delete(id)
          deleted++
        }
      }
    }
    return Promise.resolve(deleted)
  }

  private select<T extends { granularity: Granularity; bucket: number; namespace: string }>(rows: ReadonlyMap<string, T>, query: RollupQuery): T[] {
    const from = truncate(query.from, query.granularity)
    return [...rows.values()].filter(
      (row) => row.granularity === query.granularity && row.bucket >= from && row.bucket < query.to && (query.namespace === undefined || row.namespace === query.namespace),
    )
  }
}

/** Byte order, as PostgreSQL's C collation would sort (and independent of the process locale). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

