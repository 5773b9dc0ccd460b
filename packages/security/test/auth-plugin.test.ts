import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROBLEM_CONTENT_TYPE, toProblem } from '@strata/core'
import { ApiKeys, AuditTrail, Authenticator, JwtVerifier, MemoryApiKeyStore, MemoryAuditLog, MemoryRateLimiter, authPlugin } from '../src/index.js'

/** The Fastify plugin on its own: API keys and JWTs, x-api-key, fail-closed routes, the audit of failures. */
describe('authPlugin', () => {
  let app: FastifyInstance
  let jwks: Server
  let signer: CryptoKey
  const apiKeys = new ApiKeys(new MemoryApiKeyStore())
  const audit = new MemoryAuditLog()

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256')
    signer = pair.privateKey
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'e1', alg: 'ES256' }
    jwks = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })))
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve))
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`

    app = Fastify()
    app.setErrorHandler((error, request, reply) => reply.code(toProblem(error, request.url).status).type(PROBLEM_CONTENT_TYPE).send(toProblem(error, request.url)))
    await app.register(authPlugin, {
      authenticator: new Authenticator(apiKeys, new JwtVerifier({ jwksUrl, issuer: 'https://idp.test', audience: 'strata' })),
      audit: new AuditTrail(audit, { source: 'test' }),
    })
    app.get('/ns/:ns', { config: { auth: { scope: 'read' } } }, (request) => ({ who: request.principal?.id }))
    app.get('/open', { config: { auth: 'public' } }, () => ({ ok: true }))
    app.get('/undeclared', () => ({ ok: true }))
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
    await new Promise<void>((resolve) => jwks.close(() => resolve()))
  })

  const jwt = (scope: string) =>
    new SignJWT({ scope }).setProtectedHeader({ alg: 'ES256', kid: 'e1' }).setIssuer('https://idp.test').setAudience('strata').setSubject('svc-1').setExpirationTime('5m').sign(signer)

  it('takes a JWT bearer token with grants from its scope claim', async () => {
    const token = await jwt('read:orders')
    expect((await app.inject({ url: '/ns/orders', headers: { authorization: `Bearer ${token}` } })).json()).toEqual({ who: 'jwt:svc-1' })
    expect((await app.inject({ url: '/ns/users', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(403)
    expect((await app.inject({ url: '/ns/orders', headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } })).statusCode).toBe(401)
  })

  it('takes an API key as x-api-key or Bearer, refuses other schemes, and fails closed on undeclared routes', async () => {
    const { token } = await apiKeys.create({ name: 'reader', grants: [{ namespace: '*', scopes: ['read'] }] })
    expect((await app.inject({ url: '/ns/a', headers: { 'x-api-key': token } })).statusCode).toBe(200)
    expect((await app.inject({ url: '/ns/a', headers: { authorization: `bearer ${token}` } })).statusCode).toBe(200)
    expect((await app.inject({ url: '/ns/a', headers: { authorization: `Basic ${token}` } })).statusCode).toBe(401)
    expect((await app.inject({ url: '/open' })).statusCode).toBe(200)
    expect((await app.inject({ url: '/undeclared', headers: { 'x-api-key': token } })).statusCode).toBe(403)
    const { token: admin } = await apiKeys.create({ name: 'admin', grants: [{ namespace: '*', scopes: ['admin'] }] })
    expect((await app.inject({ url: '/undeclared', headers: { 'x-api-key': admin } })).statusCode).toBe(200)
  })

  it('audits sign-in failures with where they came from, and never the presented secret', async () => {
    await app.inject({ url: '/ns/a', headers: { 'x-api-key': 'sk_zzzzzzzzzzzz_' + 'S'.repeat(43) }, remoteAddress: '192.0.2.9' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const failure = audit.records.filter((r) => r.action === 'auth.failed').at(-1)
    expect(failure).toMatchObject({ actor: 'anonymous', outcome: 'denied', ip: '192.0.2.9', resource: 'namespace:a' })
    expect(JSON.stringify(audit.records)).not.toContain('S'.repeat(43))
  })

  it('limits failed sign-ins per address: past the burst, 429 and no more audit rows', async () => {
    const limited = Fastify()
    limited.setErrorHandler((error, request, reply) => reply.code(toProblem(error, request.url).status).send(toProblem(error, request.url)))
    const trail = new MemoryAuditLog()
    await limited.register(authPlugin, {
      authenticator: new Authenticator(apiKeys),
      rateLimiter: new MemoryRateLimiter(() => 0),
      failedSignInLimit: { perSecond: 1, burst: 3 },
      audit: new AuditTrail(trail, { source: 'test' }),
    })
    limited.get('/ns/:ns', { config: { auth: { scope: 'read' } } }, () => ({ ok: true }))
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await limited.inject({ url: '/ns/a', remoteAddress: '198.51.100.1' })).statusCode)
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429])
    expect((await limited.inject({ url: '/ns/a', remoteAddress: '198.51.100.2' })).statusCode).toBe(401)
    const { token } = await apiKeys.create({ name: 'ok', grants: [{ namespace: '*', scopes: ['read'] }] })
    expect((await limited.inject({ url: '/ns/a', remoteAddress: '198.51.100.1', headers: { 'x-api-key': token } })).statusCode).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(trail.records.filter((r) => r.action === 'auth.failed')).toHaveLength(4)
    await limited.close()
  })
})
