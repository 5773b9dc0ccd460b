import type { AuditLog } from './audit-log.js'
import { ChainVerifier, GENESIS_HASH, chainHash, type AuditEntry, type AuditQuery, type AuditRecord, type AuditVerification } from './audit-record.js'
import { matchesQuery } from './audit-query.js'

/** The audit chain in process memory (the embedded default, tests). `records` is exposed so tests can tamper. */
export class MemoryAuditLog implements AuditLog {
  readonly records: AuditRecord[] = []

  append(entry: AuditEntry): Promise<AuditRecord> {
    const prevHash = this.records.at(-1)?.hash ?? GENESIS_HASH
    const seq = this.records.length + 1
    const record: AuditRecord = { ...structuredClone(entry), seq, prevHash, hash: chainHash(prevHash, seq, entry) }
    this.records.push(record)
    return Promise.resolve(record)
  }

  query(filter: AuditQuery): Promise<AuditRecord[]> {
    const limit = Math.min(filter.limit ?? 100, 1000)
    return Promise.resolve(this.records.filter((r) => matchesQuery(r, filter)).reverse().slice(0, limit))
  }

  verify(): Promise<AuditVerification> {
    const verifier = new ChainVerifier()
    for (const record of this.records) {
      const broken = verifier.check(record)
      if (broken !== undefined) return Promise.resolve(broken)
    }
    return Promise.resolve(verifier.result())
  }
}
