import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { INVALIDATION_EVENT_TYPE, TOPICS, createEvent, type EventEnvelope, type InvalidationEvent } from '@strata/bus'
import { PROCESS_ADMIN_KEY, ServiceProcess, freePort, requireKafka, requireRedis, startGatewayProcess, uniqueName, waitUntil, type GatewayProcess } from '@strata/testkit'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const AUTH = { authorization: `Bearer ${PROCESS_ADMIN_KEY}` }

// STRATA_FAST_INVALIDATION=redis as a deployment sets it: the real main.ts of the gateway (bus kafka) and of the
// invalidator, on Redis L2 and Kafka. What goes over Redis pub/sub is watched (and injected) on the channel itself, so
// each test sees the fast path and nothing else: an invalidation sent only there must still reach the gateway's L1.
describe('fast invalidation wired in the gateway and invalidator processes (real Redis, real Kafka)', () => {
  const prefix = uniqueName('fastwire').replace(/[^A-Za-z0-9_.-]/g, '-')
  const namespace = 'orders'
  const channel = `${prefix}:${TOPICS.invalidations}`
  const dir = mkdtempSync(join(tmpdir(), 'strata-fast-'))
  const seen: EventEnvelope<InvalidationEvent>[] = []
  let gateway: GatewayProcess
  let invalidator: ServiceProcess
  let invalidatorUrl: string
  let tap: Redis
  let redisUrl: string
  const gatewayLog: string[] = []

  beforeAll(async () => {
    const [brokers, url] = await Promise.all([requireKafka(), requireRedis()])
    redisUrl = url
    tap = new Redis(redisUrl)
    tap.on('message', (_channel: string, payload: string) => {
      // The last test sends what is not JSON at all, to see the gateway refuse it.
      if (payload.startsWith('{')) seen.push(JSON.parse(payload) as EventEnvelope<InvalidationEvent>)
    })
    await tap.subscribe(channel)
    const shared = { STRATA_L2: 'redis', STRATA_REDIS_URL: redisUrl, STRATA_KAFKA_BROKERS: brokers.join(','), STRATA_PREFIX: prefix, STRATA_FAST_INVALIDATION: 'redis' }
    const rules = join(dir, 'rules.yaml')
    writeFileSync(rules, `version: 1\nrules:\n  - name: order\n    topic: ${uniqueName('fastwire.orders')}\n    namespace: ${namespace}\n    keys: ['{data.id}']\n`)
    const port = await freePort()
    invalidatorUrl = `http://127.0.0.1:${port}`
    invalidator = ServiceProcess.start('invalidator', {
      ...shared,
      LOG_LEVEL: 'warn',
      STRATA_INVALIDATOR_RULES: rules,
      STRATA_INVALIDATOR_PORT: String(port),
      STRATA_INVALIDATOR_AUTH: 'off',
      STRATA_INVALIDATOR_GROUP: uniqueName('fastwire.invalidator'),
      STRATA_INSTANCE_ID: uniqueName('invalidator'),
    })
    gateway = await startGatewayProcess({ ...shared, STRATA_GATEWAY_BUS: 'kafka', STRATA_GATEWAY_QUEUE: 'memory', STRATA_GATEWAY_NAMESPACES: JSON.stringify({ [namespace]: { ttl: 600_000 } }) })
    gateway.child.stdout!.on('data', (chunk: Buffer) => gatewayLog.push(chunk.toString()))
    await waitUntil(async () => (await fetch(`${gateway.url}/health/ready`).catch(() => undefined))?.status === 200, 60_000)
    await waitUntil(async () => (await fetch(`${invalidatorUrl}/health/ready`).catch(() => undefined))?.status === 200, 120_000).catch((error: unknown) => {
      throw new Error(`the invalidator did not get ready: ${String(error)}\n${invalidator.output.join('').slice(-3000)}`)
    })
  }, 180_000)
  afterAll(async () => {
    await gateway?.kill()
    await invalidator?.kill()
    tap?.disconnect()
    rmSync(dir, { recursive: true, force: true })
  })

  const tierOf = async (key: string): Promise<string | undefined> => {
    const response = await fetch(`${gateway.url}/v1/namespaces/${namespace}/entries/${key}`, { headers: AUTH })
    return response.status === 200 ? ((await response.json()) as { tier: string }).tier : undefined
  }
  const sentFor = (key: string, source: string) => seen.filter((event) => event.type === INVALIDATION_EVENT_TYPE && event.source.startsWith(source) && event.data.keys?.includes(key))

  it('the invalidator publishes what it invalidated on the fast channel too', { timeout: 60_000 }, async () => {
    const answer = await fetch(`${invalidatorUrl}/v1/invalidations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ namespace, keys: ['order:1'] }) })
    expect(answer.status).toBe(200)
    await waitUntil(() => sentFor('order:1', 'strata/invalidator').length === 1, 10_000)
    expect(sentFor('order:1', 'strata/invalidator')[0]!.data).toMatchObject({ namespace, kind: 'keys', keys: ['order:1'] })
  })

  it('the gateway publishes its own writes there, and drops from L1 what arrives only there', { timeout: 60_000 }, async () => {
    const put = await fetch(`${gateway.url}/v1/namespaces/${namespace}/keys/order:2`, { method: 'PUT', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify({ value: { id: 2 } }) })
    expect(put.status).toBe(200)
    await waitUntil(() => sentFor('order:2', 'strata/gateway').length === 1, 10_000)
    await waitUntil(async () => (await tierOf('order:2')) === 'l1', 10_000)

    // Published on Redis alone, as another instance's fast copy: Kafka never carries it.
    const event = createEvent<InvalidationEvent>({ type: INVALIDATION_EVENT_TYPE, source: 'fast-test', subject: namespace, data: { origin: 'another-instance', namespace, kind: 'keys', keys: ['order:2'], at: Date.now() } })
    const publisher = new Redis(redisUrl)
    try {
      await publisher.publish(channel, JSON.stringify(event))
    } finally {
      publisher.disconnect()
    }
    await waitUntil(async () => (await tierOf('order:2')) === 'l2', 10_000)
  })

  it('a fanout failure is visible: a warn in the log and strata_fast_invalidation_errors_total on /metrics', { timeout: 60_000 }, async () => {
    const errors = async (stage: string): Promise<number> => {
      const metrics = await (await fetch(`${gateway.url}/metrics`, { headers: AUTH })).text()
      return Number(new RegExp(`^strata_fast_invalidation_errors_total\\{fanout="redis",stage="${stage}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN)
    }
    expect(await errors('receive')).toBe(0)
    expect(await errors('publish')).toBe(0)
    // Something on the channel that is not an invalidation event (another deployment's channel clash, a bad tool).
    const publisher = new Redis(redisUrl)
    try {
      await publisher.publish(channel, 'not an event: order:3')
      await publisher.publish(channel, JSON.stringify({ specversion: '1.0', type: INVALIDATION_EVENT_TYPE }))
    } finally {
      publisher.disconnect()
    }
    await waitUntil(async () => (await errors('receive')) === 2, 10_000)
    const warned = gatewayLog
      .join('')
      .split('\n')
      .filter((line) => line.includes('fast invalidation fanout is not a valid invalidation'))
    // One warn for both (at most one per stage per 10 s), without the payload.
    expect(warned).toHaveLength(1)
    expect(JSON.parse(warned[0]!)).toMatchObject({ level: 40, fanout: 'redis', stage: 'receive' })
    expect(warned[0]).not.toContain('order:3')
  })
})
