import { eventually } from '@strata/testkit'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, linePixels, screenshot, seriousViolations } from './browser.js'

/** Where the journey runs: a gateway serving /console/, its admin key, and the alerting service the console uses. */
export interface ConsoleTarget {
  gatewayUrl: string
  adminKey: string
  alertingUrl: string
  /** An analytics service is connected (config.json lists it) and receives the gateway's access events. */
  analytics: boolean
  /** A proxy upstream of the gateway and a path below it whose answer the proxy may store (the Overview's proxy panel). */
  proxy: { upstream: string; path: string }
  /** Write the user guide's screenshots (docs/console/*.png) from this run. */
  screenshots: boolean
  close(): Promise<void>
}

// Light theme's first chart line (services/console/src/components/TimeChart.tsx PALETTE.light[0]).
const FIRST_LINE_LIGHT: [number, number, number] = [0x1f, 0x5f, 0xbf]
const PAGES = ['Overview', 'Namespaces', 'Key browser', 'Invalidation', 'Analytics', 'Alerts', 'Audit', 'Settings', 'Get started'] as const

/**
 * The acceptance journey of issue #11 in one headless Chromium page, step by step: sign in, onboarding, a namespace,
 * a key written through the API found in the key browser, invalidated (dry run, confirm) and gone, the overview's
 * charts drawing real traffic, an alert made to fire through the alerting API and silenced from the UI, the audit
 * log, settings remembered per key, and axe-core on every page in both themes.
 */
export function consoleJourney(name: string, start: () => Promise<ConsoleTarget>): void {
  describe(name, () => {
    let target: ConsoleTarget
    let browser: Browser
    let page: Page
    let pageErrors: string[]
    let cspViolations: string[]
    let iconRequests: string[]
    const suffix = Date.now().toString(36)
    const firstNs = `shop-${suffix}`
    const ns = `orders-${suffix}`
    const rule = `console-test-${suffix}`
    const api = (path: string, init: { method?: string; body?: unknown; token?: string; base?: string } = {}) =>
      fetch(`${init.base ?? target.gatewayUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${init.token ?? target.adminKey}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      })
    const go = async (label: (typeof PAGES)[number]) => {
      await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: label, exact: true }).click()
      await poll(() => page.locator('h1').textContent()).toBe(label)
    }
    const shot = async (file: string) => {
      if (target.screenshots) await screenshot(page, file)
    }
    const axeClean = async () => expect(await seriousViolations(page)).toEqual([])
    // expect.poll waits 1 s by default: too short for a page's first answers on a loaded machine.
    const poll = <T>(read: () => T | Promise<T>, options: { timeout?: number; interval?: number } = {}) => expect.poll(read, { timeout: 20_000, interval: 100, ...options })

    beforeAll(async () => {
      target = await start()
      ;({ browser, page, pageErrors, cspViolations, iconRequests } = await launchBrowser())
    }, 120_000)
    afterAll(async () => {
      await browser?.close()
      await target?.close()
    }, 60_000)

    it('serves the console at /console/ and signs in with an API key (a wrong key is refused with the gateway problem)', async () => {
      const response = await page.goto(`${target.gatewayUrl}/console/`)
      expect(response?.status()).toBe(200)
      await page.getByLabel('API key').fill('sk_aaaaaaaaaaaa_wrong')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await poll(() => page.getByRole('alert').textContent()).toMatch(/^E_[A-Z_]+: /)
      await page.getByLabel('API key').fill(target.adminKey)
      await shot('sign-in')
      await axeClean()
      await page.getByRole('button', { name: 'Sign in' }).click()
      // Keyboard: the first Tab reaches the skip link, which moves focus to the page's content.
      await poll(() => page.locator('h1').textContent()).toBe('Get started')
      await page.keyboard.press('Tab')
      expect(await page.locator(':focus').textContent()).toBe('Skip to content')
      await page.keyboard.press('Enter')
      expect(await page.locator(':focus').getAttribute('id')).toBe('main')
    })

    it('onboarding: creates the first namespace and an API key scoped to it, then shows the snippets', async () => {
      await page.getByLabel('Namespace name').fill(firstNs)
      await page.getByRole('button', { name: 'Create namespace' }).click()
      await poll(() => page.getByRole('status').first().textContent()).toBe(`Namespace ${firstNs} created.`)
      await page.getByRole('button', { name: 'Create API key' }).click()
      const tokenBlock = page.locator('pre[aria-label="API key"] code')
      await tokenBlock.waitFor()
      const token = (await tokenBlock.textContent())!.trim()
      expect(token).toMatch(/^sk_[a-z0-9]{12}_/)
      expect(await page.locator('pre[aria-label="SDK (@strata/client)"]').textContent()).toContain(`strata.set('${firstNs}'`)
      expect(await page.locator('pre[aria-label="curl"]').textContent()).toContain(`${target.gatewayUrl}/v1/namespaces/${firstNs}/keys/user:42`)
      expect(await page.locator('pre[aria-label="Invalidator event rule (YAML)"]').textContent()).toContain(`namespace: ${firstNs}`)
      // The key the guide made works in its namespace and nowhere else.
      expect((await api(`/v1/namespaces/${firstNs}/keys/probe`, { method: 'PUT', body: { value: 1 }, token })).status).toBeLessThan(300)
      expect((await api('/v1/namespaces/products/keys/probe', { method: 'PUT', body: { value: 1 }, token })).status).toBe(403)
      await shot('onboarding')
      await axeClean()
      await page.getByRole('button', { name: 'Finish and open the overview' }).click()
      await poll(() => page.locator('h1').textContent()).toBe('Overview')
    })

    it('namespaces: client validation, then the server problem+json detail, then a created namespace', async () => {
      await go('Namespaces')
      await page.getByRole('button', { name: 'New namespace' }).click()
      await page.getByLabel('Name', { exact: true }).fill(ns)
      await page.getByLabel('TTL (ms)', { exact: true }).fill('ten seconds')
      await page.getByRole('button', { name: 'Create namespace' }).click()
      expect(await page.locator('.field-error').first().textContent()).toContain('whole number')
      // Valid for the form, refused by the gateway: no keyring for encryption (E_ENCRYPTION_REQUIRED's detail shown).
      await page.getByLabel('TTL (ms)', { exact: true }).fill('600000')
      await page.getByLabel('Encryption at rest').selectOption('required')
      await page.getByRole('button', { name: 'Create namespace' }).click()
      await poll(() => page.getByRole('alert').textContent()).toContain('E_ENCRYPTION_REQUIRED: ')
      await page.getByLabel('Encryption at rest').selectOption('off')
      await page.getByRole('button', { name: 'Create namespace' }).click()
      await poll(() => page.getByRole('status').textContent()).toBe(`Namespace ${ns} created.`)
      await page.getByRole('rowheader', { name: ns, exact: true }).waitFor()
      const stored = (await (await api(`/v1/admin/namespaces/${ns}`)).json()) as { policy: { ttl: number } }
      expect(stored.policy.ttl).toBe(600000)
      await shot('namespaces')
      await axeClean()
    })

    it('namespaces: a namespace is deleted from its row after a confirmation, entries and all', async () => {
      const doomed = `${ns}-doomed`
      expect((await api(`/v1/admin/namespaces/${doomed}`, { method: 'PUT', body: { ttl: 60_000 } })).status).toBe(201)
      expect((await api(`/v1/namespaces/${doomed}/keys/k`, { method: 'PUT', body: { value: 1 } })).status).toBeLessThan(300)
      // Away and back: the list is read when the page opens.
      await go('Overview')
      await go('Namespaces')
      await page.getByRole('button', { name: `Delete ${doomed}` }).click()
      await page.getByRole('button', { name: `Confirm delete ${doomed}` }).click()
      await poll(() => page.getByRole('status').first().textContent()).toBe(`Namespace ${doomed} deleted, and its entries with it.`)
      expect((await api(`/v1/admin/namespaces/${doomed}`)).status).toBe(404)
      // The list is read again after the delete: wait for that answer, not the one before it.
      await poll(() => page.getByRole('rowheader', { name: doomed, exact: true }).count()).toBe(0)
    })

    it('key browser: a key written through the API is found by prefix, with its metadata', async () => {
      const put = await api(`/v1/namespaces/${ns}/keys/user:42`, { method: 'PUT', body: { value: { name: 'Ada' }, ttl: 600_000, tags: ['org:7'] } })
      expect(put.status).toBeLessThan(300)
      await go('Key browser')
      await page.getByLabel('Namespace', { exact: true }).selectOption(ns)
      await page.getByLabel('Key prefix').fill('user:')
      await page.getByRole('button', { name: 'Search' }).click()
      await page.getByRole('button', { name: 'user:42', exact: true }).click()
      const panel = page.getByRole('region', { name: 'Entry user:42' })
      await panel.waitFor()
      const text = (await panel.textContent())!
      expect(text).toContain('org:7')
      expect(text).toMatch(/TierL[12]/)
      // The value itself, decoded.
      await panel.getByRole('button', { name: 'Show value' }).click()
      await poll(() => panel.locator('pre').textContent()).toContain('"name": "Ada"')
      // The TTL: a typo is refused here, then 5m is written back with If-Match.
      await panel.getByLabel('New TTL').fill('soon')
      await panel.getByRole('button', { name: 'Set TTL' }).click()
      await poll(() => panel.getByRole('alert').textContent()).toContain('"soon" is not a TTL')
      await panel.getByLabel('New TTL').fill('5m')
      await panel.getByRole('button', { name: 'Set TTL' }).click()
      await poll(() => page.getByRole('status').first().textContent()).toBe('TTL of user:42 set to 5 min.')
      const entry = (await (await api(`/v1/namespaces/${ns}/entries/user:42`)).json()) as { ttlLeftMs: number; tags: string[] }
      expect(entry.ttlLeftMs).toBeLessThanOrEqual(300_000)
      expect(entry.ttlLeftMs).toBeGreaterThan(200_000)
      expect(entry.tags).toEqual(['org:7'])
      await shot('key-browser')
      await axeClean()
    })

    it('key browser: an entry is deleted from its panel after a confirmation', async () => {
      expect((await api(`/v1/namespaces/${ns}/keys/user:43`, { method: 'PUT', body: { value: 43 } })).status).toBeLessThan(300)
      await page.getByRole('button', { name: 'Search' }).click()
      await page.getByRole('button', { name: 'user:43', exact: true }).click()
      await page.getByRole('region', { name: 'Entry user:43' }).getByRole('button', { name: 'Delete key' }).click()
      await page.getByRole('button', { name: 'Confirm delete user:43' }).click()
      await poll(() => page.getByRole('status').first().textContent()).toBe(`Deleted user:43 from ${ns}.`)
      expect((await api(`/v1/namespaces/${ns}/keys/user:43`)).status).toBe(404)
      expect(await page.getByRole('button', { name: 'user:43', exact: true }).count()).toBe(0)
    })

    it('invalidation: a dry run counts the key, the confirmed invalidation removes it and is in the history', async () => {
      await go('Invalidation')
      await page.getByLabel('Namespace', { exact: true }).selectOption(ns)
      await page.getByLabel('Keys, one per line').fill('user:42')
      await page.getByRole('button', { name: 'Count affected (dry run)' }).click()
      await poll(() => page.getByTestId('dry-run-count').textContent()).toBe('1')
      // Nothing changed yet.
      expect((await api(`/v1/namespaces/${ns}/keys/user:42`)).status).toBe(200)
      await shot('invalidation')
      await axeClean()
      await page.getByRole('button', { name: 'Confirm invalidation' }).click()
      await poll(() => page.getByRole('status').first().textContent()).toBe(`Invalidated in ${ns}.`)
      expect((await api(`/v1/namespaces/${ns}/keys/user:42`)).status).toBe(404)
      await go('Key browser')
      await page.getByLabel('Namespace', { exact: true }).selectOption(ns)
      await page.getByLabel('Key prefix').fill('user:')
      await page.getByRole('button', { name: 'Search' }).click()
      await poll(() => page.locator('caption').first().textContent()).toBe(`0 keys in ${ns}`)
      // The history (GET /v1/invalidations) lists it, attributed to the signed-in key.
      await go('Invalidation')
      const row = page.locator('#history-table tbody tr').filter({ hasText: 'keys: user:42' })
      await poll(() => row.count()).toBe(1)
      expect(await row.first().textContent()).toContain(ns)
    })

    it('overview: the charts draw the traffic sent to the namespace', async () => {
      await go('Overview')
      await poll(async () => (await page.getByLabel('Scope').locator('option').allTextContents()).includes(ns)).toBe(true)
      await page.getByLabel('Scope').selectOption(ns)
      const before = { hit: await linePixels(page, 'chart-hit-ratio', FIRST_LINE_LIGHT), throughput: await linePixels(page, 'chart-throughput', FIRST_LINE_LIGHT) }
      expect(before.hit).toBeGreaterThanOrEqual(0)
      // Real traffic: 20 keys written, read 5 times each (hits), and 20 reads of keys that are not there (misses).
      for (let i = 0; i < 20; i++) expect((await api(`/v1/namespaces/${ns}/keys/item:${i}`, { method: 'PUT', body: { value: i } })).status).toBeLessThan(300)
      const traffic = async () => {
        for (let round = 0; round < 5; round++) await Promise.all(Array.from({ length: 20 }, (_, i) => api(`/v1/namespaces/${ns}/keys/item:${i}`)))
        await Promise.all(Array.from({ length: 20 }, (_, i) => api(`/v1/namespaces/${ns}/keys/absent:${i}`)))
      }
      // Traffic keeps flowing while the charts are read, so several poll intervals in a row have reads: a line, not a dot.
      await eventually(
        async () => {
          await traffic()
          const hit = await linePixels(page, 'chart-hit-ratio', FIRST_LINE_LIGHT)
          const throughput = await linePixels(page, 'chart-throughput', FIRST_LINE_LIGHT)
          expect(hit).toBeGreaterThan(before.hit + 20)
          expect(throughput).toBeGreaterThan(before.throughput + 20)
        },
        30_000,
      )
      expect(Number(await page.locator('#chart-hit-ratio').getAttribute('data-points'))).toBeGreaterThan(0)
      // The figure's accessible name carries the number the line shows.
      expect(await page.locator('#chart-hit-ratio').getAttribute('aria-label')).toMatch(/^Hit ratio: hit ratio \d+ %$/)
      await traffic()
      await shot('overview')
      await axeClean()
    }, 60_000)

    it('overview: the history from the analytics rollups over a chosen range, or how to connect analytics', async () => {
      await go('Overview')
      const history = page.getByRole('region', { name: 'History' })
      if (!target.analytics) {
        await history.getByRole('heading', { name: 'Analytics is not connected' }).waitFor()
        expect(await history.textContent()).toContain('STRATA_CONSOLE_ANALYTICS_URL')
        expect(await page.locator('#chart-history-hit-ratio').count()).toBe(0)
        return
      }
      await poll(async () => (await page.getByLabel('Scope').locator('option').allTextContents()).includes(ns)).toBe(true)
      await page.getByLabel('Scope').selectOption(ns)
      await history.getByLabel('Range').selectOption('15m')
      // The reads sent in the previous step reach analytics through the bus and are rolled up every second.
      await poll(
        async () => {
          await history.getByRole('button', { name: 'Refresh history' }).click()
          await page.waitForLoadState('networkidle')
          return Number((await page.locator('#chart-history-hit-ratio').getAttribute('data-points')) ?? 0)
        },
        { timeout: 60_000, interval: 2_000 },
      ).toBeGreaterThan(0)
      expect(await history.textContent()).toContain(`one point per minute, namespace ${ns}`)
      // The namespace's reads were 100 hits for every 20 misses: the rollups' ratio, not an empty chart.
      expect(await page.locator('#chart-history-hit-ratio').getAttribute('aria-label')).toMatch(/^Hit ratio \(history\): hit ratio \d+ %$/)
      expect(await page.locator('#chart-history-requests').getAttribute('aria-label')).toMatch(/^Requests \(history\): requests \d+(\.\d)?\/s$/)
      expect(await page.locator('#chart-history-latency').getAttribute('aria-label')).toMatch(/p99 \d+(\.\d)? ms$/)
      // A longer range asks the hourly rollups.
      await history.getByLabel('Range').selectOption('7d')
      await poll(() => history.textContent()).toContain('one point per hour')
      await poll(async () => Number((await page.locator('#chart-history-hit-ratio').getAttribute('data-points')) ?? 0), { timeout: 20_000 }).toBeGreaterThan(0)
      await axeClean()
    }, 90_000)

    it('overview: the proxy panel counts the answers of each upstream by outcome', async () => {
      await go('Overview')
      const path = `/proxy/${target.proxy.upstream}${target.proxy.path}`
      const outcomes: Array<string | null> = []
      for (let i = 0; i < 3; i++) outcomes.push((await api(path)).headers.get('x-cache'))
      expect(outcomes.slice(1)).toEqual(['HIT', 'HIT'])
      const row = page.locator(`#proxy-table tr[data-upstream="${target.proxy.upstream}"]`)
      // The panel reads /v1/stats at the refresh interval.
      await poll(async () => ((await row.count()) === 0 ? [] : (await row.locator('td').allTextContents()).map((cell) => cell.trim()))).toSatisfy(
        (cells: string[]) => cells.length === 8 && Number(cells[0]) >= 3 && Number(cells[2]) >= 2,
      )
      await axeClean()
    })

    it('alerts: a rule made to fire through the alerting API is silenced from the UI, listed as silenced, then expired', async () => {
      const created = await api('/rules', {
        base: target.alertingUrl,
        method: 'POST',
        body: { name: rule, kind: 'absence', expr: { gauge: { metric: `strata_console_test_${suffix}` } }, summary: 'Console test: a metric that never exists', labels: { namespace: ns } },
      })
      expect(created.status).toBe(201)
      await go('Alerts')
      const row = page.locator(`tr[data-alert="${rule}"]`)
      await poll(async () => ((await row.count()) > 0 ? row.textContent() : ''), { timeout: 90_000, interval: 1_000 }).toContain('firing')
      await row.getByRole('button', { name: `Silence ${rule}` }).click()
      await page.getByLabel('Comment').fill('console test')
      await page.getByRole('button', { name: 'Create silence' }).click()
      await poll(() => row.locator('.badge-silenced').count()).toBe(1)
      const silences = page.locator('#silences-table tbody tr').filter({ hasText: `alertname=${rule}` })
      await poll(() => silences.count()).toBe(1)
      const listed = (await (await api('/silences', { base: target.alertingUrl })).json()) as { silences: Array<{ id: string; matchers: Record<string, string> }> }
      expect(listed.silences.find((silence) => silence.matchers.alertname === rule)?.matchers).toEqual({ alertname: rule, namespace: ns })
      await shot('alerts')
      await axeClean()
      await silences.getByRole('button', { name: /^Expire silence/ }).click()
      await poll(() => silences.count()).toBe(0)
      await poll(() => row.locator('.badge-silenced').count()).toBe(0)
      expect((await api(`/rules/${rule}`, { base: target.alertingUrl, method: 'DELETE' })).status).toBe(204)
    }, 150_000)

    it('audit: the log filtered by action shows the namespace the console created', async () => {
      await go('Audit')
      await page.getByLabel('Action').fill('namespace.put')
      await page.getByRole('button', { name: 'Apply filters' }).click()
      // Wait for the filtered answer itself: the unfiltered table also shows the namespace's row (and, on shared
      // servers, other runs' rows), so a row of ours alone does not prove the filter has applied.
      await poll(async () => page.locator('tbody tr').filter({ hasNotText: 'namespace.put' }).count(), { timeout: 15_000 }).toBe(0)
      await poll(async () => page.getByRole('row').filter({ hasText: ns }).count(), { timeout: 15_000 }).toBeGreaterThan(0)
      await shot('audit')
      await axeClean()
    })

    it('analytics: the report of the connected service (hot keys of the traffic sent), or how to connect one', async () => {
      await go('Analytics')
      if (!target.analytics) {
        await page.getByRole('heading', { name: 'Analytics is not connected' }).waitFor()
        expect(await page.locator('main').textContent()).toContain('STRATA_CONSOLE_ANALYTICS_URL')
        await shot('analytics')
        await axeClean()
        return
      }
      // Access events reach analytics through the bus (Kafka, or in-process when embedded) and are rolled up every second: reload until the namespace is in.
      const section = page.getByRole('region', { name: ns, exact: true })
      await poll(
          async () => {
            await page.getByRole('button', { name: 'Load report' }).click()
            await page.waitForLoadState('networkidle')
            return section.count()
          },
          { timeout: 60_000, interval: 2_000 },
        )
        .toBe(1)
      // Several namespaces had traffic (the onboarding probe, this run's namespaces): each starts collapsed to its
      // one-line summary, and opens and closes from its heading.
      const picker = page.getByLabel('Namespace', { exact: true })
      expect(await picker.locator('option').count()).toBeGreaterThan(2)
      const hotKeys = section.getByRole('rowheader', { name: /^item:\d+$/ })
      const disclosure = section.getByRole('button', { name: ns, exact: true })
      expect(await disclosure.getAttribute('aria-expanded')).toBe('false')
      expect(await hotKeys.count()).toBe(0)
      expect(await section.textContent()).toMatch(/hit ratio \d+\.\d %/)
      await disclosure.click()
      expect(await disclosure.getAttribute('aria-expanded')).toBe('true')
      expect(await hotKeys.count()).toBeGreaterThan(0)
      await axeClean()
      await disclosure.click()
      expect(await hotKeys.count()).toBe(0)
      // The picker shows one namespace alone, open.
      await picker.selectOption(ns)
      expect(await page.locator('main section.card').count()).toBe(1)
      expect(await hotKeys.count()).toBeGreaterThan(0)
      // The optimization report: its findings, or the line saying none fired.
      await section.getByRole('heading', { name: 'Recommendations' }).waitFor()
      await shot('analytics')
      await axeClean()
    }, 90_000)

    it('settings: theme, refresh interval and default namespace are remembered for this key across a reload', async () => {
      await go('Settings')
      await page.getByLabel('Dark').check()
      expect(await page.locator('html').getAttribute('data-theme')).toBe('dark')
      await page.getByLabel('Refresh interval').selectOption('1000')
      await page.getByLabel('Default namespace').selectOption(ns)
      await page.reload()
      await poll(() => page.locator('h1').textContent()).toBe('Settings')
      expect(await page.locator('html').getAttribute('data-theme')).toBe('dark')
      await poll(() => page.getByLabel('Refresh interval').inputValue()).toBe('1000')
      // The select's options arrive with the namespace list.
      await poll(() => page.getByLabel('Default namespace').inputValue()).toBe(ns)
      await shot('settings-dark')
      await axeClean()
    })

    it('axe-core: no serious or critical violation on any page, in the dark and the light theme', async () => {
      const found: Record<string, unknown> = {}
      for (const theme of ['dark', 'light'] as const) {
        await go('Settings')
        await page.getByLabel(theme === 'dark' ? 'Dark' : 'Light').check()
        for (const label of PAGES) {
          await go(label)
          // Let the page's first answers arrive, so tables and charts are checked as drawn.
          await page.waitForTimeout(500)
          const violations = await seriousViolations(page)
          if (violations.length > 0) found[`${theme} ${label}`] = violations
          if (theme === 'dark' && label === 'Overview') await shot('overview-dark')
          if (theme === 'light' && label === 'Get started') await shot('onboarding-start')
        }
      }
      expect(found).toEqual({})
      expect(pageErrors).toEqual([])
      expect(cspViolations).toEqual([])
      expect(iconRequests).toEqual([])
    }, 120_000)
  })
}
