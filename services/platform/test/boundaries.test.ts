import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../../', import.meta.url))
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs')

interface Violation {
  from: string
  to: string
  rule: { name: string }
  cycle?: unknown[]
}

/**
 * The boundary and cycle rules `pnpm lint` runs (.dependency-cruiser.mjs at the root), run by the same command over a
 * fixture tree laid out like Strata's (packages/, services/, workspace links in node_modules), so that each wrong
 * import is proven to fail without touching the real tree.
 */
async function cruise(tree: string): Promise<Violation[]> {
  const args = [depcruise, 'packages', 'services', '--config', join(root, '.dependency-cruiser.mjs'), '--output-type', 'json']
  // depcruise exits non-zero when it finds violations; its JSON report is on stdout either way.
  const { stdout } = await run(process.execPath, args, { cwd: tree, maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }))
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations
}

function write(tree: string, path: string, text: string): void {
  mkdirSync(dirname(join(tree, path)), { recursive: true })
  writeFileSync(join(tree, path), text)
}

/** A workspace member: its package.json, and the link pnpm would make to it. */
function member(tree: string, dir: string, name: string): void {
  write(tree, `${dir}/package.json`, JSON.stringify({ name, type: 'module', exports: { '.': './src/index.ts' } }))
  mkdirSync(join(tree, 'node_modules', '@fx'), { recursive: true })
  symlinkSync(join(tree, dir), join(tree, 'node_modules', '@fx', name.slice('@fx/'.length)))
}

describe('boundary and cycle rules (pnpm lint) over a fixture tree', () => {
  let tree: string
  beforeAll(() => {
    tree = mkdtempSync(join(tmpdir(), 'strata-boundaries-'))
    write(tree, 'tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['packages', 'services'] }))
    member(tree, 'packages/core', '@fx/core')
    member(tree, 'packages/cli', '@fx/cli')
    member(tree, 'services/gateway', '@fx/gateway')
    member(tree, 'services/alerting', '@fx/alerting')
    member(tree, 'services/platform', '@fx/platform')
    write(tree, 'packages/core/src/index.ts', "export const core = 1\n")
    // Allowed: a package's integration test runs a real service; services use packages; the platform composes services.
    write(tree, 'packages/cli/test/cli.test.ts', "import { gateway } from '@fx/gateway'\nexport const used = gateway\n")
    write(tree, 'services/gateway/src/index.ts', "import { core } from '@fx/core'\nexport const gateway = core\n")
    write(tree, 'services/platform/src/index.ts', "import { gateway } from '@fx/gateway'\nimport { alerting } from '@fx/alerting'\nexport const platform = [gateway, alerting]\n")
    // A type-only cycle is erased when compiled: allowed.
    write(tree, 'services/gateway/src/model.ts', "import type { Shape } from './shape.js'\nexport const model = (shape: Shape) => shape\n")
    write(tree, 'services/gateway/src/shape.ts', "import { model } from './model.js'\nexport type Shape = { size: number }\nexport const check = model\n")
    // The wrong imports, one per rule.
    write(tree, 'packages/cli/src/index.ts', "import { gateway } from '@fx/gateway'\nexport const cli = gateway\n")
    write(tree, 'services/alerting/src/index.ts', "import { gateway } from '../../gateway/src/index.js'\nexport const alerting = gateway\n")
    write(tree, 'services/alerting/src/a.ts', "import { b } from './b.js'\nexport const a = () => b\n")
    write(tree, 'services/alerting/src/b.ts', "import { a } from './a.js'\nexport const b = () => a\n")
  })
  afterAll(() => rmSync(tree, { recursive: true, force: true }))

  it('fails on exactly the wrong imports: a package importing a service, a service importing another, a run-time cycle', { timeout: 120_000 }, async () => {
    const found = (await cruise(tree)).map((violation) => `${violation.rule.name}: ${violation.from} → ${violation.to}`).sort()
    expect(found).toEqual(
      [
        'package-imports-service: packages/cli/src/index.ts → services/gateway/src/index.ts',
        'service-imports-service: services/alerting/src/index.ts → services/gateway/src/index.ts',
        // A cycle is reported once, at the edge that closes it.
        'no-cycle: services/alerting/src/a.ts → services/alerting/src/b.ts',
      ].sort(),
    )
  })

  it('passes once the wrong imports are gone', { timeout: 120_000 }, async () => {
    write(tree, 'packages/cli/src/index.ts', "import { core } from '@fx/core'\nexport const cli = core\n")
    write(tree, 'services/alerting/src/index.ts', "import { core } from '@fx/core'\nexport const alerting = core\n")
    write(tree, 'services/alerting/src/b.ts', 'export const b = () => 2\n')
    expect(await cruise(tree)).toEqual([])
  })
})
