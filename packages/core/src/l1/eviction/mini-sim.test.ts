import { describe, expect, it } from 'vitest'
import { seededRandom, zipfKeys } from '../../../../../bench/lib/zipf.js'
import { FrequencySketch } from './frequency-sketch.js'
import { spread } from './key-hash.js'
import { MiniSimulation, sampleHash } from './mini-sim.js'

const PERCENTS = [0.01, 0.1, 0.25, 0.5, 0.8]

function simulation(maximum: number, options: { miniSize?: number; hysteresis?: number } = {}): MiniSimulation {
  return new MiniSimulation({
    maximum,
    percents: PERCENTS,
    miniSize: options.miniSize ?? 128,
    initialPercent: 0.01,
    decay: 0.8,
    hysteresis: options.hysteresis ?? 1,
  })
}

/** Replays ids through the simulation as the policy does: only the sampled ones. */
function replay(sim: MiniSimulation, ids: ArrayLike<number>): void {
  for (let i = 0; i < ids.length; i++) {
    const hash = spread(ids[i]! + 1)
    if (sim.isSampled(hash)) sim.record(hash)
  }
}

/**
 * A plain W-TinyLFU over arrays (head = LRU end), written for clarity: what each miniature must reproduce exactly,
 * given the same frequency sketch.
 */
class ReferenceWTinyLfu {
  readonly window: number[] = []
  readonly probation: number[] = []
  readonly protectedSegment: number[] = []
  misses = 0

  constructor(
    private readonly size: number,
    private readonly windowMaximum: number,
    private readonly protectedMaximum: number,
    private readonly sketch: FrequencySketch,
  ) {}

  access(key: number): void {
    if (this.touch(this.window, key)) return
    const inProbation = this.probation.indexOf(key)
    if (inProbation >= 0) {
      this.probation.splice(inProbation, 1)
      this.protectedSegment.push(key)
      if (this.protectedSegment.length > this.protectedMaximum) this.probation.push(this.protectedSegment.shift()!)
      return
    }
    if (this.touch(this.protectedSegment, key)) return
    this.misses++
    this.window.push(key)
    if (this.window.length <= this.windowMaximum) return
    const candidate = this.window.shift()!
    this.probation.push(candidate)
    if (this.window.length + this.probation.length + this.protectedSegment.length <= this.size) return
    const victim = this.probation[0]!
    const evictVictim = victim !== candidate && this.sketch.frequency(candidate) > this.sketch.frequency(victim)
    this.probation.splice(this.probation.indexOf(evictVictim ? victim : candidate), 1)
  }

  has(key: number): boolean {
    return this.window.includes(key) || this.probation.includes(key) || this.protectedSegment.includes(key)
  }

  private touch(queue: number[], key: number): boolean {
    const index = queue.indexOf(key)
    if (index < 0) return false
    queue.splice(index, 1)
    queue.push(key)
    return true
  }
}

describe('MiniSimulation', () => {
  it('samples about miniSize / maximum of the keys, and every key when the cache is that small', () => {
    const sim = simulation(10_000)
    expect(sim.size).toBe(128)
    let sampled = 0
    const keys = 200_000
    for (let key = 0; key < keys; key++) if (sim.isSampled(spread(key))) sampled++
    expect(sampled / keys).toBeGreaterThan(0.0128 * 0.9)
    expect(sampled / keys).toBeLessThan(0.0128 * 1.1)

    const small = simulation(100)
    expect(small.size).toBe(100)
    for (let key = 0; key < 1000; key++) expect(small.isSampled(spread(key))).toBe(true)
    // The sampling decision is a fixed function of the hash: deterministic for a given seed.
    expect(sampleHash(spread(42))).toBe(sampleHash(spread(42)))
  })

  it('runs each miniature exactly as a plain W-TinyLFU of its window share would', () => {
    // Every key is sampled (maximum ≤ miniSize): the miniatures replay the whole stream.
    const sim = simulation(100)
    const sketch = new FrequencySketch()
    sketch.ensureCapacity(100)
    const references = PERCENTS.map((percent) => {
      const window = Math.max(1, Math.round(percent * 100))
      return new ReferenceWTinyLfu(100, window, Math.floor(0.8 * (100 - window)), sketch)
    })
    const random = seededRandom(5)
    const keys = zipfKeys({ items: 2000, accesses: 20_000, exponent: 0.8, seed: 9 })
    for (let i = 0; i < keys.length; i++) {
      // Mix in runs of one-off keys and a recency phase, so that every queue transition happens.
      const key = i % 1000 < 200 ? 10_000 + i : i % 1000 < 400 ? 5000 + Math.floor(random() * 150) : keys[i]!
      const hash = spread(key + 1)
      sim.record(hash)
      sketch.increment(hash)
      for (const reference of references) reference.access(hash)
    }
    PERCENTS.forEach((_, c) => {
      expect(sim.misses[c]).toBe(references[c]!.misses)
      expect(sim.residentCount(c)).toBe(100)
    })
    // Residency agrees key by key, and the shared records are exactly the keys some miniature holds.
    const union = new Set<number>()
    for (const reference of references) {
      for (const key of [...reference.window, ...reference.probation, ...reference.protectedSegment]) union.add(key)
    }
    expect(sim.liveRecords).toBe(union.size)
    for (const key of union) {
      PERCENTS.forEach((_, c) => expect(sim.contains(c, key)).toBe(references[c]!.has(key)))
    }
  })

  it('favours the largest window under a recency-skewed workload and the smallest under a frequency-skewed one', () => {
    const recency = simulation(1000)
    const random = seededRandom(7)
    // A working set of 600 keys that slides forward one key every 4 accesses: what was hot is soon dead.
    const sliding = Array.from({ length: 200_000 }, (_, t) => Math.floor(t / 4) + Math.floor(random() * 600))
    replay(recency, sliding.slice(0, 5000))
    // The first period is a warm-up: its misses are the baseline, and the share stays.
    expect(recency.decide()).toBe(0.01)
    replay(recency, sliding.slice(5000))
    expect(recency.decide()).toBe(0.8)

    const frequency = simulation(1000)
    const zipf = zipfKeys({ items: 50_000, accesses: 200_000, exponent: 0.9, seed: 3 })
    replay(frequency, zipf.subarray(0, 5000))
    frequency.decide()
    replay(frequency, zipf.subarray(5000))
    expect(frequency.decide()).toBe(0.01)
  })

  it('keeps the current share unless another beats it by more than the hysteresis', () => {
    const sim = simulation(100, { hysteresis: 1 })
    expect(sim.decide()).toBe(0.01) // the warm-up
    // A uniform stream over 90 keys fits every miniature: the same misses everywhere, no reason to move.
    for (let round = 0; round < 50; round++) for (let key = 0; key < 90; key++) sim.record(spread(key + 1))
    expect(sim.decide()).toBe(0.01)
    expect(sim.current).toBe(0)

    // A loop over 110 keys in a cache of 100: the smallest window keeps the most (LRU-like windows miss everything).
    const loop = simulation(100, { hysteresis: 1 })
    loop.decide()
    for (let round = 0; round < 200; round++) for (let key = 0; key < 110; key++) loop.record(spread(key + 1))
    expect(loop.decide()).toBe(0.01)
  })

  it('moves between shares as the workload changes phase, and back', () => {
    const sim = simulation(1000)
    const random = seededRandom(11)
    const phases: number[] = []
    for (let phase = 0; phase < 4; phase++) {
      const recent = phase % 2 === 1
      const keys = recent
        ? Array.from({ length: 100_000 }, (_, t) => 1_000_000 * phase + Math.floor(t / 4) + Math.floor(random() * 600))
        : Array.from(zipfKeys({ items: 50_000, accesses: 100_000, exponent: 0.9, seed: phase }))
      for (let part = 0; part < 20; part++) {
        replay(sim, keys.slice(part * 5000, (part + 1) * 5000))
        sim.decide()
      }
      phases.push(sim.percents[sim.current]!)
    }
    expect(phases[0]).toBe(0.01)
    expect(phases[1]).toBe(0.8)
    expect(phases[2]).toBeLessThanOrEqual(0.1)
    expect(phases[3]).toBe(0.8)
  })
})
