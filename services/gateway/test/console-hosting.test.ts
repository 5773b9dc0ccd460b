import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from './support/harness.js'
import { TestAuth } from './support/auth.js'

/**
 * The console is served by the gateway at /console/ from a built dist folder (here a temporary one with the shape
 * Vite writes), publicly, with a CSP of its own; /console/config.json tells it the mode and the service URLs.
 */
describe('console hosting: /console/ and /console/config.json (auth on, no key)', () => {
  let gw: TestGateway
  let dist: string
  const auth = new TestAuth()

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'strata-console-dist-'))
    gw = await startGateway({
      l2: 'memory',
      auth: auth.auth,
      console: { distDir: dist, services: { alerting: 'http://127.0.0.1:8095', analytics: 'http://127.0.0.1:8096/' } },
    })
  })
  afterAll(async () => {
    await gw.stop()
    rmSync(dist, { recursive: true, force: true })
  })

  const get = (url: string) => gw.app.inject({ method: 'GET', url })

  it('answers 503 E_CONSOLE_NOT_BUILT, saying to run pnpm console:build, while dist has no index.html', async () => {
    for (const url of ['/console/', '/console/overview', '/console/assets/app.js']) {
      const answer = await get(url)
      expect(answer.statusCode, url).toBe(503)
      expect(answer.headers['content-type']).toContain('application/problem+json')
      expect(answer.json()).toMatchObject({ code: 'E_CONSOLE_NOT_BUILT', status: 503 })
      expect(answer.json<{ detail: string }>().detail).toContain('run pnpm console:build')
    }
  })

  it('serves config.json publicly: mode, version and the configured service URLs', async () => {
    const answer = await get('/console/config.json')
    expect(answer.statusCode).toBe(200)
    expect(answer.json()).toEqual({ mode: 'gateway', version: '0.1.0', services: { alerting: 'http://127.0.0.1:8095', analytics: 'http://127.0.0.1:8096/' } })
    expect(answer.headers['cache-control']).toBe('no-cache')
  })

  it('redirects /console to /console/ (308)', async () => {
    const answer = await get('/console')
    expect(answer.statusCode).toBe(308)
    expect(answer.headers.location).toBe('/console/')
  })

  it('once built (no restart), serves files, index.html for client routes, and 404 for a missing asset', async () => {
    mkdirSync(join(dist, 'assets'), { recursive: true })
    writeFileSync(join(dist, 'index.html'), '<!doctype html><html><head><script type="module" src="/console/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>')
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log("strata console")')
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')

    const root = await get('/console/')
    expect(root.statusCode).toBe(200)
    expect(root.headers['content-type']).toContain('text/html')
    expect(root.body).toContain('<div id="root">')
    expect(root.headers['cache-control']).toContain('max-age=0')

    const script = await get('/console/assets/index-abc123.js')
    expect(script.statusCode).toBe(200)
    expect(script.headers['content-type']).toContain('javascript')
    expect(script.body).toBe('console.log("strata console")')
    expect(script.headers['cache-control']).toContain('immutable')

    expect((await get('/console/favicon.svg')).headers['content-type']).toContain('image/svg+xml')

    for (const clientRoute of ['/console/namespaces/products', '/console/keys/products/user.42', '/console/settings?tab=theme']) {
      const answer = await get(clientRoute)
      expect(answer.statusCode, clientRoute).toBe(200)
      expect(answer.body, clientRoute).toContain('<div id="root">')
    }

    const missing = await get('/console/assets/nope-000.js')
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['content-type']).toContain('application/problem+json')
  })

  it('never serves a file outside dist (path traversal)', async () => {
    writeFileSync(join(dist, '..', `${dist.split('/').at(-1)}-secret.txt`), 'secret')
    for (const url of ['/console/../package.json', '/console/%2e%2e/%2e%2e/package.json', `/console/..%2f${dist.split('/').at(-1)}-secret.txt`]) {
      const answer = await get(url)
      expect(answer.body, url).not.toContain('secret')
      expect(answer.body, url).not.toContain('"name"')
    }
    rmSync(join(dist, '..', `${dist.split('/').at(-1)}-secret.txt`))
  })

  it("sends the console's CSP: scripts and styles from self only, connect-src self plus the service origins", async () => {
    const csp = (await get('/console/')).headers['content-security-policy'] as string
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]))
    expect(directives['script-src']).toEqual(["'self'"])
    expect(directives['style-src']).toEqual(["'self'"])
    expect(directives['img-src']).toEqual(["'self'", 'data:'])
    expect(directives['connect-src']).toEqual(["'self'", 'http://127.0.0.1:8095', 'http://127.0.0.1:8096'])
    expect(directives['frame-ancestors']).toEqual(["'self'"])
    // API answers keep the gateway's default set.
    const api = await gw.app.inject({ method: 'GET', url: '/health/live' })
    expect(api.headers['content-security-policy']).not.toContain('connect-src')
  })
})
