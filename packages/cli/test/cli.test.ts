import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, type StrataCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { buildGateway, NamespaceRegistry, type Gateway } from '@strata/gateway'
import { consumeEvents } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { requireKafka, requireRedis, servers, uniqueName, waitUntil } from '@strata/testkit'
import { runCli } from '../src/index.js'

/** Runs the CLI in this process and returns what it printed and its exit code. */
async function strata(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runCli(args, { out: (text) => void (out += text), err: (text) => void (err += text), env: { PATH: process.env.PATH, ...env } })
  return { code, out, err }
}

const dir = mkdtempSync(join(tmpdir(), 'strata-cli-'))
function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** Ports of this work's range, spread by pid so parallel files rarely meet; a clash shows as EADDRINUSE. */
const PORT_BASE = 19_450 + (process.pid % 20) * 2

describe('strata config', () => {
  it('validate: a good file → exit 0', async () => {
    const path = file('good.yaml', 'l2: { kind: memory }\ngateway:\n  port: 9000\n  namespaces:\n    users: { ttl: 60000, grace: 1000 }\n')
    expect(await strata(['config', 'validate', path])).toEqual({ code: 0, out: `${path}: valid\n`, err: '' })
  })

  it('validate: schema errors → exit 2, every problem with its field, the allowed values and its source', async () => {
    const path = file('bad.yaml', 'gateway:\n  port: 70000\n  bus: pigeon\n  namespaces:\n    users: { ttl: -1, refreshAhead: 3 }\ncolour: blue\ninvalidator: { port: many }\n')
    const { code, err, out } = await strata(['config', 'validate', path])
    expect(code).toBe(2)
    expect(out).toBe('')
    expect(err).toContain(`invalid configuration in ${path}`)
    // Schema problems and namespace-policy problems come together, in one run.
    for (const field of ['/gateway/port', '/gateway/bus', '/colour', '/gateway/namespaces/users/ttl', '/gateway/namespaces/users/refreshAhead', '/invalidator/port']) expect(err).toContain(field)
    expect(err).toContain("unknown setting 'colour'")
    expect(err).toContain("must be one of 'kafka', 'local', 'none'")
    expect(err).toContain(`[file ${path}]`)
  })

  it('validate: a bad namespace policy is refused with the admin API rules → exit 2', async () => {
    const path = file('policy.yaml', 'gateway:\n  namespaces:\n    users: { ttl: 1000, refreshAhead: 3, writeMode: sometimes }\n')
    const { code, err } = await strata(['config', 'validate', path])
    expect(code).toBe(2)
    expect(err).toContain('/gateway/namespaces/users/refreshAhead')
    expect(err).toContain('/gateway/namespaces/users/writeMode')
  })

  it('validate: YAML syntax errors name the line; a missing file is clear → exit 2', async () => {
    const broken = file('broken.yaml', 'prefix: a\n  gateway: [unclosed\n')
    const syntax = await strata(['config', 'validate', broken])
    expect(syntax.code).toBe(2)
    expect(syntax.err).toMatch(/YAML syntax.*\[.*broken\.yaml:\d+:\d+\]/)
    const missing = await strata(['config', 'validate', join(dir, 'nope.yaml')])
    expect(missing.code).toBe(2)
    expect(missing.err).toContain('cannot read the file')
  })

  it('validate: the environment is checked over the file unless --no-env; a deprecated name warns', async () => {
    const path = file('env.yaml', 'gateway: { port: 9000 }\n')
    const withEnv = await strata(['config', 'validate', path], { STRATA_WB_LEASE_MS: 'a while' })
    expect(withEnv.code).toBe(2)
    expect(withEnv.err).toContain("/writeBehind/lease: must be milliseconds, or a duration such as '500ms', '10s'")
    expect(withEnv.err).toContain('[env STRATA_WB_LEASE_MS]')
    expect((await strata(['config', 'validate', '--no-env', path], { STRATA_WB_LEASE_MS: 'a while' })).code).toBe(0)
    const deprecated = await strata(['config', 'validate', '--service', 'analytics', path], { LOG_LEVEL: 'debug' })
    expect(deprecated).toEqual({ code: 0, out: `${path}: valid for analytics\n`, err: 'warning: LOG_LEVEL is deprecated: set STRATA_LOG_LEVEL instead\n' })
  })

  it('explain: every setting with its effective value and source (default, file, env); secrets masked', async () => {
    const path = file('explain.yaml', 'gateway: { port: 9000, bus: local }\nkafka: { saslMechanism: plain, saslUsername: app }\n')
    const { code, out } = await strata(['config', 'explain', '--config', path], { STRATA_GATEWAY_PORT: '9100', STRATA_REDIS_URL: 'redis://:r-secret@10.0.0.1:6379', STRATA_KAFKA_SASL_PASSWORD: 'k-secret' })
    expect(code).toBe(0)
    const rows = Object.fromEntries(out.trim().split('\n').slice(1).map((line) => [line.split(/\s+/)[0], line]))
    expect(rows['gateway.port']).toMatch(/^gateway\.port\s+9100\s+env STRATA_GATEWAY_PORT/)
    expect(rows['gateway.bus']).toMatch(new RegExp(`^gateway\\.bus\\s+"local"\\s+file ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
    expect(rows['l2.redisUrl']).toMatch(/"redis:\/\/:\*\*\*@10\.0\.0\.1:6379"\s+env STRATA_REDIS_URL/)
    expect(rows['kafka.saslPassword']).toContain('"[secret]"')
    expect(out).not.toContain('secret@')
    expect(out).not.toContain('k-secret')
    expect(rows['gateway.host']).toMatch(/^gateway\.host\s+"127\.0\.0\.1"\s+default\s+STRATA_GATEWAY_HOST$/)
    const json = JSON.parse((await strata(['config', 'explain', '--json'], { STRATA_CONFIG_FILE: path, STRATA_KAFKA_SASL_PASSWORD: 'k-secret' })).out) as { setting: string; source: string }[]
    expect(json.find((row) => row.setting === 'gateway.bus')!.source).toBe(`file ${path}`)
  })

  it('explain --service: the settings one service reads, for any service', async () => {
    for (const service of ['gateway', 'invalidator', 'write-behind', 'warmer', 'analytics', 'alerting', 'cdc']) {
      const { code, out } = await strata(['config', 'explain', '--json', '--service', service])
      expect(code).toBe(0)
      const settings = (JSON.parse(out) as { setting: string }[]).map((row) => row.setting)
      expect(settings).toContain('prefix')
      expect(settings.some((setting) => setting.startsWith(`${service === 'write-behind' ? 'writeBehind' : service}.`))).toBe(true)
    }
    const invalidator = (JSON.parse((await strata(['config', 'explain', '--json', '-s', 'invalidator'])).out) as { setting: string }[]).map((row) => row.setting)
    expect(invalidator).toContain('l2.kind')
    expect(invalidator.filter((setting) => setting.startsWith('gateway.'))).toEqual([])
    const unknown = await strata(['config', 'explain', '--service', 'gatewy'])
    expect(unknown.code).not.toBe(0)
    expect(unknown.err).toContain('gateway, invalidator, write-behind')
  })
})

describe('strata rules check (the invalidator\'s start-up check, from @strata/invalidation)', () => {
  it('accepts a rules file in the one dialect, and names the file, line and rule of a wrong one → exit 2', async () => {
    const good = file('rules.yaml', "version: 1\nrules:\n  - name: p\n    topic: shop.v1\n    namespace: products\n    keys: ['{data.id}']\n")
    expect(await strata(['rules', 'check', good])).toEqual({ code: 0, out: `${good}: valid (1 rules on 1 topics, 0 schedules)\n`, err: '' })
    const bad = file('bad-rules.yaml', "version: 1\nrules:\n  - name: p\n    topic: shop.v1\n    namespace: products\n    keys: ['{data.id']\n")
    const refused = await strata(['rules', 'check', bad])
    expect([refused.code, refused.err]).toEqual([2, `strata: ${bad}:6: rule 'p' (#1): template '{data.id' has a '{' without its '}'\n`])
  })
})

describe('strata keys, invalidate and stats against a real gateway (real Redis)', () => {
  let cache: StrataCache
  let registry: NamespaceRegistry
  let gateway: Gateway
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    await requireRedis()
    cache = createCache({ prefix: uniqueName('cli'), l2: redisStore({ url: servers.redisUrl }) })
    registry = new NamespaceRegistry(cache)
    await registry.start({ users: { ttl: 60_000 } })
    gateway = await buildGateway({ cache, registry, processMetrics: false })
    const address = await gateway.app.listen({ host: '127.0.0.1', port: PORT_BASE })
    env = { STRATA_URL: address }
  })
  afterAll(async () => {
    await gateway?.close()
    registry?.close()
    await cache?.namespace('users').clear()
    await cache?.close()
  })

  it('keys set / get / del', async () => {
    const set = await strata(['keys', 'set', 'users', 'u:1', '{"name":"Ada"}', '--ttl', '30000', '--tag', 'org:1'], env)
    expect(set.code).toBe(0)
    expect(set.out).toContain('users/u:1 written')
    expect(await cache.namespace('users').get('u:1')).toEqual({ name: 'Ada' })
    const get = await strata(['keys', 'get', 'users', 'u:1'], env)
    expect([get.code, JSON.parse(get.out)]).toEqual([0, { name: 'Ada' }])
    expect((await strata(['keys', 'set', 'users', 'u:2', 'plain-word'], env)).code).toBe(0)
    expect(await cache.namespace('users').get('u:2')).toBe('plain-word')
    const del = await strata(['keys', 'del', 'users', 'u:1', 'u:2'], env)
    expect([del.code, del.out]).toEqual([0, '2 keys deleted from users\n'])
    const missing = await strata(['keys', 'get', 'users', 'u:1'], env)
    expect([missing.code, missing.err]).toEqual([1, 'strata: users/u:1: not found\n'])
  })

  it('keys ls: the namespaces, then which keys are cached', async () => {
    await cache.namespace('users').set('present', 1)
    const namespaces = await strata(['keys', 'ls'], env)
    expect(namespaces.code).toBe(0)
    expect(namespaces.out).toMatch(/^users\s+60000\s+cache-aside/m)
    const lookup = await strata(['keys', 'ls', 'users', 'present', 'absent'], env)
    expect(lookup.out).toMatch(/^present\s+yes\s+1$/m)
    expect(lookup.out).toMatch(/^absent\s+no$/m)
  })

  it('keys ls <namespace>: its entries with their metadata, by prefix or tag, up to --limit', async () => {
    for (let i = 0; i < 5; i++) await cache.namespace('users').set(`ls:${i}`, i, { tags: i % 2 === 0 ? ['even'] : [] })
    const byPrefix = await strata(['keys', 'ls', 'users', '--prefix', 'ls:'], env)
    expect(byPrefix.code).toBe(0)
    expect(byPrefix.out).toMatch(/^key\s+tier\s+ttl left ms\s+stale\s+bytes\s+version\s+tags$/m)
    expect([...byPrefix.out.matchAll(/^(ls:\d)\s/gm)].map((m) => m[1]).sort()).toEqual(['ls:0', 'ls:1', 'ls:2', 'ls:3', 'ls:4'])
    const byTag = await strata(['keys', 'ls', 'users', '--prefix', 'ls:', '--tag', 'even'], env)
    expect([...byTag.out.matchAll(/^(ls:\d)\s.*\beven$/gm)].map((m) => m[1]).sort()).toEqual(['ls:0', 'ls:2', 'ls:4'])
    const limited = await strata(['keys', 'ls', 'users', '--prefix', 'ls:', '--limit', '2'], env)
    expect([...limited.out.matchAll(/^ls:\d\s/gm)]).toHaveLength(2)
    expect((await strata(['keys', 'ls', 'users', '--limit', 'x'], env)).code).toBe(2)
  })

  it('invalidate by key, tag and all; refuses an empty request with exit 2', async () => {
    await cache.namespace('users').set('t1', 1, { tags: ['team'] })
    await cache.namespace('users').set('k1', 1)
    const result = await strata(['invalidate', 'users', '--tag', 'team', '--key', 'k1'], env)
    expect([result.code, result.out]).toEqual([0, 'users: 1 keys, 1 tags, 0 expired tags invalidated\n'])
    expect(await cache.namespace('users').getMany(['t1', 'k1'])).toEqual([undefined, undefined])
    await cache.namespace('users').set('p:1', 1)
    const byPrefix = await strata(['invalidate', 'users', '--prefix', 'p:'], env)
    expect([byPrefix.code, byPrefix.out]).toEqual([0, 'users: 0 keys, 0 tags, 0 expired tags, 1 prefixes invalidated\n'])
    expect(await cache.namespace('users').get('p:1')).toBeUndefined()
    const empty = await strata(['invalidate', 'users'], env)
    expect(empty.code).toBe(2)
    expect(empty.err).toContain('say what to invalidate')
  })

  it('invalidate --dry-run: counts per target, as the invalidator counts them, and changes nothing', async () => {
    for (const key of ['d:1', 'd:2', 'd:3']) await cache.namespace('users').set(key, 1, { tags: key === 'd:3' ? ['dry'] : [] })
    const result = await strata(['invalidate', 'users', '--key', 'd:1', 'nope', '--prefix', 'd:', '--tag', 'dry', '--dry-run'], env)
    expect(result.code, result.err).toBe(0)
    expect(result.out).toMatch(/^keys \(present\)\s+1$/m)
    expect(result.out).toMatch(/^keys under the prefixes\s+3$/m)
    expect(result.out).toMatch(/^entries with the tags\s+1$/m)
    expect(result.out).not.toMatch(/whole namespace/)
    expect(result.out).toContain('users: dry run, nothing was invalidated')
    expect(await cache.namespace('users').getMany(['d:1', 'd:2', 'd:3'])).toEqual([1, 1, 1])
  })

  it('stats: counters per namespace, as a table or JSON', async () => {
    await cache.namespace('users').set('s', 1)
    await strata(['keys', 'get', 'users', 's'], env)
    const json = await strata(['stats', 'users', '--json'], env)
    const stats = (JSON.parse(json.out) as Record<string, { hits: number; sets: number }>).users!
    expect(stats.hits).toBeGreaterThanOrEqual(1)
    expect(stats.sets).toBeGreaterThanOrEqual(1)
    expect((await strata(['stats'], env)).out).toMatch(/^namespace\s+hits\s+misses\s+hit ratio/)
  })

  it('gateway errors exit 1 with the gateway code; a down gateway too', async () => {
    const unknown = await strata(['keys', 'get', 'nope', 'k'], env)
    expect(unknown.code).toBe(1)
    expect(unknown.err).toContain('E_NAMESPACE_NOT_FOUND')
    const down = await strata(['--timeout', '500', 'stats'], { STRATA_URL: 'http://127.0.0.1:1' })
    expect(down.code).toBe(1)
  })
})

describe('strata events publish (a domain event on real Kafka, in the invalidator\'s envelope)', () => {
  it('puts one event on the topic with the given type, data and subject; refuses bad --data with exit 2 and publishes nothing', async () => {
    const brokers = await requireKafka()
    const topic = uniqueName('cli-events')
    const transport = new KafkaTransport({ brokers, clientId: 'cli-events-test', log: () => undefined })
    const received: { type: string; data: unknown; subject?: string; source: string }[] = []
    try {
      const subscription = await consumeEvents(transport, topic, { group: uniqueName('cli-events'), startFrom: 'earliest' }, async (event) => {
        received.push(event)
      })
      const env = { STRATA_KAFKA_BROKERS: brokers.join(',') }
      expect((await strata(['events', 'publish', '--topic', topic, '--type', 'product.updated', '--data', '[1]'], env)).code).toBe(2)
      const bad = await strata(['events', 'publish', '--topic', topic, '--type', 'product.updated', '--data', '{id: 42}'], env)
      expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('--data is not JSON')])
      const sent = await strata(['events', 'publish', '--topic', topic, '--type', 'product.updated', '--data', '{"id":"42"}', '--subject', 'product/42'], env)
      expect(sent.code).toBe(0)
      expect(sent.out).toMatch(new RegExp(`^published product.updated [0-9a-f-]{36} to ${topic}\n$`))
      await waitUntil(() => received.length > 0, 30_000)
      expect(received).toHaveLength(1)
      expect(received[0]).toMatchObject({ type: 'product.updated', data: { id: '42' }, subject: 'product/42', source: 'strata/cli' })
      await subscription.close()
    } finally {
      await transport.close()
    }
  }, 60_000)
})

describe('strata infra, bench, start and usage', () => {
  it('infra status runs infra/local/status.sh against the running servers', async () => {
    // The script needs the ordinary environment (HOME for its state directory).
    const { code, out } = await strata(['infra', 'status'], { ...process.env })
    expect(code).toBe(0)
    expect(out).toMatch(/^redis-cache\s+127\.0\.0\.1:6379\s+up/m)
  })

  it('infra up and down run their scripts and pass their exit codes on (a scratch infra dir: the real servers stay up)', async () => {
    const infra = mkdtempSync(join(tmpdir(), 'strata-infra-'))
    for (const [action, rc] of [['up', 0], ['down', 3]] as const) {
      writeFileSync(join(infra, `${action}.sh`), `echo "${action} ran" > "${infra}/${action}.log"\necho ${action}\nexit ${rc}\n`)
      chmodSync(join(infra, `${action}.sh`), 0o755)
    }
    const up = await strata(['infra', 'up'], { STRATA_INFRA_DIR: infra })
    expect([up.code, up.out]).toEqual([0, 'up\n'])
    expect(readFileSync(join(infra, 'up.log'), 'utf8')).toBe('up ran\n')
    expect((await strata(['infra', 'down'], { STRATA_INFRA_DIR: infra })).code).toBe(3)
    expect((await strata(['infra', 'sideways'])).code).toBe(2)
  })

  it('bench dispatches to bench/run.ts (an unknown benchmark lists the available ones, exit 2)', async () => {
    const { code, err } = await strata(['bench', 'no-such-bench'])
    expect(code).toBe(2)
    expect(err).toMatch(/available: .*core.*hit-ratio/)
  })

  it('unknown commands and options are usage errors (exit 2); --help is exit 0', async () => {
    expect((await strata(['frobnicate'])).code).toBe(2)
    expect((await strata(['keys', 'get', 'only-namespace'])).code).toBe(2)
    const help = await strata(['--help'])
    expect(help.code).toBe(0)
    for (const command of ['start', 'infra', 'keys', 'invalidate', 'stats', 'bench', 'config', 'events']) expect(help.out).toContain(command)
  })

  // Loading the gateway's modules through tsx takes a few seconds, and much longer on a loaded machine.
  it('start (through the bin) serves the embedded platform until SIGTERM, then exits 0', { timeout: 120_000 }, async () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'strata.js')
    const port = PORT_BASE + 1
    const child = spawn(process.execPath, [bin, 'start', '--port', String(port), '--origin-port', String(port + 40), '--alerting-port', String(port + 41)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      await waitUntil(() => output.includes('Strata is running'), 90_000)
      const live = await fetch(`http://127.0.0.1:${port}/health/live`)
      expect(await live.json()).toEqual({ status: 'live' })
      // Auth is on in the embedded platform too: the admin key is printed once at start.
      const adminKey = /admin key\s+(sk_\S+)/.exec(output)?.[1]
      expect(adminKey).toBeDefined()
      expect((await fetch(`http://127.0.0.1:${port}/proxy/demo/products/42`)).status).toBe(401)
      const proxied = await fetch(`http://127.0.0.1:${port}/proxy/demo/products/42`, { headers: { 'x-api-key': adminKey! } })
      expect(proxied.status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    expect(output).toContain('stopping')
  })
})
