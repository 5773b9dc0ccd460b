import { MemoryTransport, TOPICS, decodeEvent, type HotKeysEvent } from '@strata/bus'
import { describe, expect, it } from 'vitest'
import { AnalyticsState } from '../src/aggregation/analytics-state.js'
import { HotKeysPublisher } from '../src/hot-keys-publisher.js'

const access = (namespace: string, key: string, hashed = false) => ({ namespace, key, operation: 'get' as const, result: 'hit' as const, tier: 'l2' as const, latencyMs: 1, at: Date.now(), sampleRate: 1, ...(hashed ? { hashed: true } : {}) })

describe('HotKeysPublisher', () => {
  it("publishes each namespace's hottest keys with guaranteed counts, skips hashed namespaces and unchanged ones", async () => {
    const transport = new MemoryTransport()
    const received: HotKeysEvent[] = []
    await transport.subscribe(TOPICS.hotKeys, { group: 'warmer', startFrom: 'earliest' }, (message) => {
      received.push(decodeEvent(message).data as HotKeysEvent)
      return Promise.resolve()
    })
    const state = new AnalyticsState()
    for (let i = 0; i < 50; i++) state.ingestAccess(access('products', '42'))
    for (let i = 0; i < 5; i++) state.ingestAccess(access('products', '7'))
    state.ingestAccess(access('products', 'once'))
    for (let i = 0; i < 9; i++) state.ingestAccess(access('users', 'h:abc', true))
    const publisher = new HotKeysPublisher(state, transport, { topK: 10 })

    expect(await publisher.publish()).toBe(1)
    await expect.poll(() => received.length).toBe(1)
    expect(received[0]).toMatchObject({ namespace: 'products', keys: [{ key: '42', count: 50 }, { key: '7', count: 5 }] })
    expect(received[0]!.windowMs).toBeGreaterThanOrEqual(1)

    expect(await publisher.publish()).toBe(0) // nothing read since
    state.ingestAccess(access('products', '7'))
    expect(await publisher.publish()).toBe(1)
    await expect.poll(() => received.length).toBe(2)
    expect(received[1]!.keys).toEqual([{ key: '42', count: 50 }, { key: '7', count: 6 }])
    await transport.close()
  })
})
