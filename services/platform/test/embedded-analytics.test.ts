import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbedded, type Embedded } from '../src/embedded.js'

interface Report {
  namespaces: Array<{
    namespace: string
    requests: number
    hotKeys: Array<{ key: string; count: number }>
    tiers: Array<{ tier: string; requests: number }>
    recommendations: Array<{ kind: string; keys?: string[]; action: string }>
  }>
  invalidations: Array<{ namespace: string; kind: string; count: number }>
}

/**
 * `pnpm start` runs the analytics service in-process: the gateway's accesses (every one: rate 1) and invalidations
 * travel on the in-process transport, rollups are kept in memory, and the report answers with the printed admin key.
 */
describe('embedded platform: in-process analytics and its optimization report', () => {
  let embedded: Embedded
  let key: { authorization: string }
  /** A service's key: reads only, with its own rate limit above the default per-key 50/s. */
  let reader: { authorization: string }
  const ns = `hot-${Date.now().toString(36)}`

  beforeAll(async () => {
    embedded = await startEmbedded({ port: 0, originPort: 0, alertingPort: 0, analyticsPort: 0, analyticsFlushMs: 100 })
    key = { authorization: `Bearer ${embedded.adminKey}` }
    const created = await fetch(`${embedded.urls.gateway}/v1/admin/keys`, {
      method: 'POST',
      headers: { ...key, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'load', grants: [{ namespace: ns, scopes: ['read'] }], rateLimit: { perSecond: 2000, burst: 2000 } }),
    })
    expect(created.status).toBe(201)
    reader = { authorization: `Bearer ${((await created.json()) as { token: string }).token}` }
  })
  afterAll(async () => embedded.close())

  const putNamespace = async (l1Ttl: number) => {
    const answer = await fetch(`${embedded.urls.gateway}/v1/admin/namespaces/${ns}`, {
      method: 'PUT',
      headers: { ...key, 'content-type': 'application/json' },
      body: JSON.stringify({ ttl: 600_000, l1Ttl, origin: { url: `${embedded.urls.origin}/products/{key}` } }),
    })
    expect(answer.ok, await answer.text()).toBe(true)
  }
  const read = async (id: string) => {
    const answer = await fetch(`${embedded.urls.gateway}/v1/namespaces/${ns}/keys/${id}`, { headers: reader })
    expect(answer.status).toBe(200)
    await answer.arrayBuffer()
  }
  const report = async (): Promise<Report['namespaces'][number] | undefined> => {
    const answer = await fetch(`${embedded.urls.analytics}/v1/report?window=15m&namespace=${ns}`, { headers: key })
    expect(answer.status).toBe(200)
    return ((await answer.json()) as Report).namespaces[0]
  }
  const tierRequests = (nsReport: Report['namespaces'][number] | undefined, tier: string) => nsReport?.tiers.find((t) => t.tier === tier)?.requests ?? 0

  it('answers only with a key, and lets the console (the gateway origin) call it', async () => {
    expect(embedded.urls.analytics).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await fetch(`${embedded.urls.analytics}/v1/report?window=15m`)).status).toBe(401)
    const origin = new URL(embedded.urls.gateway).origin
    const answer = await fetch(`${embedded.urls.analytics}/v1/report?window=15m`, { headers: { ...key, origin } })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('access-control-allow-origin')).toBe(origin)
  })

  it('finds the hot key of a namespace without L1, recommends l1Ttl, and sees its reads move to L1 after the fix', async () => {
    await putNamespace(0)
    for (let round = 1; round <= 10; round++) await Promise.all([...Array.from({ length: 10 }, () => read('42')), read(String(round))])
    await expect.poll(async () => (await report())?.requests ?? 0, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(110)

    const before = (await report())!
    expect(before.hotKeys[0]).toMatchObject({ key: '42', count: 100 })
    // No read was answered from L1; 42 is loaded once (its first ten reads wait on that one load) and then read from L2.
    expect(tierRequests(before, 'l1')).toBe(0)
    expect(tierRequests(before, 'l2')).toBeGreaterThanOrEqual(90)
    expect(before.tiers.reduce((sum, tier) => sum + tier.requests, 0)).toBe(110)
    const hot = before.recommendations.find((r) => r.kind === 'hot-keys-off-l1')
    expect(hot?.keys).toEqual(['42'])
    expect(hot?.action).toContain('l1Ttl')

    await putNamespace(600_000)
    await read('42') // the first read after the fix puts it in L1
    for (let i = 0; i < 50; i++) await read('42')
    await expect.poll(async () => tierRequests(await report(), 'l1'), { timeout: 15_000, interval: 100 }).toBe(50)
  })

  it('counts invalidations that travel on the in-process transport', async () => {
    const answer = await fetch(`${embedded.urls.gateway}/v1/namespaces/${ns}/invalidations`, {
      method: 'POST',
      headers: { ...key, 'content-type': 'application/json' },
      body: JSON.stringify({ keys: ['42', '1'] }),
    })
    expect(answer.ok, await answer.text()).toBe(true)
    await expect
      .poll(
        async () => {
          const all = (await (await fetch(`${embedded.urls.analytics}/v1/report?window=15m`, { headers: key })).json()) as Report
          return all.invalidations.filter((row) => row.namespace === ns).reduce((sum, row) => sum + row.count, 0)
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBeGreaterThanOrEqual(1)
  })
})
