import { describe, expect, it } from 'vitest'
import { LocalInvalidationBus, createCache, memoryStore } from '../src/index.js'

describe('deleteByPrefix and countInL2', () => {
  it('removes the keys under a prefix from L1, L2 and the other instances, and nothing else', async () => {
    const bus = new LocalInvalidationBus()
    const l2 = memoryStore()
    const a = createCache({ l2, bus })
    const b = createCache({ l2, bus })
    const na = a.namespace('shop')
    const nb = b.namespace('shop')
    const other = a.namespace('other')
    for (const key of ['cart:1', 'cart:2', 'carton', 'order:1']) await na.set(key, key)
    await other.set('cart:1', 'x')
    await new Promise((resolve) => setTimeout(resolve, 10))
    for (const key of ['cart:1', 'cart:2', 'carton', 'order:1']) await nb.get(key)

    expect(await na.countInL2({ prefix: 'cart' })).toBe(3)
    expect(await na.countInL2({ prefix: '' })).toBe(4)
    expect(await na.countInL2({ keys: ['cart:1', 'nope', 'order:1'] })).toBe(2)

    await na.deleteByPrefix('cart:')
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect((await nb.inspect('cart:1'))).toBeUndefined()
    expect((await nb.inspect('cart:2'))).toBeUndefined()
    expect((await nb.inspect('carton'))?.tier).toBe('l1')
    expect((await nb.inspect('order:1'))?.tier).toBe('l1')
    expect(await other.get('cart:1')).toBe('x')
    expect(await na.countInL2({ prefix: 'cart' })).toBe(1)
    await a.close()
    await b.close()
  })

  it('refuses an empty prefix (use clear) and reports an unknown count without L2', async () => {
    const cache = createCache()
    await expect(cache.deleteByPrefix('')).rejects.toMatchObject({ code: 'E_KEY_INVALID' })
    expect(await cache.countInL2({ prefix: 'a' })).toBeUndefined()
    await cache.close()
  })
})
