import { createHash } from 'node:crypto'

export type AuditOutcome = 'allowed' | 'denied' | 'failed'

/** One audited action: who, what, on which resource, when, from where, and how it ended. */
export interface AuditEntry {
  /** `key:<id>`, `jwt:<sub>`, or `anonymous` for a failed sign-in. */
  actor: string
  /** e.g. `kv.write`, `namespace.put`, `key.create`, `auth.failed`. */
  action: string
  /** What it was done to: `namespace:orders/key:42`, `api-key:abc`, a route. */
  resource: string
  outcome: AuditOutcome
  /** The client address the request came from. */
  ip?: string | undefined
  detail?: Record<string, unknown> | undefined
  /** Epoch ms. */
  at: number
}

/** An entry as appended: its place in the chain and the hash that covers it and everything before it. */
export interface AuditRecord extends AuditEntry {
  seq: number
  prevHash: string
  hash: string
}

export interface AuditQuery {
  actor?: string
  action?: string
  outcome?: AuditOutcome
  /** Prefix of the resource. */
  resource?: string
  since?: number
  until?: number
  /** Newest first, at most this many. Default 100, at most 1000. */
  limit?: number
}

export type AuditVerification = { ok: true; rows: number; head: string } | { ok: false; rows: number; brokenAt: number; reason: string }

export const GENESIS_HASH = '0'.repeat(64)

/**
 * sha256 over the previous hash and a canonical JSON of the entry with its sequence number. Canonical (sorted keys)
 * because PostgreSQL's jsonb does not keep key order; the sequence number is inside so that deleting or reordering
 * rows breaks the chain as surely as editing one.
 */
export function chainHash(prevHash: string, seq: number, entry: AuditEntry): string {
  const body = canonicalJson({
    seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    resource: entry.resource,
    outcome: entry.outcome,
    ip: entry.ip ?? null,
    detail: entry.detail ?? null,
  })
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex')
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** Walks records in sequence order, checking each link; the first bad row is named. */
export class ChainVerifier {
  private expectedPrev = GENESIS_HASH
  private expectedSeq = 1
  rows = 0

  check(record: AuditRecord): AuditVerification | undefined {
    this.rows += 1
    if (record.seq !== this.expectedSeq) return this.broken(record.seq, `row ${record.seq} follows row ${this.expectedSeq - 1}: rows are missing or reordered`)
    if (record.prevHash !== this.expectedPrev) return this.broken(record.seq, `row ${record.seq} does not link to the hash of row ${record.seq - 1}`)
    if (chainHash(record.prevHash, record.seq, record) !== record.hash) return this.broken(record.seq, `row ${record.seq} was changed after it was written (its hash does not match its content)`)
    this.expectedPrev = record.hash
    this.expectedSeq += 1
    return undefined
  }

  result(): AuditVerification {
    return { ok: true, rows: this.rows, head: this.expectedPrev }
  }

  private broken(seq: number, reason: string): AuditVerification {
    return { ok: false, rows: this.rows, brokenAt: seq, reason }
  }
}
