import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { uniqueName } from '@strata/testkit'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'

const MERGE_PATCH = { 'content-type': 'application/merge-patch+json' }

/** PATCH /v1/admin/namespaces/{ns}: one policy field changed without restating the rest (RFC 7396). */
describe('PATCH a namespace policy with a JSON Merge Patch', () => {
  let gw: TestGateway
  let origin: ScriptedOrigin

  beforeAll(async () => {
    origin = await new ScriptedOrigin().start()
    gw = await startGateway({ l2: 'memory' })
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })

  const put = (ns: string, policy: object) => gw.app.inject({ method: 'PUT', url: `/v1/admin/namespaces/${ns}`, payload: policy })
  const patch = (ns: string, body: string, headers: Record<string, string> = MERGE_PATCH) => gw.app.inject({ method: 'PATCH', url: `/v1/admin/namespaces/${ns}`, headers, payload: body })
  const policyOf = async (ns: string) => (await gw.app.inject({ url: `/v1/admin/namespaces/${ns}` })).json<{ policy: Record<string, unknown> }>().policy

  it('merges the members it names, removes those set to null, keeps the rest', async () => {
    const ns = uniqueName('patch').replace(/[^a-z0-9-]/g, '-')
    expect((await put(ns, { ttl: 60_000, maxKeyLength: 64, stampede: 'local', security: { maxValueBytes: 1024 } })).statusCode).toBe(201)

    const answer = await patch(ns, JSON.stringify({ ttl: 120_000, maxKeyLength: null, security: { hashKeys: true } }))
    expect(answer.statusCode).toBe(200)
    expect(answer.json().policy).toMatchObject({ ttl: 120_000, stampede: 'local', security: { maxValueBytes: 1024, hashKeys: true } })
    const policy = await policyOf(ns)
    expect(policy).toMatchObject({ ttl: 120_000, stampede: 'local', security: { maxValueBytes: 1024, hashKeys: true } })
    expect(policy).not.toHaveProperty('maxKeyLength')
    // The live cache took the change, not only the stored spec.
    expect(gw.registry.get(ns)?.cache.policy.ttl).toBe(120_000)
  })

  it('takes application/json too', async () => {
    const ns = uniqueName('patch-json').replace(/[^a-z0-9-]/g, '-')
    await put(ns, { ttl: 60_000 })
    expect((await patch(ns, JSON.stringify({ ttl: 5_000 }), { 'content-type': 'application/json' })).statusCode).toBe(200)
    expect((await policyOf(ns)).ttl).toBe(5_000)
  })

  it('refuses a patch whose result is not a valid policy, naming the property, and changes nothing', async () => {
    const ns = uniqueName('patch-bad').replace(/[^a-z0-9-]/g, '-')
    await put(ns, { ttl: 60_000, stampede: 'local' })
    const typo = await patch(ns, JSON.stringify({ tll: 5_000 }))
    expect(typo.statusCode).toBe(400)
    expect(typo.json()).toMatchObject({ code: 'E_INVALID_REQUEST' })
    expect(typo.json().detail).toContain("body has an unknown property 'tll' (did you mean 'ttl'?)")
    const wrong = await patch(ns, JSON.stringify({ stampede: 'everywhere' }))
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().detail).toMatch(/body\.stampede must be one of 'none', 'local', 'fleet'/)
    expect(await policyOf(ns)).toEqual({ ttl: 60_000, stampede: 'local' })
  })

  it('keeps write-only origin headers it does not name: the origin still gets them', async () => {
    const ns = uniqueName('patch-origin').replace(/[^a-z0-9-]/g, '-')
    origin.on(`/${ns}/k`, () => ({ body: JSON.stringify({ v: 1 }), headers: { 'content-type': 'application/json' } }))
    expect((await put(ns, { ttl: 60_000, origin: { url: `${origin.url}/${ns}/{key}`, headers: { authorization: 'Bearer origin-secret' } } })).statusCode).toBe(201)
    expect((await patch(ns, JSON.stringify({ ttl: 30_000 }))).statusCode).toBe(200)
    expect((await policyOf(ns)).origin).toMatchObject({ headers: { authorization: '[write-only]' } })
    expect((await gw.app.inject({ url: `/v1/namespaces/${ns}/keys/k` })).statusCode).toBe(200)
    expect(origin.requests.find((request) => request.path === `/${ns}/k`)?.headers.authorization).toBe('Bearer origin-secret')
  })

  it('answers 404 for an unknown namespace, and a PUT with a merge patch is 415', async () => {
    const missing = await patch(uniqueName('nowhere').replace(/[^a-z0-9-]/g, '-'), JSON.stringify({ ttl: 1 }))
    expect(missing.statusCode).toBe(404)
    const ns = uniqueName('patch-put').replace(/[^a-z0-9-]/g, '-')
    await put(ns, { ttl: 60_000 })
    const wrongType = await gw.app.inject({ method: 'PUT', url: `/v1/admin/namespaces/${ns}`, headers: MERGE_PATCH, payload: JSON.stringify({ ttl: 1 }) })
    expect(wrongType.statusCode).toBe(415)
    expect((await policyOf(ns)).ttl).toBe(60_000)
  })
})
