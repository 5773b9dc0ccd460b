import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { formatFailure, runDoc } from '../src/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const scratch = join(root, 'packages', 'docs', '.samples')
mkdirSync(scratch, { recursive: true })
const dir = mkdtempSync(join(scratch, 'harness-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const fence = '```'
async function run(name: string, lines: string[]) {
  const file = join(dir, name)
  writeFileSync(file, lines.join('\n'))
  return runDoc(file, { root, shellTimeoutMs: 60_000 })
}

// The harness itself, on small docs written here: what passes, and that what should fail does, with file and line.
// A doc that talks to the platform starts it as a process first, which takes a while on a loaded machine.
describe('the doc-sample harness', { timeout: 120_000 }, () => {
  it('runs the sh blocks of a file as one session (exports carry over) against the embedded platform, and ts blocks with the session env', async () => {
    const result = await run('ok.md', [
      '# ok',
      `${fence}sh`,
      'export GREETING=hello',
      'curl -fsS "$STRATA_URL/health/ready" > /dev/null',
      fence,
      `${fence}sh`,
      'test "$GREETING" = hello',
      'curl -fsS "$STRATA_URL/v1/admin/namespaces" -H "x-api-key: $STRATA_KEY" | grep -q products',
      fence,
      `${fence}ts`,
      "if (process.env.GREETING !== 'hello') throw new Error('no session env')",
      "const response = await fetch(`${process.env.STRATA_ORIGIN_URL}/products/1`)",
      "if (!response.ok) process.exit(3)",
      fence,
      `${fence}text`,
      'not run',
      fence,
    ])
    expect(result.failures.map(formatFailure)).toEqual([])
    expect(result.counts).toEqual({ shell: 2, program: 1, config: 0, destructive: 0, output: 1, docker: 0, checked: 0 })
  })

  it('compares a `text check` block with what the sh block before it printed, and names the line it did not print', async () => {
    const good = await run('check-ok.md', [`${fence}sh`, 'printf "served on http://127.0.0.1:41234\\nkey sk_abc_123\\n"', fence, `${fence}text check`, 'served on http://127.0.0.1:8080', 'key sk_...', fence])
    expect(good.failures.map(formatFailure)).toEqual([])
    expect(good.counts.checked).toBe(1)
    const drifted = await run('check-drift.md', [`${fence}sh`, 'echo "served on http://127.0.0.1:41234"', fence, `${fence}text check`, 'listening on http://127.0.0.1:8080', fence])
    expect(drifted.failures.map(formatFailure).join('\n')).toContain('check-drift.md:4 (```text check): the doc shows "listening on http://127.0.0.1:8080", which the command did not print')
  })

  it('reports a failing sh block with its line, exit status and output, and runs nothing after it', async () => {
    const result = await run('fail.md', ['# fail', '', `${fence}sh`, 'echo before-the-failure', 'false', 'echo never', fence, `${fence}sh`, 'echo not-reached', fence])
    expect(result.failures).toHaveLength(1)
    const message = formatFailure(result.failures[0]!)
    expect(message).toContain('fail.md:3 (```sh): exited with status 1')
    expect(message).toContain('before-the-failure')
    expect(message).not.toContain('never')
    expect(result.counts.shell).toBe(1)
  })

  it("gives the session a temporary folder of its own: a doc's temporary files are neither the reader's nor another run's", async () => {
    const probe = `strata-doc-probe-${process.pid}-${Date.now()}.log`
    const result = await run('tmp.md', [`${fence}sh`, `echo kept > "\${TMPDIR:-/tmp}/${probe}"`, `grep -q kept "\${TMPDIR:-/tmp}/${probe}"`, fence])
    expect(result.failures.map(formatFailure)).toEqual([])
    expect(existsSync(join(tmpdir(), probe))).toBe(false)
    expect(existsSync(join('/tmp', probe))).toBe(false)
  })

  it('fails on an unset variable and on a failing command inside a pipeline (set -euo pipefail)', async () => {
    expect((await run('unset.md', [`${fence}sh`, 'echo "$NO_SUCH_VARIABLE_HERE"', fence])).failures).toHaveLength(1)
    expect((await run('pipe.md', [`${fence}sh`, 'false | cat', fence])).failures).toHaveLength(1)
  })

  it('reports a ts block that exits non-zero, with its output', async () => {
    const result = await run('ts.md', [`${fence}ts`, "console.error('the check did not hold')", 'process.exit(2)', fence])
    expect(formatFailure(result.failures[0]!)).toMatch(/ts\.md:1 \(```ts\): exited with status 2[\s\S]*the check did not hold/)
  })

  it('starts a background command, waits for its ready line, and stops it when the file ends', async () => {
    const pidFile = join(dir, 'background.pid')
    const result = await run('background.md', [
      `${fence}sh background ready="listening on [0-9]+"`,
      `echo $$ > ${pidFile}`,
      'sleep 0.3; echo "listening on 1234"',
      'sleep 600',
      fence,
      `${fence}sh`,
      `kill -0 "$(cat ${pidFile})"`,
      fence,
    ])
    expect(result.failures.map(formatFailure)).toEqual([])
    const { readFileSync } = await import('node:fs')
    const pid = Number(readFileSync(pidFile, 'utf8'))
    expect(() => process.kill(pid, 0)).toThrow()
  })

  it('fails a background command that exits before it is ready, showing its output', async () => {
    const result = await run('background-dies.md', [`${fence}sh background ready=ready`, 'echo "port taken" >&2; exit 4', fence])
    expect(formatFailure(result.failures[0]!)).toContain('port taken')
  })

  it('validates yaml/json with the real loaders, and names the loader and line when one refuses', async () => {
    const good = await run('config.md', [
      `${fence}yaml kind=invalidator-rules`,
      'version: 1',
      'rules:',
      '  - name: product-updated',
      '    topic: shop.catalog.v1',
      '    type: product.updated',
      '    namespace: products',
      "    keys: ['{data.id}']",
      fence,
      `${fence}json kind=namespace-spec`,
      '{ "ttl": 60000, "grace": 300000 }',
      fence,
    ])
    expect(good.failures.map(formatFailure)).toEqual([])
    expect(good.counts.config).toBe(2)
    const bad = await run('config-bad.md', ['# x', `${fence}json kind=namespace-spec`, '{ "ttl": "soon" }', fence])
    expect(formatFailure(bad.failures[0]!)).toMatch(/config-bad\.md:2 \(```json kind=namespace-spec\): kind=namespace-spec refused it: PUT .* 400/)
  })

  it('fails a file with an unknown language or attribute before running anything', async () => {
    const result = await run('unknown.md', [`${fence}sh`, 'echo hi', fence, `${fence}console`, '$ ls', fence, `${fence}sh flavour=mild`, 'ls', fence])
    expect(result.failures.map((failure) => failure.where.replace(/^.*\//, ''))).toEqual(['unknown.md:4', 'unknown.md:7'])
    expect(result.counts.shell).toBe(0)
  })

  it('checks a skip=destructive block without running it: it must parse and name scripts and files that exist', async () => {
    expect((await run('destructive-ok.md', [`${fence}sh skip=destructive`, 'pnpm infra:down', 'bash infra/local/down.sh', fence])).failures).toEqual([])
    const bad = await run('destructive-bad.md', [`${fence}sh skip=destructive`, 'pnpm infra:nuke', 'bash infra/local/gone.sh', 'if then', fence])
    expect(formatFailure(bad.failures[0]!)).toMatch(/bash -n[\s\S]*pnpm infra:nuke: no such script[\s\S]*infra\/local\/gone\.sh: no such file/)
  })
})
