import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AccessRow, RollupDelta, SketchSnapshot } from '../aggregation/rollup-rows.js'
import { decodeHistogram, newLatencyHistogram, recordLatencyMs } from '../sketches/latency-histogram.js'
import type { RollupStore } from './rollup-store.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** A day boundary well in the past, so rows are placed exactly (not "now"). */
const T0 = Date.UTC(2026, 0, 5)

function access(bucket: number, namespace: string, tier: string, requests: number, latenciesMs: number[] = [1]): AccessRow {
  const latency = newLatencyHistogram()
  for (const ms of latenciesMs) recordLatencyMs(latency, ms)
  return { bucket, namespace, tier, requests, samples: latenciesMs.length, hits: tier === 'origin' ? 0 : requests, misses: tier === 'origin' ? requests : 0, stale: 0, bytes: 10 * requests, evictions: 0, latency }
}

function delta(parts: Partial<RollupDelta>): RollupDelta {
  return { sketches: [], access: [], errors: [], invalidations: [], positions: [], ...parts }
}

const sketch = (namespace: string, key: string): SketchSnapshot => ({
  namespace,
  hotKeys: { capacity: 4, total: 3, entries: [[key, 3, 0]] },
  stampedeKeys: { capacity: 4, total: 0, entries: [] },
  hashedKeys: false,
})

/**
 * What every RollupStore adapter must do: the PostgreSQL store and the memory store of the embedded platform run
 * this same suite, so a report reads the same from either.
 */
export function runRollupStoreContract(name: string, open: () => Promise<{ store: RollupStore; close(): Promise<void> }>): void {
  describe(`RollupStore contract: ${name}`, () => {
    let store: RollupStore
    let close: () => Promise<void>

    beforeAll(async () => {
      const opened = await open()
      store = opened.store
      close = () => opened.close()
      await store.ensureSchema()
      await store.ensureSchema() // idempotent
    })
    afterAll(async () => close())

    it('adds deltas into their minute, hour and day rows, merging counts and latency histograms', async () => {
      await store.write('c1', delta({ access: [access(T0 + MINUTE, 'ns-a', 'l1', 10, [1, 2]), access(T0 + 2 * MINUTE, 'ns-a', 'l1', 5, [3])] }))
      await store.write('c1', delta({ access: [access(T0 + MINUTE, 'ns-a', 'l1', 1, [4])] }))

      const minutes = await store.accessRows({ granularity: 'minute', from: T0, to: T0 + HOUR, namespace: 'ns-a' })
      expect(minutes.map((row) => [row.bucket - T0, row.requests, row.samples, row.bytes])).toEqual([
        [MINUTE, 11, 3, 110],
        [2 * MINUTE, 5, 1, 50],
      ])
      expect(decodeHistogram(minutes[0]!.latency).totalCount).toBe(3)

      const [hour] = await store.accessRows({ granularity: 'hour', from: T0, to: T0 + HOUR, namespace: 'ns-a' })
      expect(hour).toMatchObject({ granularity: 'hour', bucket: T0, namespace: 'ns-a', tier: 'l1', requests: 16, samples: 4, hits: 16 })
      expect(decodeHistogram(hour!.latency).totalCount).toBe(4)
      expect((await store.accessRows({ granularity: 'day', from: T0, to: T0 + DAY, namespace: 'ns-a' })).map((row) => row.requests)).toEqual([16])
    })

    it('answers a window with the bucket holding `from` and without the one at `to`, ordered by bucket, namespace, tier', async () => {
      const at = T0 + DAY
      await store.write('c1', delta({ access: [access(at + 2 * MINUTE, 'ns-b', 'origin', 1), access(at + MINUTE, 'ns-c', 'l2', 2), access(at + MINUTE, 'ns-b', 'l2', 3), access(at + MINUTE, 'ns-b', 'l1', 4), access(at + 3 * MINUTE, 'ns-b', 'l1', 5)] }))
      const rows = await store.accessRows({ granularity: 'minute', from: at + MINUTE + 30_000, to: at + 3 * MINUTE })
      expect(rows.map((row) => `${(row.bucket - at) / MINUTE} ${row.namespace} ${row.tier}`)).toEqual(['1 ns-b l1', '1 ns-b l2', '1 ns-c l2', '2 ns-b origin'])
      expect((await store.accessRows({ granularity: 'minute', from: at, to: at + HOUR, namespace: 'ns-c' })).map((row) => row.requests)).toEqual([2])
      expect(await store.accessRows({ granularity: 'minute', from: at, to: at + HOUR, namespace: 'nobody' })).toEqual([])
    })

    it('sums error and invalidation rows per identity', async () => {
      const at = T0 + 2 * DAY
      const errors = [{ bucket: at, code: 'E_L2_UNAVAILABLE', service: 'gateway', namespace: 'ns-a', count: 2 }]
      const invalidations = [{ bucket: at, namespace: 'ns-a', kind: 'tag', count: 1, keys: 7 }]
      await store.write('c1', delta({ errors, invalidations }))
      await store.write('c1', delta({ errors, invalidations }))
      expect(await store.errorRows({ granularity: 'minute', from: at, to: at + MINUTE })).toEqual([{ granularity: 'minute', ...errors[0], count: 4 }])
      expect(await store.invalidationRows({ granularity: 'day', from: at, to: at + DAY })).toEqual([{ granularity: 'day', ...invalidations[0], count: 2, keys: 14 }])
    })

    it('keeps positions per consumer, only moving them forward', async () => {
      await store.write('c2', delta({ positions: [{ topic: 't', partition: 0, nextOffset: '10' }, { topic: 't', partition: 1, nextOffset: '3' }] }))
      await store.write('c2', delta({ positions: [{ topic: 't', partition: 0, nextOffset: '7' }] }))
      expect(await store.positions('c2')).toEqual(new Map([['t\0' + '0', 10n], ['t\0' + '1', 3n]]))
      expect(await store.positions('someone else')).toEqual(new Map())
    })

    it('replaces a namespace sketch with the latest one, per consumer', async () => {
      await store.write('c3', delta({ sketches: [sketch('ns-a', 'first'), sketch('ns-b', 'b')] }))
      await store.write('c3', delta({ sketches: [sketch('ns-a', 'second')] }))
      const stored = (await store.sketches('c3')).sort((a, b) => a.namespace.localeCompare(b.namespace))
      expect(stored).toEqual([sketch('ns-a', 'second'), sketch('ns-b', 'b')])
      expect(await store.sketches('c1')).toEqual([])
    })

    it('changes nothing when a write fails part way', async () => {
      const at = T0 + 3 * DAY
      const bad = delta({ access: [access(at, 'ns-a', 'l1', 1)], positions: [{ topic: 't', partition: 0, nextOffset: 'not a number' }] })
      await expect(store.write('c4', bad)).rejects.toThrow()
      expect(await store.accessRows({ granularity: 'minute', from: at, to: at + MINUTE })).toEqual([])
      expect(await store.positions('c4')).toEqual(new Map())
    })

    it('deletes rows older than the retention of their granularity', async () => {
      const at = T0 + 10 * DAY
      await store.write('c5', delta({ access: [access(at, 'ns-r', 'l1', 1)], errors: [{ bucket: at, code: 'E_X', service: 's', namespace: 'ns-r', count: 1 }] }))
      const deleted = await store.applyRetention(at + 2 * HOUR, { minute: HOUR, hour: 30 * DAY, day: 400 * DAY })
      expect(deleted).toBeGreaterThanOrEqual(2)
      expect(await store.accessRows({ granularity: 'minute', from: at, to: at + HOUR, namespace: 'ns-r' })).toEqual([])
      expect((await store.accessRows({ granularity: 'hour', from: at, to: at + HOUR, namespace: 'ns-r' })).length).toBe(1)
      expect((await store.errorRows({ granularity: 'day', from: at, to: at + DAY })).length).toBe(1)
    })
  })
}
