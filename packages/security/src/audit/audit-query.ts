import type { AuditQuery, AuditRecord } from './audit-record.js'

export function matchesQuery(record: AuditRecord, q: AuditQuery): boolean {
  return (
    (q.actor === undefined || record.actor === q.actor) &&
    (q.action === undefined || record.action === q.action) &&
    (q.outcome === undefined || record.outcome === q.outcome) &&
    (q.resource === undefined || record.resource.startsWith(q.resource)) &&
    (q.since === undefined || record.at >= q.since) &&
    (q.until === undefined || record.at <= q.until)
  )
}
