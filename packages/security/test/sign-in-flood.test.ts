import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROBLEM_CONTENT_TYPE, toProblem } from '@strata/core'
import { ApiKeys, Authenticator, MemoryApiKeyStore, MemoryRateLimiter, authPlugin, legacyScryptHash } from '../src/index.js'

/**
 * Issue 22 (High): a wrong secret for a known key id cost one scrypt (~220 ms) before any limit ran, so 16 clients
 * with nothing but a key id pushed a legitimate key's first use to seconds. Verification is now an HMAC.
 */
describe('sign-in flood', () => {
  let app: FastifyInstance
  const store = new MemoryApiKeyStore()
  const apiKeys = new ApiKeys(store, { secret: randomBytes(32), cacheTtlMs: 5_000 })

  beforeAll(async () => {
    app = Fastify()
    app.setErrorHandler((error, request, reply) => reply.code(toProblem(error, request.url).status).type(PROBLEM_CONTENT_TYPE).send(toProblem(error, request.url)))
    // Generous limits: this measures the cost of verification, not the limiter.
    const generous = { perSecond: 1_000_000, burst: 1_000_000 }
    await app.register(authPlugin, {
      authenticator: new Authenticator(apiKeys),
      rateLimiter: new MemoryRateLimiter(),
      failedSignInLimit: generous,
      failedSignInPerKeyLimit: generous,
      failedSignInGlobalLimit: generous,
    })
    app.get('/ns/:ns', { config: { auth: { scope: 'read' } } }, (request) => ({ who: request.principal?.id }))
    await app.ready()
  })
  afterAll(() => app.close())

  const wrong = (id: string) => `sk_${id}_${randomBytes(32).toString('base64url')}`

  it('the legitimate request completes while 16 bad sign-ins run', async () => {
    const victim = await apiKeys.create({ name: 'victim', grants: [{ namespace: '*', scopes: ['read'] }] })
    let running = true
    let attempts = 0
    const attackers = Array.from({ length: 16 }, async () => {
      while (running) {
        const answer = await app.inject({ url: '/ns/a', headers: { 'x-api-key': wrong(victim.key.id) } })
        expect(answer.statusCode).toBe(401)
        attempts += 1
        // A real client's request crosses the network: let timers and I/O run between attempts.
        await new Promise((resolve) => setImmediate(resolve))
      }
    })
    // The flood is under way: every attacker has had at least two wrong secrets checked.
    const until = Date.now() + 20_000
    while (attempts < 32 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10))
    const started = performance.now()
    // First use of the token: nothing cached, so it is verified while the flood runs.
    const answer = await app.inject({ url: '/ns/a', headers: { 'x-api-key': victim.token } })
    const tookMs = performance.now() - started
    running = false
    await Promise.all(attackers)
    expect(answer.json()).toEqual({ who: `key:${victim.key.id}` })
    // Before: 2.8–4.5 s (each bad attempt one scrypt). A generous bound for a loaded 2-core machine.
    expect(tookMs).toBeLessThan(1_000)
    expect(attempts).toBeGreaterThanOrEqual(32)
  })

  it('costs an unknown key id what a known one costs (no timing oracle on ids)', async () => {
    const known = await apiKeys.create({ name: 'known', grants: [] })
    const median = async (token: () => string) => {
      const times: number[] = []
      for (let i = 0; i < 31; i++) {
        const started = performance.now()
        expect(await apiKeys.verify(token())).toBeUndefined()
        times.push(performance.now() - started)
      }
      return times.sort((a, b) => a - b)[15]!
    }
    const knownMs = await median(() => wrong(known.key.id))
    const unknownMs = await median(() => wrong('zzzzzzzzzzzz'))
    // Before: 250–340 ms for a known id against 2–10 ms for an unknown one. Both are now a hash-map read and an HMAC.
    expect(knownMs).toBeLessThan(20)
    expect(unknownMs).toBeLessThan(20)
  })

  it('keeps keys stored with the old scrypt hash working, and re-hashes them on first use', async () => {
    const id = 'legacy000001'
    const secret = randomBytes(32).toString('base64url')
    await store.insert({ id, name: 'legacy', hash: await legacyScryptHash(secret), grants: [], createdAt: Date.now() })
    expect(await apiKeys.verify(`sk_${id}_${secret}`)).toMatchObject({ id: `key:${id}` })
    expect((await store.get(id))?.hash).toMatch(/^hmac-sha256\$/)
    const fresh = new ApiKeys(store, { secret: randomBytes(32) })
    // A different server secret cannot verify the migrated hash: the table alone is not enough.
    expect(await fresh.verify(`sk_${id}_${secret}`)).toBeUndefined()
  })
})

describe('failed sign-in limits', () => {
  it('limit per key id and in total, not only per address, and never refuse the valid key', async () => {
    const apiKeys = new ApiKeys(new MemoryApiKeyStore())
    const app = Fastify()
    app.setErrorHandler((error, request, reply) => reply.code(toProblem(error, request.url).status).send(toProblem(error, request.url)))
    await app.register(authPlugin, {
      authenticator: new Authenticator(apiKeys),
      rateLimiter: new MemoryRateLimiter(() => 0),
      failedSignInLimit: { perSecond: 1, burst: 1_000 },
      failedSignInPerKeyLimit: { perSecond: 1, burst: 3 },
      failedSignInGlobalLimit: { perSecond: 1, burst: 10 },
    })
    app.get('/ns/:ns', { config: { auth: { scope: 'read' } } }, () => ({ ok: true }))
    const { token, key } = await apiKeys.create({ name: 'k', grants: [{ namespace: '*', scopes: ['read'] }] })
    const bad = () => `sk_${key.id}_${randomBytes(32).toString('base64url')}`
    // Each attempt from a new address: the per-address limit alone would never trip.
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await app.inject({ url: '/ns/a', headers: { 'x-api-key': bad() }, remoteAddress: `192.0.2.${i}` })).statusCode)
    expect(statuses).toEqual([401, 401, 401, 429, 429])
    expect((await app.inject({ url: '/ns/a', headers: { 'x-api-key': token }, remoteAddress: '192.0.2.99' })).statusCode).toBe(200)
    const other = await apiKeys.create({ name: 'other', grants: [] })
    const global: number[] = []
    for (let i = 0; i < 10; i++) global.push((await app.inject({ url: '/ns/a', headers: { 'x-api-key': `sk_${other.key.id}${i}_x` }, remoteAddress: `198.51.100.${i}` })).statusCode)
    expect(global.filter((s) => s === 429).length).toBeGreaterThan(0)
    const last = await app.inject({ url: '/ns/a', headers: { 'x-api-key': 'sk_nosuchkey000_' + 'A'.repeat(43) }, remoteAddress: '203.0.113.1' })
    expect(last.json()).toMatchObject({ code: 'E_RATE_LIMITED', detail: expect.stringContaining('in total') })
    await app.close()
  })
})
