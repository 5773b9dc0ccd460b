import { deflateRawSync, inflateRawSync } from 'node:zlib'
import type { CacheEntry } from '../model/cache-entry.js'
import { StrataError, isStrataError } from '../errors/index.js'
import type { Codec } from './codec.js'
import { decrypt, encrypt, type Keyring } from './encryption.js'

/**
 * The bytes of an entry in L2:
 *
 *   'S' | version=1 | flags | codec id | [encrypted: keyId length | keyId] | body
 *   body (sealed with AES-256-GCM when encrypted; AAD = the header, key id included, + namespace + key) =
 *     createdAt f64 | expiresAt f64 | staleUntil f64 | version f64 | tag count u16 | (u16 length, utf8)* | payload
 *
 * Tags and times sit inside the sealed body, so an encrypted entry leaks nothing but its size and key id. The AAD
 * binds the ciphertext to its place: bytes copied onto another key (user 42's record onto user 43's key) fail
 * authentication and read as a miss, never as the other key's value. Entries sealed before the binding (header-only
 * AAD) fail the same way and are refilled from the origin.
 * Every read is bounds-checked: foreign or truncated bytes become E_CODEC_DECODE, never a wrong value.
 */
const MAGIC = 0x53
const FORMAT_VERSION = 1
const FLAG_COMPRESSED = 1
const FLAG_ENCRYPTED = 2
const FIXED_META_BYTES = 8 * 4 + 2

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

export interface EntryCodecOptions {
  codec: Codec
  compressAbove: number
  encryption: Keyring | undefined
}

/** Where an entry lives: authenticated with it when encrypted. */
export interface EntryPlace {
  namespace: string
  key: string
}

/** Codecs a reader accepts, by id, so entries written with another namespace codec still decode. */
export type CodecRegistry = ReadonlyMap<number, Codec>

export function encodeEntry(entry: CacheEntry, options: EntryCodecOptions, place?: EntryPlace): Uint8Array {
  let payload: Uint8Array = options.codec.encode(entry.value)
  let flags = 0
  if (payload.length >= options.compressAbove) {
    const compressed = deflateRawSync(payload)
    // Incompressible data (already compressed, random) stays as it is.
    if (compressed.length < payload.length) {
      payload = compressed
      flags |= FLAG_COMPRESSED
    }
  }
  const tagBytes = entry.tags.map((tag) => utf8.encode(tag))
  const body = Buffer.allocUnsafe(FIXED_META_BYTES + tagBytes.reduce((n, t) => n + 2 + t.length, 0) + payload.length)
  let offset = body.writeDoubleLE(entry.createdAt, 0)
  offset = body.writeDoubleLE(entry.expiresAt, offset)
  offset = body.writeDoubleLE(entry.staleUntil, offset)
  offset = body.writeDoubleLE(entry.version, offset)
  offset = body.writeUInt16LE(tagBytes.length, offset)
  for (const tag of tagBytes) {
    offset = body.writeUInt16LE(tag.length, offset)
    body.set(tag, offset)
    offset += tag.length
  }
  body.set(payload, offset)

  const keyring = options.encryption
  if (keyring === undefined) return Buffer.concat([header(flags, options.codec.id), body])

  const keyId = utf8.encode(keyring.current)
  const head = Buffer.concat([header(flags | FLAG_ENCRYPTED, options.codec.id), Buffer.from([keyId.length]), keyId])
  return Buffer.concat([head, encrypt(keyring.keys.get(keyring.current)!, body, boundAad(head, place))])
}

export interface DecodedEntry {
  entry: Omit<CacheEntry, 'size'> & { size: number }
  keyId: string | undefined
}

/**
 * Decodes bytes written by `encodeEntry`. Throws E_CODEC_DECODE (corrupt/foreign), E_UNKNOWN_KEY_ID or
 * E_DECRYPT_FAILED; the engine turns each into a miss plus an error event.
 */
export function decodeEntry(bytes: Uint8Array, codecs: CodecRegistry, keyring: Keyring | undefined, place?: EntryPlace): DecodedEntry {
  try {
    return decodeUnchecked(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), codecs, keyring, place)
  } catch (error) {
    if (isStrataError(error)) throw error
    throw new StrataError('E_CODEC_DECODE', 'Stored entry could not be decoded', { cause: error })
  }
}

function decodeUnchecked(bytes: Buffer, codecs: CodecRegistry, keyring: Keyring | undefined, place: EntryPlace | undefined): DecodedEntry {
  if (bytes.length < 4 || bytes[0] !== MAGIC || bytes[1] !== FORMAT_VERSION) throw corrupt('bad header')
  const flags = bytes[2]!
  const codec = codecs.get(bytes[3]!)
  if (codec === undefined) throw corrupt(`unknown codec id ${bytes[3]}`)

  let body: Buffer = bytes.subarray(4)
  let keyId: string | undefined
  if ((flags & FLAG_ENCRYPTED) !== 0) {
    const idLength = bytes[4]
    if (idLength === undefined || bytes.length < 5 + idLength) throw corrupt('truncated key id')
    keyId = utf8Decoder.decode(bytes.subarray(5, 5 + idLength))
    const key = keyring?.keys.get(keyId)
    if (key === undefined) {
      throw new StrataError('E_UNKNOWN_KEY_ID', `Entry was encrypted with key id "${keyId}", which is not in the keyring`, {
        context: { keyId },
      })
    }
    body = decrypt(key, bytes.subarray(5 + idLength), boundAad(bytes.subarray(0, 5 + idLength), place))
  }

  if (body.length < FIXED_META_BYTES) throw corrupt('truncated metadata')
  const createdAt = body.readDoubleLE(0)
  const expiresAt = body.readDoubleLE(8)
  const staleUntil = body.readDoubleLE(16)
  const version = body.readDoubleLE(24)
  const tagCount = body.readUInt16LE(32)
  let offset = FIXED_META_BYTES
  const tags: string[] = []
  for (let i = 0; i < tagCount; i++) {
    if (offset + 2 > body.length) throw corrupt('truncated tags')
    const length = body.readUInt16LE(offset)
    offset += 2
    if (offset + length > body.length) throw corrupt('truncated tag')
    tags.push(utf8Decoder.decode(body.subarray(offset, offset + length)))
    offset += length
  }
  if (!(createdAt <= expiresAt && expiresAt <= staleUntil)) throw corrupt('inconsistent times')
  let payload: Uint8Array = body.subarray(offset)
  if ((flags & FLAG_COMPRESSED) !== 0) payload = inflateRawSync(payload)
  const value = codec.decode(payload)
  return { entry: { value, createdAt, expiresAt, staleUntil, version, tags, size: bytes.length }, keyId }
}

/** header | u32 namespace length | namespace | u32 key length | key (lengths keep `a`+`bc` apart from `ab`+`c`). */
function boundAad(head: Uint8Array, place: EntryPlace | undefined): Uint8Array {
  if (place === undefined) return head
  const namespace = utf8.encode(place.namespace)
  const key = utf8.encode(place.key)
  const aad = Buffer.allocUnsafe(head.length + 8 + namespace.length + key.length)
  aad.set(head, 0)
  let offset = aad.writeUInt32LE(namespace.length, head.length)
  aad.set(namespace, offset)
  offset = aad.writeUInt32LE(key.length, offset + namespace.length)
  aad.set(key, offset)
  return aad
}

function header(flags: number, codecId: number): Buffer {
  return Buffer.from([MAGIC, FORMAT_VERSION, flags, codecId])
}

function corrupt(why: string): StrataError {
  return new StrataError('E_CODEC_DECODE', `Stored entry is corrupt: ${why}`, { context: { reason: why } })
}
