import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import { RedisClusterProcess, uniqueName } from '@strata/testkit'
import { createCache } from '../src/index.js'
import { hashSlot, redisStore } from '../src/stores/redis/index.js'

// Found by the Redis Cluster failover test (issue 12): when one shard of three fails over, calls to the other shards
// keep succeeding, so the circuit never opens (or closes again at once) and the invalidations kept for the lost
// shard were only replayed "when the circuit closes" — maybe never. A value replaced during the failover then stayed
// in L2 for good. Kept invalidations are now retried after later successes too.
describe('one Redis Cluster shard failing over while the others answer', () => {
  const cluster = new RedisClusterProcess(19670, { nodeTimeoutMs: 2000 })
  beforeAll(async () => cluster.start(), 60_000)
  afterAll(async () => cluster.dispose())

  it('replays the invalidations kept for the lost shard once it is back, though the circuit never opened', async () => {
    const prefix = uniqueName('partial')
    const circuit: string[] = []
    const cache = createCache({ prefix, l2: redisStore({ clusterNodes: cluster.nodes }), resilience: { failureThreshold: 3, halfOpenAfterMs: 200 } })
    cache.on('l2-circuit', ({ state }) => circuit.push(state))
    const witness = createCache({ prefix, l1: false, l2: redisStore({ clusterNodes: cluster.nodes }) })
    try {
      // A key on the shard that will fail, and one on another shard.
      const lost = `${prefix}:default:k:`
      const victimSlot = hashSlot(`${lost}doomed`)
      await cache.set('doomed', 'v1')
      const victim = await cluster.primaryForSlot(victimSlot)
      let healthy = ''
      for (let i = 0; healthy === ''; i++) if ((await cluster.primaryForSlot(hashSlot(`${lost}ok-${i}`))) !== victim) healthy = `ok-${i}`
      expect(await witness.get('doomed')).toBe('v1')

      await cluster.kill(victim)
      // The write to the lost shard fails (L1 has it); every failure is followed by a success on a healthy shard.
      await cache.set('doomed', 'v2')
      await cache.set(healthy, 'fine')
      await cluster.waitHealthy(30_000)
      for (let i = 0; i < 20; i++) {
        await cache.set(healthy, `fine-${i}`)
        await sleep(50)
      }
      expect(circuit).not.toContain('open')
      // The value v2 replaced is gone from L2 (a miss: readers go to the origin), never served as current.
      expect(await witness.get('doomed')).not.toBe('v1')
      expect(await cache.get('doomed')).toBe('v2')
    } finally {
      await cache.close()
      await witness.close()
    }
  }, 60_000)
})
