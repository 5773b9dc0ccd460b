import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JwtVerifier } from '../src/index.js'

let server: Server
let jwksUrl = ''
let signingKey: CryptoKey
let strangerKey: CryptoKey
let jwksRequests = 0

beforeAll(async () => {
  const pair = await generateKeyPair('RS256')
  signingKey = pair.privateKey
  strangerKey = (await generateKeyPair('RS256')).privateKey
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  // A real JWKS endpoint on loopback, as an identity provider serves it.
  server = createServer((request, response) => {
    jwksRequests += 1
    if (request.url !== '/.well-known/jwks.json') return response.writeHead(404).end()
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

function token(key: CryptoKey, claims: { iss?: string; aud?: string; exp?: string | number; sub?: string; scope?: string } = {}): Promise<string> {
  return new SignJWT({ scope: claims.scope ?? 'read:orders write:orders' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(claims.iss ?? 'https://idp.test')
    .setAudience(claims.aud ?? 'strata')
    .setSubject(claims.sub ?? 'alice')
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? '5m')
    .sign(key)
}

describe('JwtVerifier against a JWKS served over HTTP', () => {
  it('accepts a token signed by a key in the JWKS, with grants from its scope claim', async () => {
    const verifier = new JwtVerifier({ jwksUrl, issuer: 'https://idp.test', audience: 'strata' })
    expect(await verifier.verify(await token(signingKey))).toEqual({
      kind: 'jwt',
      id: 'jwt:alice',
      name: 'alice',
      grants: [{ namespace: 'orders', scopes: ['read', 'write'] }],
    })
    expect(jwksRequests).toBeGreaterThan(0)
  })

  it('rejects another key, another issuer or audience, an expired token, and an unsigned one', async () => {
    const verifier = new JwtVerifier({ jwksUrl, issuer: 'https://idp.test', audience: 'strata', clockToleranceSec: 0 })
    expect(await verifier.verify(await token(strangerKey))).toBeUndefined()
    expect(await verifier.verify(await token(signingKey, { iss: 'https://evil.test' }))).toBeUndefined()
    expect(await verifier.verify(await token(signingKey, { aud: 'other' }))).toBeUndefined()
    expect(await verifier.verify(await token(signingKey, { exp: Math.floor(Date.now() / 1000) - 60 }))).toBeUndefined()
    const [header, payload] = (await token(signingKey)).split('.')
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`
    expect(header).toBeDefined()
    expect(await verifier.verify(none)).toBeUndefined()
  })
  it('refuses a token without exp (valid forever) unless requireExp is false', async () => {
    const forever = await new SignJWT({ scope: 'read:orders' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://idp.test')
      .setAudience('strata')
      .setSubject('alice')
      .sign(signingKey)
    expect(await new JwtVerifier({ jwksUrl, issuer: 'https://idp.test', audience: 'strata' }).verify(forever)).toBeUndefined()
    expect(await new JwtVerifier({ jwksUrl, issuer: 'https://idp.test', audience: 'strata', requireExp: false }).verify(forever)).toMatchObject({ id: 'jwt:alice' })
  })
})
