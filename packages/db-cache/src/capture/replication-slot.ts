import { StrataError } from '@strata/core'
import pg from 'pg'

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/
const TABLE = /^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/

export interface ReplicationSetup {
  connectionString: string
  slot: string
  publication: string
  /** Tables the publication covers when the capture creates it (`schema.name` or `name`); every table when empty. */
  tables?: readonly string[]
}

/** Checks names before they reach SQL: slot and publication names are identifiers, not parameters. */
export function assertReplicationNames(setup: ReplicationSetup): void {
  for (const [what, value] of [
    ['slot', setup.slot],
    ['publication', setup.publication],
  ] as const) {
    if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
      throw new StrataError('E_INVALID_OPTION', `The replication ${what} name '${String(value)}' must match ${IDENTIFIER.source}`, { context: { [what]: value } })
    }
  }
  for (const table of setup.tables ?? []) {
    if (!TABLE.test(table)) throw new StrataError('E_INVALID_OPTION', `Table '${table}' must be a lower-case [schema.]name`, { context: { table } })
  }
}

/**
 * Creates the publication, then the slot, when missing (in that order: pgoutput reads the publication as of each
 * change's position, so it must exist before the slot's start point). Returns the slot's confirmed position: where a
 * restarted capture resumes.
 */
export async function ensureReplicationSlot(setup: ReplicationSetup): Promise<string> {
  assertReplicationNames(setup)
  const client = new pg.Client({ connectionString: setup.connectionString })
  await client.connect()
  try {
    const publication = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [setup.publication])
    if (publication.rowCount === 0) {
      const target = setup.tables === undefined || setup.tables.length === 0 ? 'ALL TABLES' : `TABLE ${setup.tables.join(', ')}`
      await ignoreDuplicate(client.query(`CREATE PUBLICATION ${setup.publication} FOR ${target}`))
    }
    const slot = await client.query<{ confirmed: string | null }>('SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1', [setup.slot])
    if (slot.rowCount === 0) {
      await ignoreDuplicate(client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [setup.slot]))
    }
    const confirmed = await client.query<{ confirmed: string | null }>('SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1', [setup.slot])
    return confirmed.rows[0]?.confirmed ?? '0/0'
  } finally {
    await client.end()
  }
}

/** Drops the slot (it retains WAL while it exists) and the publication; for tests and decommissioning. */
export async function dropReplicationSlot(setup: Omit<ReplicationSetup, 'tables'>): Promise<void> {
  assertReplicationNames(setup)
  const client = new pg.Client({ connectionString: setup.connectionString })
  await client.connect()
  try {
    await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [setup.slot])
    await client.query(`DROP PUBLICATION IF EXISTS ${setup.publication}`)
  } finally {
    await client.end()
  }
}

async function ignoreDuplicate(query: Promise<unknown>): Promise<void> {
  try {
    await query
  } catch (error) {
    // Another capture created it in the meantime: that is what we wanted.
    if ((error as { code?: string }).code !== '42710') throw error
  }
}
