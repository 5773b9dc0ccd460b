import { MemoryTier } from '../../packages/core/src/l1/index.js'
import type { EvictionPolicyName } from '../../packages/core/src/l1/index.js'

/** A cache under test: `access` returns true on a hit and, on a miss, fills the key (cache-aside). */
export type Access = (key: number) => boolean

/** Replays the keys and returns the hit ratio in %. */
export function replay(keys: Int32Array, access: Access): number {
  let hits = 0
  for (let i = 0; i < keys.length; i++) if (access(keys[i]!)) hits++
  return keys.length === 0 ? 0 : (100 * hits) / keys.length
}

/** Interned ids as the string keys the tier stores, built once per trace so replay allocates nothing per access. */
export function keyNames(distinct: number): string[] {
  const names = new Array<string>(distinct)
  for (let i = 0; i < distinct; i++) names[i] = String(i)
  return names
}

/** Strata's L1 tier (the shipped MemoryTier, no TTL) as a cache-aside simulator. */
export function strataTier(policy: EvictionPolicyName, capacity: number, names: readonly string[], seed = 0x5eed): Access {
  const tier = new MemoryTier<boolean>({ maxEntries: capacity, policy, seed })
  return (key) => {
    const name = names[key]!
    if (tier.get(name) !== undefined) return true
    tier.set(name, true, Number.POSITIVE_INFINITY)
    return false
  }
}
