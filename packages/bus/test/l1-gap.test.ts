import { createCache, memoryStore } from '@strata/core'
import { KafkaProcess, uniqueName, waitUntil } from '@strata/testkit'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaTransport } from '../src/transport/kafka/index.js'
import { transportInvalidationBus } from '../src/invalidation/transport-invalidation-bus.js'

// An instance that lost its bus for longer than it may trust (gapAfterMs) cannot know what it missed, so it drops its
// whole L1. A throwaway broker of this test's own is frozen with SIGSTOP — a partition: sockets open, no answers.
describe('L1 after a bus gap (real Kafka, frozen broker)', () => {
  const broker = new KafkaProcess(19094, 19095)
  let transport: KafkaTransport

  beforeAll(async () => {
    await broker.start()
    // A broker started a moment ago, on a machine busy with the rest of the suite, can take longer than the default
    // 30 s to coordinate a first group join (it failed CI once): this test is about gaps, not join latency.
    transport = new KafkaTransport({ brokers: broker.brokers, clientId: 'l1-gap-test', log: () => undefined, maxWaitTimeMs: 100, joinTimeoutMs: 90_000 })
  }, 120_000)
  afterAll(async () => {
    broker.resume()
    await transport?.close()
    await broker.dispose()
  }, 60_000)

  it('keeps L1 while fetches flow, and drops it after a silence longer than gapAfterMs', async () => {
    const gaps: { reason: string; dropped: number }[] = []
    const cache = createCache({
      l2: memoryStore(),
      bus: transportInvalidationBus(transport, { instanceId: uniqueName('gap'), topic: uniqueName('gap.invalidations'), gapAfterMs: 3_000 }),
    })
    cache.on('bus-gap', (gap) => gaps.push(gap))
    await cache.ready
    await cache.set('k', 'v')
    await cache.namespace('other').set('k', 'w')

    // Healthy: idle fetches return every maxWaitTime, far below gapAfterMs; nothing is dropped.
    await sleep(4_000)
    expect(gaps).toEqual([])
    expect((await cache.inspect('k'))?.tier).toBe('l1')

    broker.pause()
    await sleep(8_000)
    broker.resume()
    await waitUntil(() => gaps.length > 0, 45_000)
    expect(gaps[0]!.reason).toMatch(/^nothing fetched for \d+ ms$/)
    expect(gaps[0]!.dropped).toBe(2)
    expect((await cache.inspect('k'))?.tier).toBe('l2')
    expect((await cache.namespace('other').inspect('k'))?.tier).toBe('l2')
    expect(await cache.get('k')).toBe('v')
    await cache.close()
  }, 180_000)
})
