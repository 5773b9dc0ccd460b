/**
 * The bus port: topics of keyed messages, delivered at least once. Adapters: Kafka (kafkajs) and in-process; both
 * pass `runTransportContractSuite` (`@strata/bus/testing`). Event envelopes and schemas sit above this port
 * (`publishEvents`, `consumeEvents`), so an adapter moves bytes and headers and knows nothing of events.
 */
export interface Transport {
  /** `kafka`, `memory`, `cluster-ipc`. */
  readonly name: string
  /**
   * Resolves once every message is durably accepted (Kafka: acknowledged by all in-sync replicas). Messages with the
   * same key go to the same partition, so they are delivered in the order they were published.
   */
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>
  /**
   * Delivers messages of `topics` to `handler`, one at a time per partition. A message counts as consumed (its
   * offset is committed) only after the handler resolved, or after it was sent to the dead-letter topic. Resolves
   * once the subscription is live: every message published after that is delivered.
   */
  subscribe(topics: string | readonly string[], options: SubscribeOptions, handler: MessageHandler): Promise<Subscription>
  /** Closes every subscription (letting in-flight handlers finish) and then the connections. */
  close(): Promise<void>
  /**
   * How many partitions `topic` has (creating it if missing): a publisher that must reach every partition (the
   * invalidation heartbeat) sends one message to each, with `OutgoingMessage.partition`.
   */
  partitionCount?(topic: string): Promise<number>
}

export interface OutgoingMessage {
  /** Partitioning key: the cache key, or the namespace. Without one, messages spread over partitions. */
  key?: string
  /** An explicit partition (0-based), overriding the key's; below `partitionCount(topic)`. */
  partition?: number
  value: Buffer | string
  headers?: Record<string, string>
}

export interface IncomingMessage {
  topic: string
  partition: number
  offset: string
  key: string | undefined
  value: Buffer
  headers: Record<string, string>
  /** When the broker appended it (epoch ms). */
  timestamp: number
  /** 1 on the first delivery to this subscriber, then 2, 3... while the handler keeps failing. */
  attempt: number
  /**
   * In a `pipeline` subscription (Kafka): lets the next message of this partition be fetched and handled while this
   * handler finishes. Its offset is still committed only once it resolved (or was dead-lettered), and only after every
   * earlier message of its partition was. Absent, or a no-op, elsewhere.
   */
  proceed?: () => void
}

export type MessageHandler = (message: IncomingMessage) => Promise<void>

export interface SubscribeOptions {
  /**
   * The consumer group. In `group` mode its members share the partitions (work sharing: each message is handled by
   * one member). In `broadcast` mode it is a base name: this subscriber gets its own group `<group>.<instanceId>` and
   * sees every message.
   */
  group: string
  mode?: 'group' | 'broadcast'
  /** Required in broadcast mode; unique per process (e.g. a UUID or the pod name). */
  instanceId?: string
  /**
   * Where a group that has never committed starts: `latest` (the default, and always in broadcast mode: a cache
   * instance needs only what happens after it starts) or `earliest`.
   */
  startFrom?: 'latest' | 'earliest'
  retry?: Partial<RetryPolicy>
  /** Dead-letter topic for poison messages: `<topic>.dlq` by default; `false` to retry failing handlers forever. */
  deadLetter?: boolean
  /**
   * Called when this subscriber cannot be sure it saw every message: a partition's offsets jumped (messages expired
   * or the position was reset), or nothing was fetched for longer than `gapAfterMs` (a lost connection, a frozen
   * process). A cache answers by dropping its L1. Adapters that cannot lose messages (in-process) never call it.
   */
  onGap?: (gap: SubscriptionGap) => void
  /** Silence, ms, after which fetching again counts as a gap (default 60 s). */
  gapAfterMs?: number
  /**
   * Called once a message went to the dead-letter topic, with why: the consumer's own report of it (its log, its
   * `strata.errors.v1` event). A throwing callback is ignored; the message is consumed either way.
   */
  onDeadLetter?: (letter: DeadLetter) => void
  /**
   * The handler may call `message.proceed()` once the part of its work that must stay in order is done, so that the
   * rest of it (an awaited acknowledgement) overlaps the next fetch. Adapters that do not support it deliver one at a
   * time as usual. Messages may then finish out of order (a retried one after later ones), never be committed so.
   */
  pipeline?: boolean
}

export interface DeadLetter {
  topic: string
  partition: number
  offset: string
  key: string | undefined
  /** The error's code (`E_EVENT_INVALID` for poison, the handler's own code, or `E_HANDLER_FAILED`). */
  code: string
  reason: string
  attempts: number
}

export interface SubscriptionGap {
  reason: 'offsets' | 'silence'
  topic?: string
  partition?: number
  /** For `offsets`: how many offsets were skipped. For `silence`: how long nothing was fetched, ms. */
  size: number
}

export interface RetryPolicy {
  /** Handler attempts before a message is dead-lettered. */
  attempts: number
  initialBackoffMs: number
  maxBackoffMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialBackoffMs: 100, maxBackoffMs: 5_000 }

export interface Subscription {
  /** The consumer group actually used (`<group>.<instanceId>` in broadcast mode). */
  readonly groupId: string
  /** Stops fetching, waits for the in-flight handler calls, commits what they finished, and leaves the group. */
  close(): Promise<void>
}

/** The group a subscriber joins, from its options. */
export function groupIdOf(options: SubscribeOptions): string {
  if (options.mode !== 'broadcast') return options.group
  if (options.instanceId === undefined || options.instanceId === '') {
    throw new TypeError(`Broadcast subscription to group '${options.group}' needs an instanceId`)
  }
  return `${options.group}.${options.instanceId}`
}
