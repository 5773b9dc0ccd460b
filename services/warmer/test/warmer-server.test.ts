import { createCache, memoryStore } from '@strata/core'
import { ApiKeys, AuditTrail, Authenticator, MemoryApiKeyStore, MemoryAuditLog } from '@strata/security'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CronWarmScheduler, buildWarmer } from '../src/app.js'
import { WarmProgress } from '../src/http/warm-progress.js'
import { buildWarmerServer } from '../src/http/warmer-server.js'

/** The warmer's HTTP API: targets with their last run, a manual run, metrics, behind API keys. */
describe('warmer HTTP API', () => {
  const apiKeys = new ApiKeys(new MemoryApiKeyStore())
  const audit = new MemoryAuditLog()
  const cache = createCache({ l2: memoryStore() })
  const loads: string[] = []
  const progress = new WarmProgress()
  const service = buildWarmer({
    cache,
    loaders: { products: (key) => Promise.resolve(loads.push(key) && { key }) },
    targets: [{ kind: 'keys', name: 'catalog', namespace: 'products', keys: ['p1', 'p2', 'p3'], cron: '0 3 * * *' }],
    scheduler: new CronWarmScheduler(),
    rate: { perSecond: 1_000 },
    onProgress: progress.record,
  })
  const server = buildWarmerServer({
    service,
    progress,
    processMetrics: false,
    auth: { authenticator: new Authenticator(apiKeys), audit: new AuditTrail(audit, { source: 'strata/warmer/test' }) },
  })
  const tokens: Record<string, string> = {}
  const call = (method: 'GET' | 'POST', url: string, token?: string) => server.app.inject({ method, url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })

  beforeAll(async () => {
    await service.start()
    tokens.reader = (await apiKeys.create({ name: 'reader', grants: [{ namespace: '*', scopes: ['read'] }] })).token
    tokens.admin = (await apiKeys.create({ name: 'operator', grants: [{ namespace: '*', scopes: ['admin'] }] })).token
  })
  afterAll(async () => {
    await server.close()
    await service.stop()
    await cache.close()
  })

  it('keeps everything but health behind a key, and a run behind admin', async () => {
    for (const [method, url] of [['GET', '/metrics'], ['GET', '/v1/targets'], ['POST', '/v1/targets/catalog/run']] as const) {
      expect((await call(method, url)).statusCode, `${method} ${url}`).toBe(401)
    }
    expect((await call('POST', '/v1/targets/catalog/run', tokens.reader)).statusCode).toBe(403)
    expect((await call('GET', '/health/ready')).json()).toEqual({ status: 'ready', checks: {} })
  })

  it('runs a target on demand, then reports it in /v1/targets and /metrics; a second run finds everything cached', async () => {
    const first = await call('POST', '/v1/targets/catalog/run', tokens.admin)
    expect(first.json()).toMatchObject({ target: 'catalog', trigger: 'manual', loaded: 3, cached: 0, failed: 0, total: 3 })
    expect(loads.sort()).toEqual(['p1', 'p2', 'p3'])
    expect(await cache.namespace('products').get('p2')).toEqual({ key: 'p2' })
    expect((await call('POST', '/v1/targets/catalog/run', tokens.admin)).json()).toMatchObject({ loaded: 0, cached: 3 })

    const targets = (await call('GET', '/v1/targets', tokens.reader)).json<{ targets: Array<Record<string, unknown>> }>().targets
    expect(targets).toEqual([expect.objectContaining({ name: 'catalog', kind: 'keys', namespace: 'products', cron: '0 3 * * *', onStart: false, lastRun: expect.objectContaining({ state: 'finished', cached: 3 }) })])
    const metrics = (await call('GET', '/metrics', tokens.reader)).body
    expect(metrics).toContain('strata_warmer_runs_total{target="catalog",trigger="manual"} 2')
    expect(metrics).toContain('strata_warmer_items_total{target="catalog",outcome="loaded"} 3')
    expect(metrics).toContain('strata_warmer_items_total{target="catalog",outcome="cached"} 3')
    expect(metrics).toContain('strata_warmer_runs_in_progress 0')
    expect((await audit.query({ action: 'warmer.run' })).map((record) => record.outcome)).toEqual(expect.arrayContaining(['allowed', 'denied']))
  })

  it('answers 404 E_WARM_TARGET_NOT_FOUND for a target not in the plan', async () => {
    const answer = await call('POST', '/v1/targets/nope/run', tokens.admin)
    expect(answer.statusCode).toBe(404)
    expect(answer.json()).toMatchObject({ code: 'E_WARM_TARGET_NOT_FOUND' })
  })
})
