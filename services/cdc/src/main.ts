import { hostname } from 'node:os'
import { KafkaTransport } from '@strata/bus/kafka'
import { onShutdownSignals } from '@strata/service'
import { createLogger, currentTelemetry } from '@strata/telemetry'
import { postgresServiceAuth } from '@strata/security/postgres'
import pg from 'pg'
import { buildCdc } from './app.js'
import { buildCdcServer } from './http/cdc-server.js'

// The only place that reads the environment.
const env = (name: string, fallback: string) => process.env[name]?.trim() || fallback
const brokers = env('STRATA_KAFKA_BROKERS', '127.0.0.1:9092').split(',').map((broker) => broker.trim())
const postgresUrl = env('STRATA_POSTGRES_URL', 'postgres://postgres@127.0.0.1:5433/strata')
const slot = env('STRATA_CDC_SLOT', 'strata_cdc')
const publication = env('STRATA_CDC_PUBLICATION', 'strata_cdc')
const tables = env('STRATA_CDC_TABLES', '').split(',').map((table) => table.trim()).filter((table) => table !== '')
const topic = process.env.STRATA_CDC_TOPIC?.trim() || undefined
const instanceId = env('STRATA_INSTANCE_ID', `${hostname()}-${process.pid}`)
const host = env('STRATA_CDC_HOST', '127.0.0.1')
const port = Number(env('STRATA_CDC_PORT', '8096'))

// pino with trace ids (@strata/telemetry); the HTTP server logs through the same logger.
const logger = createLogger('strata-cdc', { level: env('STRATA_LOG_LEVEL', 'info') })
const log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => logger[level](fields ?? {}, message)

const transport = new KafkaTransport({ brokers, clientId: `strata-cdc-${instanceId}`, log: () => undefined })
const capture = buildCdc({ transport, postgresUrl, slot, publication, tables, ...(topic === undefined ? {} : { topic }), instanceId, log })
// One small pool for the slot's lag and, unless STRATA_CDC_AUTH=off, the API keys (STRATA_KEYS_POSTGRES_URL when the
// keys live in another database than the captured one).
const pool = new pg.Pool({ connectionString: postgresUrl, max: 2 })
pool.on('error', () => undefined)
const keysPool = process.env.STRATA_KEYS_POSTGRES_URL?.trim() ? new pg.Pool({ connectionString: process.env.STRATA_KEYS_POSTGRES_URL.trim(), max: 2 }) : pool
const auth = env('STRATA_CDC_AUTH', 'on') === 'off' ? undefined : await postgresServiceAuth({ pool: keysPool, source: `strata/cdc/${instanceId}` })
const server = buildCdcServer({ capture, slot, pool, busReady: () => transport.ping(), logger, ...(auth === undefined ? {} : { auth }) })

onShutdownSignals(async () => {
  await server.close()
  await capture.stop()
  await transport.close()
  await pool.end()
  if (keysPool !== pool) await keysPool.end()
  await currentTelemetry()?.shutdown()
}, (message, error) => log(error === undefined ? 'info' : 'error', message, error === undefined ? {} : { err: error }))

try {
  await capture.start()
} catch (error) {
  log('error', 'not starting', { err: error instanceof Error ? error.message : String(error) })
  process.exit(1)
}
const address = await server.listen({ host, port })
process.send?.({ ready: true, address })
log('info', 'cdc started', { slot, publication, tables, topic: topic ?? 'strata.table-changes.v1', address })
