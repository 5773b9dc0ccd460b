import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { beladyHitRatio } from '../../../bench/lib/belady.js'
import { keyNames, replay, strataTier } from '../../../bench/lib/simulate.js'
import { PUBLIC_TRACES, locateTracesDir, readTrace, type Trace } from '../../../bench/lib/traces.js'

/**
 * Replays the public traces of ../shared/traces (README.md there) through the shipped L1 tier. LRU and OPT must match
 * the README's exact figures; W-TinyLFU is held to Caffeine's published adaptive figures and to "never more than one
 * point below LRU". P3 (3.9M accesses) is left to `pnpm bench hit-ratio`.
 */
const tracesDir = locateTracesDir()
const loaded = new Map<string, { trace: Trace; names: string[] }>()

function load(file: string): { trace: Trace; names: string[] } {
  let entry = loaded.get(file)
  if (entry === undefined) {
    const trace = readTrace(join(tracesDir!, file))
    entry = { trace, names: keyNames(trace.distinct) }
    loaded.set(file, entry)
  }
  return entry
}

function hitRatio(file: string, policy: 'lru' | 'w-tinylfu', size: number, seed?: number): number {
  const { trace, names } = load(file)
  return replay(trace.keys, strataTier(policy, size, names, seed))
}

/** Mean W-TinyLFU hit ratio over a few hash seeds: the seed moves single runs by up to ±0.4 points. */
function meanTinyLfu(file: string, size: number): number {
  const seeds = [1, 2, 3, 4, 5]
  return seeds.reduce((sum, seed) => sum + hitRatio(file, 'w-tinylfu', size, seed), 0) / seeds.length
}

const cases = PUBLIC_TRACES.filter((trace) => trace.name !== 'P3').flatMap((trace) =>
  trace.cases.map((c) => ({ file: trace.file, name: trace.name, ...c })),
)

describe.skipIf(tracesDir === undefined)('L1 hit ratios on the public traces (../shared/traces)', () => {
  it.each(cases)('LRU reproduces $name @$size: $lru%', ({ file, size, lru }) => {
    expect(hitRatio(file, 'lru', size).toFixed(2)).toBe(lru.toFixed(2))
  })

  it.each(cases)('OPT (bypass) reproduces $name @$size: $opt%', ({ file, size, opt }) => {
    const { trace } = load(file)
    expect(beladyHitRatio(trace.keys, trace.distinct, size).toFixed(2)).toBe(opt.toFixed(2))
  })

  it.each(cases)('W-TinyLFU is never more than 1 point below LRU: $name @$size', ({ file, size, lru }) => {
    expect(meanTinyLfu(file, size)).toBeGreaterThanOrEqual(lru - 1)
  })

  // sprite @1024 is the recency-skewed case: the window must grow to its 80% limit. Caffeine's hill climber
  // oscillated between 6% and 19% here (85.7%); the miniature simulations (w-tinylfu.ts) choose 80% at their first
  // decision. Measured: 89.92 (means of 5 seeds), LRU 90.73, a fixed 80% window 90.53.
  it('W-TinyLFU is within 1 point of LRU on sprite @1024 (90.73%), the recency-skewed case', () => {
    expect(meanTinyLfu('sprite.trace.gz', 1024)).toBeGreaterThanOrEqual(90.73 - 1)
  })

  it('the adaptive window lifts sprite @1024 well above a static 1% window (83.76% in the README)', () => {
    expect(meanTinyLfu('sprite.trace.gz', 1024)).toBeGreaterThan(85)
  })

  it('meets Caffeine’s published gli figures at 250 and 1000, and reaches OPT at 2000', () => {
    expect(meanTinyLfu('gli.trace.gz', 250)).toBeGreaterThanOrEqual(15.7)
    expect(meanTinyLfu('gli.trace.gz', 1000)).toBeGreaterThanOrEqual(50.6)
    // The chart reads "about 58"; OPT itself is 57.96 here, and W-TinyLFU reaches it.
    expect(meanTinyLfu('gli.trace.gz', 2000).toFixed(2)).toBe('57.96')
  })

  it('is within 0.3 point of Caffeine’s published OLTP figures (24.7 @250, 46.1 @2000)', () => {
    expect(meanTinyLfu('OLTP.lis.gz', 250)).toBeGreaterThanOrEqual(24.7 - 0.3)
    expect(meanTinyLfu('OLTP.lis.gz', 2000)).toBeGreaterThanOrEqual(46.1 - 0.3)
  })

  it('meets Caffeine’s published OLTP figures (24.7 @250, 46.1 @2000)', () => {
    // Measured: 25.69 and 46.81 (means of 5 seeds; the hill climber this replaced: 24.52 and 46.08).
    expect(meanTinyLfu('OLTP.lis.gz', 250)).toBeGreaterThanOrEqual(24.7)
    expect(meanTinyLfu('OLTP.lis.gz', 2000)).toBeGreaterThanOrEqual(46.1)
  })
})
