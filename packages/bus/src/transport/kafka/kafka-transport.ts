import { StrataError } from '@strata/core'
import {
  Kafka,
  Partitioners,
  logLevel as KafkaLogLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaConfig,
  type LogEntry,
  type Producer,
  type TopicMessages,
} from 'kafkajs'
import { startPublishSpan } from '../../tracing/message-tracing.js'
import { deliver, retryPolicyOf, type DeliveryContext, type DeliveryOutcome } from '../delivery.js'
import { groupIdOf, type IncomingMessage, type MessageHandler, type OutgoingMessage, type SubscribeOptions, type Subscription, type Transport } from '../transport.js'
import { ensureTopics } from './ensure-topics.js'

export interface KafkaTransportOptions {
  brokers: readonly string[]
  clientId?: string
  /** Partitions handled at once per subscription (each still one message at a time, in order). Default 3. */
  partitionsConsumedConcurrently?: number
  /** How long a publish may retry through a broker outage before it fails with E_BUS_UNAVAILABLE. Default 30 s. */
  publishTimeoutMs?: number
  /** Consumer session timeout: how fast the group notices a dead member. Default 10 s. */
  sessionTimeoutMs?: number
  /** Longest a fetch waits on the broker when there is nothing to read (affects shutdown, not latency). Default 250 ms. */
  maxWaitTimeMs?: number
  /** How long `subscribe` waits for the group to be joined. Default 30 s. */
  joinTimeoutMs?: number
  /** TLS to the brokers: `true`, or tls.connect options (ca, cert, key, servername). Passed to kafkajs as is. */
  ssl?: KafkaConfig['ssl']
  /** SASL authentication (plain, scram-sha-256/512, ...). Passed to kafkajs as is. */
  sasl?: KafkaConfig['sasl']
  /** Connecting to a broker, ms (kafkajs `connectionTimeout`). Default 3 s. */
  connectionTimeout?: number
  /** One request to a broker, ms (kafkajs `requestTimeout`). Default 30 s. */
  requestTimeout?: number
  /** Where kafkajs logs go; default: errors to stderr as JSON lines. */
  log?: (entry: { level: 'error' | 'warn' | 'info' | 'debug'; message: string; [field: string]: unknown }) => void
}

interface StartPosition {
  topic: string
  partition: number
  offset: string
}

interface PendingSend {
  topic: string
  messages: readonly OutgoingMessage[]
  /** Epoch ms after which the publish fails (publishTimeoutMs after it was asked). */
  deadline: number
  settled: boolean
  resolve: () => void
  reject: (error: unknown) => void
}

/** How long a pipelined subscription gathers finished offsets before committing them. */
const COMMIT_LINGER_MS = 100

/** Pause between two attempts of a send that failed, within the publish budget. */
const RESEND_PAUSE_MS = 250

/**
 * The Kafka adapter (kafkajs). Publishing: one idempotent producer, acks from all in-sync replicas, partition by key
 * (kafkajs's Java-compatible murmur2 partitioner, so other clients agree on partitions). Publishes made while a send
 * is in flight are coalesced into the next one: one request in flight keeps the idempotent producer's sequence numbers
 * in order, and batching keeps throughput up. Consuming: one kafkajs consumer per subscription, eachBatch with manual
 * offset resolution, so an offset is committed only after the handler succeeded or the message was dead-lettered.
 */
export class KafkaTransport implements Transport {
  readonly name = 'kafka'
  private readonly kafka: Kafka
  private readonly options: Required<Omit<KafkaTransportOptions, 'log' | 'clientId' | 'ssl' | 'sasl' | 'connectionTimeout' | 'requestTimeout'>>
  private producer: Producer | undefined
  private producerReady: Promise<Producer> | undefined
  private adminReady: Promise<Admin> | undefined
  private readonly queue: PendingSend[] = []
  private sending = false
  private readonly subscriptions = new Set<KafkaSubscription>()
  private closed = false

  constructor(options: KafkaTransportOptions) {
    this.options = {
      brokers: options.brokers,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
      publishTimeoutMs: options.publishTimeoutMs ?? 30_000,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      maxWaitTimeMs: options.maxWaitTimeMs ?? 250,
      joinTimeoutMs: options.joinTimeoutMs ?? 30_000,
    }
    const log = options.log ?? defaultLog
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'strata',
      brokers: [...options.brokers],
      ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
      ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
      connectionTimeout: options.connectionTimeout ?? 3_000,
      requestTimeout: options.requestTimeout ?? 30_000,
      retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 10 },
      logLevel: KafkaLogLevel.WARN,
      logCreator:
        () =>
        ({ level, log: entry }: LogEntry) => {
          const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry
          // Bounded publish retries are deliberate (publishTimeoutMs); duplicates they may cause are deduplicated downstream.
          if (message.startsWith('Limiting retries for the idempotent producer')) return
          log({ level: levelName(level), message, ...fields })
        },
    })
  }

  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new StrataError('E_BUS_UNAVAILABLE', 'The Kafka transport is closed'))
    if (messages.length === 0) return Promise.resolve()
    // The span is this call's, not the coalesced send's: several callers' traces may share one Kafka request.
    const span = startPublishSpan('kafka', topic, messages)
    return new Promise<void>((resolve, reject) => {
      // The budget is enforced here, not left to kafkajs's retriers: their connection and request retries compose
      // into anything from ~10 s to minutes, and the documented publishTimeoutMs is what callers plan around.
      const timer = setTimeout(() => {
        if (pending.settled) return
        pending.settled = true
        pending.reject(new StrataError('E_BUS_UNAVAILABLE', `Kafka did not take a publish on '${topic}' within ${this.options.publishTimeoutMs} ms (publishTimeoutMs)`))
      }, this.options.publishTimeoutMs)
      timer.unref()
      const pending: PendingSend = {
        topic,
        messages: span.messages,
        deadline: Date.now() + this.options.publishTimeoutMs,
        settled: false,
        resolve: () => {
          clearTimeout(timer)
          span.end()
          resolve()
        },
        reject: (error) => {
          clearTimeout(timer)
          span.end(error)
          reject(error instanceof Error ? error : new Error(String(error)))
        },
      }
      this.queue.push(pending)
      if (!this.sending) void this.drainQueue()
    })
  }

  /** Partitions of `topic` (created with the broker's defaults if missing). */
  async partitionCount(topic: string): Promise<number> {
    const admin = await this.admin()
    await this.ensureTopics(admin, [topic])
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
      return metadata.topics[0]?.partitions.length ?? 1
    } catch (error) {
      throw unavailable(`reading the partitions of '${topic}'`, error)
    }
  }

  async subscribe(topics: string | readonly string[], options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    if (this.closed) throw new StrataError('E_BUS_UNAVAILABLE', 'The Kafka transport is closed')
    const topicList = typeof topics === 'string' ? [topics] : [...topics]
    const groupId = groupIdOf(options)
    const admin = await this.admin()
    await this.ensureTopics(admin, topicList)
    const earliest = options.mode !== 'broadcast' && options.startFrom === 'earliest'
    const positions = options.mode === 'broadcast' ? [] : await this.startPositions(admin, groupId, topicList, earliest)
    const subscription = new KafkaSubscription(this, groupId, options, handler)
    this.subscriptions.add(subscription)
    try {
      await subscription.start(topicList, earliest, positions)
    } catch (error) {
      this.subscriptions.delete(subscription)
      await subscription.close()
      throw error
    }
    return subscription
  }

  /**
   * Readiness: true when the cluster answers a metadata request within `timeoutMs`. Never throws and never waits on
   * the admin client's own retries longer than that.
   */
  async ping(timeoutMs = 2_000): Promise<boolean> {
    if (this.closed) return false
    const answered = this.admin()
      .then((admin) => admin.describeCluster())
      .then(
        (cluster) => cluster.brokers.length > 0,
        () => false,
      )
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs)
    })
    try {
      return await Promise.race([answered, timedOut])
    } finally {
      clearTimeout(timer)
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()))
    this.closed = true
    while (this.sending) await new Promise((resolve) => setTimeout(resolve, 10))
    await this.producer?.disconnect()
    if (this.adminReady !== undefined) await (await this.adminReady.catch(() => undefined))?.disconnect()
  }

  /** @internal */
  newConsumer(groupId: string): Consumer {
    return this.kafka.consumer({
      groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.options.sessionTimeoutMs / 5)),
      rebalanceTimeout: 30_000,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      // Crashes on a retriable error (broker gone) restart the consumer; it resumes from the committed offsets.
      retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 10, restartOnFailure: () => Promise.resolve(true) },
    })
  }

  /** @internal */
  get settings(): Readonly<Required<Omit<KafkaTransportOptions, 'log' | 'clientId' | 'ssl' | 'sasl' | 'connectionTimeout' | 'requestTimeout'>>> {
    return this.options
  }

  /** @internal */
  forget(subscription: KafkaSubscription): void {
    this.subscriptions.delete(subscription)
  }

  /** @internal */
  async admin(): Promise<Admin> {
    this.adminReady ??= (async () => {
      const admin = this.kafka.admin({ retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 10 } })
      await admin.connect()
      return admin
    })()
    try {
      return await this.adminReady
    } catch (error) {
      this.adminReady = undefined
      throw unavailable('connecting the admin client', error)
    }
  }

  private async ensureTopics(admin: Admin, topics: readonly string[]): Promise<void> {
    try {
      await ensureTopics(admin, topics)
    } catch (error) {
      throw unavailable('creating topics', error)
    }
  }

  /**
   * Start positions for the partitions on which `groupId` has never committed: the end (or the beginning), read
   * before the consumer joins. The subscription commits them once it runs, so a restart before its first commit
   * resumes from there instead of re-resolving "latest" and skipping what came in between.
   */
  private async startPositions(admin: Admin, groupId: string, topics: readonly string[], earliest: boolean): Promise<StartPosition[]> {
    // A broker that has just started answers "not the coordinator" / "coordinator loading" for a while: retriable.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.readStartPositions(admin, groupId, topics, earliest)
      } catch (error) {
        const retriable = (error as { cause?: { retriable?: unknown } }).cause?.retriable === true
        if (!retriable || attempt >= 30) throw error
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 100 * attempt)))
      }
    }
  }

  private async readStartPositions(admin: Admin, groupId: string, topics: readonly string[], earliest: boolean): Promise<StartPosition[]> {
    try {
      const positions: StartPosition[] = []
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
        const unset = partitions.filter((partition) => partition.offset === '-1')
        if (unset.length === 0) continue
        const watermarks = new Map((await admin.fetchTopicOffsets(topic)).map((entry) => [entry.partition, entry]))
        for (const { partition } of unset) {
          const marks = watermarks.get(partition)
          positions.push({ topic, partition, offset: (earliest ? marks?.low : marks?.high) ?? '0' })
        }
      }
      return positions
    } catch (error) {
      throw unavailable(`reading the offsets of consumer group '${groupId}'`, error)
    }
  }

  private async connectedProducer(): Promise<Producer> {
    this.producerReady ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: true,
        retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: Math.max(1, Math.ceil(this.options.publishTimeoutMs / 1_000)) },
      })
      await producer.connect()
      this.producer = producer
      return producer
    })()
    try {
      return await this.producerReady
    } catch (error) {
      this.producerReady = undefined
      throw error
    }
  }

  private async resetProducer(): Promise<void> {
    const ready = this.producerReady
    this.producerReady = undefined
    this.producer = undefined
    const producer = await ready?.catch(() => undefined)
    await producer?.disconnect().catch(() => undefined)
  }

  /**
   * One send in flight at a time; everything queued meanwhile goes in the next. A failed send is tried again (with a
   * new producer) until each publish's own deadline: a publish fails only once its publishTimeoutMs is spent.
   */
  private async drainQueue(): Promise<void> {
    this.sending = true
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.queue.length).filter((pending) => !pending.settled)
        if (batch.length === 0) continue
        const byTopic = new Map<string, TopicMessages>()
        for (const pending of batch) {
          let entry = byTopic.get(pending.topic)
          if (entry === undefined) {
            entry = { topic: pending.topic, messages: [] }
            byTopic.set(pending.topic, entry)
          }
          for (const message of pending.messages) {
            entry.messages.push({
              key: message.key ?? null,
              value: message.value,
              headers: message.headers ?? {},
              ...(message.partition === undefined ? {} : { partition: message.partition }),
            })
          }
        }
        try {
          const producer = await this.connectedProducer()
          await producer.sendBatch({ acks: -1, topicMessages: [...byTopic.values()] })
          for (const pending of batch) settle(pending, undefined)
        } catch (error) {
          // An idempotent producer can be left unable to send for good (a restarted broker that lost its producer
          // state answers UNKNOWN_PRODUCER_ID or OUT_OF_ORDER_SEQUENCE_NUMBER to every retry): start a new one, with a
          // new producer id, for the next send. Duplicates this may cause are deduplicated downstream by event id.
          await this.resetProducer()
          const now = Date.now()
          const retry = batch.filter((pending) => !pending.settled && pending.deadline - now > RESEND_PAUSE_MS && !this.closed)
          const failure = unavailable('publishing', error)
          for (const pending of batch) if (!retry.includes(pending)) settle(pending, failure)
          if (retry.length > 0) {
            // Back in front, in their order: what was asked first is sent first.
            this.queue.unshift(...retry)
            await new Promise((resolve) => setTimeout(resolve, RESEND_PAUSE_MS))
          }
        }
      }
    } finally {
      this.sending = false
    }
  }
}

function settle(pending: PendingSend, error: unknown): void {
  if (pending.settled) return
  pending.settled = true
  if (error === undefined) pending.resolve()
  else pending.reject(error)
}

class KafkaSubscription implements Subscription {
  private readonly consumer: Consumer
  private readonly closing = new AbortController()
  private closed: Promise<void> | undefined
  private readonly context: Omit<DeliveryContext, 'onWait'>
  /** Last offset handled per `topic:partition`, to notice a jump (a gap) in broadcast subscriptions. */
  private readonly lastOffsets = new Map<string, bigint>()
  private lastFetchAt = 0
  /** Pipeline mode: per `topic:partition`, settles true once every message handed over so far is done. */
  private readonly chains = new Map<string, Promise<boolean>>()
  /** Pipeline mode: the next offsets to commit (all below them done), one commit request in flight at a time. */
  private readonly toCommit = new Map<string, { topic: string; partition: number; offset: string }>()
  private committing: Promise<void> | undefined

  constructor(
    private readonly transport: KafkaTransport,
    readonly groupId: string,
    private readonly options: SubscribeOptions,
    handler: MessageHandler,
  ) {
    this.consumer = transport.newConsumer(groupId)
    this.context = {
      handler,
      retry: retryPolicyOf(options),
      deadLetter: options.deadLetter !== false,
      onDeadLetter: options.onDeadLetter,
      groupId,
      publish: (topic, messages) => transport.publish(topic, messages),
      closing: this.closing.signal,
    }
  }

  /**
   * Resolves once the consumer has joined its group and made its first fetch: kafkajs resolves the start offset of a
   * partition without a committed one ("latest") just before that fetch, so any message published after `start`
   * resolves is delivered.
   */
  async start(topics: readonly string[], earliest: boolean, positions: readonly StartPosition[]): Promise<void> {
    const consumer = this.consumer
    const removers: (() => void)[] = []
    let timer: NodeJS.Timeout | undefined
    const live = new Promise<void>((resolve, reject) => {
      removers.push(
        consumer.on(consumer.events.GROUP_JOIN, () => {
          removers.push(consumer.on(consumer.events.FETCH, () => resolve()))
        }),
      )
      const timeoutMs = this.transport.settings.joinTimeoutMs
      timer = setTimeout(() => reject(new StrataError('E_BUS_UNAVAILABLE', `Consumer group '${this.groupId}' was not joined within ${timeoutMs} ms`)), timeoutMs)
    })
    // Observed below; this only keeps an early failure of run() from leaving it unhandled.
    live.catch(() => undefined)
    try {
      if (this.options.onGap !== undefined) this.watchSilence(this.options.onGap, this.options.gapAfterMs ?? 60_000)
      await consumer.connect()
      await consumer.subscribe({ topics: [...topics], fromBeginning: earliest })
      await consumer.run({
        // Pipelined, the fetch position moves ahead of what is done, so commits are this subscription's (commitDone).
        autoCommit: this.options.pipeline !== true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.transport.settings.partitionsConsumedConcurrently,
        eachBatch: (payload) => (this.options.pipeline === true ? this.eachBatchPipelined(payload) : this.eachBatch(payload)),
      })
      await live
    } catch (error) {
      throw unavailable(`subscribing group '${this.groupId}'`, error)
    } finally {
      clearTimeout(timer)
      for (const remove of removers) remove()
    }
    // Committing a position at or below where the consumer is can only cause a redelivery, never a skip.
    if (positions.length > 0) await consumer.commitOffsets([...positions]).catch(() => undefined)
  }

  close(): Promise<void> {
    this.closed ??= this.shutdown()
    return this.closed
  }

  /** Fetches return at least every maxWaitTime even when idle, so a long pause between two means a lost connection. */
  private watchSilence(onGap: NonNullable<SubscribeOptions['onGap']>, gapAfterMs: number): void {
    this.consumer.on(this.consumer.events.FETCH, () => {
      const now = Date.now()
      const silence = this.lastFetchAt === 0 ? 0 : now - this.lastFetchAt
      this.lastFetchAt = now
      if (silence > gapAfterMs) onGap({ reason: 'silence', size: silence })
    })
  }

  private checkContinuity(topic: string, partition: number, firstOffset: string): void {
    const onGap = this.options.onGap
    if (onGap === undefined) return
    const id = `${topic}:${partition}`
    const last = this.lastOffsets.get(id)
    const first = BigInt(firstOffset)
    if (last !== undefined && first > last + 1n) onGap({ reason: 'offsets', topic, partition, size: Number(first - last - 1n) })
  }

  private async shutdown(): Promise<void> {
    this.closing.abort()
    // Pipelined handlers still running finish (a retry's backoff ends on the abort) and what they completed is
    // committed before the group is left; the rest is delivered again to the next owner.
    await Promise.all(this.chains.values())
    await this.committing
    // kafkajs's disconnect stops fetching, waits for the running eachBatch calls, commits what they resolved and
    // leaves the group, so the partitions move to another member at once.
    await this.consumer.disconnect().catch(() => undefined)
    this.transport.forget(this)
    if (this.options.mode === 'broadcast') {
      // A broadcast group belongs to one instance and dies with it.
      try {
        await (await this.transport.admin()).deleteGroups([this.groupId])
      } catch {
        // The broker expires empty groups' offsets on its own (offsets.retention.minutes).
      }
    }
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const batch = payload.batch
    const context: DeliveryContext = { ...this.context, onWait: () => payload.heartbeat() }
    const first = batch.messages[0]
    if (first !== undefined) this.checkContinuity(batch.topic, batch.partition, first.offset)
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale() || this.closing.signal.aborted) return
      const outcome = await deliver('kafka', incomingOf(batch, message), context)
      if (outcome === 'abandoned') return
      this.lastOffsets.set(`${batch.topic}:${batch.partition}`, BigInt(message.offset))
      payload.resolveOffset(message.offset)
      await payload.heartbeat()
    }
  }

  /**
   * Like eachBatch, but the next message is handed over as soon as the handler calls `proceed` (or finishes). The
   * kafkajs offset is resolved then, which only moves the fetch position (autoCommit is off); an offset is committed
   * once its message and every earlier one of the partition are done. A delivery that fails after proceeding (its
   * dead-letter publish failed) rewinds the partition to it, so it and what followed are delivered again.
   */
  private async eachBatchPipelined(payload: EachBatchPayload): Promise<void> {
    const batch = payload.batch
    const id = `${batch.topic}:${batch.partition}`
    const context: DeliveryContext = { ...this.context, onWait: () => payload.heartbeat() }
    const first = batch.messages[0]
    if (first !== undefined) this.checkContinuity(batch.topic, batch.partition, first.offset)
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale() || this.closing.signal.aborted) return
      let proceed: () => void = () => undefined
      const proceeded = new Promise<'proceeded'>((resolve) => {
        proceed = () => resolve('proceeded')
      })
      const delivery = deliver('kafka', { ...incomingOf(batch, message), proceed }, context)
      const previous = this.chains.get(id) ?? Promise.resolve(true)
      const chain = chained(previous, delivery)
      this.chains.set(id, chain)
      void chain.then((done) => {
        if (done) this.commitDone(batch.topic, batch.partition, message.offset)
      })
      delivery.catch(() => {
        if (this.closing.signal.aborted) return
        // In the same tick: this batch is stale from here on, and the message fetched again chains after the ones
        // before it, not after itself (whose chain is false for good).
        try {
          this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: message.offset })
        } catch {
          // Not running (it failed before proceeding, and kafkajs restarts it from the committed offset).
        }
        this.chains.set(id, previous)
      })
      // Failing before it proceeded: thrown as in eachBatch (kafkajs restarts the consumer from the committed offset).
      const handedOver = await Promise.race([delivery, proceeded])
      if (handedOver === 'abandoned') return
      this.lastOffsets.set(id, BigInt(message.offset))
      payload.resolveOffset(message.offset)
      await payload.heartbeat()
    }
  }

  /** Commits `offset + 1` on the partition, coalescing: at most one commit request in flight. */
  private commitDone(topic: string, partition: number, offset: string): void {
    this.toCommit.set(`${topic}:${partition}`, { topic, partition, offset: (BigInt(offset) + 1n).toString() })
    this.committing ??= (async () => {
      // Coalesced over a short window: a commit per event would be a broker request on the next event's path (it
      // queues behind the parked fetch on the same connection and runs as that fetch returns). Committing later only
      // widens what a crash redelivers; close still waits for it.
      if (!this.closing.signal.aborted) await new Promise((resolve) => setTimeout(resolve, COMMIT_LINGER_MS).unref())
      while (this.toCommit.size > 0) {
        const offsets = [...this.toCommit.values()]
        this.toCommit.clear()
        // A commit that fails (a rebalance, the broker gone) only means these may be delivered again, which
        // at-least-once consumers absorb; one for a partition since moved elsewhere covers only what was done here.
        await this.consumer.commitOffsets(offsets).catch(() => undefined)
      }
      this.committing = undefined
    })()
  }
}

/** The chain of one partition after `delivery`: true once it and everything before it is done. */
function chained(previous: Promise<boolean>, delivery: Promise<DeliveryOutcome>): Promise<boolean> {
  return Promise.all([previous, delivery]).then(
    ([done, outcome]) => done && outcome !== 'abandoned',
    () => false,
  )
}

/** The transport's view of one fetched Kafka message. */
function incomingOf(batch: EachBatchPayload['batch'], message: EachBatchPayload['batch']['messages'][number]): Omit<IncomingMessage, 'attempt'> {
  return {
    topic: batch.topic,
    partition: batch.partition,
    offset: message.offset,
    key: message.key === null ? undefined : message.key.toString(),
    value: message.value ?? Buffer.alloc(0),
    headers: headersOf(message.headers),
    timestamp: Number(message.timestamp),
  }
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue
    const first = Array.isArray(value) ? value[0] : value
    if (first !== undefined) result[name] = first.toString()
  }
  return result
}

function unavailable(what: string, error: unknown): StrataError {
  if (error instanceof StrataError) return error
  return new StrataError('E_BUS_UNAVAILABLE', `Kafka failed while ${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
}

function levelName(level: KafkaLogLevel): 'error' | 'warn' | 'info' | 'debug' {
  switch (level) {
    case KafkaLogLevel.NOTHING:
    case KafkaLogLevel.ERROR:
      return 'error'
    case KafkaLogLevel.WARN:
      return 'warn'
    case KafkaLogLevel.INFO:
      return 'info'
    default:
      return 'debug'
  }
}

function defaultLog(entry: { level: string; message: string }): void {
  if (entry.level === 'error') process.stderr.write(`${JSON.stringify({ logger: 'kafkajs', ...entry })}\n`)
}
