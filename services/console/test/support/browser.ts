import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import axe from 'axe-core'
import { chromium, type Browser, type Page } from 'playwright-core'

const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium'
/**
 * Where screenshots go. A test run never writes into the checkout: they land in a temporary folder unless
 * STRATA_SCREENSHOT_DIR names one — `pnpm docs:screenshots` sets it to docs/console/ to regenerate the user guide's
 * pictures (docs/guides/console.md shows them) on purpose.
 */
let screenshotDir: string | undefined
function screenshotFolder(): string {
  screenshotDir ??= process.env.STRATA_SCREENSHOT_DIR
    ? resolve(process.env.STRATA_SCREENSHOT_DIR)
    : mkdtempSync(join(tmpdir(), 'strata-console-shots-'))
  return screenshotDir
}

export async function launchBrowser(): Promise<{ browser: Browser; page: Page; pageErrors: string[]; cspViolations: string[]; iconRequests: string[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' })
  const page = await context.newPage()
  const pageErrors: string[] = []
  const cspViolations: string[] = []
  // Requests for /favicon.ico: the gateway answers them 401 (and audits a failed sign-in), so the console must not make them.
  const iconRequests: string[] = []
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/favicon.ico') iconRequests.push(request.url())
  })
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text())
  })
  return { browser, page, pageErrors, cspViolations, iconRequests }
}

export interface AxeFinding {
  id: string
  impact: string
  help: string
  targets: string[]
}

/**
 * axe-core on the page as it is now; returns the serious and critical violations. The source is evaluated through
 * the DevTools protocol rather than a <script> tag: the gateway's CSP (script-src 'self') rightly refuses an inline
 * script, and the test must not weaken the CSP it runs under.
 */
export async function seriousViolations(page: Page): Promise<AxeFinding[]> {
  await page.evaluate(axe.source)
  // Browser-side code is given as text: this file is type-checked for Node, without the DOM's types.
  const violations = await page.evaluate<AxeFinding[]>(`(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? 'unknown', help: v.help, targets: v.nodes.map((node) => node.target.join(' ')) }))
  })()`)
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const folder = screenshotFolder()
  mkdirSync(folder, { recursive: true })
  const path = join(folder, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/**
 * How many pixels of a chart's canvas are drawn in (or near, for anti-aliasing) the colour of its first line: zero
 * when the line has no point, growing with what was drawn.
 */
export async function linePixels(page: Page, chartId: string, [r, g, b]: [number, number, number]): Promise<number> {
  return page.evaluate<number>(`(() => {
    const canvas = document.querySelector('#${chartId} canvas')
    if (canvas === null) return -1
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
    let count = 0
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && Math.abs(data[i] - ${r}) + Math.abs(data[i + 1] - ${g}) + Math.abs(data[i + 2] - ${b}) < 60) count++
    }
    return count
  })()`)
}
