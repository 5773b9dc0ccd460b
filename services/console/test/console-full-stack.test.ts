import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROCESS_ADMIN_KEY, requireKafka, requirePostgres, requireQueueRedis, requireRedis, servers, startGatewayProcess, uniqueName } from '@strata/testkit'
import { consoleJourney } from './support/console-journey.js'
import { freePort, startServiceProcess } from './support/processes.js'

// The full stack as real processes on the infra servers: the gateway's main.ts (Redis L2, Kafka bus, API keys and
// audit in PostgreSQL, every access published to Kafka) serving the console; the alerting service's main.ts (Redis
// store, BullMQ deliveries, the same keys from PostgreSQL) scraping the gateway's /metrics; the analytics service's
// main.ts (rollups in PostgreSQL) consuming the access events. Both services allow the console's origin (CORS).
// Topics are this run's own, so analytics reads only this run's events. A small origin behind the gateway's proxy
// (upstream `shop`) answers a cacheable page for the Overview's proxy panel.
consoleJourney('console against the full stack (gateway and alerting main.ts on the infra servers)', async () => {
  await Promise.all([requireRedis(), requireQueueRedis(), requireKafka(), requirePostgres()])
  const [gatewayPort, alertingPort, analyticsPort] = [await freePort(), await freePort(), await freePort()]
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`
  const alertingUrl = `http://127.0.0.1:${alertingPort}`
  const analyticsUrl = `http://127.0.0.1:${analyticsPort}`
  const topic = uniqueName('strata.console-test')
  const origin = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=300' }).end('a page'))
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve))
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`
  const gateway = await startGatewayProcess({
    STRATA_GATEWAY_PORT: String(gatewayPort),
    STRATA_GATEWAY_L2: 'redis',
    STRATA_GATEWAY_BUS: 'kafka',
    STRATA_GATEWAY_KEY_STORE: 'postgres',
    STRATA_REDIS_URL: servers.redisUrl,
    STRATA_KAFKA_BROKERS: servers.kafkaBrokers.join(','),
    STRATA_POSTGRES_URL: servers.postgresUrl,
    STRATA_CONSOLE_ALERTING_URL: alertingUrl,
    STRATA_CONSOLE_ANALYTICS_URL: analyticsUrl,
    STRATA_GATEWAY_UPSTREAMS: JSON.stringify({ shop: { url: originUrl } }),
    STRATA_GATEWAY_ACCESS_EVENTS: JSON.stringify({ defaultSampleRate: 1, topic: `${topic}.access` }),
  })
  const rulesFile = join(mkdtempSync(join(tmpdir(), 'console-alerting-')), 'rules.yaml')
  writeFileSync(rulesFile, 'version: 1\nreceivers: []\nrules: []\n')
  const alerting = await startServiceProcess('alerting', {
    STRATA_ALERTING_RULES: rulesFile,
    STRATA_ALERTING_PORT: String(alertingPort),
    STRATA_ALERTING_SCRAPE: `${gatewayUrl}/metrics`,
    STRATA_ALERTING_SCRAPE_KEY: PROCESS_ADMIN_KEY,
    STRATA_ALERTING_INTERVAL_MS: '1000',
    STRATA_PREFIX: uniqueName('console-alerting'),
    STRATA_ALERTING_QUEUE: uniqueName('console-webhooks'),
    STRATA_QUEUE_REDIS_URL: servers.queueRedisUrl,
    STRATA_KAFKA_BROKERS: servers.kafkaBrokers.join(','),
    STRATA_POSTGRES_URL: servers.postgresUrl,
    STRATA_CORS_ORIGINS: gatewayUrl,
  })
  const analytics = await startServiceProcess('analytics', {
    STRATA_ANALYTICS_PORT: String(analyticsPort),
    STRATA_ANALYTICS_GROUP: uniqueName('console-analytics'),
    STRATA_ANALYTICS_ACCESS_TOPIC: `${topic}.access`,
    STRATA_ANALYTICS_INVALIDATIONS_TOPIC: `${topic}.invalidations`,
    STRATA_ANALYTICS_ERRORS_TOPIC: `${topic}.errors`,
    STRATA_ANALYTICS_REDIS: 'none',
    STRATA_ANALYTICS_MEMCACHED: 'none',
    STRATA_KAFKA_BROKERS: servers.kafkaBrokers.join(','),
    STRATA_POSTGRES_URL: servers.postgresUrl,
    STRATA_CORS_ORIGINS: gatewayUrl,
    LOG_LEVEL: 'warn',
  })
  return {
    gatewayUrl,
    adminKey: PROCESS_ADMIN_KEY,
    alertingUrl: alerting.url,
    analytics: true,
    proxy: { upstream: 'shop', path: '/page' },
    screenshots: false,
    close: async () => {
      await analytics.stop()
      await alerting.stop()
      await gateway.stop()
      await new Promise((resolve) => origin.close(resolve))
    },
  }
})
