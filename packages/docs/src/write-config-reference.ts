import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderConfigurationReference } from './config-reference.js'

// `pnpm docs:config`: regenerates docs/reference/configuration.md; test/config-reference.test.ts fails when stale.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const file = join(root, 'docs', 'reference', 'configuration.md')
writeFileSync(file, renderConfigurationReference())
console.log(`wrote ${file}`)
