import { describe, expect, it } from 'vitest'
import { seededRandom, zipfKeys } from '../../../../../bench/lib/zipf.js'
import { PolicyNode } from './eviction-policy.js'
import { hashKey } from './key-hash.js'
import { LruPolicy } from './lru.js'
import { WTinyLfuPolicy } from './w-tinylfu.js'

const SEED = 0x5eed

/** A cache-aside driver: a Map of resident nodes kept in step with the policy's evictions. */
function driver(options: { maximumWeight: number; maximumSize?: number; static?: boolean; lru?: boolean }) {
  const resident = new Map<number | string, PolicyNode>()
  const evicted: (number | string)[] = []
  const onEvict = (node: PolicyNode): void => {
    if (resident.get(node.key) !== node) throw new Error(`evicted ${String(node.key)}, which is not resident`)
    resident.delete(node.key)
    evicted.push(node.key)
  }
  const base = {
    maximumWeight: options.maximumWeight,
    ...(options.maximumSize === undefined ? {} : { maximumSize: options.maximumSize }),
    onEvict,
    seed: SEED,
  }
  const policy = options.lru ? new LruPolicy(base) : new WTinyLfuPolicy(base)
  if (options.static === true) freezeWindow(policy as WTinyLfuPolicy)
  let hits = 0
  let accesses = 0
  const access = (key: number | string, weight = 1): boolean => {
    accesses++
    const node = resident.get(key)
    if (node !== undefined) {
      hits++
      policy.onHit(node)
      return true
    }
    policy.onMiss(key)
    const fresh = new PolicyNode(key, weight)
    resident.set(key, fresh)
    if (!policy.onInsert(fresh)) resident.delete(key)
    return false
  }
  return { policy, resident, evicted, access, hitRatio: () => (100 * hits) / accesses }
}

/** The same policy with the window adaptation switched off (a static 1% window), to compare against. */
function freezeWindow(policy: WTinyLfuPolicy): void {
  const internals = policy as unknown as { determineAdjustment(): void; decreaseWindow(): void; adjustment: number }
  internals.adjustment = Math.max(1, Math.round(0.01 * policy.windowMaximum)) - policy.windowMaximum
  internals.decreaseWindow()
  internals.determineAdjustment = () => {
    internals.adjustment = 0
  }
}

describe('WTinyLfuPolicy', () => {
  it('starts as LRU (the window takes the whole budget), and protected takes 80% of the main space as it shrinks', () => {
    const policy = new WTinyLfuPolicy({ maximumWeight: 1000, onEvict: () => {}, seed: SEED })
    expect(policy.windowMaximum).toBe(1000)
    expect(policy.protectedMaximum).toBe(0)
    freezeWindow(policy)
    expect(policy.windowMaximum).toBe(10)
    expect(policy.protectedMaximum).toBe(792)
  })

  it('replays a trace identically without a seed: the default seed comes from the configuration', () => {
    const keys = zipfKeys({ items: 5000, accesses: 30_000, exponent: 0.8, seed: 9 })
    const ratios = [0, 1].map(() => {
      const resident = new Map<number, PolicyNode>()
      const policy = new WTinyLfuPolicy({ maximumWeight: 300, onEvict: (node) => resident.delete(node.key as number) })
      let hits = 0
      for (const key of keys) {
        const node = resident.get(key)
        if (node !== undefined) {
          hits++
          policy.onHit(node)
          continue
        }
        policy.onMiss(key)
        const fresh = new PolicyNode(key, 1)
        resident.set(key, fresh)
        if (!policy.onInsert(fresh)) resident.delete(key)
      }
      return hits
    })
    expect(ratios[0]).toBe(ratios[1])
  })

  it('keeps a hot set through scans of one-off keys that flush an LRU', () => {
    const hot = Array.from({ length: 80 }, (_, i) => `hot:${i}`)
    const runs = [driver({ maximumWeight: 100 }), driver({ maximumWeight: 100, lru: true })]
    const hotHits = runs.map(({ access }) => {
      for (let round = 0; round < 10; round++) for (const key of hot) access(key)
      // 100 one-off keys between two passes over the hot set: more than an LRU of 100 can hold besides it.
      let hits = 0
      for (let pass = 0; pass < 50; pass++) {
        for (let i = 0; i < 100; i++) access(`scan:${pass}:${i}`)
        for (const key of hot) if (access(key)) hits++
      }
      return (100 * hits) / (50 * hot.length)
    })
    expect(hotHits[0]).toBeGreaterThan(95)
    expect(hotHits[1]).toBe(0)
    expect(hot.filter((key) => runs[0]!.resident.has(key)).length).toBe(80)
  })

  it('admits a candidate seen more often than the victim and rejects a colder one', () => {
    const { access, resident } = driver({ maximumWeight: 10, static: true })
    for (let i = 0; i < 10; i++) access(`warm:${i}`)
    for (let round = 0; round < 3; round++) for (let i = 0; i < 10; i++) access(`warm:${i}`)
    access('cold')
    access('cold-2')
    expect(resident.has('cold')).toBe(false)
    // A newcomer requested more often than the victim gets in.
    for (let t = 0; t < 8; t++) access('rising')
    expect(resident.has('rising')).toBe(true)
  })

  it('lets a warm candidate (≥ 6) win 1 lost duel in 128 against a hotter victim, and a colder one never', () => {
    const policy = new WTinyLfuPolicy({ maximumWeight: 1000, onEvict: () => {}, seed: SEED })
    const admit = (policy as unknown as { admit(candidate: PolicyNode, victim: PolicyNode): boolean }).admit.bind(policy)
    const nodeSeen = (key: string, times: number): PolicyNode => {
      for (let t = 0; t < times; t++) policy.onMiss(key)
      const node = new PolicyNode(key, 1)
      node.hash = hashKey(key, SEED)
      return node
    }
    const victim = nodeSeen('victim', 15)
    const warm = nodeSeen('warm', 7)
    const cold = nodeSeen('cold', 5)
    expect(policy.frequency('victim')).toBe(15)
    expect(policy.frequency('warm')).toBe(7)

    let warmWins = 0
    let coldWins = 0
    for (let i = 0; i < 128 * 200; i++) {
      if (admit(warm, victim)) warmWins++
      if (admit(cold, victim)) coldWins++
    }
    expect(coldWins).toBe(0)
    expect(warmWins).toBeGreaterThan(140)
    expect(warmWins).toBeLessThan(260)
    expect(admit(victim, warm)).toBe(true)
  })

  it('counts a miss followed by the insert of the same key as one access', () => {
    const policy = new WTinyLfuPolicy({ maximumWeight: 100, onEvict: () => {}, seed: SEED })
    policy.onMiss('k')
    policy.onInsert(new PolicyNode('k', 1))
    expect(policy.frequency('k')).toBe(1)
    policy.onInsert(new PolicyNode('written-without-read', 1))
    expect(policy.frequency('written-without-read')).toBe(1)
  })

  it('grows the window under a recency-skewed workload and gets close to LRU where a static window fails', () => {
    // A working set of 600 keys that slides forward one key every 4 accesses: what was hot is soon dead.
    const random = seededRandom(7)
    const keys = Array.from({ length: 300_000 }, (_, t) => Math.floor(t / 4) + Math.floor(random() * 600))
    const adaptive = driver({ maximumWeight: 1000 })
    const frozen = driver({ maximumWeight: 1000, static: true })
    const lru = driver({ maximumWeight: 1000, lru: true })
    for (const key of keys) {
      adaptive.access(key)
      frozen.access(key)
      lru.access(key)
    }
    const window = (adaptive.policy as WTinyLfuPolicy).windowMaximum
    expect(window).toBeGreaterThan(500)
    expect(frozen.hitRatio()).toBeLessThan(25)
    expect(adaptive.hitRatio()).toBeGreaterThan(frozen.hitRatio() + 35)
    expect(adaptive.hitRatio()).toBeGreaterThan(lru.hitRatio() - 1)
  })

  it('keeps the window small under a frequency-skewed (Zipf) workload and beats LRU', () => {
    const keys = zipfKeys({ items: 50_000, accesses: 300_000, exponent: 0.9, seed: 3 })
    const adaptive = driver({ maximumWeight: 1000 })
    const lru = driver({ maximumWeight: 1000, lru: true })
    for (const key of keys) {
      adaptive.access(key)
      lru.access(key)
    }
    expect((adaptive.policy as WTinyLfuPolicy).windowMaximum).toBeLessThan(200)
    expect(adaptive.hitRatio()).toBeGreaterThan(lru.hitRatio() + 3)
  })

  it('sizes the window from miniature simulations, the same way for the same seed', () => {
    const random = seededRandom(3)
    // Phases of Zipf (frequency) and of a sliding working set (recency).
    const zipf = zipfKeys({ items: 20_000, accesses: 60_000, exponent: 0.9, seed: 5 })
    const keys = Array.from({ length: 180_000 }, (_, t) =>
      Math.floor(t / 60_000) === 1 ? 1_000_000 + Math.floor(t / 4) + Math.floor(random() * 600) : zipf[t % 60_000]!,
    )
    const windows = [driver({ maximumWeight: 1000 }), driver({ maximumWeight: 1000 })].map(({ policy, access }) => {
      const trajectory: number[] = []
      keys.forEach((key, t) => {
        access(key)
        if (t % 5000 === 4999) trajectory.push((policy as WTinyLfuPolicy).windowMaximum)
      })
      return trajectory
    })
    expect(windows[0]).toEqual(windows[1])
    // LRU at the start, small through the rest of the first Zipf phase, 80–100% (LRU) in the sliding one.
    expect(Math.max(...windows[0]!.slice(2, 12))).toBeLessThanOrEqual(100)
    expect(windows[0]![23]).toBeGreaterThanOrEqual(800)
  })

  it('builds the miniature simulations for a byte budget (or a count bound besides the weight) when it first binds', () => {
    const simulated = (policy: WTinyLfuPolicy): boolean => (policy as unknown as { miniSim: unknown }).miniSim !== null
    const { policy, access } = driver({ maximumWeight: 10_000 })
    access('unit')
    expect(simulated(policy as WTinyLfuPolicy)).toBe(true)
    access('bytes', 300)
    expect(simulated(policy as WTinyLfuPolicy)).toBe(false)
    for (let i = 0; i < 40; i++) access(`fill:${i}`, 300)
    expect(simulated(policy as WTinyLfuPolicy)).toBe(true)
    expect(simulated(new WTinyLfuPolicy({ maximumWeight: 10_000, maximumSize: 100, onEvict: () => {} }))).toBe(false)
  })

  it('is exactly LRU on a byte budget while the window is the whole budget: a heavy insert evicts the oldest', () => {
    // Caffeine's rule (the window's newest entry duels when the overflow ran out) evicted 1, 4 and 5 here: the entry
    // just written, and a newer one before an older.
    const { evicted, access } = driver({ maximumWeight: 10 })
    ;[3, 4, 2, 5, 1, 3].forEach((weight, key) => access(key, weight))
    expect(evicted).toEqual([0, 1, 2])
  })

  it('bounds the sum of weights, rejects an entry heavier than the budget, and evicts a node that outgrows it', () => {
    const random = seededRandom(11)
    const { policy, resident, access } = driver({ maximumWeight: 10_000 })
    for (let i = 0; i < 20_000; i++) {
      access(Math.floor(random() * 3000), 1 + Math.floor(random() * 400))
      expect(policy.weightedSize).toBeLessThanOrEqual(10_000)
    }
    let sum = 0
    for (const node of resident.values()) sum += node.weight
    expect(policy.weightedSize).toBe(sum)
    expect(policy.size).toBe(resident.size)

    const heavy = new PolicyNode('heavy', 10_001)
    expect(policy.onInsert(heavy)).toBe(false)
    expect(heavy.queue).toBe(0)

    const node = resident.values().next().value!
    expect(policy.onUpdate(node, 10_001)).toBe(false)
    expect(resident.has(node.key)).toBe(false)
    expect(policy.weightedSize).toBeLessThanOrEqual(10_000)
  })

  it('holds a count bound and a weight bound together', () => {
    const random = seededRandom(5)
    const { policy, resident, access } = driver({ maximumWeight: 50_000, maximumSize: 200 })
    for (let i = 0; i < 30_000; i++) {
      // Mostly small entries (the count binds), now and then large ones (the weight binds).
      const weight = random() < 0.9 ? 10 : 2000 + Math.floor(random() * 2000)
      access(Math.floor(random() * 2000), weight)
      expect(policy.size).toBeLessThanOrEqual(200)
      expect(policy.weightedSize).toBeLessThanOrEqual(50_000)
    }
    expect(policy.size).toBe(resident.size)
    expect(policy.size).toBeGreaterThan(100)
  })

  it('stays consistent under random inserts, hits, updates and removals', () => {
    const random = seededRandom(99)
    const { policy, resident, access } = driver({ maximumWeight: 500, maximumSize: 120 })
    for (let i = 0; i < 50_000; i++) {
      const key = Math.floor(random() * 400)
      const node = resident.get(key)
      const dice = random()
      if (node !== undefined && dice < 0.1) {
        policy.onRemove(node)
        resident.delete(key)
      } else if (node !== undefined && dice < 0.2) {
        if (!policy.onUpdate(node, 1 + Math.floor(random() * 20))) expect(resident.has(key)).toBe(false)
      } else {
        access(key, 1 + Math.floor(random() * 20))
      }
    }
    let sum = 0
    for (const node of resident.values()) {
      expect(node.queue).toBeGreaterThan(0)
      sum += node.weight
    }
    expect(policy.size).toBe(resident.size)
    expect(policy.weightedSize).toBe(sum)
    policy.clear()
    expect(policy.size).toBe(0)
  })
})
