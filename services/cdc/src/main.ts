import { KafkaTransport } from '@strata/bus/kafka'
import { instanceIdOf, kafkaClientSettings, listenOrExplain, loadServiceConfig } from '@strata/config'
import { postgresServiceAuth } from '@strata/security/postgres'
import pg from 'pg'
import { buildCdc } from './app.js'
import { buildCdcServer } from './http/cdc-server.js'

// Configuration (@strata/config: shared settings, kafka, `cdc`) and wiring.
const { config, warnings } = loadServiceConfig('cdc')
const settings = config.cdc
const instanceId = instanceIdOf(config)
const { slot, publication, tables, topic } = settings

const log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'cdc', msg: message, ...fields })}\n`)

for (const warning of warnings) log('warn', warning)
const transport = new KafkaTransport({ ...kafkaClientSettings(config.kafka, `cdc-${instanceId}`), log: () => undefined })
const capture = buildCdc({ transport, postgresUrl: config.postgresUrl, slot, publication, tables, topic, instanceId, log })
// One small pool for the slot's lag and, unless STRATA_CDC_AUTH=off, the API keys (STRATA_KEYS_POSTGRES_URL when the
// keys live in another database than the captured one).
const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 2 })
pool.on('error', () => undefined)
const keysPool = config.keysPostgresUrl === '' ? pool : new pg.Pool({ connectionString: config.keysPostgresUrl, max: 2 })
const auth = settings.auth === 'off' ? undefined : await postgresServiceAuth({ secret: config.serverSecret || undefined, pool: keysPool, source: `strata/cdc/${instanceId}`, cacheTtlMs: config.keyCacheTtl })
const server = buildCdcServer({ capture, slot, pool, busReady: () => transport.ping(), ...(auth === undefined ? {} : { auth }) })

let stopping = false
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  log('info', 'stopping: publishing and confirming what was received', { signal })
  await server.close()
  await capture.stop()
  await transport.close()
  await pool.end()
  if (keysPool !== pool) await keysPool.end()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))

try {
  await capture.start()
} catch (error) {
  log('error', 'not starting', { err: error instanceof Error ? error.message : String(error) })
  process.exit(1)
}
const address = await listenOrExplain('cdc', settings, () => server.listen({ host: settings.host, port: settings.port }))
process.send?.({ ready: true, address })
log('info', 'cdc started', { slot, publication, tables, topic, address })
