import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireMemcached, requireRedis } from '@strata/testkit'
import { startGateway, type TestGateway } from './support/harness.js'

const NAMESPACES = { shop: { ttl: 60_000 } }
const ITEMS = [
  { key: 'cart:1', value: 1, tags: ['org:7'] },
  { key: 'cart:2', value: 2 },
  { key: 'cart:3', value: 3, tags: ['org:8'] },
  { key: 'order:1', value: 4, tags: ['org:7'] },
  { key: 'order:2', value: 5 },
]

async function seeded(l2: 'memory' | 'redis' | 'memcached'): Promise<TestGateway> {
  const gw = await startGateway({ l2, namespaces: NAMESPACES })
  const answer = await gw.app.inject({ method: 'POST', url: '/v1/namespaces/shop/keys:batchSet', payload: { items: ITEMS } })
  expect(answer.statusCode).toBe(200)
  return gw
}

const invalidate = (gw: TestGateway, payload: object) => gw.app.inject({ method: 'POST', url: '/v1/namespaces/shop/invalidations', payload })
const present = async (gw: TestGateway) => {
  const found: string[] = []
  for (const { key } of ITEMS) if ((await gw.app.inject({ method: 'GET', url: `/v1/namespaces/shop/keys/${key}` })).statusCode === 200) found.push(key)
  return found
}

describe.each(['memory', 'redis'] as const)('invalidation by prefix and dry runs (%s L2)', (l2) => {
  let gw: TestGateway
  beforeAll(async () => {
    if (l2 === 'redis') await requireRedis()
    gw = await seeded(l2)
  })
  afterAll(async () => gw.stop())

  it('counts what keys, prefixes, tags and all would invalidate, and changes nothing', async () => {
    const answer = await invalidate(gw, { keys: ['cart:1', 'nope'], prefixes: ['cart:', 'order:2'], tags: ['org:7'], expireTags: ['org:8'], all: true, dryRun: true })
    expect(answer.statusCode, answer.body).toBe(200)
    expect(answer.json()).toEqual({ dryRun: true, namespace: 'shop', counts: { keys: 1, prefixes: 4, tags: 2, expireTags: 1, all: 5 } })
    expect(await present(gw)).toEqual(ITEMS.map((item) => item.key))
    // Targets not asked for count 0.
    expect((await invalidate(gw, { tags: ['org:8'], dryRun: true })).json()).toEqual({ dryRun: true, namespace: 'shop', counts: { keys: 0, prefixes: 0, tags: 1, expireTags: 0, all: 0 } })
  })

  it('refuses a body that names nothing to invalidate (dryRun alone)', async () => {
    const answer = await invalidate(gw, { dryRun: true })
    expect(answer.statusCode).toBe(400)
    expect(answer.json()).toMatchObject({ code: 'E_INVALID_OPTION' })
  })

  it('invalidates by prefix in every tier, answering how many prefixes it applied', async () => {
    const answer = await invalidate(gw, { prefixes: ['cart:'] })
    expect(answer.statusCode, answer.body).toBe(200)
    expect(answer.json()).toMatchObject({ namespace: 'shop', keys: 0, tags: 0, expireTags: 0, prefixes: 1, all: false })
    // The one record, counted as the dry run counts: three keys were under the prefix.
    expect(answer.json().record).toMatchObject({ trigger: 'manual', namespace: 'shop', targets: { prefixes: ['cart:'] }, entriesRemoved: 3 })
    expect(await present(gw)).toEqual(['order:1', 'order:2'])
    expect((await invalidate(gw, { prefixes: ['cart:'], all: true, dryRun: true })).json()).toMatchObject({ counts: { prefixes: 0, all: 2 } })
  })
})

describe('dry runs on Memcached (cannot list or count keys)', () => {
  let gw: TestGateway
  beforeAll(async () => {
    await requireMemcached()
    gw = await seeded('memcached')
  })
  afterAll(async () => gw.stop())

  it('answers null for prefixes, tags and all, and still counts the keys given', async () => {
    const answer = await invalidate(gw, { keys: ['cart:1', 'cart:2', 'nope'], prefixes: ['cart:'], tags: ['org:7'], all: true, dryRun: true })
    expect(answer.statusCode, answer.body).toBe(200)
    expect(answer.json()).toEqual({ dryRun: true, namespace: 'shop', counts: { keys: 2, prefixes: null, tags: null, expireTags: 0, all: null } })
    expect(await present(gw)).toEqual(ITEMS.map((item) => item.key))
  })
})
