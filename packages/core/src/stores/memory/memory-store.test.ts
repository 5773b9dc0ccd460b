import { describe, expect, it } from 'vitest'
import { isStrataError } from '../../errors/index.js'
import { MemoryStore } from './memory-store.js'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('MemoryStore', () => {
  it('drops the oldest writes beyond maxEntries', async () => {
    const store = new MemoryStore({ maxEntries: 3 })
    for (const key of ['a', 'b', 'c']) await store.set(key, bytes(key), 60_000)
    await store.set('a', bytes('a2'), 60_000) // rewriting makes it the newest
    await store.set('d', bytes('d'), 60_000)
    expect((await store.getMany(['a', 'b', 'c', 'd'])).map((v) => v && new TextDecoder().decode(v))).toEqual(['a2', undefined, 'c', 'd'])
  })

  it('drops the oldest writes beyond maxBytes', async () => {
    const store = new MemoryStore({ maxBytes: 10 })
    await store.set('a', new Uint8Array(4), 60_000)
    await store.set('b', new Uint8Array(4), 60_000)
    await store.set('c', new Uint8Array(4), 60_000)
    expect(await store.get('a')).toBeUndefined()
    expect(await store.get('b')).toBeDefined()
    expect(await store.get('c')).toBeDefined()
  })

  it('reclaims expired entries that are never read, without timers', async () => {
    let now = 0
    const store = new MemoryStore({ now: () => now })
    for (let i = 0; i < 100; i++) await store.set(`old-${i}`, bytes('x'), 10)
    now = 1000
    for (let i = 0; i < 100; i++) await store.set(`new-${i}`, bytes('y'), 60_000)
    expect(store.size).toBeLessThan(200)
    for (let i = 0; i < 100; i++) await store.set(`new-${i}`, bytes('y'), 60_000)
    expect(store.size).toBe(100)
  })

  it('keeps a lease on an expired value until the lease itself expires', async () => {
    let now = 0
    const store = new MemoryStore({ now: () => now })
    await store.set('k', bytes('v'), 10)
    expect(await store.acquireLease('k', 't', 1000)).toBe(true)
    now = 500
    expect(await store.get('k')).toBeUndefined()
    expect(await store.acquireLease('k', 'other', 1000)).toBe(false)
    now = 1001
    expect(await store.acquireLease('k', 'other', 1000)).toBe(true)
  })

  it('fails with E_L2_UNAVAILABLE once disconnected', async () => {
    const store = new MemoryStore()
    await store.set('k', bytes('v'), 1000)
    await store.disconnect()
    const error: unknown = await store.get('k').catch((e: unknown) => e)
    expect(isStrataError(error, 'E_L2_UNAVAILABLE')).toBe(true)
    await expect(store.ping()).rejects.toThrow()
  })
})
