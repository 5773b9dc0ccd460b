import { randomBytes, randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireTcp, hostPorts, servers } from '@strata/testkit'
import { createCache, createKeyring, msgpackCodec, type StrataError } from '../src/index.js'
import { redisStore } from '../src/stores/redis/index.js'

const SECRET = 'card-number-4111111111111111'

describe('encryption at rest and corrupt entries, on real Redis', () => {
  let raw: Redis
  const prefix = `enc-${randomUUID().slice(0, 8)}`
  const v1 = randomBytes(32)
  const v2 = randomBytes(32)

  beforeAll(async () => {
    await requireTcp('Redis', hostPorts(servers.redisUrl.replace('redis://', ''))[0]!)
    raw = new Redis(servers.redisUrl)
  })
  afterAll(async () => {
    const keys = await raw.keys(`${prefix}:*`)
    if (keys.length > 0) await raw.del(...keys)
    raw.disconnect()
  })

  it('stores no plaintext, reads old entries after a key rotation and writes new ones with the new key id', async () => {
    const before = createCache({ prefix, l1: false, l2: redisStore({ url: servers.redisUrl }), policy: { encryption: createKeyring('v1', { v1 }) } })
    await before.set('card', { number: SECRET }, { tags: ['customer:42'] })
    const stored = await raw.getBuffer(`${prefix}:default:k:card`)
    expect(stored).not.toBeNull()
    expect(stored!.includes(Buffer.from(SECRET))).toBe(false)
    expect(stored!.includes(Buffer.from('customer:42'))).toBe(false)
    expect(stored!.includes(Buffer.from('v1'))).toBe(true)
    await before.close()

    const after = createCache({ prefix, l1: false, l2: redisStore({ url: servers.redisUrl }), policy: { encryption: createKeyring('v2', { v1, v2 }) } })
    expect(await after.get('card')).toEqual({ number: SECRET })
    await after.set('card-2', { number: SECRET })
    const rotated = await raw.getBuffer(`${prefix}:default:k:card-2`)
    expect(rotated!.subarray(0, 8).includes(Buffer.from('v2'))).toBe(true)
    expect(rotated!.includes(Buffer.from(SECRET))).toBe(false)
    await after.close()
  })

  it('turns tampered, foreign and undecryptable bytes into a miss plus an error event', async () => {
    const errors: string[] = []
    const cache = createCache({ prefix, l1: false, l2: redisStore({ url: servers.redisUrl }), policy: { encryption: createKeyring('v2', { v2 }), codec: msgpackCodec } })
    cache.on('error', ({ error }: { error: StrataError }) => errors.push(error.code))
    await cache.set('t', 'value')
    const bytes = (await raw.getBuffer(`${prefix}:default:k:t`))!
    bytes[bytes.length - 1]! ^= 0xff
    await raw.set(`${prefix}:default:k:t`, bytes)
    await raw.set(`${prefix}:default:k:foreign`, 'not a strata entry')
    await raw.set(`${prefix}:default:k:truncated`, Buffer.from([0x53, 1, 0, 2, 0, 0]))
    expect(await cache.get('t')).toBeUndefined()
    expect(await cache.get('foreign')).toBeUndefined()
    expect(await cache.get('truncated')).toBeUndefined()
    expect(await cache.get('card')).toBeUndefined()
    expect(errors).toEqual(['E_DECRYPT_FAILED', 'E_CODEC_DECODE', 'E_CODEC_DECODE', 'E_UNKNOWN_KEY_ID'])
    // A corrupt entry is replaced by the next load, not stuck.
    expect(await cache.getOrSet('foreign', () => 'reloaded')).toBe('reloaded')
    await cache.close()
  })
})
