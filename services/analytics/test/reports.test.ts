import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { AccessEvent } from '@strata/bus'
import { zipfKeys } from '@strata/testkit'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SeriesReport } from '@strata/api'
import { MAX_BUCKETS_PER_REQUEST, type AnalyticsReport } from '../src/app.js'
import { startAnalytics, type AnalyticsHarness } from './support/analytics-harness.js'

const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium'

describe('reports: JSON, CSV and a self-contained HTML page with charts', () => {
  let harness: AnalyticsHarness
  let port: number
  const now = Date.now()

  beforeAll(async () => {
    harness = await startAnalytics({ kafka: false })
    // 30 minutes of traffic on two namespaces; the last minute's hit ratio collapses (an anomaly to flag).
    const keys = zipfKeys({ items: 2_000, accesses: 30_000, exponent: 1, seed: 3 })
    for (let minute = 0; minute < 30; minute++) {
      const at = now - (30 - minute) * 60_000 + 1_000
      const accesses: AccessEvent[] = []
      for (let i = 0; i < 1_000; i++) {
        const key = `product:${keys[minute * 1_000 + i]}`
        const hit = minute === 29 ? i % 10 === 0 : i % 5 !== 0
        accesses.push({ namespace: 'catalog', key, operation: 'get', result: hit ? 'hit' : 'miss', tier: hit ? (i % 3 === 0 ? 'l2' : 'l1') : 'origin', latencyMs: hit ? 0.05 + (i % 7) / 10 : 5 + (i % 13), bytes: 512, at })
      }
      accesses.push({ namespace: 'sessions', key: `s${minute}`, operation: 'set', result: 'ok', latencyMs: 1.2, sampleRate: 0.5, hashed: true, at })
      harness.analytics.state.ingestAccessBatch({ instance: 'gw', accesses, dropped: 0, evictions: { catalog: 3 }, l1MaxEntries: 500 })
      harness.analytics.state.ingestError({ service: 'gateway', code: 'E_ORIGIN_TIMEOUT', message: 'origin slow', namespace: 'catalog', at })
    }
    harness.analytics.state.ingestInvalidation({ origin: 'invalidator', namespace: 'catalog', kind: 'keys', keys: ['product:1'], at: now - 60_000 })
    await harness.analytics.flusher.flush()
    // Port 0: the OS picks a free one, so parallel runs and other suites never collide.
    await harness.analytics.http.listen({ host: '127.0.0.1', port: 0 })
    port = (harness.analytics.http.server.address() as AddressInfo).port
  }, 60_000)

  afterAll(async () => {
    await harness?.stop()
  })

  it('JSON: per-namespace usage, tiers with HDR percentiles, hot keys, MRC, errors, anomaly on the last minute', async () => {
    const response = await harness.analytics.http.inject({ method: 'GET', url: '/v1/report?window=1h' })
    expect(response.statusCode).toBe(200)
    const report = response.json<AnalyticsReport>()
    const catalog = report.namespaces.find((ns) => ns.namespace === 'catalog')!
    expect(catalog.requests).toBe(30_000)
    expect(catalog.hitRatio).toBeCloseTo((29 * 800 + 100) / 30_000, 6)
    expect(catalog.evictions).toBe(90)
    expect(catalog.bytes).toBe(30_000 * 512)
    const origin = catalog.tiers.find((tier) => tier.tier === 'origin')!
    expect(origin.latency.p50).toBeGreaterThan(5)
    expect(origin.latency.p999).toBeGreaterThanOrEqual(origin.latency.p99)
    expect(catalog.hotKeys[0]!.key).toMatch(/^product:/)
    expect(catalog.mrc!.points.length).toBeGreaterThan(3)
    // "An L1 of N× this size": read against the capacity the gateway reported.
    expect(catalog.mrc!.l1MaxEntries).toBe(500)
    expect(catalog.mrc!.relative!.map((point) => [point.multiple, point.size])).toEqual([[0.25, 125], [0.5, 250], [1, 500], [2, 1000], [4, 2000], [8, 4000]])
    const relative = catalog.mrc!.relative!.map((point) => point.hitRatio)
    for (let i = 1; i < relative.length; i++) expect(relative[i]).toBeGreaterThanOrEqual(relative[i - 1]!)
    expect(catalog.series).toHaveLength(30)
    expect(catalog.anomalies.some((anomaly) => anomaly.metric === 'hitRatio' && anomaly.z < -3)).toBe(true)
    // Sampled at 0.5: one received set stands for two.
    expect(report.namespaces.find((ns) => ns.namespace === 'sessions')!.requests).toBe(60)
    expect(report.errors).toEqual([{ code: 'E_ORIGIN_TIMEOUT', service: 'gateway', namespace: 'catalog', count: 30 }])
    expect(report.invalidations).toEqual([{ namespace: 'catalog', kind: 'keys', count: 1, keys: 1 }])
  })

  it('series: every namespace bucket by bucket (the Overview history of the console), or one namespace, over the window asked', async () => {
    const all = (await harness.analytics.http.inject({ method: 'GET', url: '/v1/series?window=1h' })).json<SeriesReport>()
    expect(all.namespace).toBeNull()
    expect(all.window.granularity).toBe('minute')
    expect(all.series).toHaveLength(30)
    // Each minute: 1,000 reads of catalog and one sampled set of sessions standing for two.
    expect(all.series.every((point) => point.requests === 1_002)).toBe(true)
    expect(all.series[0]!.hitRatio).toBeCloseTo(0.8, 6)
    expect(all.series.at(-1)!.hitRatio).toBeCloseTo(0.1, 6)
    expect(all.series[0]!.p50Ms).toBeGreaterThan(0)
    expect(all.series[0]!.p99Ms).toBeGreaterThanOrEqual(all.series[0]!.p50Ms!)
    const sessions = (await harness.analytics.http.inject({ method: 'GET', url: '/v1/series?window=1h&namespace=sessions' })).json<SeriesReport>()
    expect(sessions.namespace).toBe('sessions')
    expect(sessions.series.map((point) => [point.requests, point.hitRatio, point.p99Ms])).toEqual(Array.from({ length: 30 }, () => [2, null, null]))
    const lastQuarter = (await harness.analytics.http.inject({ method: 'GET', url: '/v1/series?window=15m' })).json<SeriesReport>()
    expect(lastQuarter.series.length).toBeLessThanOrEqual(15)
    const hourly = (await harness.analytics.http.inject({ method: 'GET', url: '/v1/series?window=7d&granularity=hour' })).json<SeriesReport>()
    expect(hourly.series.reduce((sum, point) => sum + point.requests, 0)).toBe(30 * 1_002)
    expect((await harness.analytics.http.inject({ method: 'GET', url: '/v1/series?window=soon' })).statusCode).toBe(400)
  })

  it('CSV: one line per bucket, namespace and tier, with a header', async () => {
    const response = await harness.analytics.http.inject({ method: 'GET', url: '/v1/report.csv?window=1h&namespace=catalog&granularity=hour' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('text/csv')
    const lines = response.body.trim().split('\r\n')
    expect(lines[0]).toBe('bucket,granularity,namespace,tier,requests,hits,misses,stale,hit_ratio,bytes,evictions,p50_ms,p90_ms,p99_ms,p999_ms,max_ms')
    const rows = lines.slice(1).map((line) => line.split(','))
    expect(rows.every((row) => row[1] === 'hour' && row[2] === 'catalog')).toBe(true)
    expect(rows.reduce((sum, row) => sum + Number(row[4]), 0)).toBe(30_000)
  })

  it('refuses bad parameters with problem+json E_INVALID_REQUEST', async () => {
    for (const url of ['/v1/report?window=forever', '/v1/report.csv?granularity=week', '/v1/report.html?from=yesterday', '/v1/report?namespace=%20bad', '/v1/series?from=0&to=99999999999999999999']) {
      const response = await harness.analytics.http.inject({ method: 'GET', url })
      expect(response.statusCode, url).toBe(400)
      expect(response.headers['content-type']).toContain('application/problem+json')
      expect(response.json<{ code: string }>().code).toBe('E_INVALID_REQUEST')
    }
  })

  it(`refuses a window of more than ${MAX_BUCKETS_PER_REQUEST} buckets with a 400 naming the parameter, and takes it at a coarser granularity`, async () => {
    const refused = async (url: string, parameter: string) => {
      const response = await harness.analytics.http.inject({ method: 'GET', url })
      expect(response.statusCode, url).toBe(400)
      expect(response.headers['content-type']).toContain('application/problem+json')
      const problem = response.json<{ code: string; detail: string }>()
      expect(problem.code).toBe('E_INVALID_REQUEST')
      expect(problem.detail, url).toContain(parameter)
      expect(problem.detail, url).toContain(`more than the ${MAX_BUCKETS_PER_REQUEST}`)
      return problem.detail
    }
    // 9999 days of minutes (14.4 million buckets) was answered before, bucket by bucket.
    expect(await refused('/v1/series?window=9999d', 'window=9999d')).toContain('granularity=hour or day')
    await refused('/v1/series?window=8d&namespace=catalog', 'window=8d')
    await refused('/v1/report?window=30d', 'window=30d')
    await refused(`/v1/report.csv?from=0&to=${now}&granularity=hour`, 'from..to')
    await refused('/v1/report.html?window=169h', 'window=169h')
    // A week of minutes is the widest that fits; wider spans fit at a coarser granularity.
    for (const url of ['/v1/report?window=7d', '/v1/series?window=8d&granularity=hour', '/v1/report?window=9999d&granularity=day', `/v1/report.csv?from=${now - 86_400_000}&to=${now}`]) {
      expect((await harness.analytics.http.inject({ method: 'GET', url })).statusCode, url).toBe(200)
    }
    const hourly = (await harness.analytics.http.inject({ method: 'GET', url: '/v1/series?window=8d&granularity=hour' })).json<SeriesReport>()
    expect(hourly.series.reduce((sum, point) => sum + point.requests, 0)).toBe(30_060)
  })

  it('answers unknown routes with problem+json E_ROUTE_NOT_FOUND', async () => {
    const response = await harness.analytics.http.inject({ method: 'GET', url: '/v1/nothing-here' })
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(response.json<{ code: string }>().code).toBe('E_ROUTE_NOT_FOUND')
  })

  it('HTML renders in headless Chromium with non-empty charts (screenshot taken)', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      const requests: string[] = []
      page.on('request', (request) => requests.push(request.url()))
      const response = await page.goto(`http://127.0.0.1:${port}/v1/report.html?window=1h`)
      expect(response?.status()).toBe(200)
      // Rendered under a CSP that lets nothing load or frame it but its own inline stylesheet.
      expect(response?.headers()).toMatchObject({
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      })
      // Self-contained: the page itself is the only request.
      expect(requests).toHaveLength(1)
      const catalog = page.locator('section[data-namespace="catalog"]')
      await expect(catalog.locator('h2').textContent()).resolves.toContain('catalog')
      const charts = catalog.locator('svg.chart')
      expect(await charts.count()).toBe(4)
      expect(await catalog.locator('svg.chart text.empty').count()).toBe(0)
      // Line charts have drawn points; the latency chart has drawn bars with a height.
      const lines = await catalog.locator('polyline.series').all()
      const pointCounts = await Promise.all(lines.map(async (line) => ((await line.getAttribute('points')) ?? '').trim().split(/\s+/).length))
      expect(pointCounts.length).toBe(3)
      expect(Math.min(...pointCounts)).toBeGreaterThan(3)
      // As laid out by Chromium, not as written in the markup.
      const barHeights = await Promise.all((await catalog.locator('rect.bar').all()).map(async (bar) => (await bar.boundingBox())?.height ?? 0))
      expect(barHeights.filter((height) => height > 0).length).toBeGreaterThan(4)
      const box = await charts.first().boundingBox()
      expect(box!.width).toBeGreaterThan(300)
      await expect(page.locator('.flag').first().textContent()).resolves.toContain('hitRatio')
      const screenshot = join(mkdtempSync(join(tmpdir(), 'strata-report-')), 'report.png')
      await page.screenshot({ path: screenshot, fullPage: true })
      expect(statSync(screenshot).size).toBeGreaterThan(20_000)
      if (process.env.STRATA_PRINT_FIGURES === '1') console.log(`screenshot: ${screenshot}`)
    } finally {
      await browser.close()
    }
  }, 60_000)
})
