import { fileURLToPath } from 'node:url'
import { NginxProcess, PROCESS_ADMIN_KEY, freePort, requireRedis, startGatewayProcess, uniqueName, type GatewayProcess } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const AUTH = { authorization: `Bearer ${PROCESS_ADMIN_KEY}` }

// Two gateway processes (main.ts, shared Redis L2) behind nginx running the shipped infra/nginx/gateway.conf. One is
// SIGKILLed in the middle of a bounded read load: nginx's passive failover (proxy_next_upstream error) retries the
// requests that hit the dead instance on the other one, so no client request fails beyond those in flight on it.
const CONNECTIONS = 8

describe('gateways behind nginx (real processes, shared Redis)', () => {
  const namespace = uniqueName('lb').replace(/[^a-z0-9-]/g, '-')
  const gateways: GatewayProcess[] = []
  let nginx: NginxProcess

  beforeAll(async () => {
    const redisUrl = await requireRedis()
    const env = {
      STRATA_GATEWAY_L2: 'redis',
      STRATA_REDIS_URL: redisUrl,
      STRATA_GATEWAY_QUEUE: 'memory',
      STRATA_GATEWAY_NAMESPACES: JSON.stringify({ [namespace]: { ttl: 600_000 } }),
    }
    gateways.push(...(await Promise.all([startGatewayProcess(env), startGatewayProcess(env)])))
    nginx = new NginxProcess(await freePort(), gateways.map((g) => g.port), fileURLToPath(new URL('../../../infra/nginx/gateway.conf', import.meta.url)))
    await nginx.start()
  }, 60_000)
  afterAll(async () => {
    await nginx?.dispose()
    await Promise.all(gateways.map((g) => g.kill()))
  })

  it('spreads requests over both instances, and a SIGKILLed instance costs no more than its in-flight requests', async () => {
    const put = await fetch(`${nginx.url}/v1/namespaces/${namespace}/keys/product-1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ value: { id: 1, name: 'lamp' } }),
    })
    expect(put.status).toBe(200)

    const outcomes = { ok: 0, failed: 0, afterKill: 0 }
    let killed = false
    let stop = false
    const lane = async (): Promise<void> => {
      while (!stop) {
        try {
          const response = await fetch(`${nginx.url}/v1/namespaces/${namespace}/keys/product-1`, { headers: AUTH })
          const body = (await response.json()) as { name?: string }
          if (response.status === 200 && body.name === 'lamp') {
            outcomes.ok++
            if (killed) outcomes.afterKill++
          } else {
            outcomes.failed++
          }
        } catch {
          outcomes.failed++
        }
      }
    }
    const lanes = Array.from({ length: CONNECTIONS }, lane)
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    await gateways[0]!.kill()
    killed = true
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    stop = true
    await Promise.all(lanes)

    console.log(`load-balanced: ${outcomes.ok} ok, ${outcomes.failed} failed, ${outcomes.afterKill} served after the kill`)
    expect(outcomes.failed).toBeLessThanOrEqual(CONNECTIONS)
    expect(outcomes.afterKill).toBeGreaterThan(100)
    // The survivor answers alone now.
    const survivor = await fetch(`${gateways[1]!.url}/v1/namespaces/${namespace}/keys/product-1`, { headers: AUTH })
    expect(survivor.status).toBe(200)
  }, 60_000)
})
