import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import { createCache } from '../src/index.js'
import { redisStore } from '../src/stores/redis/index.js'
import { RedisProcess } from '@strata/testkit'

// A real redis-server killed mid-test: the cache keeps answering from L1 and the loader, keeps the invalidations it
// could not send, and goes back to L2 by itself when the server returns.
describe('L2 outage on a real Redis', () => {
  const server = new RedisProcess(6399)
  beforeAll(async () => server.start())
  afterAll(async () => server.dispose())

  it('serves from L1 and the loader while L2 is down, replays deletes and recovers by itself', async () => {
    const circuit: string[] = []
    const errors: string[] = []
    const cache = createCache({ prefix: 'outage', l2: redisStore({ url: server.url }), resilience: { failureThreshold: 2, halfOpenAfterMs: 200 } })
    cache.on('l2-circuit', ({ state }) => circuit.push(state))
    cache.on('error', ({ error }) => errors.push(error.code))
    const witness = createCache({ prefix: 'outage', l1: false, l2: redisStore({ url: server.url }) })
    try {
      await cache.set('kept', 'in-both-tiers')
      await cache.set('doomed', 'deleted-during-outage')

      await server.kill()
      expect(await cache.get('kept')).toBe('in-both-tiers')
      let loads = 0
      for (let i = 0; i < 5; i++) {
        expect(await cache.getOrSet(`new-${i}`, () => (loads++, `loaded-${i}`))).toBe(`loaded-${i}`)
      }
      expect(loads).toBe(5)
      expect(circuit).toContain('open')
      expect(errors.every((code) => code === 'E_L2_UNAVAILABLE')).toBe(true)

      await cache.delete('doomed')
      expect(await cache.get('doomed')).toBeUndefined()

      // The server comes back empty-handed here (no persistence), so re-seed the value the delete must remove.
      await server.start()
      await sleep(50)
      // Simulates a value that survived the outage in L2 (a persistent Redis would still hold it).
      await witness.set('doomed', 'deleted-during-outage')
      await sleep(300)
      for (let i = 0; i < 20 && !circuit.includes('closed'); i++) {
        await cache.get(`probe-${i}`)
        await sleep(100)
      }
      expect(circuit).toContain('closed')
      await sleep(100)
      expect(await witness.get('doomed')).toBeUndefined()
      await cache.set('after', 'recovered')
      expect(await witness.get('after')).toBe('recovered')
    } finally {
      await cache.close()
      await witness.close()
    }
  })
})
