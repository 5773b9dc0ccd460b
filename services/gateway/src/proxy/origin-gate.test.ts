import { describe, expect, it } from 'vitest'
import { isStrataError } from '@strata/core'
import { OriginGate } from './origin-gate.js'

describe('origin gate: connections shared fairly between clients', () => {
  it('one client never holds more than its share, and waiting clients are served round-robin', async () => {
    const gate = new OriginGate('up', { limit: 4, perClient: 2, maxQueued: 100, maxWaitMs: 10_000 })
    const a1 = await gate.acquire('a')
    await gate.acquire('a')
    const flood = Array.from({ length: 10 }, () => gate.acquire('a'))
    // b gets in at once: a is at its share even though connections are free.
    const b1 = await gate.acquire('b')
    await gate.acquire('b')
    const order: string[] = []
    const c = Promise.resolve(gate.acquire('c')).then((r) => (order.push('c'), r))
    flood.forEach((p) => void Promise.resolve(p).then(() => order.push('a')))
    expect(gate.load).toEqual({ active: 4, queued: 11 })
    b1()
    await new Promise((r) => setImmediate(r))
    // a queued first but is at its share; c is next.
    expect(order).toEqual(['c'])
    a1()
    await new Promise((r) => setImmediate(r))
    expect(order).toEqual(['c', 'a'])
    ;(await c)()
  })

  it('a full queue or a wait past maxWaitMs is E_UPSTREAM_BUSY with a retry hint', async () => {
    const gate = new OriginGate('up', { limit: 1, perClient: 1, maxQueued: 1, maxWaitMs: 50 })
    await gate.acquire('a')
    const waiting = Promise.resolve(gate.acquire('b'))
    const refused = await Promise.resolve(gate.acquire('c')).catch((e: unknown) => e)
    expect(isStrataError(refused, 'E_UPSTREAM_BUSY')).toBe(true)
    const timedOut = await waiting.catch((e: unknown) => e)
    expect(isStrataError(timedOut, 'E_UPSTREAM_BUSY')).toBe(true)
    expect((timedOut as { context: { retryAfterMs: number } }).context.retryAfterMs).toBeGreaterThan(0)
    expect(gate.load).toEqual({ active: 1, queued: 0 })
  })
})
