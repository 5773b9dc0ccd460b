import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CacheEventMap } from '@strata/core'
import { requireRedis } from '@strata/testkit'
import { json, startGateway, type TestGateway } from './support/harness.js'

describe('gateway cache hooks (real Redis)', () => {
  let gw: TestGateway
  const log: string[] = []
  const errors: CacheEventMap['error'][] = []
  beforeAll(async () => {
    await requireRedis()
    gw = await startGateway({
      namespaces: { hooked: { ttl: 60_000 } },
      hooks: [
        { name: 'audit', order: 2, beforeSet: ({ namespace, key }) => void log.push(`audit:set:${namespace}/${key}`), beforeGet: ({ key }) => void log.push(`audit:get:${key}`) },
        {
          name: 'broken',
          order: 1,
          beforeGet: () => {
            throw new Error('hook bug')
          },
          beforeSet: async () => {
            throw new Error('async hook bug')
          },
        },
      ],
    })
    gw.cache.on('error', (event) => errors.push(event))
  })
  afterAll(async () => gw.stop())

  it('runs the hooks given to buildGateway in order; a failing hook never fails the request and shows in /metrics', async () => {
    const put = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/hooked/keys/a', headers: { 'content-type': 'application/json' }, payload: json({ value: 42 }) })
    expect(put.statusCode).toBe(200)
    const get = await gw.app.inject('/v1/namespaces/hooked/keys/a')
    expect(get.statusCode).toBe(200)
    expect(get.json()).toBe(42)
    expect(log).toEqual(['audit:set:hooked/a', 'audit:get:a'])
    await new Promise((resolve) => setImmediate(resolve))
    expect(errors.map((event) => event.operation).sort()).toEqual(['hook:beforeGet', 'hook:beforeSet'])
    const metrics = await gw.app.inject('/metrics')
    expect(metrics.body).toContain('strata_cache_hook_failures_total 2')
  })

  it('removes its hooks when the gateway closes', async () => {
    const before = gw.cache.listHooks().length
    expect(before).toBe(2)
    await gw.app.close()
    expect(gw.cache.listHooks()).toEqual([])
  })
})
