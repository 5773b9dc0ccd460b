import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'

/**
 * Proxy safety (issue 10, acceptance 5): what RFC 9111 says a shared cache must not share, web cache poisoning
 * through unkeyed headers, and web cache deception through path confusion. Each attack is made for real against a
 * scripted origin that behaves like the vulnerable applications these attacks rely on.
 */
describe('proxy safety: private responses, cache poisoning, cache deception', () => {
  let origin: ScriptedOrigin
  let gw: TestGateway
  let n = 0
  let base = ''

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    gw = await startGateway({ upstreams: { up: { url: origin.url } } })
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })
  beforeEach(() => {
    base = `/t${++n}-${Date.now()}`
  })
  const get = (path: string, headers: Record<string, string> = {}) => gw.app.inject({ method: 'GET', url: `/proxy/up${path}`, headers })

  describe('responses that must not be shared', () => {
    it('does not share a response to a request with Authorization unless it says public, s-maxage or must-revalidate', async () => {
      origin.on(`${base}/private`, (r) => ({ headers: { 'cache-control': 'max-age=600' }, body: `for ${String(r.headers.authorization)}` }))
      origin.on(`${base}/shared`, () => ({ headers: { 'cache-control': 'public, max-age=600' }, body: 'same for all' }))
      expect((await get(`${base}/private`, { authorization: 'Basic YWxpY2U6eA==' })).body).toBe('for Basic YWxpY2U6eA==')
      const bob = await get(`${base}/private`, { authorization: 'Basic Ym9iOng=' })
      expect(bob.body).toBe('for Basic Ym9iOng=')
      expect(bob.headers['x-cache']).toBe('MISS')
      const anonymous = await get(`${base}/private`)
      expect(anonymous.body).toBe('for undefined')
      await get(`${base}/shared`, { authorization: 'Basic YWxpY2U6eA==' })
      expect((await get(`${base}/shared`)).headers['x-cache']).toBe('HIT')
    })

    it('never stores a response with Set-Cookie, so one user\'s session is not handed to the next', async () => {
      let i = 0
      origin.on(`${base}/login`, () => ({ headers: { 'cache-control': 'public, max-age=600', 'set-cookie': `session=s${++i}; HttpOnly` }, body: 'welcome' }))
      const first = await get(`${base}/login`)
      const second = await get(`${base}/login`)
      expect(first.headers['set-cookie']).toBe('session=s1; HttpOnly')
      expect(second.headers['set-cookie']).toBe('session=s2; HttpOnly')
      expect(second.headers['x-cache']).toBe('MISS')
      expect(origin.hitsOf(`${base}/login`)).toBe(2)
    })
  })

  describe('web cache poisoning through unkeyed headers', () => {
    it.each([
      ['x-forwarded-host', 'evil.example'],
      ['x-forwarded-scheme', 'http'],
      ['x-forwarded-proto', 'http'],
      ['x-original-url', '/admin'],
      ['x-rewrite-url', '/admin'],
      ['x-host', 'evil.example'],
      ['x-http-method-override', 'DELETE'],
      ['forwarded', 'host=evil.example;proto=http'],
    ])('%s never reaches the origin, so it cannot shape a stored response', async (name, value) => {
      // A vulnerable origin: it builds the page from whatever override header it is given.
      origin.on(`${base}/home`, (r) => ({
        headers: { 'cache-control': 'public, max-age=600' },
        body: `<script src="//${String(r.headers[name] ?? 'cdn.example')}/app.js"></script>`,
      }))
      const attack = await get(`${base}/home`, { [name]: value })
      expect(attack.body).not.toContain(value)
      expect(origin.requests.at(-1)?.headers[name]).toBeUndefined()
      const victim = await get(`${base}/home`)
      expect(victim.headers['x-cache']).toBe('HIT')
      expect(victim.body).toBe('<script src="//cdn.example/app.js"></script>')
    })
  })

  describe('web cache deception through path confusion', () => {
    // A vulnerable origin: every path under /account/settings (however suffixed) answers the signed-in user's page.
    const accountPage = (policy: Record<string, string>) => (r: { headers: Record<string, string | string[] | undefined> }) => ({
      headers: { 'content-type': 'text/html', 'last-modified': new Date(Date.now() - 86_400_000).toUTCString(), ...policy },
      body: `<h1>Settings of ${String(r.headers.cookie ?? 'nobody')}</h1>`,
    })
    const confusions = ['/x.css', '/x.js', ';x.css', '%2Fx.css', '%3Bx.css', '%3Fx.css', '%23x.css', '%2F..%2Fx.png']

    it.each([
      ['no caching headers at all (heuristic freshness only)', {}],
      ['Cache-Control: private', { 'cache-control': 'private, max-age=600' }],
      ['Cache-Control: no-store', { 'cache-control': 'no-store' }],
    ])('does not cache the victim\'s page under a static-looking URL when the origin sends %s', async (_label, policy) => {
      for (const suffix of confusions) {
        const target = `${base}/account/settings${suffix}`
        origin.on(target.split('?')[0]!, accountPage(policy))
        const victim = await get(target, { cookie: 'session=victim' })
        expect(victim.body, suffix).toContain('session=victim')
        const attacker = await get(target)
        expect(attacker.headers['x-cache'], suffix).not.toBe('HIT')
        expect(attacker.body, suffix).not.toContain('session=victim')
      }
    })

    it('forwards encoded delimiters as sent: %2F and %3B targets are distinct from / and ; ones', async () => {
      origin.on(`${base}/a%2Fb`, () => ({ headers: { 'cache-control': 'public, max-age=600' }, body: 'encoded' }))
      origin.on(`${base}/a/b`, () => ({ headers: { 'cache-control': 'public, max-age=600' }, body: 'plain' }))
      expect((await get(`${base}/a%2Fb`)).body).toBe('encoded')
      expect((await get(`${base}/a/b`)).body).toBe('plain')
      expect((await get(`${base}/a%2Fb`)).body).toBe('encoded')
    })

    it('still caches a public page requested with a cookie when the origin says it is cacheable', async () => {
      origin.on(`${base}/logo.css`, () => ({ headers: { 'cache-control': 'public, max-age=600' }, body: 'body{}' }))
      await get(`${base}/logo.css`, { cookie: 'session=anyone' })
      expect((await get(`${base}/logo.css`)).headers['x-cache']).toBe('HIT')
    })
  })
})
