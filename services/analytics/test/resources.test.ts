import { connect, type AddressInfo } from 'node:net'
import { KafkaTransport } from '@strata/bus/kafka'
import { requireKafka, requireMemcached, requireRedis, servers, uniqueName } from '@strata/testkit'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnalyticsReport } from '../src/app.js'
import { KafkaLagProbe } from '../src/resources/kafka-lag-probe.js'
import { MemcachedStatsProbe } from '../src/resources/memcached-stats-probe.js'
import { ProcessProbe } from '../src/resources/process-probe.js'
import { RedisInfoProbe } from '../src/resources/redis-info-probe.js'
import { ResourceMonitor } from '../src/resources/resource-monitor.js'
import { ServiceMetricsProbe } from '../src/resources/service-metrics-probe.js'
import { startAnalytics, type AnalyticsHarness } from './support/analytics-harness.js'

function memcachedCommand(host: string, port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write(command))
    let text = ''
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      if (/(END|STORED)\r\n$/.test(text)) {
        socket.end()
        resolve(text)
      }
    })
    socket.on('error', reject)
  })
}

describe('resource utilisation probes on the real servers', () => {
  let harness: AnalyticsHarness
  let analyticsPort: number

  beforeAll(async () => {
    await Promise.all([requireRedis(), requireMemcached(), requireKafka()])
    harness = await startAnalytics({ kafka: false, resources: { probes: [new ProcessProbe('analytics-under-test')], intervalMs: 100 } })
    // Port 0: the OS picks a free one, so parallel runs and other suites never collide.
    await harness.analytics.http.listen({ host: '127.0.0.1', port: 0 })
    analyticsPort = (harness.analytics.http.server.address() as AddressInfo).port
  })
  afterAll(async () => {
    await harness?.stop()
  })

  it('Redis INFO: memory, ops, evictions, keyspace hit ratio', async () => {
    const probe = new RedisInfoProbe('redis', servers.redisUrl)
    try {
      const values = await probe.sample()
      expect(values.used_memory).toBeGreaterThan(0)
      expect(values.evicted_keys).toBeGreaterThanOrEqual(0)
      expect(values.instantaneous_ops_per_sec).toBeGreaterThanOrEqual(0)
      expect(values.connected_clients).toBeGreaterThanOrEqual(1)
    } finally {
      await probe.close()
    }
  })

  it('Memcached stats: a get that hits shows up in get_hits', async () => {
    const [host, port] = servers.memcachedServers[0]!.split(':')
    const probe = new MemcachedStatsProbe('memcached', host!, Number(port))
    const before = await probe.sample()
    expect(before.limit_maxbytes).toBeGreaterThan(0)
    const key = uniqueName('probe').replace(/[^A-Za-z0-9_-]/g, '_')
    await memcachedCommand(host!, Number(port), `set ${key} 0 60 2\r\nok\r\n`)
    await memcachedCommand(host!, Number(port), `get ${key}\r\n`)
    const after = await probe.sample()
    expect(after.get_hits).toBeGreaterThan(before.get_hits!)
  })

  it('Kafka lag: end offsets minus what each group committed', async () => {
    const brokers = await requireKafka()
    const topic = uniqueName('test.lag')
    const transport = new KafkaTransport({ brokers, clientId: 'lag-test', log: () => undefined })
    await transport.publish(topic, Array.from({ length: 7 }, (_, i) => ({ key: 'one-partition', value: `m${i}` })))
    await transport.close()
    const admin = new Kafka({ clientId: 'lag-test-admin', brokers, logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    const partitions = await admin.fetchTopicOffsets(topic)
    const behind = uniqueName('behind')
    const caughtUp = uniqueName('caught-up')
    await admin.setOffsets({ groupId: behind, topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: p.low })) })
    await admin.setOffsets({ groupId: caughtUp, topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: p.high })) })
    await admin.disconnect()
    const probe = new KafkaLagProbe(brokers, [behind, caughtUp])
    try {
      expect(await probe.sample()).toEqual({ [behind]: 7, [caughtUp]: 0 })
    } finally {
      await probe.close()
    }
  })

  it("process and other services' /metrics: CPU, memory, event-loop delay", async () => {
    const own = await new ProcessProbe().sample()
    expect(own.rss_bytes).toBeGreaterThan(10_000_000)
    expect(own.cpu_ratio).toBeGreaterThanOrEqual(0)
    expect(own.event_loop_delay_p99_seconds).toBeGreaterThan(0)
    const scraped = await new ServiceMetricsProbe('analytics', `http://127.0.0.1:${analyticsPort}/metrics`).sample()
    expect(scraped.rss_bytes).toBeGreaterThan(10_000_000)
    expect(scraped.cpu_seconds_total).toBeGreaterThan(0)
    expect(scraped.event_loop_delay_p99_seconds).toBeGreaterThanOrEqual(0)
  })

  it('the monitor keeps sampling when one resource is down, and the report carries the readings', async () => {
    const monitor = new ResourceMonitor([new RedisInfoProbe('redis', servers.redisUrl), new MemcachedStatsProbe('memcached-down', '127.0.0.1', 19249, 500)])
    const samples = await monitor.sampleAll()
    expect(samples.find((s) => s.probe === 'redis')!.values.used_memory).toBeGreaterThan(0)
    expect(samples.find((s) => s.probe === 'memcached-down')!.error).toMatch(/ECONNREFUSED|did not answer/)
    await monitor.stop()

    // The app's own monitor: its readings are in the JSON report, the HTML report and /metrics.
    const report = (await harness.analytics.http.inject({ method: 'GET', url: '/v1/report?window=5m' })).json<AnalyticsReport>()
    const processSample = report.resources.find((sample) => sample.probe === 'analytics-under-test')!
    expect(processSample.kind).toBe('process')
    expect(processSample.values.rss_bytes).toBeGreaterThan(10_000_000)
    const html = (await harness.analytics.http.inject({ method: 'GET', url: '/v1/report.html?window=5m' })).body
    expect(html).toMatch(/<td>analytics-under-test<\/td><td>process<\/td>.*rss_bytes=\d+\.\d MiB/)
    const metrics = (await harness.analytics.http.inject({ method: 'GET', url: '/metrics' })).body
    expect(metrics).toMatch(/^strata_resource_value\{probe="analytics-under-test",kind="process",metric="rss_bytes"\} \d+/m)
  })
})
