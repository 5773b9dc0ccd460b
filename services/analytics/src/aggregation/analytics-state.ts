import type { IngestCounters } from '@strata/api'
import type { AccessBatchEvent, AccessEvent, AlertEvent, ErrorEvent, InvalidationEvent, WarmEvent } from '@strata/bus'
import { EventTimeline } from './event-timeline.js'
import { newLatencyHistogram, recordLatencyMs } from '../sketches/latency-histogram.js'
import { ShardsMrc, type ShardsOptions } from '../sketches/shards-mrc.js'
import { SpaceSaving } from '../sketches/space-saving.js'
import { addAccess, truncate, type AccessRow, type ErrorRow, type InvalidationRow, type Position, type RollupDelta, type SketchSnapshot } from './rollup-rows.js'

export interface AnalyticsStateOptions {
  /** Counters per namespace in the hot-key and stampede sketches. Default 1024. */
  topKCapacity?: number
  mrc?: ShardsOptions
  /** Two misses of a key closer than this count towards its stampede score. Default 1000 ms. */
  stampedeWindowMs?: number
  clock?: () => number
}

/** The in-memory side of one namespace: sketches that answer "which keys" and "what if it were bigger". */
export interface NamespaceSketches {
  hotKeys: SpaceSaving
  stampedeKeys: SpaceSaving
  mrc: ShardsMrc
  /** Gets that fed the MRC (accesses sampled at rate 1) and those that could not (sampled below 1). */
  mrcFed: number
  mrcSkipped: number
  lastMiss: Map<string, number>
  hashedKeys: boolean
}

/**
 * Folds events into (a) rollup deltas since the last flush, keyed by minute, namespace and tier, and (b) per-namespace
 * sketches. Deltas and the positions they reach are taken together by `takeDelta`, so what is written to PostgreSQL
 * always matches the offsets written beside it. Nothing here does I/O: ingest is a few map lookups per access.
 */
export class AnalyticsState {
  private access = new Map<number, Map<string, Map<string, AccessRow>>>()
  private errors = new Map<string, ErrorRow>()
  private invalidations = new Map<string, InvalidationRow>()
  private positions = new Map<string, Position>()
  private dirty = false
  private readonly touched = new Set<string>()
  readonly sketches = new Map<string, NamespaceSketches>()
  /** The largest L1 capacity a gateway reported (entries, shared by its namespaces). */
  l1MaxEntries: number | undefined
  /** `skipped`: messages Kafka redelivered from behind the stored positions (already counted). */
  readonly counters: IngestCounters = { accesses: 0, batches: 0, droppedAtGateways: 0, errors: 0, invalidations: 0, alerts: 0, warmRuns: 0, invalid: 0, skipped: 0 }
  /** Alerts and finished warm runs, in memory only (not in the rollups): the report shows those in its window. */
  readonly timeline = new EventTimeline()
  private readonly topK: number
  private readonly stampedeWindowMs: number

  constructor(private readonly options: AnalyticsStateOptions = {}) {
    this.topK = options.topKCapacity ?? 1024
    this.stampedeWindowMs = options.stampedeWindowMs ?? 1_000
  }

  ingestAccessBatch(batch: AccessBatchEvent): void {
    this.counters.batches++
    this.counters.droppedAtGateways += batch.dropped
    if (batch.l1MaxEntries !== undefined && batch.l1MaxEntries > (this.l1MaxEntries ?? 0)) this.l1MaxEntries = batch.l1MaxEntries
    for (const access of batch.accesses) this.ingestAccess(access)
    if (batch.evictions !== undefined) {
      // Counted over the batch's interval: filed with its last access (or now, for a batch of evictions only).
      const at = batch.accesses.at(-1)?.at ?? this.options.clock?.() ?? Date.now()
      for (const [namespace, count] of Object.entries(batch.evictions)) this.row(at, namespace, 'l1').evictions += count
    }
    this.dirty = true
  }

  ingestAccess(access: AccessEvent): void {
    this.counters.accesses++
    this.dirty = true
    const weight = 1 / (access.sampleRate ?? 1)
    const tier = access.tier ?? (access.operation === 'get' ? 'none' : access.operation)
    const row = this.row(access.at, access.namespace, tier)
    row.requests += weight
    row.samples++
    // A coalesced read was served by a load another read started: a hit, as the engine counts it.
    if (access.result === 'hit' || access.result === 'coalesced') row.hits += weight
    else if (access.result === 'miss') row.misses += weight
    else if (access.result === 'stale') row.stale += weight
    if (access.bytes !== undefined) row.bytes += access.bytes * weight
    recordLatencyMs(row.latency, access.latencyMs)
    if (access.operation !== 'get') return
    const sketches = this.sketchesOf(access.namespace)
    this.touched.add(access.namespace)
    if (access.hashed === true) sketches.hashedKeys = true
    sketches.hotKeys.offer(access.key, weight)
    // SHARDS needs every reference of a sampled key: a stream thinned per access would shorten reuse distances.
    if (access.sampleRate === undefined || access.sampleRate >= 1) {
      sketches.mrc.record(access.key)
      sketches.mrcFed++
    } else sketches.mrcSkipped++
    if (access.result === 'miss') {
      const previous = sketches.lastMiss.get(access.key)
      if (previous !== undefined && access.at - previous <= this.stampedeWindowMs) sketches.stampedeKeys.offer(access.key, weight)
      if (sketches.lastMiss.size > 100_000) sketches.lastMiss.clear()
      sketches.lastMiss.set(access.key, access.at)
    }
  }

  ingestError(event: ErrorEvent): void {
    this.counters.errors++
    this.dirty = true
    const bucket = truncate(event.at, 'minute')
    const namespace = event.namespace ?? ''
    const id = `${bucket}\0${event.code}\0${event.service}\0${namespace}`
    const row = this.errors.get(id)
    if (row === undefined) this.errors.set(id, { bucket, code: event.code, service: event.service, namespace, count: 1 })
    else row.count++
  }

  ingestInvalidation(event: InvalidationEvent): void {
    this.counters.invalidations++
    this.dirty = true
    const bucket = truncate(event.at, 'minute')
    const id = `${bucket}\0${event.namespace}\0${event.kind}`
    const keys = event.keys?.length ?? 0
    const row = this.invalidations.get(id)
    if (row === undefined) this.invalidations.set(id, { bucket, namespace: event.namespace, kind: event.kind, count: 1, keys })
    else {
      row.count++
      row.keys += keys
    }
  }

  ingestAlert(event: AlertEvent): void {
    this.counters.alerts++
    this.timeline.alert(event)
  }

  ingestWarm(event: WarmEvent): void {
    if (event.state === 'finished') this.counters.warmRuns++
    this.timeline.warm(event)
  }

  /** Records that everything before `offset + 1` on this partition has been folded in. */
  advance(topic: string, partition: number, offset: string): void {
    const id = `${topic}\0${partition}`
    const next = (BigInt(offset) + 1n).toString()
    const position = this.positions.get(id)
    if (position === undefined) this.positions.set(id, { topic, partition, nextOffset: next })
    else position.nextOffset = next
    this.dirty = true
  }

  /** The next offset this state has folded in for a partition, if any. */
  position(topic: string, partition: number): bigint | undefined {
    const position = this.positions.get(`${topic}\0${partition}`)
    return position === undefined ? undefined : BigInt(position.nextOffset)
  }

  /** The deltas and positions since the last call, atomically (nothing can be ingested in between). */
  takeDelta(): RollupDelta | undefined {
    if (!this.dirty) return undefined
    const delta: RollupDelta = {
      sketches: [...this.touched].map((namespace) => this.snapshotOf(namespace)),
      access: [...this.access.values()].flatMap((byNamespace) => [...byNamespace.values()].flatMap((byTier) => [...byTier.values()])),
      errors: [...this.errors.values()],
      invalidations: [...this.invalidations.values()],
      positions: [...this.positions.values()].map((position) => ({ ...position })),
    }
    this.access = new Map()
    this.errors = new Map()
    this.invalidations = new Map()
    this.touched.clear()
    this.dirty = false
    return delta
  }

  /** Sketches as stored at the last flush before a restart (the MRC is not stored: it starts over). */
  loadSketches(snapshots: readonly SketchSnapshot[]): void {
    for (const snapshot of snapshots) {
      const sketches = this.sketchesOf(snapshot.namespace)
      sketches.hotKeys = SpaceSaving.fromJSON(snapshot.hotKeys)
      sketches.stampedeKeys = SpaceSaving.fromJSON(snapshot.stampedeKeys)
      sketches.hashedKeys = snapshot.hashedKeys
    }
  }

  private snapshotOf(namespace: string): SketchSnapshot {
    const sketches = this.sketchesOf(namespace)
    return { namespace, hotKeys: sketches.hotKeys.toJSON(), stampedeKeys: sketches.stampedeKeys.toJSON(), hashedKeys: sketches.hashedKeys }
  }

  /** Puts a delta whose write failed back, so the next flush writes it (positions: the newer ones win). */
  restore(delta: RollupDelta): void {
    for (const row of delta.access) {
      addAccess(this.row(row.bucket, row.namespace, row.tier), row)
    }
    for (const row of delta.errors) {
      const id = `${row.bucket}\0${row.code}\0${row.service}\0${row.namespace}`
      const into = this.errors.get(id)
      if (into === undefined) this.errors.set(id, { ...row })
      else into.count += row.count
    }
    for (const row of delta.invalidations) {
      const id = `${row.bucket}\0${row.namespace}\0${row.kind}`
      const into = this.invalidations.get(id)
      if (into === undefined) this.invalidations.set(id, { ...row })
      else {
        into.count += row.count
        into.keys += row.keys
      }
    }
    // The sketches are live objects, already ahead of the failed snapshot: they are written whole next time.
    for (const snapshot of delta.sketches) this.touched.add(snapshot.namespace)
    for (const position of delta.positions) {
      const id = `${position.topic}\0${position.partition}`
      if (!this.positions.has(id)) this.positions.set(id, position)
    }
    this.dirty = true
  }

  sketchesOf(namespace: string): NamespaceSketches {
    let sketches = this.sketches.get(namespace)
    if (sketches === undefined) {
      sketches = {
        hotKeys: new SpaceSaving(this.topK),
        stampedeKeys: new SpaceSaving(Math.max(16, this.topK >> 2)),
        mrc: new ShardsMrc(this.options.mrc),
        mrcFed: 0,
        mrcSkipped: 0,
        lastMiss: new Map(),
        hashedKeys: false,
      }
      this.sketches.set(namespace, sketches)
    }
    return sketches
  }

  private row(at: number, namespace: string, tier: string): AccessRow {
    const bucket = truncate(at, 'minute')
    let byNamespace = this.access.get(bucket)
    if (byNamespace === undefined) this.access.set(bucket, (byNamespace = new Map<string, Map<string, AccessRow>>()))
    let byTier = byNamespace.get(namespace)
    if (byTier === undefined) byNamespace.set(namespace, (byTier = new Map<string, AccessRow>()))
    let row = byTier.get(tier)
    if (row === undefined) {
      row = { bucket, namespace, tier, requests: 0, samples: 0, hits: 0, misses: 0, stale: 0, bytes: 0, evictions: 0, latency: newLatencyHistogram() }
      byTier.set(tier, row)
    }
    return row
  }
}
