import { StrataError } from '@strata/core'
import type { EventEnvelope } from '@strata/bus'
import type { Claimant, EventDedupe } from './event-dedupe.js'
import type { InvalidationAnalytics } from './invalidation-analytics.js'
import { planInvalidations, type InvalidationExecutor, type InvalidationRecord, type InvalidationRequest, type RuleSet } from '@strata/invalidation'

/** Thrown while another invalidator holds the claim on an event: retried, never dead-lettered. */
class EventBusyError extends Error {
  readonly transient = true
}

/**
 * Domain event → rules → invalidations, idempotent per event id. Every template is rendered before anything is
 * touched, so an event that lacks a field a rule needs (E_EVENT_INVALID, dead-lettered) has no partial effect.
 */
export class EventInvalidator {
  constructor(
    private readonly rules: RuleSet,
    private readonly executor: InvalidationExecutor,
    private readonly dedupe: EventDedupe,
    private readonly analytics: InvalidationAnalytics,
    private readonly emit: (records: readonly InvalidationRecord[]) => Promise<void>,
  ) {}

  requestsFor(topic: string, event: EventEnvelope): InvalidationRequest[] {
    return planInvalidations(this.rules, topic, event)
  }

  /**
   * `claimant`: the consumer delivering the event (it owns the event's partition), so it takes over orphaned claims.
   * `proceed`: called once the last invalidation is made in L2 and handed to the bus, so the consumer may start on
   * the next event while this one waits for the bus's acknowledgement (its offset is committed only after that).
   */
  async handle(topic: string, event: EventEnvelope, claimant?: Claimant, proceed?: () => void): Promise<InvalidationRecord[]> {
    let requests: InvalidationRequest[]
    try {
      requests = this.requestsFor(topic, event)
    } catch (error) {
      if (error instanceof StrataError) {
        throw new StrataError(error.code, `Event ${event.id} (${event.type}): ${error.message}`, { cause: error, context: error.context })
      }
      throw error
    }
    if (requests.length === 0) {
      this.analytics.event('ignored')
      return []
    }
    const claim = await this.dedupe.claim(event.id, claimant)
    if (claim.outcome === 'done') {
      this.analytics.event('duplicate')
      return []
    }
    if (claim.outcome === 'busy') throw new EventBusyError(`Event ${event.id} is being applied by another invalidator`)
    try {
      const records: InvalidationRecord[] = []
      for (const [index, request] of requests.entries()) records.push(await this.executor.apply(request, index === requests.length - 1 ? proceed : undefined))
      await this.emit(records)
      await this.dedupe.complete(event.id, claim.token)
      this.analytics.event('applied')
      return records
    } catch (error) {
      await this.dedupe.release(event.id, claim.token).catch(() => undefined)
      throw error
    }
  }
}
