import { describe, expect, it } from 'vitest'
import { createCache, memoryStore } from '../index.js'

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

describe('conditional writes when L2 stops answering mid-write', () => {
  it('an L2 read that fails after the lease was taken answers E_L2_UNAVAILABLE, not a 412 for a key it could not see', async () => {
    // A Redis failover between the lease and the check: the read errs. It used to count as "no entry", so an If-Match
    // write with the right ETag and no other writer was refused with E_PRECONDITION_FAILED.
    const store = memoryStore()
    let failReads = false
    const l2 = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'get' && failReads) return () => Promise.reject(new Error('connection lost (failover)'))
        const value: unknown = Reflect.get(target, property, receiver)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      },
    })
    const cache = createCache({ l2 })
    await cache.set('k', 1)
    const version = (await cache.inspect('k'))!.version
    failReads = true
    await expect(cache.setIf('k', 2, (current) => current?.version === version || 'version changed')).rejects.toMatchObject({ code: 'E_L2_UNAVAILABLE' })
    failReads = false
    // Nothing was written, and the same ETag still wins once L2 answers.
    await cache.setIf('k', 3, (current) => current?.version === version || 'version changed')
    expect(await cache.get('k')).toBe(3)
    await cache.close()
  })
})

describe('a conditional write whose L2 write fails', () => {
  it('answers E_L2_UNAVAILABLE and leaves a delete for replay, so no instance keeps vouching for the old version', async () => {
    // The lease and the check passed, then L2 did not take the write (a failover): answering 200 left the old entry
    // in L2, whose ETag another writer could still match (a lost update) and which other instances would serve.
    const store = memoryStore()
    let failWrites = false
    const l2 = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'setWithLease' && failWrites) return () => Promise.reject(new Error('connection lost (failover)'))
        const value: unknown = Reflect.get(target, property, receiver)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      },
    })
    const writer = createCache({ l2 })
    const other = createCache({ l2, l1: false })
    await writer.set('k', 1)
    const version = (await writer.inspect('k'))!.version
    failWrites = true
    await expect(writer.setIf('k', 2, (current) => current?.version === version || 'version changed')).rejects.toMatchObject({ code: 'E_L2_UNAVAILABLE' })
    failWrites = false
    // L2 answers again: the kept delete is replayed on the next call, and the old version is gone from L2.
    await writer.get('unrelated')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await other.get('k')).toBeUndefined()
    await expect(other.setIf('k', 3, (current) => current?.version === version || 'version changed')).rejects.toMatchObject({ code: 'E_PRECONDITION_FAILED' })
    await writer.close()
    await other.close()
  })
})
