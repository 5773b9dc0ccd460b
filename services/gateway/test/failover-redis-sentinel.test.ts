import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SentinelGroupProcess } from '@strata/testkit'
import { redisStore } from '@strata/core/redis'
import type { L2Store } from '@strata/core'
import { describeReport, runFailover } from './support/failover-harness.js'

// Acceptance 2 of issue 12, on a throwaway Sentinel group (primary 19610, replica 19611, sentinels 19612-19614) so the
// kill never touches the shared group on 26379-26381.
describe('a Sentinel-managed primary killed under load', () => {
  const group = new SentinelGroupProcess(19610, 'strata-failover', { downAfterMs: 1000, failoverTimeoutMs: 3000 })
  beforeAll(async () => group.start(), 60_000)
  afterAll(async () => group.dispose())

  it('is replaced by its replica; the gateway answers throughout and loses no acknowledged write-through write', async () => {
    const probe = async (store: L2Store): Promise<boolean> => {
      try {
        await store.set('failover-probe', new Uint8Array([Date.now() % 256]), 10_000)
        return (await store.get('failover-probe')) !== undefined
      } catch {
        return false
      }
    }
    let killed = 0
    const report = await runFailover({
      makeStore: () => redisStore({ sentinels: group.sentinels, name: group.name }),
      kill: async () => {
        killed = await group.killPrimary()
      },
      probe,
      originPort: 19651,
    })
    const promoted = await group.waitForFailover(killed, 10_000)
    console.log(`${describeReport('redis-sentinel', report)}; primary ${killed} killed, ${promoted} promoted`)

    expect(promoted).not.toBe(killed)
    expect(report.recoveryMs).toBeGreaterThan(0)
    expect(report.engineRecoveryMs).toBeGreaterThan(0)
    expect(report.requests).toBeGreaterThan(500)
    expect(report.errors).toEqual({})
    expect(report.acknowledgedWrites).toBeGreaterThan(0)
    expect(report.lostAtOrigin).toEqual([])
    expect(report.staleThroughCache).toEqual([])
    expect(report.staleThroughServingGateway).toEqual([])
  }, 90_000)
})
