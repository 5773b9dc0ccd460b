import { consumeEvents, type InvalidationRecordEvent, type Subscription, type Transport } from '@strata/bus'
import { topicUse } from '../topic-use.js'
import type { InvalidationHistory } from './invalidation-history.js'

export interface InvalidationRecordsFollowerOptions {
  transport: Transport
  /** This gateway instance: its broadcast group is `strata.gateway.records.<instanceId>`. */
  instanceId: string
  /** Default `strata.invalidations.records.v1`. */
  topic?: string
}

/**
 * Adds the invalidators' InvalidationRecords to this instance's history, as they are published. Broadcast: every
 * gateway keeps the whole history, whichever instance a client (or the console) asks. From when the instance starts
 * (the ring is in memory; an older record would only push newer ones out).
 */
export function followInvalidationRecords(history: InvalidationHistory, options: InvalidationRecordsFollowerOptions): Promise<Subscription> {
  return consumeEvents(
    options.transport,
    options.topic ?? topicUse.consumed.invalidationRecords,
    { group: 'strata.gateway.records', mode: 'broadcast', instanceId: options.instanceId, startFrom: 'latest' },
    (event) => {
      if (event.type === 'strata.invalidation.record.v1') history.add(event.data as InvalidationRecordEvent)
      return Promise.resolve()
    },
  )
}
