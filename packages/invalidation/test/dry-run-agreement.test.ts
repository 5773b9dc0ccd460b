import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROCESS_ADMIN_KEY, ServiceProcess, eventually, requireKafka, requireRedis, startGatewayProcess, uniqueName, waitUntil, type GatewayProcess } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const AUTH = { authorization: `Bearer ${PROCESS_ADMIN_KEY}`, 'content-type': 'application/json' }
const ITEMS = [
  { key: 'cart:1', value: 1, tags: ['org:7'] },
  { key: 'cart:2', value: 2 },
  { key: 'cart:3', value: 3, tags: ['org:8'] },
  { key: 'order:1', value: 4, tags: ['org:7'] },
  { key: 'order:2', value: 5 },
]
const REQUESTS = [
  { keys: ['cart:1', 'order:2', 'nope'] },
  { prefixes: ['cart:', 'order:2'] },
  { tags: ['org:7'] },
  { expireTags: ['org:8'] },
  { all: true },
  { keys: ['cart:1', 'nope'], prefixes: ['cart:', 'order:2'], tags: ['org:7'], expireTags: ['org:8'], all: true },
]

// Issue 19, acceptance 4: the gateway's dry run and the invalidator's agree on the same request. Both services run as
// their real main.ts processes over the same Redis; the data is written once, through the gateway.
describe('dry runs of the gateway and of the invalidator agree (real processes, one Redis)', () => {
  const namespace = uniqueName('agree').replace(/[^a-z0-9-]/g, '-')
  const directory = mkdtempSync(join(tmpdir(), 'strata-agree-'))
  let gateway: GatewayProcess
  let invalidator: ServiceProcess
  let invalidatorUrl = ''

  beforeAll(async () => {
    const redisUrl = await requireRedis()
    const brokers = (await requireKafka()).join(',')
    const rules = join(directory, 'rules.yaml')
    writeFileSync(rules, 'version: 1\nrules: []\n')
    invalidator = ServiceProcess.start('invalidator', {
      STRATA_REDIS_URL: redisUrl,
      STRATA_KAFKA_BROKERS: brokers,
      STRATA_INVALIDATOR_RULES: rules,
      STRATA_INVALIDATOR_AUTH: 'off',
      STRATA_INVALIDATOR_PORT: '0',
    })
    gateway = await startGatewayProcess({
      STRATA_L2: 'redis',
      STRATA_REDIS_URL: redisUrl,
      STRATA_GATEWAY_QUEUE: 'memory',
      // As deployed: the gateway's L1 follows the invalidator's invalidations on Kafka.
      STRATA_GATEWAY_BUS: 'kafka',
      STRATA_KAFKA_BROKERS: brokers,
      STRATA_GATEWAY_NAMESPACES: JSON.stringify({ [namespace]: { ttl: 600_000 } }),
    })
    await waitUntil(() => /Server listening at http:\/\/127\.0\.0\.1:\d+/.test(invalidator.output.join('')) || invalidator.exited, 60_000)
    invalidatorUrl = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(invalidator.output.join(''))?.[1] ?? ''
    expect(invalidatorUrl, invalidator.output.join('')).not.toBe('')
    const written = await fetch(`${gateway.url}/v1/namespaces/${namespace}/keys:batchSet`, { method: 'POST', headers: AUTH, body: JSON.stringify({ items: ITEMS }) })
    expect(written.status, await written.text()).toBe(200)
  }, 90_000)
  afterAll(async () => {
    await fetch(`${gateway.url}/v1/namespaces/${namespace}/invalidations`, { method: 'POST', headers: AUTH, body: JSON.stringify({ all: true }) }).catch(() => undefined)
    await gateway?.stop()
    await invalidator?.stop()
    rmSync(directory, { recursive: true, force: true })
  })

  const counts = async () =>
    Promise.all(
      REQUESTS.map(async (request) => {
        const fromGateway = await fetch(`${gateway.url}/v1/namespaces/${namespace}/invalidations`, { method: 'POST', headers: AUTH, body: JSON.stringify({ ...request, dryRun: true }) })
        const fromInvalidator = await fetch(`${invalidatorUrl}/v1/invalidations`, { method: 'POST', headers: AUTH, body: JSON.stringify({ namespace, ...request, dryRun: true }) })
        expect(fromGateway.status).toBe(200)
        expect(fromInvalidator.status).toBe(200)
        return { gateway: ((await fromGateway.json()) as { counts: unknown }).counts, invalidator: ((await fromInvalidator.json()) as { counts: unknown }).counts }
      }),
    )

  it('count every kind of target the same', { timeout: 60_000 }, async () => {
    const answers = await counts()
    for (const answer of answers) expect(answer.invalidator).toEqual(answer.gateway)
    // And the counts are the data's, not an agreement on nothing.
    expect(answers.map((answer) => answer.gateway)).toEqual([
      { keys: 2, prefixes: 0, tags: 0, expireTags: 0, all: 0 },
      { keys: 0, prefixes: 4, tags: 0, expireTags: 0, all: 0 },
      { keys: 0, prefixes: 0, tags: 2, expireTags: 0, all: 0 },
      { keys: 0, prefixes: 0, tags: 0, expireTags: 1, all: 0 },
      { keys: 0, prefixes: 0, tags: 0, expireTags: 0, all: 5 },
      { keys: 1, prefixes: 4, tags: 2, expireTags: 1, all: 5 },
    ])
  })

  it('still agree after an invalidation through the invalidator (tag records through L2, every L1 through Kafka)', { timeout: 60_000 }, async () => {
    const done = await fetch(`${invalidatorUrl}/v1/invalidations`, { method: 'POST', headers: AUTH, body: JSON.stringify({ namespace, tags: ['org:7'], keys: ['order:2'] }) })
    expect(done.status, await done.clone().text()).toBe(200)
    expect(((await done.json()) as { record: unknown }).record).toMatchObject({ trigger: 'manual', namespace, targets: { tags: ['org:7'], keys: ['order:2'] } })
    // The gateway's L1 hears of it through the bus, a moment later.
    await eventually(async () => {
      const answers = await counts()
      for (const answer of answers) expect(answer.invalidator).toEqual(answer.gateway)
      expect(answers[2]!.gateway).toMatchObject({ tags: 0 })
      expect(answers[0]!.gateway).toMatchObject({ keys: 1 })
    }, 30_000)
  })
})
