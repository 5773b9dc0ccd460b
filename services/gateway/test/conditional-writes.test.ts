import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { json, startGateway, type TestGateway } from './support/harness.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

/**
 * Two gateways on one Redis: clients that all read the same ETag and write back with If-Match — the lost-update
 * pattern — must see exactly one write succeed, whichever gateway each one reached.
 */
describe('If-Match across gateway instances (real Redis)', () => {
  let a: TestGateway
  let b: TestGateway
  beforeAll(async () => {
    await requireRedis()
    a = await startGateway({ namespaces: { accounts: { ttl: 60_000 } } })
    b = await startGateway({ prefix: a.prefix, namespaces: { accounts: { ttl: 60_000 } } })
  })
  afterAll(async () => {
    await b?.stop()
    await a?.stop()
  })

  it('of 20 PUTs with the same If-Match on two gateways, exactly one is applied and the others answer 412', async () => {
    const created = await a.app.inject({ method: 'PUT', url: '/v1/namespaces/accounts/keys/balance', headers: JSON_HEADERS, payload: json({ value: 100 }) })
    const etag = created.json<{ etag: string }>().etag
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).app.inject({ method: 'PUT', url: '/v1/namespaces/accounts/keys/balance', headers: { ...JSON_HEADERS, 'if-match': etag }, payload: json({ value: 100 + i + 1 }) }),
      ),
    )
    const statuses = answers.map((answer) => answer.statusCode)
    expect(statuses.filter((status) => status === 200)).toHaveLength(1)
    expect(statuses.filter((status) => status === 412)).toHaveLength(19)
    const winner = answers.find((answer) => answer.statusCode === 200)!.json<{ etag: string }>().etag
    const read = await b.app.inject({ method: 'GET', url: '/v1/namespaces/accounts/keys/balance' })
    expect(read.headers.etag).toBe(winner)
    expect(answers.filter((answer) => answer.statusCode === 412).every((answer) => answer.json<{ code: string }>().code === 'E_PRECONDITION_FAILED')).toBe(true)
  })

  it('of 10 create-only PUTs (If-None-Match: *) on two gateways, exactly one creates the key', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? a : b).app.inject({ method: 'PUT', url: '/v1/namespaces/accounts/keys/fresh', headers: { ...JSON_HEADERS, 'if-none-match': '*' }, payload: json({ value: i }) }),
      ),
    )
    expect(answers.filter((answer) => answer.statusCode === 200)).toHaveLength(1)
    expect(answers.filter((answer) => answer.statusCode === 412)).toHaveLength(9)
  })
})
