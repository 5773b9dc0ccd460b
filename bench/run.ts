import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// `pnpm bench <name> [args]` runs bench/<name>.bench.ts; each file runs its peers side by side and prints BENCH.
const here = dirname(fileURLToPath(import.meta.url))
const available = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.replace(/\.bench\.ts$/, ''))
  .sort()

const name = process.argv[2]
if (name === undefined || !available.includes(name)) {
  console.error(`usage: pnpm bench <name> [options]\navailable: ${available.join(', ') || '(none yet)'}`)
  process.exit(name === undefined ? 0 : 2)
}
process.argv.splice(2, 1)
await import(join(here, `${name}.bench.ts`))
