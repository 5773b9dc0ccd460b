import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ENV_OF, GatewayConfigSchema } from '@strata/config'
import { mentionedVariables, renderConfigurationReference, serviceVariables } from '../src/config-reference.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const published = () => readFileSync(join(root, 'docs', 'reference', 'configuration.md'), 'utf8')

// Issue #14, acceptance 2: every configuration key appears in the generated reference.
describe('docs/reference/configuration.md', () => {
  it('is what `pnpm docs:config` generates now (run it after changing a setting or a service’s main.ts)', () => {
    expect(published() === renderConfigurationReference(root), 'docs/reference/configuration.md is stale: run pnpm docs:config').toBe(true)
  })

  it('lists every gateway setting of the schema with its environment variable', () => {
    const text = published()
    expect(Object.keys(ENV_OF).sort()).toEqual(Object.keys(GatewayConfigSchema.properties).sort())
    const missing = Object.entries(ENV_OF).filter(([field, { name }]) => !text.includes(`| \`${field}\` | \`${name}\``))
    expect(missing).toEqual([])
  })

  it('lists every variable each service’s main.ts reads (a reader the extractor does not know fails here)', () => {
    const text = published()
    const missing: string[] = []
    for (const service of readdirSync(join(root, 'services')).filter((name) => existsSync(join(root, 'services', name, 'src', 'main.ts')))) {
      const source = readFileSync(join(root, 'services', service, 'src', 'main.ts'), 'utf8')
      const section = service === 'gateway' ? text : text.slice(text.indexOf(`### ${service}\n`))
      if (service !== 'gateway') expect(text, `no section for ${service}`).toContain(`### ${service}\n`)
      const listed = new Set(serviceVariables(source).map((variable) => variable.name))
      for (const name of mentionedVariables(source)) {
        const documented = service === 'gateway' ? section.includes(`\`${name}\``) || name === 'STRATA_CONFIG_FILE' : listed.has(name)
        if (!documented) missing.push(`${service}: ${name}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('reads the variables and their fallbacks the way main.ts writes them', () => {
    const source = `const a = env('STRATA_A', 'x,y')\nconst b = int('STRATA_B', 8_095)\nconst c = list('STRATA_C', 'none')\nconst d = process.env.STRATA_D\nconst e = process.env['STRATA_E']`
    expect(serviceVariables(source)).toEqual([
      { name: 'STRATA_A', fallback: 'x,y' },
      { name: 'STRATA_B', fallback: '8_095' },
      { name: 'STRATA_C', fallback: 'none' },
      { name: 'STRATA_D', fallback: '' },
      { name: 'STRATA_E', fallback: '' },
    ])
  })
})
