import { parseArgs } from 'node:util'
import { onShutdownSignals } from '@strata/service'
import { startEmbedded, type Embedded } from './embedded.js'

/**
 * `pnpm start`, `strata start` and the docs runner all run this file as a process: the whole platform on the embedded
 * default. Flags override the environment (PORT, STRATA_DEMO_ORIGIN_PORT, STRATA_ALERTING_PORT, STRATA_ANALYTICS_PORT);
 * `--json` prints one JSON line (URLs and the admin key) instead of the banner, for programs that start it.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'origin-port': { type: 'string' },
    'alerting-port': { type: 'string' },
    'analytics-port': { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    'alerting-interval-ms': { type: 'string' },
    'analytics-flush-ms': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
})

function numberOf(raw: string | undefined, fallback: number, name: string, max = 65_535): number {
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0 || value > max) {
    console.error(`strata platform: ${name} must be an integer from 0 to ${max}, got '${raw}'`)
    process.exit(2)
  }
  return value
}

const ports = {
  port: numberOf(values.port ?? process.env.PORT, 8080, '--port (PORT)'),
  originPort: numberOf(values['origin-port'] ?? process.env.STRATA_DEMO_ORIGIN_PORT, 4001, '--origin-port (STRATA_DEMO_ORIGIN_PORT)'),
  alertingPort: numberOf(values['alerting-port'] ?? process.env.STRATA_ALERTING_PORT, 8095, '--alerting-port (STRATA_ALERTING_PORT)'),
  analyticsPort: numberOf(values['analytics-port'] ?? process.env.STRATA_ANALYTICS_PORT, 8094, '--analytics-port (STRATA_ANALYTICS_PORT)'),
}
const embedded = await startEmbedded({
  ...ports,
  host: values.host,
  alertingIntervalMs: numberOf(values['alerting-interval-ms'], 5_000, '--alerting-interval-ms', 3_600_000),
  analyticsFlushMs: numberOf(values['analytics-flush-ms'], 1_000, '--analytics-flush-ms', 3_600_000),
}).catch((error: unknown) => {
  // A taken port is an everyday mistake: one line naming the variable, not a stack trace (issue 24).
  const { code, port } = error as { code?: string; port?: number }
  if (code !== 'EADDRINUSE') throw error
  const variable = { [ports.port]: 'PORT', [ports.originPort]: 'STRATA_DEMO_ORIGIN_PORT', [ports.alertingPort]: 'STRATA_ALERTING_PORT', [ports.analyticsPort]: 'STRATA_ANALYTICS_PORT' }[port ?? -1]
  console.error(`strata: cannot start: port ${port} is in use (another Strata or program holds it). Set ${variable ?? 'PORT'} to another port (0 picks a free one).`)
  process.exit(1)
})
console.log(values.json ? JSON.stringify({ ...embedded.urls, adminKey: embedded.adminKey }) : banner(embedded))
onShutdownSignals(() => embedded.close(), (message) => console.log(message))

function banner({ urls, adminKey }: Embedded): string {
  return `Strata is running (embedded: in-process store, bus and queue; nothing else needed)

  gateway      ${urls.gateway}
  console      ${urls.console}
  alerting     ${urls.alerting}
  analytics    ${urls.analytics}/v1/report.html
  API docs     ${urls.docs}
  metrics      ${urls.metrics}
  demo origin  ${urls.origin}/products/42
  admin key    ${adminKey}
               (made at start, shown only now; every API call needs it)

Try it:
  export STRATA_KEY=${adminKey}
  curl -i ${urls.proxyExample} -H "x-api-key: $STRATA_KEY"      # X-Cache: MISS, then HIT
  curl -i -X POST ${urls.gateway}/v1/events -H "x-api-key: $STRATA_KEY" -H 'content-type: application/json' \\
       -d '{"type":"product.updated","data":{"id":"42"}}'
  curl -i ${urls.proxyExample} -H "x-api-key: $STRATA_KEY"      # X-Cache: MISS again
  curl -i ${urls.kvExample} -H "authorization: Bearer $STRATA_KEY"   # the KV API, read-through from the origin
  curl -i ${urls.kvExample}   # 401: no key

Ctrl-C stops it.`
}
