import { PROCESS_ADMIN_KEY, startGatewayProcess, type GatewayProcess } from '@strata/testkit'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, seriousViolations } from './support/browser.js'

// A gateway alone (memory L2, no analytics URL, no proxy upstream): the Overview says what is missing and how to
// connect it, instead of drawing empty charts.
describe('console Overview on a gateway without analytics or proxy upstreams', () => {
  let gateway: GatewayProcess
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    gateway = await startGatewayProcess({ STRATA_GATEWAY_L2: 'memory', STRATA_GATEWAY_BUS: 'none' })
    ;({ browser, page } = await launchBrowser())
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await gateway?.stop()
  }, 60_000)

  it('says analytics is not connected (with the variable to set) where the history would be, and that no upstream is configured', async () => {
    await page.goto(`${gateway.url}/console/`)
    await page.getByLabel('API key').fill(PROCESS_ADMIN_KEY)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Skip the guide' }).click()
    await expect.poll(() => page.locator('h1').textContent(), { timeout: 20_000 }).toBe('Overview')
    const history = page.getByRole('region', { name: 'History' })
    await history.getByRole('heading', { name: 'Analytics is not connected' }).waitFor()
    expect(await history.textContent()).toContain('STRATA_CONSOLE_ANALYTICS_URL')
    expect(await page.locator('#chart-history-hit-ratio').count()).toBe(0)
    // The live charts still work without analytics.
    expect(await page.locator('#chart-hit-ratio').count()).toBe(1)
    const proxy = page.getByRole('region', { name: 'Proxy' })
    await expect.poll(() => proxy.textContent(), { timeout: 20_000 }).toContain('No proxy upstream is configured')
    expect(await seriousViolations(page)).toEqual([])
  })
})
