import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '@strata/config'
import { createCache, isStrataError, memoryStore } from '@strata/core'
import { requireRedis, uniqueName } from '@strata/testkit'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'
import { TestAuth } from './support/auth.js'
import { ProxyService, type UpstreamConfig } from '../src/proxy/proxy-service.js'

/**
 * Fronting a site like Varnish does (issue 21): an upstream mounted at `/` (or a prefix) or selected by Host, each
 * with its own auth choice, all set in the configuration file. The gateway's own routes keep their paths.
 */
describe('proxy mounts: a site fronted at /, at a prefix, or by Host', () => {
  let origin: ScriptedOrigin
  let gw: TestGateway
  let dir = ''
  const auth = new TestAuth()
  const site = uniqueName('site')

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    origin.on('/', () => ({ headers: { 'cache-control': 'public, max-age=300', 'content-type': 'text/html' }, body: '<h1>home</h1>' }))
    origin.on(`/${site}/page`, (r) => ({ headers: { 'cache-control': 'public, max-age=300' }, body: `page ${r.url}` }))
    origin.on('/health/live', () => ({ headers: { 'cache-control': 'max-age=60' }, body: 'the site says it is alive' }))
    dir = mkdtempSync(join(tmpdir(), 'strata-mount-'))
    // The configuration an operator writes: `public` and `mount` were refused before ("Unexpected property").
    const file = join(dir, 'gateway.yaml')
    writeFileSync(
      file,
      [
        'gateway:',
        '  upstreams:',
        '    site:',
        `      url: ${origin.url}`,
        '      public: true',
        "      mount: '/'",
        '    shop:',
        `      url: ${origin.url}`,
        '      mount: /shop',
        '    vhost:',
        `      url: ${origin.url}`,
        '      auth: public',
        '      hosts: [www.example.test]',
        '    sso:',
        `      url: ${origin.url}`,
        '      auth: jwt',
        '',
      ].join('\n'),
    )
    const { config } = loadConfig({ file, env: {} })
    gw = await startGateway({ upstreams: config.gateway.upstreams, auth: auth.auth })
  })
  afterAll(async () => {
    await gw?.stop()
    await origin.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('a public site mounted at / answers anonymous requests at its own URLs, with Cache-Status', async () => {
    const home = await gw.app.inject({ method: 'GET', url: '/' })
    expect(home.statusCode).toBe(200)
    expect(home.body).toBe('<h1>home</h1>')
    expect(home.headers['cache-status']).toMatch(/^Strata; (fwd=uri-miss; fwd-status=200; stored|hit); ttl=\d+$/)
    const page = await gw.app.inject({ method: 'GET', url: `/${site}/page?x=1` })
    expect(page.body).toBe(`page /${site}/page?x=1`)
    // The mount and /proxy/site are one cache: the same target is one entry.
    const same = await gw.app.inject({ method: 'GET', url: `/proxy/site/${site}/page?x=1` })
    expect(same.headers['cache-status']).toMatch(/^Strata; hit; ttl=\d+$/)
    expect(origin.hitsOf(`/${site}/page?x=1`)).toBe(1)
  })

  it("the gateway's own routes keep their paths and their auth under a / mount", async () => {
    expect((await gw.app.inject({ method: 'GET', url: '/health/live' })).body).not.toContain('the site says')
    expect((await gw.app.inject({ method: 'GET', url: '/v1/namespaces/x/keys/y' })).statusCode).toBe(401)
  })

  it('a mount at a prefix takes credentials like /proxy/{upstream}: 401 anonymous, 200 with read on proxy.shop', async () => {
    expect((await gw.app.inject({ method: 'GET', url: `/shop/${site}/page` })).statusCode).toBe(401)
    const key = await auth.key({ namespace: 'proxy.shop', scopes: ['read'] })
    const page = await gw.app.inject({ method: 'GET', url: `/shop/${site}/page`, headers: { 'x-api-key': key } })
    expect(page.statusCode).toBe(200)
    expect(page.body).toBe(`page /${site}/page`)
    expect((await gw.app.inject({ method: 'GET', url: '/shop', headers: { 'x-api-key': key } })).body).toBe('<h1>home</h1>')
  })

  it('an upstream selected by Host gets every path of that host, even ones the gateway uses itself', async () => {
    const alive = await gw.app.inject({ method: 'GET', url: '/health/live', headers: { host: 'www.example.test:8080' } })
    expect(alive.body).toBe('the site says it is alive')
    expect(alive.headers['cache-status']).toMatch(/^Strata; /)
    expect((await gw.app.inject({ method: 'GET', url: '/health/live', headers: { host: 'other.example.test' } })).body).not.toContain('the site says')
  })

  it('an upstream that takes JWTs only refuses an API key with 403 naming the setting', async () => {
    const key = await auth.key({ namespace: 'proxy.sso', scopes: ['read'] })
    const refused = await gw.app.inject({ method: 'GET', url: '/proxy/sso/', headers: { 'x-api-key': key } })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().detail).toContain('upstreams.sso.auth')
  })

  it('a mount cannot take the gateway\'s own paths, and two upstreams cannot share a mount or a host', async () => {
    const cache = createCache({ prefix: uniqueName('mounts'), l2: memoryStore() })
    const invalid: Record<string, UpstreamConfig>[] = [
      { a: { url: origin.url, mount: '/v1' } },
      { a: { url: origin.url, mount: '/proxy/x' } },
      { a: { url: origin.url, mount: '/x' }, b: { url: origin.url, mount: '/x/' } },
      { a: { url: origin.url, hosts: ['h.test'] }, b: { url: origin.url, hosts: ['H.test'] } },
    ]
    for (const upstreams of invalid) {
      let error: unknown
      try {
        await new ProxyService(cache, upstreams, Date.now).close()
      } catch (e) {
        error = e
      }
      expect(isStrataError(error, 'E_INVALID_OPTION'), JSON.stringify(upstreams)).toBe(true)
    }
    await cache.close()
  })
})
