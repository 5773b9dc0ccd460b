import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// Acceptance 4: the service itself (main.ts) refuses to start on bad rules, before connecting to anything.
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'strata-rules-'))

function start(rules: string): { status: number | null; stderr: string } {
  const file = join(dir, `rules-${Math.random().toString(36).slice(2)}.yaml`)
  writeFileSync(file, rules)
  const result = spawnSync(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, STRATA_INVALIDATOR_RULES: file, STRATA_KAFKA_BROKERS: '127.0.0.1:1' },
    encoding: 'utf8',
    timeout: 30_000,
  })
  return { status: result.status, stderr: result.stderr.replace(file, 'FILE') }
}

describe('acceptance 4: rules with errors stop the service at start', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('a YAML syntax error names the file and line', { timeout: 40_000 }, () => {
    const { status, stderr } = start('version: 1\nrules:\n  - name: a\n   topic: [x\n')
    expect(status).toBe(1)
    expect(stderr).toMatch(/^invalidator: not starting: FILE:\d+: YAML syntax error/)
  })

  it('a template error names the file, the line and the rule', { timeout: 40_000 }, () => {
    const { status, stderr } = start(
      'version: 1\nrules:\n  - name: ok\n    topic: t\n    namespace: n\n    keys: [a]\n  - name: broken\n    topic: t\n    namespace: n\n    keys: ["order:{data.id"]\n',
    )
    expect(status).toBe(1)
    expect(stderr).toBe("invalidator: not starting: FILE:10: rule 'broken' (#2): template 'order:{data.id' has a '{' without its '}'\n")
  })
})
