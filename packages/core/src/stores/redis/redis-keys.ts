import { SLOT_COUNT, hashSlot, isMisroutedByIoredis } from './hash-slot.js'

/**
 * How a logical key K maps to Redis keys. Cluster requires a value and its lease in one slot, for any key the engine
 * or a user may build, including keys with `{`, `}`, empty tags or a tag of their own:
 *
 *     value key:  K                   (unchanged, so `redis-cli GET K` and other clients see the value)
 *     lease key:  {T}lease:K          T = the shortest decimal string with hashSlot(T) === hashSlot(K)
 *
 * The first `{...}` of the lease key is always `{T}` (T is digits), so its slot is T's whatever K contains, and K after
 * it keeps lease keys distinct.
 *
 * One exception: a K whose first tag is empty and is followed by a later `}` (`a{}b{c}`) is hashed differently by
 * ioredis 5.x than by the server (see hash-slot.ts), and ioredis would refuse or misroute any pipeline holding it. Its
 * value is stored under `{T}value:K` instead, where both agree.
 *
 * One scheme on standalone, Sentinel and Cluster, so data moves between them unchanged. Engine keys start with the
 * configured prefix, never with `{digits}lease:` or `{digits}value:`, so they cannot collide with these.
 */
export function valueKeyOf(key: string): string {
  return isMisroutedByIoredis(key) ? `{${slotTag(hashSlot(key))}}value:${key}` : key
}

export function leaseKeyOf(key: string): string {
  return `{${slotTag(hashSlot(key))}}lease:${key}`
}

/** The engine's key of a value key found by SCAN: `{T}value:K` (see valueKeyOf) is K. */
export function engineKeyOf(redisKey: string): string {
  if (!redisKey.startsWith('{')) return redisKey
  const at = redisKey.indexOf('}value:')
  return at === -1 ? redisKey : redisKey.slice(at + '}value:'.length)
}

/** SCAN MATCH patterns covering every Redis key (values, rewritten values, leases) of the logical keys under `prefix`. */
export function clearPatterns(prefix: string): string[] {
  const escaped = escapeGlob(prefix)
  return [`${escaped}*`, `{*}value:${escaped}*`, `{*}lease:${escaped}*`]
}

/** SCAN MATCH patterns covering the value keys (plain and rewritten) under `prefix`, without leases. */
export function countPatterns(prefix: string): string[] {
  const escaped = escapeGlob(prefix)
  return [`${escaped}*`, `{*}value:${escaped}*`]
}

/** Redis glob (stringmatchlen) treats `* ? [ ] \` specially; a backslash makes each literal. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

let slotTags: string[] | undefined

/**
 * The shortest decimal string hashing to each slot: ~110k CRCs once (tens of ms), then a lookup. RedisStore builds it
 * in its constructor so that no request pays for it.
 */
export function slotTag(slot: number): string {
  if (slotTags === undefined) {
    const tags = new Array<string>(SLOT_COUNT)
    let found = 0
    for (let n = 0; found < SLOT_COUNT; n++) {
      const candidate = String(n)
      const s = hashSlot(candidate)
      if (tags[s] === undefined) {
        tags[s] = candidate
        found++
      }
    }
    slotTags = tags
  }
  return slotTags[slot]!
}
