import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { BullmqJobQueue } from '@strata/queue/bullmq'
import { RedisPendingWrites } from '@strata/queue/redis'
import { ServiceProcess, eventually, freePort, requirePostgres, requireQueueRedis, uniqueName, waitUntil } from '@strata/testkit'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from '../src/testing/otlp-receiver.js'

/**
 * Acceptance (issue 19, scope 8): one trace follows a write-behind PUT through the production queues. The gateway's
 * main.ts acknowledges the PUT once the durable Redis buffer holds the write; the write-behind service's main.ts,
 * another process, flushes it to PostgreSQL. Both run instrumented by `--import @strata/telemetry/register` (the
 * real http, ioredis and pg instrumentations) and export OTLP/HTTP to a receiver in this test. The PUT comes with a
 * known W3C traceparent, so the test knows the trace id before any span exists.
 */
describe('one trace: gateway PUT → write-behind buffer → flusher → PostgreSQL', () => {
  const name = uniqueName('wb-trace')
  const table = name.replace(/[^a-z0-9_]/g, '_')
  const namespace = 'accounts'
  let receiver: OtlpReceiver
  let readOrigin: Server
  let gateway: ServiceProcess
  let flusher: ServiceProcess
  let gatewayUrl: string
  let pool: pg.Pool
  let redisUrl: string

  beforeAll(async () => {
    redisUrl = await requireQueueRedis()
    const postgresUrl = await requirePostgres()
    pool = new pg.Pool({ connectionString: postgresUrl, max: 2 })
    receiver = await OtlpReceiver.start()
    // The namespace's read origin (read-through on a miss); this test only writes, so it only has to exist.
    readOrigin = createServer((_request, response) => response.writeHead(404).end())
    await new Promise<void>((resolve) => readOrigin.listen(0, '127.0.0.1', resolve))
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      STRATA_QUEUE_REDIS_URL: redisUrl,
      STRATA_WB_QUEUE: name,
      STRATA_LOG_LEVEL: 'warn',
    }
    const [gatewayPort, flusherPort] = [await freePort(), await freePort()]
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`
    gateway = ServiceProcess.start('gateway', {
      ...otel,
      OTEL_SERVICE_NAME: 'strata-gateway',
      STRATA_GATEWAY_AUTH: 'off',
      STRATA_GATEWAY_HOST: '127.0.0.1',
      STRATA_GATEWAY_PORT: String(gatewayPort),
      STRATA_GATEWAY_DRAIN_DELAY_MS: '0',
      STRATA_GATEWAY_L2: 'memory',
      STRATA_GATEWAY_QUEUE: 'redis',
      STRATA_GATEWAY_NAMESPACES: JSON.stringify({
        [namespace]: { writeMode: 'write-behind', origin: { url: `http://127.0.0.1:${(readOrigin.address() as { port: number }).port}/accounts/{key}` } },
      }),
    })
    flusher = ServiceProcess.start('write-behind', {
      ...otel,
      OTEL_SERVICE_NAME: 'strata-write-behind',
      STRATA_WB_AUTH: 'off',
      STRATA_POSTGRES_URL: postgresUrl,
      STRATA_WB_TABLE: table,
      STRATA_WB_HOST: '127.0.0.1',
      STRATA_WB_PORT: String(flusherPort),
      STRATA_WB_INTERVAL_MS: '20',
    })
    const up = async (url: string) => (await fetch(`${url}/health/ready`).catch(() => undefined))?.ok === true
    await waitUntil(async () => {
      if (gateway.exited || flusher.exited) throw new Error(`a service exited:\n${gateway.output.join('')}\n${flusher.output.join('')}`)
      return (await up(gatewayUrl)) && (await up(`http://127.0.0.1:${flusherPort}`))
    }, 90_000)
  }, 120_000)

  afterAll(async () => {
    await Promise.all([gateway?.stop(), flusher?.stop()])
    for (const queue of [`${name}-flush`, `${name}-dead-writes`]) {
      const q = new BullmqJobQueue(queue, { url: redisUrl })
      await q.obliterate().catch(() => undefined)
      await q.close()
    }
    const client = new Redis(redisUrl)
    await new RedisPendingWrites({ client, name }).destroy()
    client.disconnect()
    await pool?.query(`DROP TABLE IF EXISTS ${table}`)
    await pool?.end()
    readOrigin?.close()
    await receiver?.close()
  })

  const put = async (key: string, value: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${gatewayUrl}/v1/namespaces/${namespace}/keys/${key}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ value }),
    })
    expect(response.status).toBe(200)
    await response.arrayBuffer()
  }
  const row = async (key: string) =>
    (await pool.query<{ value: unknown }>(`SELECT value FROM ${table} WHERE namespace = $1 AND key = $2`, [namespace, key]).catch(() => ({ rows: [] }))).rows[0]?.value

  /** The spans of `traceId` from PUT to PostgreSQL, each checked against its parent; throws (for `eventually`) until all arrived. */
  const followWrite = (traceId: string) => {
    const spans = receiver.trace(traceId)
    const byId = new Map(spans.map((span) => [span.spanId, span]))
    const find = (what: string, predicate: (span: ReceivedSpan) => boolean) => {
      const found = spans.find(predicate)
      expect(found, `${what} in trace ${traceId}`).toBeDefined()
      return found!
    }
    const ancestors = (span: ReceivedSpan): ReceivedSpan[] => {
      const chain: ReceivedSpan[] = []
      for (let at = byId.get(span.parentSpanId); at !== undefined; at = byId.get(at.parentSpanId)) chain.push(at)
      return chain
    }
    const request = find('the gateway PUT', (span) => span.service === 'strata-gateway' && span.kind === SPAN_KIND.server && /^PUT/.test(span.name))
    const publish = find('the buffer add', (span) => span.service === 'strata-gateway' && span.kind === SPAN_KIND.producer && span.name === `${name} publish`)
    expect(ancestors(publish)).toContain(request)
    expect(publish.attributes['strata.namespace']).toBe(namespace)
    // The buffer's Lua script on the queue Redis, under the add.
    const bufferRedis = find('the buffer script', (span) => span.service === 'strata-gateway' && span.scope.includes('ioredis') && span.parentSpanId === publish.spanId)
    expect(`${statementOf(bufferRedis)} ${bufferRedis.name}`).toMatch(/evalsha|eval/i)
    const flush = find('the flush', (span) => span.service === 'strata-write-behind' && span.kind === SPAN_KIND.consumer && span.name === `${name} flush`)
    expect(flush.parentSpanId).toBe(publish.spanId)
    expect(flush.links).toContainEqual({ traceId, spanId: publish.spanId })
    const insert = find('the PostgreSQL upsert', (span) => span.service === 'strata-write-behind' && span.scope.includes('pg') && /INSERT INTO/.test(statementOf(span)))
    expect(ancestors(insert)).toContain(flush)
    expect(statementOf(insert)).toContain(table)
    return { request, publish, flush, insert, spans }
  }

  it('follows the PUT with a known traceparent into the flusher and its INSERT; a PUT without one is a trace of its own', async () => {
    const traceId = randomBytes(16).toString('hex')
    const callerSpanId = randomBytes(8).toString('hex')
    await put('acct-1', { balance: 10 }, { traceparent: `00-${traceId}-${callerSpanId}-01` })
    await waitUntil(async () => (await row('acct-1')) !== undefined, 30_000)
    expect(await row('acct-1')).toEqual({ balance: 10 })

    const traced = await eventuallyValue(() => followWrite(traceId))
    expect(traced.request.parentSpanId).toBe(callerSpanId)
    if (process.env.STRATA_PRINT_TRACE === '1') console.log(traced.spans.map((span) => `${span.service} ${span.name} [${span.scope}]`).join('\n'))

    // Without a traceparent the gateway starts a new trace, and the flush of that write follows it, not the first.
    await put('acct-2', { balance: 20 })
    await waitUntil(async () => (await row('acct-2')) !== undefined, 30_000)
    const second = await eventuallyValue(() => {
      const publish = receiver.spans.find((span) => span.name === `${name} publish` && span.traceId !== traceId)
      expect(publish, 'the second buffer add').toBeDefined()
      return followWrite(publish!.traceId)
    })
    expect(second.request.parentSpanId).toBe('')
    expect(second.flush.traceId).not.toBe(traceId)
    expect(receiver.trace(traceId).filter((span) => span.name === `${name} flush`)).toHaveLength(1)
  }, 90_000)
})

/** The statement a client span recorded, under the old or the new semantic-convention name. */
function statementOf(span: ReceivedSpan): string {
  const statement = span.attributes['db.statement'] ?? span.attributes['db.query.text']
  return typeof statement === 'string' ? statement : ''
}

async function eventuallyValue<T>(read: () => T, timeoutMs = 20_000): Promise<T> {
  let value: T | undefined
  await eventually(() => {
    value = read()
  }, timeoutMs)
  return value!
}
