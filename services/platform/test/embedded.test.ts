import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbedded, type Embedded } from '../src/embedded.js'

/**
 * The curl session of docs/guides/gateway.md, step by step, against the embedded platform (what `pnpm start` runs)
 * on ephemeral ports, over real HTTP. No Redis or Kafka is involved.
 */
describe('pnpm start: the embedded platform and the README session', () => {
  let embedded: Embedded
  beforeAll(async () => {
    embedded = await startEmbedded({ port: 0, originPort: 0, alertingPort: 0, analyticsPort: 0 })
  })
  afterAll(async () => embedded.close())

  const key = () => ({ 'x-api-key': embedded.adminKey })

  it('makes an admin key at start; without it the API answers 401 problem+json', async () => {
    expect(embedded.adminKey).toMatch(/^sk_[a-z0-9]{12}_/)
    const denied = await fetch(embedded.urls.kvExample)
    expect(denied.status).toBe(401)
    expect(denied.headers.get('content-type')).toContain('application/problem+json')
    expect(await denied.json()).toMatchObject({ code: 'E_UNAUTHENTICATED' })
    expect(embedded.audit.records.at(-1)).toMatchObject({ action: 'auth.failed', outcome: 'denied' })
  })

  it('first call MISS, second HIT, an event invalidates it, third call MISS', async () => {
    const url = embedded.urls.proxyExample
    const first = await fetch(url, { headers: key() })
    expect(first.status).toBe(200)
    expect(first.headers.get('x-cache')).toBe('MISS')
    expect(await first.json()).toMatchObject({ id: '42', name: 'Product 42' })

    const second = await fetch(url, { headers: key() })
    expect(second.headers.get('x-cache')).toBe('HIT')
    expect(second.headers.get('age')).not.toBeNull()
    await second.arrayBuffer()
    expect(embedded.originHits()).toBe(1)

    const event = await fetch(`${embedded.urls.gateway}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...key() },
      body: JSON.stringify({ type: 'product.updated', data: { id: '42' } }),
    })
    expect(event.status).toBe(202)
    expect(await event.json()).toMatchObject({ applied: 2 })

    const third = await fetch(url, { headers: key() })
    expect(third.headers.get('x-cache')).toBe('MISS')
    await third.arrayBuffer()
    expect(embedded.originHits()).toBe(2)
  })

  it('the KV API reads through to the demo origin; docs, metrics and readiness answer', async () => {
    const bearer = { authorization: `Bearer ${embedded.adminKey}` }
    const kv = await fetch(embedded.urls.kvExample, { headers: bearer })
    expect(kv.headers.get('x-cache')).toBe('MISS')
    expect(await kv.json()).toMatchObject({ id: '42' })
    expect((await fetch(embedded.urls.kvExample, { headers: bearer })).headers.get('x-cache')).toBe('HIT')
    expect((await fetch(`${embedded.urls.gateway}/docs/json`)).status).toBe(200)
    expect(await (await fetch(embedded.urls.metrics, { headers: key() })).text()).toContain('strata_cache_requests_total')
    expect(await (await fetch(`${embedded.urls.gateway}/health/ready`)).json()).toMatchObject({ status: 'ready' })
  })
})
