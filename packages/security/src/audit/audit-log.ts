import type { AuditEntry, AuditQuery, AuditRecord, AuditVerification } from './audit-record.js'

/** The append-only, hash-chained audit store. Adapters: PostgreSQL (`@strata/security/postgres`) and in-memory. */
export interface AuditLog {
  /** Appends one entry at the head of the chain; appends from several processes are serialised by the store. */
  append(entry: AuditEntry): Promise<AuditRecord>
  query(filter: AuditQuery): Promise<AuditRecord[]>
  /** Recomputes the chain from the first row; names the first row that does not check out. */
  verify(): Promise<AuditVerification>
}
