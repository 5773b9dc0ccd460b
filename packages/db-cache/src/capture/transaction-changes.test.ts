import { describe, expect, it } from 'vitest'
import { TransactionChanges, type RelationMessage } from './transaction-changes.js'

const accounts: RelationMessage = { tag: 'relation', schema: 'shop', name: 'accounts', keyColumns: ['id'] }
const log: RelationMessage = { tag: 'relation', schema: 'shop', name: 'log', keyColumns: [] }
const begin = { tag: 'begin', commitLsn: '0/16B3748', commitTime: 1_700_000_000_123_456n, xid: 742 } as const

describe('TransactionChanges', () => {
  it('folds a transaction into one change per table with counts and replica-identity keys', () => {
    const changes = new TransactionChanges(10)
    expect(changes.add(begin)).toBeUndefined()
    expect(changes.open).toBe(true)
    changes.add({ tag: 'insert', relation: accounts, new: { id: 1, balance: 5 } })
    changes.add({ tag: 'update', relation: accounts, key: null, old: null, new: { id: 2, balance: 6 } })
    // The key changed: both the old and the new key are reported.
    changes.add({ tag: 'update', relation: accounts, key: { id: 3 }, old: null, new: { id: 30, balance: 7 } })
    changes.add({ tag: 'delete', relation: accounts, key: { id: 4 }, old: null })
    changes.add({ tag: 'insert', relation: log, new: { line: 'x' } })
    changes.add({ tag: 'truncate', relations: [log] })
    const committed = changes.add({ tag: 'commit', commitLsn: '0/16B3748', commitEndLsn: '0/16B3778', commitTime: 1_700_000_000_123_456n })
    expect(changes.open).toBe(false)
    expect(committed!.commitEndLsn).toBe('0/16B3778')
    expect(committed!.changes).toEqual([
      {
        schema: 'shop',
        table: 'accounts',
        inserts: 1,
        updates: 2,
        deletes: 1,
        truncated: false,
        keys: [{ id: 1 }, { id: 2 }, { id: 30 }, { id: 3 }, { id: 4 }],
        keysTruncated: false,
        lsn: '0/16B3748',
        xid: 742,
        commitTime: 1_700_000_000_123,
      },
      { schema: 'shop', table: 'log', inserts: 1, updates: 0, deletes: 0, truncated: true, keys: [], keysTruncated: false, lsn: '0/16B3748', xid: 742, commitTime: 1_700_000_000_123 },
    ])
  })

  it('caps the keys per table and says so', () => {
    const changes = new TransactionChanges(2)
    changes.add(begin)
    for (let id = 1; id <= 5; id++) changes.add({ tag: 'update', relation: accounts, key: null, old: null, new: { id, at: new Date(0) } })
    const committed = changes.add({ tag: 'commit', commitLsn: '0/1', commitEndLsn: '0/2', commitTime: 0n })!
    expect(committed.changes[0]).toMatchObject({ updates: 5, keys: [{ id: 1 }, { id: 2 }], keysTruncated: true })
  })

  it('ignores changes outside a transaction', () => {
    const changes = new TransactionChanges(2)
    changes.add({ tag: 'insert', relation: accounts, new: { id: 1 } })
    expect(changes.add({ tag: 'commit', commitLsn: '0/1', commitEndLsn: '0/2', commitTime: 0n })).toBeUndefined()
  })
})
