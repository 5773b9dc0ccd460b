import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import { RedisProcess, uniqueName } from '@strata/testkit'
import { createCache } from '../src/index.js'
import { redisStore } from '../src/stores/redis/index.js'

// Found by the Redis Cluster failover test (issue 12): a write acknowledged while L2 was down left the previous value
// in L2 (a promoted replica, or a persistent Redis, still has it), so every other instance (and this one once its L1
// entry went) read the old value back. A write L2 did not take now leaves an invalidation, replayed on recovery.
describe('writes acknowledged during an L2 outage', () => {
  // Append-only, so what L2 held before the crash is still there after the restart, as on a promoted replica.
  const server = new RedisProcess(19640, { appendOnly: true })
  beforeAll(async () => server.start())
  afterAll(async () => server.dispose())

  it('never let the value they replaced come back from L2 after recovery', async () => {
    const prefix = uniqueName('outage-writes')
    const circuit: string[] = []
    const cache = createCache({ prefix, l2: redisStore({ url: server.url }), resilience: { failureThreshold: 1, halfOpenAfterMs: 100 } })
    cache.on('l2-circuit', ({ state }) => circuit.push(state))
    const witness = createCache({ prefix, l1: false, l2: redisStore({ url: server.url }) })
    try {
      await cache.set('a', 'v1')
      await cache.setMany([{ key: 'b', value: 'v1' }])
      expect(await witness.get('a')).toBe('v1')

      await server.kill()
      await cache.set('a', 'v2')
      await cache.setMany([{ key: 'b', value: 'v2' }])
      expect(await cache.get('a')).toBe('v2')

      await server.start()
      for (let i = 0; i < 50 && !circuit.includes('closed'); i++) {
        await cache.get(`probe-${i}`)
        await sleep(100)
      }
      expect(circuit).toContain('closed')
      // The old values are gone from L2 (a miss, so readers go to the origin), never served as current.
      await sleep(200)
      expect(await witness.get('a')).toBeUndefined()
      expect(await witness.get('b')).toBeUndefined()
      expect(await cache.get('a')).toBe('v2')
    } finally {
      await cache.close()
      await witness.close()
    }
  })
})
