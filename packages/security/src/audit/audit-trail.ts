import { TOPICS, createEvent, publishEvents, type AuditEvent, type Transport } from '@strata/bus'
import type { AuditLog } from './audit-log.js'
import type { AuditEntry, AuditRecord } from './audit-record.js'

export interface AuditTrailOptions {
  /** Where `strata.audit.v1` events go; none: the store only. */
  transport?: Transport | undefined
  /** CloudEvents source, e.g. `strata/gateway/<instance>`. */
  source: string
  /** Called when a bus publish fails (the row is in the store; the event is lost). */
  onPublishError?: (error: unknown) => void
}

/**
 * Records an action in the hash-chained store (the source of truth, awaited) and then publishes it on
 * `strata.audit.v1` for consumers that watch in real time (analytics, alerting). The publish is not awaited by the
 * caller's request: the bus being down must not stop writes, and the chain already holds the row.
 */
export class AuditTrail {
  constructor(
    readonly log: AuditLog,
    private readonly options: AuditTrailOptions,
  ) {}

  async record(entry: AuditEntry): Promise<AuditRecord> {
    const record = await this.log.append(entry)
    const transport = this.options.transport
    if (transport !== undefined) {
      const event = createEvent<AuditEvent>({
        type: 'strata.audit.v1',
        source: this.options.source,
        subject: record.resource.slice(0, 1024),
        id: `audit-${record.hash.slice(0, 32)}`,
        time: new Date(record.at),
        data: {
          actor: record.actor,
          action: record.action,
          resource: record.resource,
          outcome: record.outcome,
          detail: { ...record.detail, seq: record.seq, hash: record.hash, ...(record.ip === undefined ? {} : { ip: record.ip }) },
          at: record.at,
        },
      })
      publishEvents(transport, TOPICS.audit, [event]).catch((error: unknown) => this.options.onPublishError?.(error))
    }
    return record
  }
}
