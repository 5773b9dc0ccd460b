import { hostname } from 'node:os'
import { KafkaTransport } from '@strata/bus/kafka'
import { buildCdc } from './app.js'

// The only place that reads the environment.
const env = (name: string, fallback: string) => process.env[name]?.trim() || fallback
const brokers = env('STRATA_KAFKA_BROKERS', '127.0.0.1:9092').split(',').map((broker) => broker.trim())
const postgresUrl = env('STRATA_POSTGRES_URL', 'postgres://postgres@127.0.0.1:5433/strata')
const slot = env('STRATA_CDC_SLOT', 'strata_cdc')
const publication = env('STRATA_CDC_PUBLICATION', 'strata_cdc')
const tables = env('STRATA_CDC_TABLES', '').split(',').map((table) => table.trim()).filter((table) => table !== '')
const topic = process.env.STRATA_CDC_TOPIC?.trim() || undefined
const instanceId = env('STRATA_INSTANCE_ID', `${hostname()}-${process.pid}`)

const log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'cdc', msg: message, ...fields })}\n`)

const transport = new KafkaTransport({ brokers, clientId: `strata-cdc-${instanceId}`, log: () => undefined })
const capture = buildCdc({ transport, postgresUrl, slot, publication, tables, ...(topic === undefined ? {} : { topic }), instanceId, log })

let stopping = false
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  log('info', 'stopping: publishing and confirming what was received', { signal })
  await capture.stop()
  await transport.close()
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
log('info', 'cdc started', { slot, publication, tables, topic: topic ?? 'strata.table-changes.v1' })
