import { mkdtempSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isStrataError, type StrataError } from '@strata/core'
import { explainConfig } from './explain-config.js'
import { loadConfig, type ConfigIssue } from './load-config.js'
import { SETTINGS } from './settings-index.js'

const dir = mkdtempSync(join(tmpdir(), 'strata-config-'))
function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
function issuesOf(run: () => unknown): ConfigIssue[] {
  try {
    run()
  } catch (error) {
    expect(isStrataError(error, 'E_CONFIG_INVALID')).toBe(true)
    return (error as StrataError).context.issues as ConfigIssue[]
  }
  throw new Error('expected E_CONFIG_INVALID')
}

describe('loadConfig', () => {
  it('gives the defaults of every section, each marked as such; services listen on loopback by default', () => {
    const { config, sources } = loadConfig({ env: {} })
    expect(config).toMatchObject({ prefix: 'strata', logLevel: 'info', l2: { kind: 'redis', redisUrl: 'redis://127.0.0.1:6379' }, kafka: { brokers: ['127.0.0.1:9092'], tls: 'off' } })
    expect(config.gateway).toMatchObject({ host: '127.0.0.1', port: 8080, bus: 'none', namespaces: {}, drainDelay: 5_000 })
    for (const section of ['invalidator', 'writeBehind', 'warmer', 'analytics', 'alerting', 'cdc'] as const) expect(config[section].host).toBe('127.0.0.1')
    expect(sources['gateway.port']).toEqual({ kind: 'default' })
  })

  it('names every variable STRATA_*, once (deprecated aliases aside)', () => {
    const names = SETTINGS.map((info) => info.env)
    expect(names.filter((name) => !name.startsWith('STRATA_'))).toEqual([])
    expect(new Set(names).size).toBe(names.length)
  })

  it('layers a YAML file over the defaults and the environment over the file, recording each source', () => {
    const path = file('strata.yaml', 'prefix: blue\nl2: { kind: memcached, memcachedServers: ["127.0.0.1:11211", "127.0.0.1:11212"] }\ngateway:\n  port: 9000\n  bus: kafka\n  upstreams:\n    demo:\n      url: http://127.0.0.1:4001\ninvalidator: { group: blue.invalidator }\n')
    const { config, sources } = loadConfig({ file: path, env: { STRATA_GATEWAY_PORT: '9100', STRATA_KAFKA_BROKERS: 'a:1, b:2' } })
    expect(config.gateway).toMatchObject({ port: 9100, bus: 'kafka', upstreams: { demo: { url: 'http://127.0.0.1:4001' } } })
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2'])
    expect(config.l2).toMatchObject({ kind: 'memcached', memcachedServers: ['127.0.0.1:11211', '127.0.0.1:11212'] })
    expect(config.invalidator.group).toBe('blue.invalidator')
    expect(sources['gateway.port']).toEqual({ kind: 'env', variable: 'STRATA_GATEWAY_PORT' })
    expect(sources['gateway.bus']).toEqual({ kind: 'file', file: path })
    expect(sources.prefix).toEqual({ kind: 'file', file: path })
  })

  it('reads the file STRATA_CONFIG_FILE names, JSON too', () => {
    const path = file('strata.json', '{"l2":{"kind":"memory"}}')
    expect(loadConfig({ env: { STRATA_CONFIG_FILE: path } }).config.l2.kind).toBe('memory')
  })

  it('accepts durations as milliseconds or strings, from the file and the environment', () => {
    const path = file('durations.yaml', 'gateway: { drainDelay: 2s, writeBehindMaxLag: 1500, upstreams: { shop: { url: "http://127.0.0.1:4000", timeoutMs: 2s } } }\nwriteBehind: { lease: 5m }\n')
    const { config } = loadConfig({ file: path, env: { STRATA_KEY_CACHE_MS: '10s', STRATA_WB_INTERVAL_MS: '250', STRATA_ANALYTICS_HOT_KEYS_MS: '1h' } })
    expect(config.gateway.drainDelay).toBe(2_000)
    expect(config.gateway.writeBehindMaxLag).toBe(1_500)
    expect(config.gateway.upstreams.shop!.timeoutMs).toBe(2_000)
    expect(config.writeBehind.lease).toBe(300_000)
    expect(config.keyCacheTtl).toBe(10_000)
    expect(config.writeBehind.interval).toBe(250)
    expect(config.analytics.hotKeysInterval).toBe(3_600_000)
    const issues = issuesOf(() => loadConfig({ env: { STRATA_WB_LEASE_MS: 'soon', STRATA_WB_INTERVAL_MS: '0s' } }))
    expect(issues.find((issue) => issue.path === '/writeBehind/lease')).toMatchObject({ source: 'env STRATA_WB_LEASE_MS', message: expect.stringContaining("'10s', '5m'") })
    expect(issues.find((issue) => issue.path === '/writeBehind/interval')!.message).toContain('at least 1 ms')
  })

  it('still reads deprecated names (LOG_LEVEL, HOST, PORT, STRATA_GATEWAY_L2) with a warning naming the new one; the new name wins', () => {
    const loaded = loadConfig({ env: { LOG_LEVEL: 'debug', PORT: '9001', STRATA_GATEWAY_L2: 'memory', HOST: '0.0.0.0', STRATA_GATEWAY_HOST: '::1' } })
    expect(loaded.config.logLevel).toBe('debug')
    expect(loaded.config.gateway.port).toBe(9001)
    expect(loaded.config.gateway.host).toBe('::1')
    expect(loaded.config.l2.kind).toBe('memory')
    expect(loaded.warnings).toEqual(expect.arrayContaining(['LOG_LEVEL is deprecated: set STRATA_LOG_LEVEL instead', 'STRATA_GATEWAY_L2 is deprecated: set STRATA_L2 instead']))
    expect(loaded.sources.logLevel).toEqual({ kind: 'env', variable: 'LOG_LEVEL' })
  })

  it('collects every problem with its setting, the allowed values and its source', () => {
    const path = file('bad.yaml', 'gateway:\n  port: 99999\n  bus: carrier-pigeon\n  upstreams:\n    demo:\n      url: ftp://nope\n  colour: blue\nshade: dark\n')
    const issues = issuesOf(() => loadConfig({ file: path, env: { STRATA_GATEWAY_BODY_LIMIT: 'lots', STRATA_L2: 'redis-clusters' } }))
    const at = (pointer: string) => issues.find((issue) => issue.path === pointer)!
    expect(issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(['/gateway/port', '/gateway/bus', '/gateway/upstreams/demo/url', '/gateway/colour', '/shade', '/gateway/bodyLimit', '/l2/kind']))
    expect(at('/gateway/colour').message).toContain("unknown setting 'gateway.colour' (known: host, port,")
    expect(at('/shade').message).toContain("unknown setting 'shade'")
    expect(at('/gateway/bus').message).toBe("must be one of 'kafka', 'local', 'none', got \"carrier-pigeon\"")
    expect(at('/l2/kind')).toEqual({ path: '/l2/kind', source: 'env STRATA_L2', message: "must be one of 'memory', 'redis', 'redis-cluster', 'redis-sentinel', 'memcached', got \"redis-clusters\"" })
    expect(at('/gateway/port').message).toBe('must be an integer ≥ 0 and ≤ 65535, got 99999')
    expect(at('/gateway/bodyLimit')).toMatchObject({ source: 'env STRATA_GATEWAY_BODY_LIMIT', message: "must be an integer, got 'lots'" })
    expect(at('/gateway/port').source).toBe(`file ${path}`)
  })

  it('checks settings that go together, naming both variables', () => {
    const issues = issuesOf(() => loadConfig({ env: { STRATA_KAFKA_SASL_MECHANISM: 'scram-sha-512', STRATA_KAFKA_CA_FILE: '/etc/ca.pem' } }))
    expect(issues.find((issue) => issue.path === '/kafka/saslMechanism')!.message).toContain('STRATA_KAFKA_SASL_USERNAME')
    expect(issues.find((issue) => issue.path === '/kafka/tls')!.message).toContain('STRATA_KAFKA_TLS=on')
  })

  it("reads gateway.workers as a count: digits, an integer in the file, or 'auto' (one per core); refuses anything else naming the forms", () => {
    expect(loadConfig({ env: {} }).config.gateway.workers).toBe(1)
    expect(loadConfig({ env: { STRATA_GATEWAY_WORKERS: '3' } }).config.gateway.workers).toBe(3)
    expect(loadConfig({ env: { STRATA_GATEWAY_WORKERS: 'auto' } }).config.gateway.workers).toBe(availableParallelism())
    expect(loadConfig({ file: file('workers.yaml', 'gateway:\n  workers: 4\n'), env: {} }).config.gateway.workers).toBe(4)
    for (const bad of ['0', 'many', '1.5']) {
      const issue = issuesOf(() => loadConfig({ env: { STRATA_GATEWAY_WORKERS: bad } })).find((found) => found.path === '/gateway/workers')
      expect(issue).toEqual({ path: '/gateway/workers', source: 'env STRATA_GATEWAY_WORKERS', message: `must be an integer ≥ 1, or 'auto' (one per core), got ${JSON.stringify(bad)}` })
    }
  })

  it('refuses several gateway workers over per-process state: an in-process write-behind queue, a memory L2, API keys in memory', () => {
    const env = { STRATA_GATEWAY_WORKERS: '2', STRATA_GATEWAY_QUEUE: 'memory', STRATA_L2: 'memory', STRATA_GATEWAY_KEY_STORE: 'memory' }
    const issues = issuesOf(() => loadConfig({ env }))
    const at = (pointer: string) => issues.find((issue) => issue.path === pointer)?.message
    expect(at('/gateway/queue')).toMatch(/^'memory' with gateway.workers "2" \(STRATA_GATEWAY_WORKERS, 2 processes\): .*out of order; set STRATA_GATEWAY_QUEUE=redis$/)
    expect(at('/l2/kind')).toContain('STRATA_L2=redis')
    expect(at('/gateway/keyStore')).toContain('STRATA_GATEWAY_KEY_STORE=postgres')
    // One worker keeps every embedded choice; auth off needs no key store.
    expect(() => loadConfig({ env: { ...env, STRATA_GATEWAY_WORKERS: '1' } })).not.toThrow()
    expect(() => loadConfig({ env: { STRATA_GATEWAY_WORKERS: '2', STRATA_GATEWAY_AUTH: 'off', STRATA_GATEWAY_KEY_STORE: 'memory' } })).not.toThrow()
  })

  it('takes fast invalidation over Redis only beside a Redis L2', () => {
    const issues = issuesOf(() => loadConfig({ env: { STRATA_FAST_INVALIDATION: 'redis', STRATA_L2: 'memcached' } }))
    expect(issues.find((issue) => issue.path === '/fastInvalidation')).toMatchObject({ source: 'env STRATA_FAST_INVALIDATION', message: expect.stringContaining("l2.kind is 'memcached'") })
    expect(loadConfig({ env: { STRATA_FAST_INVALIDATION: 'redis', STRATA_L2: 'redis-sentinel' } }).config.fastInvalidation).toBe('redis')
    expect(loadConfig({ env: {} }).config.fastInvalidation).toBe('off')
  })

  it('never echoes a secret, in an error or in explain', () => {
    const issues = issuesOf(() => loadConfig({ env: { STRATA_BOOTSTRAP_ADMIN_KEY: 'hunter2-not-a-key' } }))
    expect(JSON.stringify(issues)).not.toContain('hunter2')
    const loaded = loadConfig({
      env: { STRATA_KAFKA_SASL_MECHANISM: 'plain', STRATA_KAFKA_SASL_USERNAME: 'u', STRATA_KAFKA_SASL_PASSWORD: 'pw-123', STRATA_POSTGRES_URL: 'postgres://app:pg-secret@db/strata', STRATA_QUEUE_REDIS_URL: 'redis://:q-secret@127.0.0.1:6380' },
    })
    const shown = JSON.stringify(explainConfig(loaded))
    for (const secret of ['pw-123', 'pg-secret', 'q-secret']) expect(shown).not.toContain(secret)
    expect(shown).toContain('postgres://app:***@db/strata')
  })

  it('explains one service: its sections and the shared settings it reads', () => {
    const rows = explainConfig(loadConfig({ env: { STRATA_INVALIDATOR_PORT: '0' } }), 'invalidator')
    const settings = rows.map((row) => row.setting)
    expect(settings).toEqual(expect.arrayContaining(['prefix', 'l2.kind', 'kafka.brokers', 'invalidator.port']))
    expect(settings.some((setting) => setting.startsWith('gateway.'))).toBe(false)
    expect(rows.find((row) => row.setting === 'invalidator.port')).toMatchObject({ value: 0, source: 'env STRATA_INVALIDATOR_PORT', variable: 'STRATA_INVALIDATOR_PORT' })
  })

  it('names the line of a YAML syntax error, and refuses an unreadable file or a non-mapping', () => {
    const syntax = issuesOf(() => loadConfig({ file: file('syntax.yaml', 'prefix: a\n  l2: [unclosed\n'), env: {} }))
    expect(syntax[0]!.message).toMatch(/^YAML syntax/)
    expect(syntax[0]!.source).toMatch(/syntax\.yaml:\d+:\d+$/)
    expect(issuesOf(() => loadConfig({ file: join(dir, 'absent.yaml'), env: {} }))[0]!.message).toContain('cannot read the file')
    expect(issuesOf(() => loadConfig({ file: file('list.yaml', '- 1\n- 2\n'), env: {} }))[0]!.message).toContain('mapping')
    expect(issuesOf(() => loadConfig({ file: file('section.yaml', 'gateway: 8080\n'), env: {} }))[0]!.message).toContain('mapping of gateway settings')
  })

  it('refuses bad JSON in a JSON-valued variable', () => {
    const issues = issuesOf(() => loadConfig({ env: { STRATA_GATEWAY_NAMESPACES: '{nope' } }))
    expect(issues[0]).toMatchObject({ path: '/gateway/namespaces', source: 'env STRATA_GATEWAY_NAMESPACES' })
    expect(issues[0]!.message).toContain('must be JSON')
  })
})

describe('corsOrigins', () => {
  it('are origins as CORS compares them (a trailing slash or path dropped); a non-URL is refused naming the variable', () => {
    expect(loadConfig({ env: { STRATA_CORS_ORIGINS: 'http://127.0.0.1:8080/, https://console.example.com/app' } }).config.corsOrigins).toEqual(['http://127.0.0.1:8080', 'https://console.example.com'])
    const issues = issuesOf(() => loadConfig({ env: { STRATA_CORS_ORIGINS: 'console.example.com' } }))
    expect(issues[0]).toMatchObject({ path: '/corsOrigins/0', source: 'env STRATA_CORS_ORIGINS' })
  })
})
