import { createEvent, publishEvents, type HotKeysEvent, type Transport } from '@strata/bus'
import type { AnalyticsState } from './aggregation/analytics-state.js'
import { topicUse } from './topic-use.js'

export interface HotKeysPublisherOptions {
  /** How often the hot keys are published. Default 60 s. */
  intervalMs?: number
  /** Keys per namespace. Default 100. */
  topK?: number
  /** A key is published once its guaranteed count (count − error) reaches this. Default 2. */
  minCount?: number
  /** Default `strata.hot-keys.v1`. */
  topic?: string
  /** The envelope's source. Default `strata/analytics`. */
  source?: string
  clock?: () => number
  onError?: (error: unknown) => void
}

const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/**
 * Publishes each namespace's hottest keys as `strata.hot-keys.v1` (what the warmer consumes to keep them cached):
 * the Space-Saving lower bounds (count − error), so a published count is never more than the key was really read.
 * Namespaces whose keys are published hashed are left out (a hash cannot be warmed), and so is a namespace with no
 * read since its last publish.
 */
export class HotKeysPublisher {
  private timer: NodeJS.Timeout | undefined
  private readonly lastTotals = new Map<string, number>()
  private readonly clock: () => number
  private readonly startedAt: number
  published = 0

  constructor(private readonly state: AnalyticsState, private readonly transport: Transport, private readonly options: HotKeysPublisherOptions = {}) {
    this.clock = options.clock ?? Date.now
    this.startedAt = this.clock()
  }

  start(): void {
    this.timer = setInterval(() => void this.publish().catch((error: unknown) => this.options.onError?.(error)), this.options.intervalMs ?? 60_000)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** Publishes what changed since the last call; answers how many namespaces were published. */
  async publish(): Promise<number> {
    const at = this.clock()
    const events = []
    for (const [namespace, sketches] of this.state.sketches) {
      if (sketches.hashedKeys || !NAMESPACE.test(namespace) || this.lastTotals.get(namespace) === sketches.hotKeys.total) continue
      const keys = sketches.hotKeys
        .top(this.options.topK ?? 100)
        .map((hot) => ({ key: hot.key, count: Math.floor(hot.count - hot.error) }))
        .filter((hot) => hot.count >= (this.options.minCount ?? 2) && hot.key.length <= 1024)
      if (keys.length === 0) continue
      events.push({ namespace, total: sketches.hotKeys.total, event: createEvent<HotKeysEvent>({ type: 'strata.hot-keys.v1', source: this.options.source ?? 'strata/analytics', subject: namespace, data: { namespace, keys, windowMs: Math.max(1, at - this.startedAt), at } }) })
    }
    if (events.length === 0) return 0
    await publishEvents(this.transport, this.options.topic ?? topicUse.produced.hotKeys, events.map((e) => e.event), (event) => (event.data as HotKeysEvent).namespace)
    for (const { namespace, total } of events) this.lastTotals.set(namespace, total)
    this.published += events.length
    return events.length
  }
}
