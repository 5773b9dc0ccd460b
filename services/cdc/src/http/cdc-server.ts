import type { ChangeCapture } from '@strata/db-cache/capture'
import type { AuthPluginOptions } from '@strata/security'
import { createServiceShell, type ServiceShell, type ServiceShellOptions } from '@strata/service'
import type pg from 'pg'
import { Gauge } from 'prom-client'

export interface CdcServerOptions {
  capture: ChangeCapture
  /** The replication slot, for its lag (WAL bytes PostgreSQL keeps because the slot has not confirmed them). */
  slot: string
  /** A pool on the captured database, for the slot's lag. */
  pool: pg.Pool
  /** Readiness of the bus the events go to (KafkaTransport.ping). */
  busReady: () => Promise<boolean>
  /** API keys for /metrics (`read` on `*`); health stays open. Without it the API is open (tests of other concerns). */
  auth?: Omit<AuthPluginOptions, 'stage'>
  /** Node process metrics in /metrics. Default true. */
  processMetrics?: boolean
  /** pino: a logger, or options for one (with trace ids, from the service shell). Default off. */
  logger?: ServiceShellOptions['logger']
}

/**
 * The capture's operations surface: /health/live, /health/ready (streaming from the slot and the bus answers) and
 * /metrics. The slot lag is the number to alert on: WAL PostgreSQL must keep until the capture confirms it, which
 * grows without bound while the capture is down or Kafka refuses its events.
 */
export function buildCdcServer(options: CdcServerOptions): ServiceShell {
  const { capture } = options
  const shell = createServiceShell({
    name: 'cdc',
    logger: options.logger,
    auth: options.auth,
    processMetrics: options.processMetrics !== false,
    checks: { streaming: () => ({ up: capture.isStreaming, ...(capture.isStreaming ? {} : { detail: 'not streaming from the replication slot' }) }), bus: options.busReady },
  })
  const registry = shell.registry
  const progress = capture.progress
  new Gauge({ name: 'strata_cdc_transactions_total', help: 'Committed transactions captured and published', registers: [registry], collect() { this.set(progress.transactions) } })
  new Gauge({ name: 'strata_cdc_events_total', help: 'strata.table-change.v1 events published (one per table per transaction)', registers: [registry], collect() { this.set(progress.events) } })
  new Gauge({ name: 'strata_cdc_streaming', help: '1 while streaming from the replication slot', registers: [registry], collect() { this.set(capture.isStreaming ? 1 : 0) } })
  new Gauge({
    name: 'strata_cdc_slot_lag_bytes',
    help: 'WAL bytes the replication slot holds back (written but not yet confirmed as published)',
    registers: [registry],
    async collect() {
      this.set(await slotLag(options.pool, options.slot).catch(() => -1))
    },
  })

  return shell
}

async function slotLag(pool: pg.Pool, slot: string): Promise<number> {
  const { rows } = await pool.query<{ lag: string | null }>(
    // Against the insert position, and never below 0: a slot confirmed at the end of the last commit record can be
    // a few bytes past the WAL write position.
    'SELECT GREATEST(0, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn))::text AS lag FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  )
  return Number(rows[0]?.lag ?? 0)
}
