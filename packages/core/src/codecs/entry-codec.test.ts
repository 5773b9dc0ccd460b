import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isStrataError } from '../errors/index.js'
import type { CacheEntry } from '../model/cache-entry.js'
import { createKeyring } from './encryption.js'
import { decodeEntry, encodeEntry, type EntryCodecOptions } from './entry-codec.js'
import { jsonCodec } from './json-codec.js'
import { msgpackCodec } from './msgpack-codec.js'

const codecs = new Map([
  [jsonCodec.id, jsonCodec],
  [msgpackCodec.id, msgpackCodec],
])
const entry: CacheEntry = { value: { a: 1, list: ['x', 'y'] }, createdAt: 1000.5, expiresAt: 2000, staleUntil: 3000, version: 42, tags: ['t1', 'ünïcode'], size: 0 }

function roundTrip(options: EntryCodecOptions, value: unknown = entry.value) {
  const bytes = encodeEntry({ ...entry, value }, options)
  return { bytes, decoded: decodeEntry(bytes, codecs, options.encryption).entry }
}

describe('entry codec', () => {
  it.each([jsonCodec, msgpackCodec])('round-trips value and metadata with %s', (codec) => {
    const { decoded, bytes } = roundTrip({ codec, compressAbove: Infinity, encryption: undefined })
    expect(decoded).toEqual({ ...entry, size: bytes.length })
  })

  it('msgpack keeps dates, maps and binary', () => {
    const value = { when: new Date(5), map: new Map([['k', 1]]), bin: Buffer.from([1, 2, 3]) }
    const { decoded } = roundTrip({ codec: msgpackCodec, compressAbove: Infinity, encryption: undefined }, value)
    const decodedValue = decoded.value as typeof value
    expect(decodedValue.when).toEqual(new Date(5))
    expect(decodedValue.map).toEqual(new Map([['k', 1]]))
    expect([...decodedValue.bin]).toEqual([1, 2, 3])
  })

  it('compresses above the threshold, and not incompressible data', () => {
    const text = 'abc'.repeat(5000)
    const plain = roundTrip({ codec: jsonCodec, compressAbove: Infinity, encryption: undefined }, text)
    const packed = roundTrip({ codec: jsonCodec, compressAbove: 1024, encryption: undefined }, text)
    expect(packed.bytes.length).toBeLessThan(plain.bytes.length / 10)
    expect(packed.decoded.value).toBe(text)
    const noise = randomBytes(4096)
    const noisy = roundTrip({ codec: msgpackCodec, compressAbove: 16, encryption: undefined }, noise)
    expect(noisy.bytes[2]! & 1).toBe(0)
  })

  it('encrypts metadata and payload, and decrypts with any key of the keyring', () => {
    const k1 = randomBytes(32)
    const k2 = randomBytes(32)
    const written = encodeEntry(entry, { codec: jsonCodec, compressAbove: 64, encryption: createKeyring('k1', { k1 }) })
    expect(Buffer.from(written).includes(Buffer.from('t1'))).toBe(false)
    const rotated = createKeyring('k2', { k1, k2 })
    expect(decodeEntry(written, codecs, rotated).keyId).toBe('k1')
    expect(decodeEntry(written, codecs, rotated).entry.value).toEqual(entry.value)
  })

  it.each([
    ['empty', Buffer.alloc(0), 'E_CODEC_DECODE'],
    ['foreign', Buffer.from('hello world'), 'E_CODEC_DECODE'],
    ['unknown codec', Buffer.from([0x53, 1, 0, 99]), 'E_CODEC_DECODE'],
    ['truncated metadata', Buffer.from([0x53, 1, 0, 1, 1, 2, 3]), 'E_CODEC_DECODE'],
  ])('refuses %s bytes with a typed error', (_name, bytes, code) => {
    let caught: unknown
    try {
      decodeEntry(bytes, codecs, undefined)
    } catch (error) {
      caught = error
    }
    expect(isStrataError(caught, code as 'E_CODEC_DECODE')).toBe(true)
  })

  it('detects any flipped bit of an encrypted entry', () => {
    const keyring = createKeyring('k', { k: randomBytes(32) })
    const bytes = Buffer.from(encodeEntry(entry, { codec: jsonCodec, compressAbove: Infinity, encryption: keyring }))
    for (const position of [2, 6, bytes.length - 1, Math.floor(bytes.length / 2)]) {
      const tampered = Buffer.from(bytes)
      tampered[position]! ^= 1
      expect(() => decodeEntry(tampered, codecs, keyring)).toThrow()
    }
  })

  it('binds an encrypted entry to its namespace and key: the same bytes under another key or namespace do not open', () => {
    const keyring = createKeyring('k', { k: randomBytes(32) })
    const options = { codec: jsonCodec, compressAbove: Infinity, encryption: keyring }
    const bytes = encodeEntry(entry, options, { namespace: 'users', key: '42' })
    expect(decodeEntry(bytes, codecs, keyring, { namespace: 'users', key: '42' }).entry.value).toEqual(entry.value)
    for (const place of [{ namespace: 'users', key: '43' }, { namespace: 'admins', key: '42' }, { namespace: 'users4', key: '2' }, undefined]) {
      expect(() => decodeEntry(bytes, codecs, keyring, place), JSON.stringify(place)).toThrow(expect.objectContaining({ code: 'E_DECRYPT_FAILED' }))
    }
  })

  it('refuses keyrings with bad keys', () => {
    expect(() => createKeyring('a', { a: randomBytes(16) })).toThrow(/32 bytes/)
    expect(() => createKeyring('missing', { a: randomBytes(32) })).toThrow(/not in the keyring/)
  })
})
