import { describe, expect, it } from 'vitest'
import { createCache } from '../index.js'

describe('conditional writes without L2', () => {
  it('serialises racing setIf calls in the process: exactly one of many from the same version wins', async () => {
    const cache = createCache({})
    await cache.set('k', 0)
    const v0 = (await cache.inspect('k'))!.version
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => cache.setIf('k', i + 1, (current) => current?.version === v0).then(() => i + 1, () => undefined)),
    )
    const winners = outcomes.filter((winner) => winner !== undefined)
    expect(winners).toHaveLength(1)
    expect(await cache.get('k')).toBe(winners[0])
    await cache.close()
  })

  it('a refused condition leaves the entry and lets the next writer through', async () => {
    const cache = createCache({})
    await expect(cache.setIf('k', 'x', (current) => current !== undefined || 'no entry yet')).rejects.toMatchObject({ code: 'E_PRECONDITION_FAILED', message: 'no entry yet' })
    await cache.setIf('k', 'y', (current) => current === undefined)
    expect(await cache.get('k')).toBe('y')
    await cache.close()
  })
})
