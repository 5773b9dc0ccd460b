import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The Strata checkout this CLI belongs to (infra scripts and benchmarks live there), found from this file upward. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('strata: cannot find the Strata checkout (pnpm-workspace.yaml) above the CLI')
    dir = parent
  }
  return dir
}
