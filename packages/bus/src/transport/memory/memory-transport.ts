import { StrataError } from '@strata/core'
import { startPublishSpan } from '../../tracing/message-tracing.js'
import { deliver } from '../delivery.js'
import { retryPolicyOf } from '../delivery.js'
import {
  groupIdOf,
  type MessageHandler,
  type OutgoingMessage,
  type RetryPolicy,
  type SubscribeOptions,
  type Subscription,
  type Transport,
} from '../transport.js'

export interface MemoryTransportOptions {
  /** Partitions per topic (keys hash onto them); 3 like the loopback Kafka. */
  partitions?: number
  /**
   * At least this many of the newest messages are kept per partition (up to twice as many), like Kafka's retention;
   * older ones are dropped, and a group still behind them skips to the oldest kept. Unbounded by default: set it for a
   * process that lives long (invalidation heartbeats alone add ten messages a second per subscriber).
   */
  retainPerPartition?: number
}

/** One partition's messages from offset `base` on. */
interface PartitionLog {
  base: number
  messages: StoredMessage[]
}

interface StoredMessage {
  key: string | undefined
  value: Buffer
  headers: Record<string, string>
  timestamp: number
}

interface Member {
  topics: ReadonlySet<string>
  handler: MessageHandler
  retry: RetryPolicy
  deadLetter: boolean
  onDeadLetter: SubscribeOptions['onDeadLetter']
  closing: AbortController
  inflight: Set<Promise<unknown>>
}

interface Group {
  id: string
  broadcast: boolean
  members: Member[]
  /** Next offset to deliver per `topic/partition`: the committed position. */
  committed: Map<string, number>
  pumping: Set<string>
}

/**
 * The in-process transport for the embedded single-process mode and tests: Kafka's semantics without a broker.
 * Topics have partitions (keys hash onto them, so per-key order holds), groups share partitions among their members,
 * a position moves only after the handler succeeded or the message was dead-lettered, and a member that closes lets
 * its in-flight handler finish. Nothing survives the process.
 */
export class MemoryTransport implements Transport {
  readonly name = 'memory'
  private readonly partitionTotal: number
  private readonly retain: number
  private readonly topics = new Map<string, PartitionLog[]>()
  private readonly groups = new Map<string, Group>()
  private roundRobin = 0
  private closed = false

  constructor(options: MemoryTransportOptions = {}) {
    this.partitionTotal = options.partitions ?? 3
    this.retain = options.retainPerPartition ?? Infinity
  }

  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new StrataError('E_BUS_UNAVAILABLE', 'The in-process transport is closed'))
    const log = this.log(topic)
    const touched = new Set<number>()
    const span = startPublishSpan('memory', topic, messages)
    for (const message of span.messages) {
      const partition =
        message.partition !== undefined
          ? message.partition % this.partitionTotal
          : message.key === undefined
            ? this.roundRobin++ % this.partitionTotal
            : hashKey(message.key) % this.partitionTotal
      const kept = log[partition]!
      kept.messages.push({
        key: message.key,
        // A copy, like bytes on a wire: the publisher may reuse its buffer.
        value: Buffer.from(message.value),
        headers: { ...message.headers },
        timestamp: Date.now(),
      })
      // Trimmed in halves, so that dropping the oldest costs O(1) per message on average.
      if (kept.messages.length >= 2 * this.retain) {
        const dropped = kept.messages.length - this.retain
        kept.messages.splice(0, dropped)
        kept.base += dropped
      }
      touched.add(partition)
    }
    for (const group of this.groups.values()) {
      if (!group.members.some((member) => member.topics.has(topic))) continue
      for (const partition of touched) this.pump(group, topic, partition)
    }
    span.end()
    return Promise.resolve()
  }

  partitionCount(_topic: string): Promise<number> {
    return Promise.resolve(this.partitionTotal)
  }

  subscribe(topics: string | readonly string[], options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    if (this.closed) return Promise.reject(new StrataError('E_BUS_UNAVAILABLE', 'The in-process transport is closed'))
    let groupId: string
    try {
      groupId = groupIdOf(options)
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
    const topicList = typeof topics === 'string' ? [topics] : [...topics]
    const broadcast = options.mode === 'broadcast'
    let group = this.groups.get(groupId)
    if (group === undefined) {
      group = { id: groupId, broadcast, members: [], committed: new Map(), pumping: new Set() }
      this.groups.set(groupId, group)
    }
    for (const topic of topicList) {
      const log = this.log(topic)
      log.forEach((partition, index) => {
        const position = `${topic}/${index}`
        if (!group.committed.has(position)) {
          group.committed.set(position, options.startFrom === 'earliest' && !broadcast ? partition.base : partition.base + partition.messages.length)
        }
      })
    }
    const member: Member = {
      topics: new Set(topicList),
      handler,
      retry: retryPolicyOf(options),
      deadLetter: options.deadLetter !== false,
      onDeadLetter: options.onDeadLetter,
      closing: new AbortController(),
      inflight: new Set(),
    }
    group.members.push(member)
    this.rebalance(group)
    const joined = group
    return Promise.resolve({ groupId, close: () => this.leave(joined, member) })
  }

  async close(): Promise<void> {
    const leaving = [...this.groups.values()].flatMap((group) => group.members.map((member) => this.leave(group, member)))
    await Promise.all(leaving)
    this.closed = true
  }

  private log(topic: string): PartitionLog[] {
    let log = this.topics.get(topic)
    if (log === undefined) {
      log = Array.from({ length: this.partitionTotal }, () => ({ base: 0, messages: [] }))
      this.topics.set(topic, log)
    }
    return log
  }

  private async leave(group: Group, member: Member): Promise<void> {
    if (member.closing.signal.aborted) return
    member.closing.abort()
    await Promise.all(member.inflight)
    group.members = group.members.filter((other) => other !== member)
    if (group.members.length === 0 && group.broadcast) this.groups.delete(group.id)
    else this.rebalance(group)
  }

  private rebalance(group: Group): void {
    for (const position of group.committed.keys()) {
      const slash = position.lastIndexOf('/')
      this.pump(group, position.slice(0, slash), Number(position.slice(slash + 1)))
    }
  }

  /** One delivery loop per group and partition, so a partition's messages are handled in order, one at a time. */
  private pump(group: Group, topic: string, partition: number): void {
    const position = `${topic}/${partition}`
    if (group.pumping.has(position)) return
    group.pumping.add(position)
    void this.drain(group, topic, partition, position).then(
      (again) => {
        group.pumping.delete(position)
        if (again) this.pump(group, topic, partition)
      },
      () => {
        group.pumping.delete(position)
        // The dead-letter publish failed (transport closing): try again later, the message is still unconsumed.
        setTimeout(() => this.pump(group, topic, partition), 100).unref()
      },
    )
  }

  /** Delivers until the partition is drained; true when it should run again (new owner after a member left). */
  private async drain(group: Group, topic: string, partition: number, position: string): Promise<boolean> {
    const log = this.log(topic)[partition]!
    for (;;) {
      // Let the publisher's synchronous code finish first, as a network hop would.
      await new Promise((resolve) => setImmediate(resolve))
      // A group behind the retained messages skips to the oldest kept.
      const offset = Math.max(group.committed.get(position) ?? 0, log.base)
      if (offset >= log.base + log.messages.length) return false
      const owners = group.members.filter((member) => member.topics.has(topic) && !member.closing.signal.aborted)
      if (owners.length === 0) return false
      const member = owners[partition % owners.length]!
      const stored = log.messages[offset - log.base]!
      const delivery = deliver(
        'memory',
        { topic, partition, offset: String(offset), key: stored.key, value: stored.value, headers: { ...stored.headers }, timestamp: stored.timestamp },
        {
          handler: member.handler,
          retry: member.retry,
          deadLetter: member.deadLetter,
          onDeadLetter: member.onDeadLetter,
          groupId: group.id,
          publish: (dlq, messages) => this.publish(dlq, messages),
          closing: member.closing.signal,
        },
      )
      member.inflight.add(delivery)
      try {
        const outcome = await delivery
        if (outcome === 'abandoned') return group.members.some((other) => other !== member && other.topics.has(topic))
        group.committed.set(position, offset + 1)
      } finally {
        member.inflight.delete(delivery)
      }
    }
  }
}

/** FNV-1a: stable across runs, so a key always lands on the same partition. */
function hashKey(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
