import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { json, startGateway, type TestGateway } from './support/harness.js'

describe('operations endpoints (real Redis)', () => {
  let gw: TestGateway
  beforeAll(async () => {
    await requireRedis()
    gw = await startGateway({ namespaces: { ops: { ttl: 60_000 } }, checks: { queue: () => Promise.resolve(true) } })
  })
  afterAll(async () => gw.stop())

  it('/health/live and /health/ready (L2 ping and configured checks); readiness fails while draining', async () => {
    expect((await gw.app.inject('/health/live')).json()).toEqual({ status: 'live' })
    const ready = await gw.app.inject('/health/ready')
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({ status: 'ready', checks: { 'l2:redis': { status: 'up', detail: 'circuit closed' }, queue: { status: 'up' } } })
  })

  it('/metrics exposes strata_cache_requests_total by namespace, tier and result, and request durations', async () => {
    await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/ops/keys/a', headers: { 'content-type': 'application/json' }, payload: json({ value: 1 }) })
    await gw.app.inject('/v1/namespaces/ops/keys/a')
    await gw.app.inject('/v1/namespaces/ops/keys/missing')
    const metrics = await gw.app.inject('/metrics')
    expect(metrics.headers['content-type']).toContain('text/plain')
    expect(metrics.body).toContain('strata_cache_requests_total{namespace="ops",tier="l1",result="hit"} 1')
    expect(metrics.body).toContain('strata_cache_requests_total{namespace="ops",tier="none",result="miss"} 1')
    expect(metrics.body).toContain('strata_cache_operations_total{namespace="ops",operation="set"} 1')
    expect(metrics.body).toMatch(/strata_http_request_duration_seconds_count\{method="GET",route="\/v1\/namespaces\/:ns\/keys\/:key",status_code="200"\} 1/)
  })

  it('OpenAPI at /docs/json is generated from the route schemas; Swagger UI at /docs', async () => {
    const doc = (await gw.app.inject('/docs/json')).json<{ openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>()
    expect(doc.openapi).toMatch(/^3\./)
    for (const path of [
      '/v1/namespaces/{ns}/keys/{key}',
      '/v1/namespaces/{ns}/keys:batchGet',
      '/v1/namespaces/{ns}/keys:batchSet',
      '/v1/namespaces/{ns}/invalidations',
      '/v1/admin/namespaces/{ns}',
      '/v1/proxy/purge',
      '/v1/events',
      '/health/ready',
    ]) {
      expect(doc.paths, path).toHaveProperty([path])
    }
    expect(doc.components.schemas).toHaveProperty('Problem')
    expect((await gw.app.inject('/docs')).statusCode).toBeLessThan(400)
  })

  it('API answers carry the API security headers; Swagger UI pages helmet\'s page set (a same-origin CSP for its files)', async () => {
    const api = await gw.app.inject('/v1/namespaces/ops/keys/missing')
    expect(api.headers).toMatchObject({
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
    })
    expect(api.headers['x-dns-prefetch-control']).toBeUndefined()
    let page = await gw.app.inject('/docs')
    for (let hops = 0; page.statusCode === 302 && hops < 3; hops++) page = await gw.app.inject(new URL(String(page.headers.location), 'http://gateway/docs/').pathname)
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.headers['content-security-policy']).toContain("default-src 'self'")
  })

  it('drain(): readiness answers 503 so a load balancer moves traffic away before close', async () => {
    gw.drain()
    const ready = await gw.app.inject('/health/ready')
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toMatchObject({ status: 'unready', checks: { gateway: { status: 'down' } } })
  })
})
