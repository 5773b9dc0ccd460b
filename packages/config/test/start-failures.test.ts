import { fork } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { requireKafka, uniqueName } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listenFailureMessage } from '../src/index.js'

describe('a port already in use', () => {
  let busy: Server
  let port: number
  beforeAll(async () => {
    busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    port = (busy.address() as { port: number }).port
  })
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())))

  it('is explained in one line naming the variable to change, for each service', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' })
    expect(listenFailureMessage(inUse, 'gateway', { host: '127.0.0.1', port: 8080 })).toBe(
      'gateway: cannot listen on 127.0.0.1:8080: the port is in use (another Strata service or program holds it). Set STRATA_GATEWAY_PORT to another port (0 picks a free one).',
    )
    expect(listenFailureMessage(inUse, 'write-behind', { host: '127.0.0.1', port: 8093 })).toContain('Set STRATA_WB_PORT')
    const noSuchAddress = Object.assign(new Error('listen EADDRNOTAVAIL'), { code: 'EADDRNOTAVAIL' })
    expect(listenFailureMessage(noSuchAddress, 'cdc', { host: '10.9.9.9', port: 8096 })).toContain('Set STRATA_CDC_HOST')
    expect(listenFailureMessage(new Error('something else'), 'gateway', { host: '127.0.0.1', port: 1 })).toBeUndefined()
  })

  it("stops a service's real main.ts with that line and status 1, no stack trace", async () => {
    const brokers = await requireKafka()
    const rules = join(mkdtempSync(join(tmpdir(), 'strata-busy-')), 'rules.yaml')
    writeFileSync(rules, `version: 1\nrules:\n  - name: r\n    topic: ${uniqueName('busy.topic')}\n    type: t\n    namespace: n\n    keys: ['k:{data.id}']\n`)
    const child = fork(fileURLToPath(new URL('../../../services/invalidator/src/main.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: {
        ...process.env,
        STRATA_L2: 'memory',
        STRATA_KAFKA_BROKERS: brokers.join(','),
        STRATA_INVALIDATOR_AUTH: 'off',
        STRATA_INVALIDATOR_RULES: rules,
        STRATA_INVALIDATOR_GROUP: uniqueName('busy'),
        STRATA_INVALIDATOR_HOST: '127.0.0.1',
        STRATA_INVALIDATOR_PORT: String(port),
      },
    })
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(1)
    expect(stderr).toContain(`invalidator: cannot listen on 127.0.0.1:${port}: the port is in use`)
    expect(stderr).toContain('Set STRATA_INVALIDATOR_PORT to another port')
    expect(stderr).not.toMatch(/^\s+at /m)
  }, 60_000)

  it("a bad setting stops a service's real main.ts before it connects anywhere: every problem listed, status 1, no stack trace", async () => {
    const child = fork(fileURLToPath(new URL('../../../services/write-behind/src/main.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, STRATA_WB_LEASE_MS: 'a while', STRATA_WB_ORIGIN: 'ftp', STRATA_LOG_LEVEL: 'loud' },
    })
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(1)
    expect(stderr).toContain('write-behind: not starting: Invalid configuration:')
    expect(stderr).toContain("/writeBehind/lease: must be milliseconds, or a duration such as '500ms', '10s', '5m', '1h', '1d', got 'a while' (env STRATA_WB_LEASE_MS)")
    expect(stderr).toContain(`/writeBehind/origin: must be one of 'postgres', 'http', got "ftp" (env STRATA_WB_ORIGIN)`)
    expect(stderr).toContain("/logLevel: must be one of 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent', got \"loud\" (env STRATA_LOG_LEVEL)")
    expect(stderr).toContain('strata config validate <file> --service write-behind')
    expect(stderr).not.toMatch(/^\s+at /m)
  }, 60_000)
})
