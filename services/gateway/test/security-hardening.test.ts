import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeyring } from '@strata/core'
import { ApiKeys, MemoryApiKeyStore, MemoryAuditLog, MemoryRateLimiter } from '@strata/security'
import { requireRedis, servers } from '@strata/testkit'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'
import { TestAuth } from './support/auth.js'

/** Issue 22: the cost side and the tenant boundary, each finding against a real gateway on real Redis. */
describe('security hardening (issue 22)', () => {
  const audit = new MemoryAuditLog()
  const apiKeys = new ApiKeys(new MemoryApiKeyStore())
  const auth = new TestAuth({ audit, apiKeys, rateLimiter: new MemoryRateLimiter() })
  const keyring = createKeyring('k1', { k1: randomBytes(32) })
  let gw: TestGateway
  let allowed: ScriptedOrigin
  let internal: ScriptedOrigin
  let redis: Redis
  let admin: Record<string, string>

  beforeAll(async () => {
    await requireRedis()
    allowed = await new ScriptedOrigin().start()
    internal = await new ScriptedOrigin().start()
    gw = await startGateway({ auth: auth.auth, keyring, allowedOrigins: [allowed.url], l1Bounds: { maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 } })
    redis = new Redis(servers.redisUrl)
    admin = { 'x-api-key': await auth.admin() }
  })
  afterAll(async () => {
    await gw.stop()
    await allowed.stop()
    await internal.stop()
    redis.disconnect()
  })

  const putNamespace = (name: string, payload: object, headers = admin) => gw.app.inject({ method: 'PUT', url: `/v1/admin/namespaces/${name}`, headers, payload })
  const code = (answer: { json: () => unknown }) => (answer.json() as { code?: string }).code

  it('matches keyPattern in linear time: (a+)+b against 28 characters does not stall the event loop', async () => {
    expect((await putNamespace('redos', { ttl: 60_000, security: { keyPattern: '(a+)+b' } })).statusCode).toBe(201)
    const delay = monitorEventLoopDelay({ resolution: 10 })
    delay.enable()
    const answer = await gw.app.inject({ url: `/v1/namespaces/redos/keys/${'a'.repeat(28)}!`, headers: admin })
    await new Promise((resolve) => setTimeout(resolve, 30))
    delay.disable()
    expect(code(answer)).toBe('E_POLICY_VIOLATION')
    // A backtracking RegExp takes ~1.2 s at 26 characters and doubles per character (~5 s here).
    expect(delay.max / 1e6).toBeLessThan(1_000)
    expect((await gw.app.inject({ url: '/v1/namespaces/redos/keys/aaab', headers: admin })).statusCode).toBe(404)
    // Checked when set: what RE2 cannot match in linear time (a backreference) is refused up front.
    expect(code(await putNamespace('redos2', { security: { keyPattern: '(a)\\1' } }))).toBe('E_INVALID_OPTION')
  })

  it('lets a namespace admin choose only an allowed origin: a loopback origin not in the list is refused', async () => {
    const tenant = { 'x-api-key': await auth.key({ namespace: 'tenant', scopes: ['admin'] }) }
    internal.on('/secret/k', () => ({ body: '"internal data"' }))
    const refused = await putNamespace('tenant', { origin: { url: `${internal.url}/secret/{key}` } }, tenant)
    expect(refused.statusCode).toBe(403)
    expect(code(refused)).toBe('E_FORBIDDEN')
    expect((await gw.app.inject({ url: '/v1/namespaces/tenant/keys/k', headers: tenant })).statusCode).toBe(404)
    expect(internal.requests).toHaveLength(0)

    expect((await putNamespace('tenant', { origin: { url: `${allowed.url}/items/{key}` } }, tenant)).statusCode).toBe(201)
    const host = await putNamespace('tenant', { origin: { url: `${allowed.url}/items/{key}`, headers: { Host: 'metadata.internal' } } }, tenant)
    expect(code(host)).toBe('E_INVALID_OPTION')
    expect(code(await putNamespace('tenant', { origin: { url: `${allowed.url}/items/{key}`, headers: { 'transfer-encoding': 'chunked' } } }, tenant))).toBe('E_INVALID_OPTION')

    // A global admin may name a new origin; from then on the namespace admin may choose it.
    expect((await putNamespace('other', { origin: { url: `${internal.url}/secret/{key}` } })).statusCode).toBe(201)
    expect((await putNamespace('tenant', { origin: { url: `${internal.url}/secret/{key}` } }, tenant)).statusCode).toBe(200)
  })

  it('keeps origin credentials sealed with the keyring and write-only in the API', async () => {
    const secret = `Bearer origin-${randomBytes(8).toString('hex')}`
    allowed.on('/creds/c1', () => ({ body: '"v1"' }))
    expect((await putNamespace('creds', { origin: { url: `${allowed.url}/creds/{key}`, headers: { authorization: secret } } })).statusCode).toBe(201)
    const listed = await gw.app.inject({ url: '/v1/admin/namespaces', headers: admin })
    expect(listed.body).not.toContain(secret)
    expect(listed.json().namespaces.find((n: { name: string }) => n.name === 'creds').policy.origin.headers).toEqual({ authorization: '[write-only]' })
    // What the registry stores holds only ciphertext.
    const stored = JSON.stringify(await gw.cache.namespace('strata.namespaces').get('specs'))
    expect(stored).not.toContain(secret)
    expect(stored).toContain('enc:v1:k1:')
    // The origin gets the real value; sending the placeholder back keeps it.
    expect((await putNamespace('creds', { ttl: 5_000, origin: { url: `${allowed.url}/creds/{key}`, headers: { authorization: '[write-only]' } } })).statusCode).toBe(200)
    expect((await gw.app.inject({ url: '/v1/namespaces/creds/keys/c1', headers: admin })).json()).toBe('v1')
    expect(allowed.requests.find((r) => r.path === '/creds/c1')?.headers.authorization).toBe(secret)
  })

  it('never lets a read-through key reach above the origin URL template', async () => {
    allowed.on('/', () => ({ body: '"the root"' }))
    allowed.on('/files', () => ({ body: '"the parent"' }))
    expect((await putNamespace('files', { origin: { url: `${allowed.url}/files/x/{key}` } })).statusCode).toBe(201)
    // Over a real socket: inject() would resolve the dot segments itself, a client sending them as they are does not.
    const address = await gw.app.listen({ port: 0, host: '127.0.0.1' })
    for (const key of ['..', '.', '%2E%2E']) {
      const answer = await rawGet(`${address}/v1/namespaces/files/keys/${key}`, admin)
      expect(answer.status, `${key} ${answer.body}`).toBe(400)
      expect((JSON.parse(answer.body) as { code: string }).code, key).toBe('E_KEY_INVALID')
    }
    expect(allowed.requests.filter((r) => ['/', '/files', '/files/', '/files/x', '/files/x/'].includes(r.path.split('?')[0]!))).toEqual([])
  })

  it('binds a sealed entry to its key: user 42’s ciphertext copied onto user 43’s key in Redis is a miss and an error event', async () => {
    expect((await putNamespace('vault', { ttl: 600_000, security: { encryption: 'required' } })).statusCode).toBe(201)
    for (const id of ['42', '43']) expect((await gw.app.inject({ method: 'PUT', url: `/v1/namespaces/vault/keys/user-${id}`, headers: admin, payload: { value: { record: `of ${id}` } } })).statusCode).toBe(200)
    const sealed = await redis.getBuffer(`${gw.prefix}:vault:k:user-42`)
    expect(sealed).not.toBeNull()
    await redis.set(`${gw.prefix}:vault:k:user-43`, sealed!)
    // A second instance with an empty L1 reads L2.
    const second = await startGateway({ prefix: gw.prefix, auth: auth.auth, keyring })
    try {
      const errors: string[] = []
      second.cache.on('error', (event) => errors.push(event.error.code))
      const answer = await second.app.inject({ url: '/v1/namespaces/vault/keys/user-43', headers: admin })
      expect(answer.statusCode).toBe(404)
      expect(answer.body).not.toContain('of 42')
      expect(errors).toContain('E_DECRYPT_FAILED')
      expect((await second.app.inject({ url: '/v1/namespaces/vault/keys/user-42', headers: admin })).json()).toEqual({ record: 'of 42' })
    } finally {
      await second.stop().catch(() => undefined)
    }
  })

  it('erases a data subject: no plaintext and no clear subject left in Redis, and says what it deleted', async () => {
    const marker = `PLAINTEXT-${randomBytes(6).toString('hex')}`
    expect((await putNamespace('people', { ttl: 600_000 })).statusCode).toBe(201)
    for (const key of ['p-42', 'p-42-address']) expect((await gw.app.inject({ method: 'PUT', url: `/v1/namespaces/people/keys/${key}`, headers: admin, payload: { value: `${marker} ${key}`, tags: ['subject:s42'] } })).statusCode).toBe(200)
    expect((await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/people/keys/p-43', headers: admin, payload: { value: 'someone else', tags: ['subject:s43'] } })).statusCode).toBe(200)
    const purge = await gw.app.inject({ method: 'DELETE', url: '/v1/admin/subjects/s42', headers: admin })
    expect(purge.statusCode).toBe(200)
    expect(purge.json()).toMatchObject({ erased: { people: 2 }, tombstoned: [] })

    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, page] = await redis.scan(cursor, 'MATCH', `${gw.prefix}:*`, 'COUNT', 500)
      cursor = next
      keys.push(...page)
    } while (cursor !== '0')
    expect(keys).toContain(`${gw.prefix}:people:k:p-43`)
    for (const key of keys) {
      expect(key).not.toContain('s42')
      const type = await redis.type(key)
      const value = type === 'string' ? await redis.getBuffer(key) : Buffer.from(JSON.stringify(await redis.dump(key)))
      expect(value?.includes(marker) ?? false, key).toBe(false)
      expect(value?.includes('subject:s42') ?? false, key).toBe(false)
    }
    expect(JSON.stringify(audit.records.filter((r) => r.action === 'subject.purge'))).not.toContain('s42')
  })

  it('refuses a NUL or broken UTF-8 in the path before any store or audit', async () => {
    const before = audit.records.length
    for (const url of ['/v1/namespaces/a%00b/keys/x', '/v1/namespaces/people/keys/a%00', '/proxy/up/%00', '/v1/namespaces/people/keys/%C3%28']) {
      const answer = await gw.app.inject({ url, headers: { 'x-api-key': 'sk_zzzzzzzzzzzz_' + 'A'.repeat(43) } })
      expect(answer.statusCode, url).toBe(400)
      // Broken UTF-8 is refused by the router itself (its problem+json form is the service shell's).
      if (!url.endsWith('%C3%28')) expect(code(answer), url).toBe('E_INVALID_REQUEST')
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(audit.records.length).toBe(before)
  })

  it('aggregates repeated denials into one audit row and rate limits them', async () => {
    const { token, key } = await apiKeys.create({ name: 'nosy reader', grants: [{ namespace: '*', scopes: ['read'] }], rateLimit: { perSecond: 1, burst: 10 } })
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) statuses.push((await gw.app.inject({ method: 'DELETE', url: '/v1/admin/namespaces/people', headers: { 'x-api-key': token } })).statusCode)
    expect(statuses.filter((s) => s === 403).length).toBeLessThanOrEqual(11)
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429])
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(audit.records.filter((r) => r.actor === `key:${key.id}` && r.outcome === 'denied')).toHaveLength(1)
  })

  it('shows the L1 bounds on /metrics', async () => {
    const metrics = await gw.app.inject({ url: '/metrics', headers: admin })
    expect(metrics.body).toContain(`strata_l1_max_bytes ${64 * 1024 * 1024}`)
    expect(metrics.body).toContain('strata_l1_max_entries 10000')
  })
})

/** GET with the path sent byte for byte (no dot-segment resolution, unlike fetch and inject). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { host, pathname } = new URL(url.replace(/\/keys\/.*$/, '/keys/'))
  const path = pathname + url.slice(url.indexOf('/keys/') + '/keys/'.length)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: host.split(':')[0], port: Number(host.split(':')[1]), path, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}
