import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parseRules } from '@strata/invalidation'
import { startPlatformProcess, type PlatformProcess } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { curlSnippet, eventRuleSnippet, sdkSnippet } from '../src/state/snippets.js'

const run = promisify(execFile)
const consoleDir = fileURLToPath(new URL('..', import.meta.url))

/** The onboarding's snippets are run as a user would paste them, against a real gateway, with the key it made. */
describe('onboarding snippets', () => {
  let embedded: PlatformProcess
  let token: string
  let input: { gatewayUrl: string; namespace: string }
  const admin = (path: string, body: unknown, method = 'PUT') =>
    fetch(`${embedded.urls.gateway}${path}`, { method, headers: { authorization: `Bearer ${embedded.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })

  beforeAll(async () => {
    embedded = await startPlatformProcess()
    input = { gatewayUrl: embedded.urls.gateway, namespace: 'my-app' }
    expect((await admin('/v1/admin/namespaces/my-app', { ttl: 60_000 })).status).toBe(201)
    const created = (await (await admin('/v1/admin/keys', { name: 'app', grants: [{ namespace: 'my-app', scopes: ['read', 'write', 'invalidate'] }] }, 'POST')).json()) as { token: string }
    token = created.token
    // The platform starts as its own process: on a loaded machine that alone can take most of a minute.
  }, 150_000)
  afterAll(async () => {
    await embedded?.stop()
  })

  it('the SDK snippet runs with the namespace-scoped key: it writes, reads back and invalidates', async () => {
    // Inside this package, so '@strata/client' resolves as it does for an application that installed it.
    const dir = mkdtempSync(join(consoleDir, 'test/.snippet-'))
    try {
      writeFileSync(join(dir, 'sdk.ts'), sdkSnippet(input))
      const { stdout } = await run(process.execPath, ['--import', 'tsx', join(dir, 'sdk.ts')], { cwd: consoleDir, env: { ...process.env, STRATA_KEY: token } })
      expect(stdout.trim()).toBe("{ name: 'Ada' }")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    // The invalidation by tag at its end removed the entry.
    const read = await fetch(`${embedded.urls.gateway}/v1/namespaces/my-app/keys/user:42`, { headers: { authorization: `Bearer ${token}` } })
    expect(read.status).toBe(404)
  })

  it('the curl snippet runs in bash with the key in STRATA_KEY', async () => {
    // The first line tells the user to export the key; here it is exported already.
    const script = curlSnippet(input).split('\n').slice(1).join('\n')
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { env: { ...process.env, STRATA_KEY: token } })
    expect(stdout).toContain('"name":"Ada"')
    expect(stdout).toContain('"tags":1')
    expect(curlSnippet(input)).not.toContain(token)
  })

  it('the event rule is a rules file the invalidator loads', () => {
    const rules = parseRules(eventRuleSnippet(input), 'snippet.yaml')
    expect(rules.rules.map((rule) => [rule.name, rule.namespace])).toEqual([['my-app-user-changed', 'my-app']])
  })
})
