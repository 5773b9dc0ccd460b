import { StrataError } from '../../errors/index.js'

/**
 * What one memcached item holds: the value, a lease, or both, with their own expiry times.
 *
 * Keeping a key's value and its lease in ONE item is what makes leases exact on classic memcached, which has no
 * multi-key atomicity: every lease transition is a `cas` on that item (check-and-set against the version read by
 * `gets`), so a delete or a set that lands between a filler's check and its write changes the item's CAS version and
 * the write fails. A separate lease key could not give that (check lease, then write value, is two steps).
 *
 * Layout: [0] magic, [1] flags (1 value, 2 lease), [2..10) value expiry, [10..18) lease expiry (ms since the epoch,
 * float64 LE), [18] token length, token (UTF-8), value bytes.
 *
 * Expiry is enforced by readers against these times (millisecond TTLs, like Redis PX); the item's memcached exptime is
 * set a little past the later one only so that memcached reclaims it. Readers on hosts with skewed clocks see expiry
 * early or late by the skew.
 */
export interface Item {
  value: Buffer | undefined
  valueExpiresAt: number
  leaseToken: string | undefined
  leaseExpiresAt: number
}

const MAGIC = 0xa5
const HAS_VALUE = 1
const HAS_LEASE = 2
const HEADER = 19
const MAX_TOKEN_BYTES = 255

export function encodeItem(item: Item): Buffer {
  const token = item.leaseToken === undefined ? undefined : Buffer.from(item.leaseToken, 'utf8')
  if (token !== undefined && token.length > MAX_TOKEN_BYTES) {
    throw new StrataError('E_INVALID_OPTION', `A lease token is at most ${MAX_TOKEN_BYTES} bytes`, { context: { tokenBytes: token.length } })
  }
  const tokenLength = token?.length ?? 0
  const valueLength = item.value?.length ?? 0
  const out = Buffer.allocUnsafe(HEADER + tokenLength + valueLength)
  out[0] = MAGIC
  out[1] = (item.value === undefined ? 0 : HAS_VALUE) | (token === undefined ? 0 : HAS_LEASE)
  out.writeDoubleLE(item.value === undefined ? 0 : item.valueExpiresAt, 2)
  out.writeDoubleLE(token === undefined ? 0 : item.leaseExpiresAt, 10)
  out[18] = tokenLength
  token?.copy(out, HEADER)
  item.value?.copy(out, HEADER + tokenLength)
  return out
}

/** Undefined for bytes that are not an item of ours (foreign or corrupt data reads as absent). */
export function decodeItem(data: unknown): Item | undefined {
  if (!Buffer.isBuffer(data) || data.length < HEADER || data[0] !== MAGIC) return undefined
  const flags = data[1]!
  const tokenLength = data[18]!
  if (data.length < HEADER + tokenLength) return undefined
  return {
    value: flags & HAS_VALUE ? data.subarray(HEADER + tokenLength) : undefined,
    valueExpiresAt: data.readDoubleLE(2),
    leaseToken: flags & HAS_LEASE ? data.toString('utf8', HEADER, HEADER + tokenLength) : undefined,
    leaseExpiresAt: data.readDoubleLE(10),
  }
}

export function liveValue(item: Item | undefined, now: number): Buffer | undefined {
  return item?.value !== undefined && item.valueExpiresAt > now ? item.value : undefined
}

export function liveLease(item: Item | undefined, now: number): string | undefined {
  return item?.leaseToken !== undefined && item.leaseExpiresAt > now ? item.leaseToken : undefined
}

const THIRTY_DAYS_S = 30 * 24 * 3600

/**
 * The memcached exptime that keeps an item until `expiresAt` (ms): whole seconds, rounded up plus one because the
 * server's clock ticks once a second and could drop it up to a second early. Beyond 30 days memcached reads exptime as
 * an absolute unix time, so such TTLs are sent that way.
 */
export function exptimeFor(expiresAt: number, now: number): number {
  const seconds = Math.ceil((expiresAt - now) / 1000) + 1
  return seconds <= THIRTY_DAYS_S ? seconds : Math.ceil(expiresAt / 1000) + 1
}
