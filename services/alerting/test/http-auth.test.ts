import { ApiKeys, AuditTrail, Authenticator, MemoryApiKeyStore, MemoryAuditLog, MemoryRateLimiter } from '@strata/security'
import { MemoryJobQueue } from '@strata/queue'
import { waitUntil } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryAlertStore, buildAlerting, parseAlertingConfig, type Alerting, type DeliveryJob } from '../src/app.js'

/** The alerting HTTP API behind packages/security: reads need `read` on *, changes `admin` on * (and are audited). */
describe('alerting HTTP API with auth', () => {
  const apiKeys = new ApiKeys(new MemoryApiKeyStore())
  const audit = new MemoryAuditLog()
  const tokens: Record<string, string> = {}
  let alerting: Alerting

  beforeAll(async () => {
    const config = parseAlertingConfig('version: 1\nreceivers: []\nrules: []\n', 'empty.yaml', {})
    alerting = buildAlerting({
      sources: [],
      store: new MemoryAlertStore(),
      rules: config.rules,
      receivers: config.receivers,
      deliveries: new MemoryJobQueue<DeliveryJob>('webhooks'),
      intervalMs: 60_000,
      auth: {
        authenticator: new Authenticator(apiKeys),
        rateLimiter: new MemoryRateLimiter(),
        audit: new AuditTrail(audit, { source: 'strata/alerting/test' }),
      },
    })
    tokens.reader = (await apiKeys.create({ name: 'reader', grants: [{ namespace: '*', scopes: ['read'] }] })).token
    tokens.admin = (await apiKeys.create({ name: 'admin', grants: [{ namespace: '*', scopes: ['admin'] }] })).token
  })
  afterAll(async () => {
    await alerting.http.close()
  })

  const call = (method: 'GET' | 'POST', url: string, token?: string, payload?: Record<string, unknown>) =>
    alerting.http.inject({ method, url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload }) })

  it('reads with read on *, changes only with admin on *, and audits the change', async () => {
    for (const url of ['/rules', '/alerts', '/silences', '/deliveries', '/metrics']) {
      expect((await call('GET', url)).statusCode, url).toBe(401)
      expect((await call('GET', url, tokens.reader)).statusCode, url).toBe(200)
    }
    const silence = { matchers: { namespace: 'orders' }, duration: '1h', comment: 'deploy', createdBy: 'test' }
    expect((await call('POST', '/silences', tokens.reader, silence)).statusCode).toBe(403)
    const created = await call('POST', '/silences', tokens.admin, silence)
    expect(created.statusCode).toBe(201)
    // Audit rows are appended after the answer: wait for the admin's change to be recorded.
    const adminActor = `key:${tokens.admin!.split('_')[1]!}`
    await waitUntil(() => audit.records.some((record) => record.actor === adminActor && record.outcome === 'allowed'), 5_000)
  })

  it('keeps health open', async () => {
    expect((await call('GET', '/health/live')).statusCode).toBe(200)
  })
})
