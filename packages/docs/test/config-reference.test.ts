import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { SERVICES, SETTINGS, readsSetting } from '@strata/config'
import { renderConfigurationReference } from '../src/config-reference.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const published = () => readFileSync(join(root, 'docs', 'reference', 'configuration.md'), 'utf8')

// Issue #14, acceptance 2: every configuration key appears in the generated reference.
describe('docs/reference/configuration.md', () => {
  it('is what `pnpm docs:config` generates now (run it after changing a setting)', () => {
    expect(published() === renderConfigurationReference(), 'docs/reference/configuration.md is stale: run pnpm docs:config').toBe(true)
  })

  it('lists every setting of the schema with its variable, and its deprecated names', () => {
    const text = published()
    const missing = SETTINGS.filter((info) => !text.includes(`| \`${info.key}\` | \`${info.env}\``)).map((info) => info.path)
    expect(missing).toEqual([])
    for (const name of SETTINGS.flatMap((info) => info.deprecatedEnv)) expect(text).toContain(`(deprecated: \`${name}\`)`)
  })

  it('every setting is read by some service', () => {
    expect(SETTINGS.filter((info) => !SERVICES.some((service) => readsSetting(service, info))).map((info) => info.path)).toEqual([])
  })

  // Issue #19: main.ts is configuration + wiring, and the configuration comes from @strata/config only, so the
  // reference (generated from the schema) is the whole story.
  it('no service’s main.ts reads the environment itself', () => {
    const readers: string[] = []
    // services/platform (`pnpm start`, the embedded demo) still takes its four ports from PORT and STRATA_*_PORT, as
    // `pnpm start` always did; it has no section in @strata/config yet. Every deployable service is checked.
    const deployable = (name: string) => name !== 'platform' && existsSync(join(root, 'services', name, 'src', 'main.ts'))
    for (const service of readdirSync(join(root, 'services')).filter(deployable)) {
      const source = readFileSync(join(root, 'services', service, 'src', 'main.ts'), 'utf8')
      if (/process\.env\b|'STRATA_[A-Z0-9_]+'/.test(source)) readers.push(service)
    }
    expect(readers).toEqual([])
  })
})
