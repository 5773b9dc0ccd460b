import type { TableChangeEvent } from '@strata/bus'

/** The pgoutput messages a capture needs (pg-logical-replication's shapes, narrowed to the fields used). */
export interface RelationMessage {
  tag: 'relation'
  schema: string
  name: string
  keyColumns: string[]
}
export type PgoutputMessage =
  | { tag: 'begin'; commitLsn: string | null; commitTime: bigint; xid: number }
  | { tag: 'commit'; commitLsn: string | null; commitEndLsn: string | null; commitTime: bigint }
  | { tag: 'insert'; relation: RelationMessage; new: Record<string, unknown> }
  | { tag: 'update'; relation: RelationMessage; key: Record<string, unknown> | null; old: Record<string, unknown> | null; new: Record<string, unknown> }
  | { tag: 'delete'; relation: RelationMessage; key: Record<string, unknown> | null; old: Record<string, unknown> | null }
  | { tag: 'truncate'; relations: RelationMessage[] }
  | { tag: string }

type KeyValue = string | number | boolean | null
type TableChange = Omit<TableChangeEvent, 'at'>

/** A committed transaction's changes, one entry per table, and the LSN to confirm once they are published. */
export interface CommittedTransaction {
  changes: TableChange[]
  /** End of the commit record: what the slot may be advanced to. */
  commitEndLsn: string
}

/**
 * Folds one transaction's pgoutput messages into per-table counts and changed keys. pgoutput sends a transaction
 * only once it committed (protocol v1 does not stream in-progress transactions), so BEGIN…COMMIT arrive together.
 */
export class TransactionChanges {
  private current: { xid: number; lsn: string; commitTime: number; tables: Map<string, TableChange> } | undefined

  constructor(private readonly maxKeys: number) {}

  /** True while a transaction's messages are being received (its changes are not published yet). */
  get open(): boolean {
    return this.current !== undefined
  }

  /** Feeds one message; returns the transaction when `message` is its COMMIT. */
  add(message: PgoutputMessage): CommittedTransaction | undefined {
    switch (message.tag) {
      case 'begin': {
        const begin = message as Extract<PgoutputMessage, { tag: 'begin' }>
        this.current = { xid: begin.xid, lsn: begin.commitLsn ?? '0/0', commitTime: Number(begin.commitTime / 1000n), tables: new Map() }
        return undefined
      }
      case 'insert':
      case 'update':
      case 'delete': {
        const change = message as Extract<PgoutputMessage, { tag: 'insert' | 'update' | 'delete' }>
        const entry = this.entry(change.relation)
        if (entry === undefined) return undefined
        if (change.tag === 'insert') entry.inserts++
        else if (change.tag === 'update') entry.updates++
        else entry.deletes++
        const row = change.tag === 'insert' ? change.new : change.tag === 'update' ? change.new : (change.key ?? change.old)
        this.addKey(entry, change.relation, row)
        // An update that changed the key column: the old key's cached rows are stale too.
        if (change.tag === 'update' && change.key !== null) this.addKey(entry, change.relation, change.key)
        return undefined
      }
      case 'truncate': {
        for (const relation of (message as Extract<PgoutputMessage, { tag: 'truncate' }>).relations) {
          const entry = this.entry(relation)
          if (entry !== undefined) entry.truncated = true
        }
        return undefined
      }
      case 'commit': {
        const commit = message as Extract<PgoutputMessage, { tag: 'commit' }>
        const current = this.current
        this.current = undefined
        if (current === undefined) return undefined
        return { changes: [...current.tables.values()], commitEndLsn: commit.commitEndLsn ?? current.lsn }
      }
      default:
        return undefined
    }
  }

  private entry(relation: RelationMessage): TableChange | undefined {
    const current = this.current
    if (current === undefined) return undefined
    const name = `${relation.schema}.${relation.name}`
    let entry = current.tables.get(name)
    if (entry === undefined) {
      entry = {
        schema: relation.schema,
        table: relation.name,
        inserts: 0,
        updates: 0,
        deletes: 0,
        truncated: false,
        keys: [],
        keysTruncated: false,
        lsn: current.lsn,
        xid: current.xid,
        commitTime: current.commitTime,
      }
      current.tables.set(name, entry)
    }
    return entry
  }

  private addKey(entry: TableChange, relation: RelationMessage, row: Record<string, unknown> | null): void {
    if (row === null || relation.keyColumns.length === 0) return
    if (entry.keys.length >= this.maxKeys) {
      entry.keysTruncated = true
      return
    }
    const key: Record<string, KeyValue> = {}
    for (const column of relation.keyColumns) key[column] = keyValue(row[column])
    entry.keys.push(key)
  }
}

function keyValue(value: unknown): KeyValue {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'bigint') return value.toString()
  return JSON.stringify(value)
}
