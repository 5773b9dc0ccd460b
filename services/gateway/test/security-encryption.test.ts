import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeyring, type L2Store } from '@strata/core'
import { memcachedStore } from '@strata/core/memcached'
import { redisStore } from '@strata/core/redis'
import { requireMemcached, requireRedis, servers, uniqueName } from '@strata/testkit'
import { startGateway, type TestGateway } from './support/harness.js'
import { TestAuth } from './support/auth.js'

const PLAINTEXT = 'card-4111111111111111-PLAINTEXT'
const OLD = 'key-2026-01'
const NEW = 'key-2026-02'

/**
 * Acceptance 2 of issue 10, on both L2 stores: a namespace whose security policy requires encryption keeps no
 * plaintext in Redis or Memcached (bytes read straight from the store, not through the engine); after a key rotation
 * old entries still read and new ones carry the new key id.
 */
describe.each([
  ['redis', () => redisStore({ url: servers.redisUrl }), requireRedis],
  ['memcached', () => memcachedStore({ servers: servers.memcachedServers }), requireMemcached],
] as const)('encryption required by namespace policy, on %s', (l2, makeRaw, requireServer) => {
  const oldKey = randomBytes(32)
  const newKey = randomBytes(32)
  const prefix = uniqueName('enc')
  const auth = new TestAuth()
  const gateways: TestGateway[] = []
  let raw: L2Store
  let headers: Record<string, string>

  beforeAll(async () => {
    await requireServer()
    raw = makeRaw()
    headers = { 'x-api-key': await auth.admin() }
  })
  afterAll(async () => {
    for (const gw of gateways) await gw.stop()
    await raw.disconnect?.()
  })

  const start = async (keyring?: ReturnType<typeof createKeyring>) => {
    const gw = await startGateway({ prefix, l2, auth: auth.auth, ...(keyring === undefined ? {} : { keyring }) })
    gateways.push(gw)
    return gw
  }
  const bytes = async (namespace: string, key: string) => Buffer.from((await raw.get(`${prefix}:${namespace}:k:${key}`)) ?? new Uint8Array())

  it('stores no plaintext for an encrypted namespace (and does for a plain one), and rotates keys', async () => {
    const before = await start(createKeyring(OLD, { [OLD]: oldKey }))
    const put = (gw: TestGateway, ns: string, key: string) =>
      gw.app.inject({ method: 'PUT', url: `/v1/namespaces/${ns}/keys/${key}`, headers, payload: { value: { card: PLAINTEXT }, tags: ['subject:u1'] } })
    expect((await before.app.inject({ method: 'PUT', url: '/v1/admin/namespaces/vault', headers, payload: { ttl: 600_000, security: { encryption: 'required' } } })).statusCode).toBe(201)
    expect((await before.app.inject({ method: 'PUT', url: '/v1/admin/namespaces/plain', headers, payload: { ttl: 600_000 } })).statusCode).toBe(201)
    expect((await put(before, 'vault', 'c1')).statusCode).toBe(200)
    expect((await put(before, 'plain', 'c1')).statusCode).toBe(200)

    const sealed = await bytes('vault', 'c1')
    expect(sealed.length).toBeGreaterThan(PLAINTEXT.length)
    expect(sealed.includes(Buffer.from(PLAINTEXT))).toBe(false)
    expect(sealed.includes(Buffer.from('subject:u1'))).toBe(false)
    expect(sealed.subarray(0, 32).includes(Buffer.from(OLD))).toBe(true)
    // The control: the same value in a namespace without the policy is readable in the store.
    expect((await bytes('plain', 'c1')).includes(Buffer.from(PLAINTEXT))).toBe(true)

    // Rotation: a gateway with the new key current and the old one kept for reading.
    const after = await start(createKeyring(NEW, { [OLD]: oldKey, [NEW]: newKey }))
    const old = await after.app.inject({ method: 'GET', url: '/v1/namespaces/vault/keys/c1', headers })
    expect(old.statusCode).toBe(200)
    expect(old.json()).toEqual({ card: PLAINTEXT })
    expect((await put(after, 'vault', 'c2')).statusCode).toBe(200)
    const rotated = await bytes('vault', 'c2')
    expect(rotated.subarray(0, 32).includes(Buffer.from(NEW))).toBe(true)
    expect(rotated.includes(Buffer.from(OLD))).toBe(false)
    expect(rotated.includes(Buffer.from(PLAINTEXT))).toBe(false)
    expect((await after.app.inject({ method: 'GET', url: '/v1/namespaces/vault/keys/c2', headers })).json()).toEqual({ card: PLAINTEXT })
  })

  it('refuses a namespace that requires encryption on a gateway without a keyring (E_ENCRYPTION_REQUIRED), storing nothing', async () => {
    const gw = await start()
    const name = `v${Date.now()}`
    const answer = await gw.app.inject({ method: 'PUT', url: `/v1/admin/namespaces/${name}`, headers, payload: { security: { encryption: 'required' } } })
    expect(answer.statusCode).toBe(400)
    expect(answer.json()).toMatchObject({ code: 'E_ENCRYPTION_REQUIRED' })
    expect((await gw.app.inject({ method: 'GET', url: `/v1/admin/namespaces/${name}`, headers })).statusCode).toBe(404)
  })
})
