import type { Transport } from '@strata/bus'
import { ChangeCapture, type ChangeCaptureOptions } from '@strata/db-cache/capture'

export { ChangeCapture, type CaptureProgress } from '@strata/db-cache/capture'

export interface CdcDependencies {
  transport: Transport
  postgresUrl: string
  /** Replication slot and publication names (lower-case identifiers). */
  slot: string
  publication: string
  /** Tables the publication covers if the service creates it; every table when empty. */
  tables?: readonly string[]
  topic?: string
  instanceId: string
  log?: ChangeCaptureOptions['log']
}

/** Builds the change-capture service from its dependencies; `main.ts` wires the real ones. */
export function buildCdc(deps: CdcDependencies): ChangeCapture {
  return new ChangeCapture({
    connectionString: deps.postgresUrl,
    slot: deps.slot,
    publication: deps.publication,
    ...(deps.tables === undefined ? {} : { tables: deps.tables }),
    ...(deps.topic === undefined ? {} : { topic: deps.topic }),
    ...(deps.log === undefined ? {} : { log: deps.log }),
    transport: deps.transport,
    source: `strata/cdc/${deps.instanceId}`,
  })
}
export { topicUse } from './topic-use.js'
