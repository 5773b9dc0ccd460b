import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { duration, progress } from './lib/progress.js'

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
progress(`${name}: ${summaryOf(join(here, `${name}.bench.ts`))}`)
const started = Date.now()
await import(join(here, `${name}.bench.ts`))
progress(`${name}: done in ${duration((Date.now() - started) / 1000)}`)

/** What a benchmark measures: the first sentence of its file's opening comment. */
function summaryOf(file: string): string {
  const comment = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('//'))
    .slice(0, 6)
    .map((line) => line.replace(/^\/\/\s?/, ''))
    .join(' ')
  const text = comment.replace(/^`pnpm bench [^`]+`:\s*/, '')
  return (text.match(/^.*?[.;](\s|$)/)?.[0] ?? text).trim()
}
