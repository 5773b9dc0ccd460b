import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisClusterProcess } from '@strata/testkit'
import { hashSlot, redisStore } from '@strata/core/redis'
import type { L2Store } from '@strata/core'
import { describeReport, runFailover } from './support/failover-harness.js'

// Acceptance 1 of issue 12, on a throwaway 6-node cluster (ports 19600-19605) so the kill never touches 7000-7005.
const PROBE_KEY = 'failover-probe'

describe('a Redis Cluster primary killed under load', () => {
  const cluster = new RedisClusterProcess(19600, { nodeTimeoutMs: 2000 })
  beforeAll(async () => cluster.start(), 60_000)
  afterAll(async () => cluster.dispose())

  it('is replaced by its replica; the gateway answers throughout and loses no acknowledged write-through write', async () => {
    const probe = async (store: L2Store): Promise<boolean> => {
      try {
        await store.set(PROBE_KEY, new Uint8Array([Date.now() % 256]), 10_000)
        return (await store.get(PROBE_KEY)) !== undefined
      } catch {
        return false
      }
    }
    let killed = 0
    const report = await runFailover({
      makeStore: () => redisStore({ clusterNodes: cluster.nodes }),
      // The primary that owns the probe key, so recovery is measured on the keyspace that was lost.
      kill: async () => {
        killed = await cluster.killPrimaryOf(hashSlot(PROBE_KEY))
      },
      probe,
      originPort: 19650,
    })
    const promoted = await cluster.primaryForSlot(hashSlot(PROBE_KEY))
    console.log(`${describeReport('redis-cluster', report)}; primary ${killed} killed, ${promoted} promoted`)

    expect(promoted).not.toBe(killed)
    expect(report.recoveryMs).toBeGreaterThan(0)
    expect(report.engineRecoveryMs).toBeGreaterThan(0)
    expect(report.requests).toBeGreaterThan(500)
    // Fail-safe and L1: reads are answered from L1 (or the origin) and writes from the origin while L2 is down.
    expect(report.errors).toEqual({})
    expect(report.acknowledgedWrites).toBeGreaterThan(0)
    expect(report.lostAtOrigin).toEqual([])
    expect(report.staleThroughCache).toEqual([])
    expect(report.staleThroughServingGateway).toEqual([])
  }, 90_000)
})
