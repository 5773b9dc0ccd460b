import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { ScriptedOrigin, TestClock, startGateway, type OriginReply, type TestGateway } from './support/harness.js'

/**
 * The proxy's HTTP caching rules, one test per rule (RFC 9111, RFC 5861). The origin is a Fastify server whose
 * answers each test scripts; the clock is the test's, so freshness and age are exact. Stored responses live in
 * real Redis (plus L1).
 */
describe('caching reverse proxy: RFC 9111 / RFC 5861', () => {
  let origin: ScriptedOrigin
  let gw: TestGateway
  let clock: TestClock
  let n = 0
  let path = ''

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
  })
  afterAll(async () => origin.stop())
  beforeEach(async () => {
    clock = new TestClock()
    gw = await startGateway({ clock: clock.now, upstreams: { up: { url: origin.url, timeoutMs: 2_000 } } })
    path = `/r/${++n}-${Date.now()}`
  })
  afterEach(async () => gw.stop())

  /** Scripts the test's path; `date` defaults to the test clock (so apparent age is 0). */
  function serve(reply: (i: number) => OriginReply | { status?: number; headers?: Record<string, string | undefined>; body?: string }): void {
    let i = 0
    origin.on(path, () => {
      const answer = reply(i++)
      const headers = Object.fromEntries(Object.entries({ date: new Date(clock.time).toUTCString(), ...answer.headers }).filter(([, v]) => v !== undefined)) as Record<string, string>
      return { ...answer, headers }
    })
  }
  const get = (headers: Record<string, string> = {}, p = path) => gw.app.inject({ method: 'GET', url: `/proxy/up${p}`, headers })
  const hits = () => origin.hitsOf(path)

  it('max-age: fresh responses are HITs with a growing Age; once stale, the origin is asked again', async () => {
    serve((i) => ({ headers: { 'cache-control': 'max-age=60' }, body: `v${i}` }))
    const miss = await get()
    expect(miss.headers['x-cache']).toBe('MISS')
    expect(miss.body).toBe('v0')
    clock.advance(10_000)
    const hit = await get()
    expect(hit.headers['x-cache']).toBe('HIT')
    expect(hit.headers.age).toBe('10')
    expect(hit.body).toBe('v0')
    clock.advance(51_000)
    const after = await get()
    expect(after.headers['x-cache']).toBe('MISS')
    expect(after.body).toBe('v1')
    expect(hits()).toBe(2)
  })

  it('s-maxage wins over max-age for a shared cache', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=1, s-maxage=100' }, body: 'x' }))
    await get()
    clock.advance(50_000)
    expect((await get()).headers['x-cache']).toBe('HIT')
    expect(hits()).toBe(1)
  })

  it('Expires minus Date gives the freshness lifetime when there is no max-age; an invalid Expires is stale', async () => {
    serve(() => ({ headers: { expires: new Date(clock.time + 30_000).toUTCString() }, body: 'x' }))
    await get()
    clock.advance(20_000)
    expect((await get()).headers['x-cache']).toBe('HIT')
    clock.advance(11_000)
    expect((await get()).headers['x-cache']).toBe('MISS')

    const other = `${path}-bad`
    origin.on(other, () => ({ headers: { expires: '0', 'cache-control': 'public' }, body: 'x' }))
    await get({}, other)
    expect((await get({}, other)).headers['x-cache']).toBe('MISS')
    expect(origin.hitsOf(other)).toBe(2)
  })

  it('heuristic freshness: 10% of the Last-Modified age, only without explicit expiry and for heuristically cacheable codes', async () => {
    // Last modified 1000 s ago → fresh for 100 s.
    serve(() => ({ headers: { 'last-modified': new Date(clock.time - 1_000_000).toUTCString() }, body: 'x' }))
    await get()
    clock.advance(90_000)
    expect((await get()).headers['x-cache']).toBe('HIT')
    clock.advance(20_000)
    expect((await get()).headers['x-cache']).not.toBe('HIT')

    // 302 is not heuristically cacheable: never stored without explicit freshness.
    const redirect = `${path}-302`
    origin.on(redirect, () => ({ status: 302, headers: { location: '/x', 'last-modified': new Date(clock.time - 1_000_000).toUTCString() } }))
    await get({}, redirect)
    await get({}, redirect)
    expect(origin.hitsOf(redirect)).toBe(2)

    // Explicit max-age=0 beats the heuristic.
    const explicit = `${path}-explicit`
    origin.on(explicit, () => ({ headers: { 'cache-control': 'max-age=0', 'last-modified': new Date(clock.time - 1_000_000).toUTCString() }, body: 'x' }))
    await get({}, explicit)
    expect((await get({}, explicit)).headers['x-cache']).not.toBe('HIT')
  })

  it('Age: the corrected initial age counts the origin Age header and the apparent age from Date (§4.2.3)', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=100', age: '30' }, body: 'x' }))
    const miss = await get()
    expect(miss.headers.age).toBe('30')
    clock.advance(5_000)
    expect((await get()).headers.age).toBe('35')
    clock.advance(66_000) // age 101 > 100
    expect((await get()).headers['x-cache']).toBe('MISS')

    const dated = `${path}-dated`
    origin.on(dated, () => ({ headers: { 'cache-control': 'max-age=100', date: new Date(clock.time - 40_000).toUTCString() }, body: 'x' }))
    expect((await get({}, dated)).headers.age).toBe('40')
  })

  it('no-store (response or request) is never stored', async () => {
    serve(() => ({ headers: { 'cache-control': 'no-store, max-age=100' }, body: 'x' }))
    await get()
    expect((await get()).headers['x-cache']).toBe('MISS')
    expect(hits()).toBe(2)

    const other = `${path}-req`
    origin.on(other, () => ({ headers: { 'cache-control': 'max-age=100' }, body: 'x' }))
    await get({ 'cache-control': 'no-store' }, other)
    expect((await get({}, other)).headers['x-cache']).toBe('MISS')
  })

  it('private is never stored in a shared cache', async () => {
    serve(() => ({ headers: { 'cache-control': 'private, max-age=100' }, body: 'x' }))
    await get()
    await get()
    expect(hits()).toBe(2)
  })

  it('no-cache (response): stored, but always revalidated; a 304 answers REVALIDATED', async () => {
    serve((i) => (i === 0 ? { headers: { 'cache-control': 'no-cache', etag: '"a"' }, body: 'body-a' } : { status: 304, headers: { etag: '"a"' } }))
    await get()
    const second = await get()
    expect(second.headers['x-cache']).toBe('REVALIDATED')
    expect(second.body).toBe('body-a')
    expect(hits()).toBe(2)
    expect(origin.requests.at(-1)!.headers['if-none-match']).toBe('"a"')
  })

  it('conditional revalidation with Last-Modified/If-Modified-Since; the 304 refreshes stored headers and freshness', async () => {
    const lastModified = new Date(clock.time - 3_600_000).toUTCString()
    serve((i) =>
      i === 0
        ? { headers: { 'cache-control': 'max-age=10', 'last-modified': lastModified, 'x-version': '1' }, body: 'payload' }
        : { status: 304, headers: { 'cache-control': 'max-age=60', 'x-version': '2' } },
    )
    await get()
    clock.advance(11_000)
    const revalidated = await get()
    expect(revalidated.headers['x-cache']).toBe('REVALIDATED')
    expect(revalidated.body).toBe('payload')
    expect(revalidated.headers['x-version']).toBe('2')
    expect(origin.requests.at(-1)!.headers['if-modified-since']).toBe(lastModified)
    // Fresh again for 60 s from the 304.
    clock.advance(50_000)
    const hit = await get()
    expect(hit.headers['x-cache']).toBe('HIT')
    expect(hit.headers['x-version']).toBe('2')
    expect(hits()).toBe(2)
  })

  it('ETag revalidation: a changed resource (200) replaces the stored one', async () => {
    serve((i) => ({ headers: { 'cache-control': 'max-age=1', etag: `"v${i}"` }, body: `v${i}` }))
    await get()
    clock.advance(2_000)
    const changed = await get()
    expect(changed.headers['x-cache']).toBe('MISS')
    expect(changed.body).toBe('v1')
    expect((await get()).body).toBe('v1')
  })

  it('must-revalidate and proxy-revalidate: no stale serving once stale, even with stale-while-revalidate / stale-if-error', async () => {
    for (const directive of ['must-revalidate', 'proxy-revalidate']) {
      const p = `${path}-${directive}`
      let i = 0
      origin.on(p, () => (i++ === 0 ? { headers: { 'cache-control': `max-age=1, ${directive}, stale-while-revalidate=100, stale-if-error=100` }, body: 'x' } : { status: 500 }))
      await get({}, p)
      clock.advance(2_000)
      const answer = await get({}, p)
      expect(answer.statusCode, directive).toBe(500)
      expect(answer.headers['x-cache'], directive).toBe('MISS')
    }
  })

  it('Vary: variants are stored per selecting request header; Vary: * is never stored', async () => {
    serve((i) => ({ headers: { 'cache-control': 'max-age=100', vary: 'Accept-Language' }, body: `n${i}` }))
    const en = await get({ 'accept-language': 'en' })
    const fr = await get({ 'accept-language': 'fr' })
    expect(en.body).toBe('n0')
    expect(fr.body).toBe('n1')
    expect((await get({ 'accept-language': 'en' })).body).toBe('n0')
    expect((await get({ 'accept-language': 'fr' })).headers['x-cache']).toBe('HIT')
    expect((await get()).headers['x-cache']).toBe('MISS') // absent header is its own variant
    expect(hits()).toBe(3)

    const star = `${path}-star`
    origin.on(star, () => ({ headers: { 'cache-control': 'max-age=100', vary: '*' }, body: 'x' }))
    await get({}, star)
    expect((await get({}, star)).headers['x-cache']).toBe('MISS')
  })

  it('Authorization: not stored or served from the shared cache unless the response says public, s-maxage or must-revalidate', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=100' }, body: 'secret' }))
    await get({ authorization: 'Bearer a' })
    await get({ authorization: 'Bearer a' })
    expect(hits()).toBe(2)
    // A response stored for an anonymous request is not served to an authorised one.
    await get()
    expect((await get()).headers['x-cache']).toBe('HIT')
    expect((await get({ authorization: 'Bearer a' })).headers['x-cache']).not.toBe('HIT')

    const open = `${path}-public`
    origin.on(open, () => ({ headers: { 'cache-control': 'public, max-age=100' }, body: 'shared' }))
    await get({ authorization: 'Bearer a' }, open)
    expect((await get({ authorization: 'Bearer b' }, open)).headers['x-cache']).toBe('HIT')
    expect(origin.hitsOf(open)).toBe(1)
  })

  it('Set-Cookie responses are not stored (a deliberate safe choice)', async () => {
    serve(() => ({ headers: { 'cache-control': 'public, max-age=100', 'set-cookie': 'sid=1' }, body: 'x' }))
    await get()
    expect((await get()).headers['x-cache']).toBe('MISS')
    expect(hits()).toBe(2)
  })

  it('only GET/HEAD are cached; HEAD is answered from a stored GET; a POST that succeeds invalidates the URL', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=100' }, body: 'x' }))
    await get()
    const head = await gw.app.inject({ method: 'HEAD', url: `/proxy/up${path}` })
    expect(head.headers['x-cache']).toBe('HIT')
    expect(head.body).toBe('')
    const post = await gw.app.inject({ method: 'POST', url: `/proxy/up${path}`, headers: { 'content-type': 'text/plain' }, payload: 'change' })
    expect(post.headers['x-cache']).toBe('BYPASS')
    expect(origin.requests.at(-1)).toMatchObject({ method: 'POST' })
    expect((await get()).headers['x-cache']).toBe('MISS')
  })

  it('only cacheable status codes: a 500 is not stored; a 404 with max-age is', async () => {
    serve(() => ({ status: 500, headers: { 'cache-control': 'no-cache' }, body: 'err' }))
    await get()
    await get()
    expect(hits()).toBe(2)
    const missing = `${path}-404`
    origin.on(missing, () => ({ status: 404, headers: { 'cache-control': 'max-age=100' }, body: 'nope' }))
    await get({}, missing)
    const again = await get({}, missing)
    expect(again.statusCode).toBe(404)
    expect(again.headers['x-cache']).toBe('HIT')
  })

  it('request Cache-Control: no-cache and max-age=0 force revalidation; only-if-cached answers 504 when nothing is stored', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=100', etag: '"e"' }, body: 'x' }))
    const nothing = await get({ 'cache-control': 'only-if-cached' })
    expect(nothing.statusCode).toBe(504)
    expect(nothing.json()).toMatchObject({ code: 'E_NOT_CACHED' })
    expect(hits()).toBe(0)
    await get()
    expect((await get({ 'cache-control': 'only-if-cached' })).headers['x-cache']).toBe('HIT')
    await get({ 'cache-control': 'no-cache' })
    await get({ 'cache-control': 'max-age=0' })
    expect(hits()).toBe(3)
    clock.advance(20_000)
    expect((await get({ 'cache-control': 'max-age=10' })).headers['x-cache']).not.toBe('HIT')
  })

  it('request max-stale: a stale response is served within the staleness the client accepts, never past must-revalidate', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=1', etag: '"e"' }, body: 'x' }))
    await get()
    clock.advance(5_000)
    const within = await get({ 'cache-control': 'max-stale=10' })
    expect(within.headers['x-cache']).toBe('STALE')
    expect(within.body).toBe('x')
    expect(within.headers.age).toBe('5')
    expect((await get({ 'cache-control': 'max-stale' })).headers['x-cache']).toBe('STALE')
    expect(hits()).toBe(1)
    expect((await get({ 'cache-control': 'max-stale=2' })).headers['x-cache']).not.toBe('STALE')
    expect(hits()).toBe(2)

    const strict = `${path}-strict`
    origin.on(strict, () => ({ headers: { 'cache-control': 'max-age=1, must-revalidate', etag: '"s"', date: new Date(clock.time).toUTCString() }, body: 's' }))
    await get({}, strict)
    clock.advance(5_000)
    expect((await get({ 'cache-control': 'max-stale=60' }, strict)).headers['x-cache']).not.toBe('STALE')
    expect(origin.hitsOf(strict)).toBe(2)
  })

  it('stale-while-revalidate: serves STALE at once and revalidates in the background exactly once', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    serve((i) => (i === 0 ? { headers: { 'cache-control': 'max-age=1, stale-while-revalidate=60' }, body: 'old' } : { headers: { 'cache-control': 'max-age=100' }, body: 'new' }))
    await get()
    const slowOrigin = path
    origin.on(slowOrigin, async () => {
      await gate
      return { headers: { 'cache-control': 'max-age=100', date: new Date(clock.time).toUTCString() }, body: 'new' }
    })
    clock.advance(5_000)
    const stale = await Promise.all([get(), get(), get()])
    for (const answer of stale) {
      expect(answer.headers['x-cache']).toBe('STALE')
      expect(answer.body).toBe('old')
    }
    release()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(hits()).toBe(2)
    const fresh = await get()
    expect(fresh.headers['x-cache']).toBe('HIT')
    expect(fresh.body).toBe('new')
    // Past the stale-while-revalidate window a stale response is not served without revalidation.
    const late = `${path}-late`
    origin.on(late, () => ({ headers: { 'cache-control': 'max-age=1, stale-while-revalidate=5', date: new Date(clock.time).toUTCString() }, body: 'x' }))
    await get({}, late)
    clock.advance(10_000)
    expect((await get({}, late)).headers['x-cache']).toBe('MISS')
  })

  it('stale-if-error: serves STALE on origin 5xx or connection failure within the window, the error after it', async () => {
    let mode: 'ok' | '503' = 'ok'
    serve(() => (mode === 'ok' ? { headers: { 'cache-control': 'max-age=1, stale-if-error=30' }, body: 'good' } : { status: 503, body: 'down' }))
    await get()
    mode = '503'
    clock.advance(10_000)
    const stale = await get()
    expect(stale.headers['x-cache']).toBe('STALE')
    expect(stale.body).toBe('good')
    clock.advance(30_000)
    expect((await get()).statusCode).toBe(503)

    // Connection refused: an upstream that is down.
    const down = await startGateway({ clock: clock.now, upstreams: { up: { url: origin.url, timeoutMs: 2_000 } } })
    try {
      const p = `${path}-conn`
      origin.on(p, () => ({ headers: { 'cache-control': 'max-age=1, stale-if-error=30', date: new Date(clock.time).toUTCString() }, body: 'kept' }))
      await down.app.inject(`/proxy/up${p}`)
      await origin.stop()
      clock.advance(5_000)
      const answer = await down.app.inject(`/proxy/up${p}`)
      expect(answer.headers['x-cache']).toBe('STALE')
      expect(answer.body).toBe('kept')
      clock.advance(60_000)
      const failed = await down.app.inject(`/proxy/up${p}`)
      expect(failed.statusCode).toBe(502)
      expect(failed.json()).toMatchObject({ code: 'E_ORIGIN_FAILED' })
    } finally {
      await down.stop()
      origin = await new ScriptedOrigin().start()
    }
  })

  it('request coalescing: concurrent misses for one URL make one origin request', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=100' }, body: 'once' }))
    origin.on(path, async () => {
      await new Promise((resolve) => setTimeout(resolve, 100))
      return { headers: { 'cache-control': 'max-age=100', date: new Date(clock.time).toUTCString() }, body: 'once' }
    })
    const answers = await Promise.all(Array.from({ length: 10 }, () => get()))
    expect(answers.every((a) => a.body === 'once')).toBe(true)
    expect(hits()).toBe(1)
  })

  it('coalescing never shares an uncacheable (private) response between clients', async () => {
    let i = 0
    origin.on(path, async () => {
      await new Promise((resolve) => setTimeout(resolve, 100))
      return { headers: { 'cache-control': 'private' }, body: `user-${i++}` }
    })
    const answers = await Promise.all([get(), get()])
    expect(new Set(answers.map((a) => a.body)).size).toBe(2)
  })

  it('purge by URL removes every variant; purge by Surrogate-Key removes each tagged response; Surrogate-Key is not shown to clients', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=100', vary: 'accept', 'surrogate-key': 'k1 k2' }, body: 'x' }))
    await get({ accept: 'a' })
    await get({ accept: 'b' })
    const hit = await get({ accept: 'a' })
    expect(hit.headers['x-cache']).toBe('HIT')
    expect(hit.headers['surrogate-key']).toBeUndefined()

    const purge = (body: unknown) => gw.app.inject({ method: 'POST', url: '/v1/proxy/purge', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })
    expect((await purge({ url: `/proxy/up${path}` })).statusCode).toBe(200)
    expect((await get({ accept: 'a' })).headers['x-cache']).toBe('MISS')
    expect((await get({ accept: 'b' })).headers['x-cache']).toBe('MISS')

    const other = `${path}-other`
    origin.on(other, () => ({ headers: { 'cache-control': 'max-age=100', 'surrogate-key': 'k2 k3' }, body: 'y' }))
    await get({}, other)
    await purge({ upstream: 'up', surrogateKeys: ['k2'] })
    expect((await get({ accept: 'a' })).headers['x-cache']).toBe('MISS')
    expect((await get({}, other)).headers['x-cache']).toBe('MISS')
    expect((await purge({ upstream: 'nope', surrogateKeys: ['k'] })).json()).toMatchObject({ code: 'E_UPSTREAM_NOT_FOUND' })
  })

  it('a client validator matching the stored response gets a 304 from the cache', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=100', etag: '"z"' }, body: 'x' }))
    await get()
    const notModified = await get({ 'if-none-match': '"z"' })
    expect(notModified.statusCode).toBe(304)
    expect(notModified.headers['x-cache']).toBe('HIT')
    expect(hits()).toBe(1)
  })

  it('an unknown upstream is a 404 problem', async () => {
    const res = await gw.app.inject('/proxy/nope/x')
    expect(res.statusCode).toBe(404)
    expect(res.json()).toMatchObject({ code: 'E_UPSTREAM_NOT_FOUND' })
  })
})
