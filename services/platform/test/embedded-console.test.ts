import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbedded, type Embedded } from '../src/embedded.js'

/**
 * `pnpm start` runs the alerting service in-process beside the gateway: same API keys, memory store and queue, the
 * gateway's /metrics as its source, CORS for the console's origin (the gateway's), listed in /console/config.json.
 */
describe('embedded platform: in-process alerting for the console', () => {
  let embedded: Embedded
  beforeAll(async () => {
    embedded = await startEmbedded({ port: 0, originPort: 0, alertingPort: 0, analyticsPort: 0 })
  })
  afterAll(async () => embedded.close())

  it('serves alerting on its own port with the admin key, default rules loaded; 401 without a key', async () => {
    expect(embedded.urls.alerting).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(embedded.urls.alerting).not.toBe(embedded.urls.gateway)
    const rules = await fetch(`${embedded.urls.alerting}/rules`, { headers: { authorization: `Bearer ${embedded.adminKey}` } })
    expect(rules.status).toBe(200)
    const names = JSON.stringify(await rules.json())
    expect(names).toContain('hit-ratio-below-half')
    expect(names).toContain('gateway-errors')
    // strata.errors.v1 is read on the in-process bus: the default rule over dead-lettered work runs too.
    expect(names).toContain('dead-lettered-work')
    expect((await fetch(`${embedded.urls.alerting}/rules`)).status).toBe(401)
    const alerts = await fetch(`${embedded.urls.alerting}/alerts`, { headers: { authorization: `Bearer ${embedded.adminKey}` } })
    expect(alerts.status).toBe(200)
  })

  it('lists alerting and analytics in /console/config.json, mode embedded; urls.console is /console/', async () => {
    expect(embedded.urls.console).toBe(`${embedded.urls.gateway}/console/`)
    const config = await fetch(`${embedded.urls.gateway}/console/config.json`)
    expect(config.status).toBe(200)
    expect(await config.json()).toEqual({ mode: 'embedded', version: '0.1.0', services: { alerting: embedded.urls.alerting, analytics: embedded.urls.analytics } })
    const csp = (await fetch(`${embedded.urls.gateway}/console/config.json`)).headers.get('content-security-policy') ?? ''
    expect(csp).toContain(`connect-src 'self' ${embedded.urls.alerting} ${embedded.urls.analytics}`)
  })

  it("answers a CORS preflight from the gateway's origin (before auth), and not from another origin", async () => {
    const origin = new URL(embedded.urls.gateway).origin
    const preflight = await fetch(`${embedded.urls.alerting}/silences`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('DELETE')
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')
    const actual = await fetch(`${embedded.urls.alerting}/rules`, { headers: { origin, authorization: `Bearer ${embedded.adminKey}` } })
    expect(actual.status).toBe(200)
    expect(actual.headers.get('access-control-allow-origin')).toBe(origin)

    const stranger = await fetch(`${embedded.urls.alerting}/rules`, { headers: { origin: 'http://evil.example', authorization: `Bearer ${embedded.adminKey}` } })
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull()
    const strangerPreflight = await fetch(`${embedded.urls.alerting}/rules`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } })
    expect(strangerPreflight.headers.get('access-control-allow-origin')).toBeNull()
  })

  it("scrapes the gateway's own /metrics with the admin key, without a source error", async () => {
    const key = { authorization: `Bearer ${embedded.adminKey}` }
    const scrapes = async () => {
      const text = await (await fetch(embedded.urls.metrics, { headers: key })).text()
      const line = text.split('\n').find((l) => l.startsWith('strata_http_request_duration_seconds_count') && l.includes('route="/metrics"') && l.includes('status_code="200"'))
      return Number(line?.split(' ').at(-1) ?? 0)
    }
    const before = await scrapes()
    await embedded.alerting.alerting.evaluate()
    // Our own read above, plus the alerting service's scrape.
    expect(await scrapes()).toBeGreaterThanOrEqual(before + 2)
    const own = await (await fetch(`${embedded.urls.alerting}/metrics`, { headers: key })).text()
    expect(own).not.toMatch(/strata_alerting_source_errors_total\{source="gateway"\} [1-9]/)
    // Readiness in the service shell's shape: the evaluation check is up and its last evaluation succeeded.
    expect(await (await fetch(`${embedded.urls.alerting}/health/ready`)).json()).toMatchObject({
      status: 'ready',
      checks: { evaluation: { status: 'up', detail: expect.stringMatching(/^last evaluation succeeded/) } },
    })
  })
})
