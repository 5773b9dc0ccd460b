import { seededRandom, zipfKeys } from './zipf.js'

/**
 * Access patterns that break frequency-based admission, sized relative to a cache of `cache` entries: working sets
 * that move, recency that beats frequency, phases, short traces and scans. Each generator is deterministic for its
 * arguments and returns dense key ids (0…distinct−1 after `compact`), so LRU and Belády's OPT can be computed exactly.
 */
export interface AdversarialFamily {
  name: string
  /** The keys for a cache of `cache` entries, `length` accesses long (about). */
  generate: (cache: number, length: number, seed: number) => Int32Array
}

/**
 * Backward loops: a working set of 0.7 × cache keys read from its newest key to its oldest, again and again, while it
 * slides forward by a quarter each pass. Each key is read four times and then never again: LRU hits all but the first
 * read, a policy that waits for frequency before admitting misses them.
 */
export function backwardLoop(cache: number, length: number): Int32Array {
  const set = Math.max(2, Math.floor(0.7 * cache))
  const shift = Math.max(1, Math.floor(set / 4))
  const keys = new Int32Array(length)
  let out = 0
  for (let start = 0; out < length; start += shift) {
    for (let k = start + set - 1; k >= start && out < length; k--) keys[out++] = k
  }
  return keys
}

/** Zigzag: keys 0…n−1 forward, then backward, then forward, over a set of 1.5 × cache: LRU keeps each turn's tail. */
export function zigzag(cache: number, length: number): Int32Array {
  const n = Math.max(2, Math.floor(1.5 * cache))
  const keys = new Int32Array(length)
  let key = 0
  let step = 1
  for (let i = 0; i < length; i++) {
    keys[i] = key
    if (key + step < 0 || key + step >= n) step = -step
    else key += step
  }
  return keys
}

/**
 * A sliding window: uniform draws from `width` consecutive keys, the window moving one key forward every `every`
 * accesses. Popularity is pure recency (a key is hot while in the window, then dead), where LRU is near optimal.
 */
export function slidingWindow(cache: number, length: number, seed: number, widthFactor = 0.75, every = 4): Int32Array {
  const width = Math.max(1, Math.floor(widthFactor * cache))
  const random = seededRandom(seed)
  const keys = new Int32Array(length)
  for (let i = 0; i < length; i++) keys[i] = Math.floor(i / every) + Math.floor(random() * width)
  return keys
}

/** Zipf over `items` keys with ids offset by `base` (so that phases use disjoint keys). */
function zipfFrom(base: number, items: number, length: number, exponent: number, seed: number): Int32Array {
  const keys = zipfKeys({ items, accesses: length, exponent, seed })
  for (let i = 0; i < keys.length; i++) keys[i] = keys[i]! + base
  return keys
}

/** Phase changes: Zipf over one key set, then a sliding window, then Zipf over another set, then a zigzag. */
export function phases(cache: number, length: number, seed: number): Int32Array {
  const quarter = Math.floor(length / 4)
  const parts = [
    zipfFrom(0, 10 * cache, quarter, 0.9, seed),
    offset(slidingWindow(cache, quarter, seed + 1), 10 * cache),
    zipfFrom(20 * cache, 10 * cache, quarter, 0.9, seed + 2),
    offset(zigzag(cache, length - 3 * quarter), 40 * cache),
  ]
  return concat(parts)
}

/** A scan of 3 × cache one-off keys, then Zipf traffic: the scan must not decide what the cache keeps. */
export function scanIntoZipf(cache: number, length: number, seed: number): Int32Array {
  const scan = Math.min(3 * cache, Math.floor(length / 3))
  const keys = new Int32Array(length)
  for (let i = 0; i < scan; i++) keys[i] = i
  keys.set(zipfFrom(scan, 10 * cache, length - scan, 0.9, seed), scan)
  return keys
}

/** Zipf 0.8 over 20 × cache keys: with a trace this short the policy has little time to learn. */
export function shortZipf(cache: number, length: number, seed: number): Int32Array {
  return zipfFrom(0, 20 * cache, length, 0.8, seed)
}

/** Half the accesses from Zipf 0.9 over 10 × cache keys, half from a sliding window over other keys, interleaved. */
export function mixture(cache: number, length: number, seed: number): Int32Array {
  const random = seededRandom(seed + 7)
  const zipf = zipfFrom(0, 10 * cache, length, 0.9, seed)
  const window = offset(slidingWindow(cache, length, seed + 1, 0.5), 10 * cache)
  const keys = new Int32Array(length)
  let z = 0
  let w = 0
  for (let i = 0; i < length; i++) keys[i] = random() < 0.5 ? zipf[z++]! : window[w++]!
  return keys
}

/** Every family, each generating a trace for a cache size and a length (see `ADVERSARIAL_LENGTHS`). */
export const ADVERSARIAL_FAMILIES: readonly AdversarialFamily[] = [
  { name: 'backward loop', generate: (cache, length) => backwardLoop(cache, length) },
  { name: 'zigzag', generate: (cache, length) => zigzag(cache, length) },
  { name: 'sliding window', generate: (cache, length, seed) => slidingWindow(cache, length, seed) },
  { name: 'phases', generate: phases },
  { name: 'scan into zipf', generate: scanIntoZipf },
  { name: 'short zipf', generate: shortZipf },
  { name: 'mixture', generate: mixture },
]

/** Trace lengths as multiples of the cache size: short traces (5–20×) are a failure class of their own. */
export const ADVERSARIAL_LENGTHS: readonly number[] = [5, 20]

/** Renumbers keys to dense ids 0…distinct−1 in order of first use; returns the keys and the distinct count. */
export function compact(keys: Int32Array): { keys: Int32Array; distinct: number } {
  const ids = new Map<number, number>()
  const out = new Int32Array(keys.length)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    let id = ids.get(key)
    if (id === undefined) {
      id = ids.size
      ids.set(key, id)
    }
    out[i] = id
  }
  return { keys: out, distinct: ids.size }
}

function offset(keys: Int32Array, base: number): Int32Array {
  for (let i = 0; i < keys.length; i++) keys[i] = keys[i]! + base
  return keys
}

function concat(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
