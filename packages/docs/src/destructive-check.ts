import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const PNPM_BUILTINS = new Set(['install', 'i', 'add', 'remove', 'exec', 'dlx', 'run', 'test', 'update', 'why', 'list', 'ls', 'store', 'config', 'init', 'link'])

/**
 * A `skip=destructive` block is not run, but it must still be a command that works: bash can parse it, every
 * `pnpm <script>` it names is a script of the root package.json, and every relative path it names exists.
 * Returns the problems found (none: fine).
 */
export function checkDestructive(code: string, root: string): string[] {
  const problems: string[] = []
  const syntax = spawnSync('bash', ['-n'], { input: code, encoding: 'utf8' })
  if (syntax.status !== 0) problems.push(`bash -n: ${syntax.stderr.trim()}`)
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {}
  for (const match of code.matchAll(/\bpnpm\s+(?:run\s+)?([\w:.-]+)/g)) {
    const script = match[1]!
    if (!PNPM_BUILTINS.has(script) && scripts[script] === undefined) problems.push(`pnpm ${script}: no such script in package.json`)
  }
  for (const word of code.split(/[\s;|&()<>]+/)) {
    const path = word.replace(/^['"]|['"]$/g, '')
    // A relative path with a file extension (infra/local/down.sh); `application/json` and URLs are not paths.
    if (/^(\.{0,2}\/)?([\w.-]+\/)+[\w-]+\.\w+$/.test(path) && !path.includes('://') && !path.startsWith('/') && !existsSync(join(root, path))) problems.push(`${path}: no such file`)
  }
  return problems
}
