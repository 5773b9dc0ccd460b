import { StrataError } from '@strata/core'
import type { EventEnvelope } from '@strata/bus'
import type { Claim, Claimant, EventDedupe } from './event-dedupe.js'
import type { InvalidationAnalytics } from './invalidation-analytics.js'
import { planInvalidations, type InvalidationExecutor, type InvalidationRecord, type InvalidationRequest, type RuleSet } from '@strata/invalidation'

/** Thrown while another invalidator holds the claim on an event: retried, never dead-lettered. */
class EventBusyError extends Error {
  readonly transient = true
}

/** A claim that ran alongside the L2 change and was not new: stops the announcement. */
class NotNewClaim extends Error {
  constructor(readonly claim: Claim) {
    super(`event claim: ${claim.outcome}`)
  }
}

/** Only keys deleted (no tags, prefixes, whole namespace or surrogate keys): cheap and harmless to repeat. */
function deletesKeysOnly(request: InvalidationRequest): boolean {
  return (
    request.namespace !== undefined &&
    (request.keys?.length ?? 0) > 0 &&
    request.all !== true &&
    (request.tags?.length ?? 0) === 0 &&
    (request.expireTags?.length ?? 0) === 0 &&
    (request.prefixes?.length ?? 0) === 0 &&
    (request.surrogateKeys?.length ?? 0) === 0 &&
    (request.urls?.length ?? 0) === 0
  )
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
    // Deleting keys again is harmless (a reload from the origin, never a stale read) and bounded, so for an event that
    // only deletes keys the claim runs alongside the L2 delete and only the announcement waits for it: one Redis round
    // trip less before every L1 hears. A duplicate or busy event then deleted its keys once more, announces nothing
    // and counts as before. Broader changes (tags, prefixes, a whole namespace, surrogate keys) wait for the claim, so
    // a redelivered event does not repeat them.
    const claiming = this.dedupe.claim(event.id, claimant)
    if (!requests.every(deletesKeysOnly)) {
      const claim = await claiming
      if (claim.outcome !== 'new') return this.notNew(event, claim)
      return this.apply(event, requests, claim.token, proceed)
    }
    const claimedNew = claiming.then((claim) => {
      if (claim.outcome !== 'new') throw new NotNewClaim(claim)
      return claim
    })
    const token = claimedNew.then((claim) => claim.token)
    // Either may settle while the L2 delete is still under way, before anything awaits them: handled here (their
    // outcome is acted on where they are awaited), so a claim found done is not an unhandled rejection.
    claimedNew.catch(() => undefined)
    token.catch(() => undefined)
    try {
      return await this.apply(event, requests, token, proceed, claimedNew)
    } catch (error) {
      if (error instanceof NotNewClaim) return this.notNew(event, error.claim)
      throw error
    }
  }

  /** A claim found done (a duplicate: nothing to record) or busy (retried later). */
  private notNew(event: EventEnvelope, claim: Claim): InvalidationRecord[] {
    if (claim.outcome === 'busy') throw new EventBusyError(`Event ${event.id} is being applied by another invalidator`)
    this.analytics.event('duplicate')
    return []
  }

  /** `token`: the claim's (a promise while the claim runs alongside the first request's L2 change). */
  private async apply(event: EventEnvelope, requests: InvalidationRequest[], token: string | Promise<string>, proceed?: () => void, claimed?: Promise<unknown>): Promise<InvalidationRecord[]> {
    try {
      const records: InvalidationRecord[] = []
      for (const [index, request] of requests.entries()) records.push(await this.executor.apply(request, index === requests.length - 1 ? proceed : undefined, claimed))
      await this.emit(records)
      await this.dedupe.complete(event.id, await token)
      this.analytics.event('applied')
      return records
    } catch (error) {
      // Released only if it was ours: a claim that failed or was not new has nothing to release.
      const held = await Promise.resolve(token).catch(() => undefined)
      if (held !== undefined) await this.dedupe.release(event.id, held).catch(() => undefined)
      throw error
    }
  }
}
