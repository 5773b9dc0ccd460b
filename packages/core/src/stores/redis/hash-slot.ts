/**
 * Redis Cluster's key → slot function (CRC16/XMODEM of the key or of its hash tag, mod 16384), exactly as the server's
 * keyHashSlot: the tag is what lies between the FIRST `{` and the first `}` after it, and only if that is non-empty;
 * otherwise the whole key is hashed and the search stops.
 *
 * We do not use `cluster-key-slot` (what ioredis 5.x routes with): after an empty `{}` it keeps scanning and hashes
 * whatever sits before a later `}`, so `a{}b{c}` lands on the wrong slot (ioredis issue/PR #2172). Our colocation of
 * a value and its lease, and our per-slot grouping, must agree with the server.
 */
const CRC16_TABLE = buildCrc16Table()

export const SLOT_COUNT = 16_384

export function hashSlot(key: string | Uint8Array): number {
  if (typeof key === 'string') {
    const ascii = asciiSlot(key)
    if (ascii !== -1) return ascii
  }
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key
  let start = 0
  let end = bytes.length
  const open = bytes.indexOf(0x7b)
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1)
    if (close > open + 1) {
      start = open + 1
      end = close
    }
  }
  let crc = 0
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ bytes[i]!) & 0xff]!) & 0xffff
  return crc & (SLOT_COUNT - 1)
}

/**
 * True when ioredis 5.x (through cluster-key-slot) computes a different slot for `key` than the server: an empty first
 * tag `{}` followed later by a `}`. Such keys must not share a pipeline command with other keys (ioredis' same-slot
 * gate would reject it) and are sent alone, where a MOVED reply redirects them.
 */
export function isMisroutedByIoredis(key: string): boolean {
  const open = key.indexOf('{')
  return open !== -1 && key.charCodeAt(open + 1) === 0x7d && key.indexOf('}', open + 2) !== -1
}

/** The same on the string's char codes when all are ASCII (one byte each): no Buffer per call. -1 otherwise. */
function asciiSlot(key: string): number {
  let start = 0
  let end = key.length
  const open = key.indexOf('{')
  if (open !== -1) {
    const close = key.indexOf('}', open + 1)
    if (close > open + 1) {
      start = open + 1
      end = close
    }
  }
  let crc = 0
  for (let i = start; i < end; i++) {
    const code = key.charCodeAt(i)
    if (code > 0x7f) return -1
    crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ code) & 0xff]!) & 0xffff
  }
  // Braces are ASCII and never occur inside a UTF-8 multi-byte sequence, so the tag found on characters is the one the
  // server finds on bytes; only the hashed range itself must be ASCII, which the loop checks.
  return crc & (SLOT_COUNT - 1)
}

function buildCrc16Table(): Uint16Array {
  const table = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let crc = i << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[i] = crc
  }
  return table
}
