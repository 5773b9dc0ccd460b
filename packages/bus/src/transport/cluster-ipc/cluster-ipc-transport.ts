import { StrataError } from '@strata/core'
import { startPublishSpan, withConsumeSpan } from '../../tracing/message-tracing.js'
import { groupIdOf, type MessageHandler, type OutgoingMessage, type SubscribeOptions, type Subscription, type Transport } from '../transport.js'
import { IpcPeer, type IpcChannel } from './ipc-peer.js'
import { incomingFromWire, outgoingToWire, subscribeOptionsToWire, type DeadLetterNotice, type DeliverRequest, type SubscribeRequest } from './ipc-messages.js'

export interface ClusterIpcTransportOptions {
  /** The channel to the broker: by default this process's own (`process`, in a cluster worker or a forked child). */
  channel?: IpcChannel
}

interface LocalSubscription {
  handler: MessageHandler
  onDeadLetter: SubscribeOptions['onDeadLetter']
  groupId: string
}

/**
 * The transport of processes on one host that share a parent: a node:cluster worker (or any forked child) publishes
 * and subscribes through the ClusterIpcBroker its primary runs, which holds the topics (an in-process transport) and
 * delivers to the subscribers of every worker. So the workers of one multi-worker gateway tell each other what they
 * invalidated without Kafka. Kafka's semantics hold as the in-process transport has them (partitions, groups,
 * broadcast, commit after the handler, dead letters); messages live as long as the primary, not longer.
 */
export class ClusterIpcTransport implements Transport {
  readonly name = 'cluster-ipc'
  private readonly peer: IpcPeer
  private readonly subscriptions = new Map<number, LocalSubscription>()
  private nextSubscription = 1
  private closed = false

  constructor(options: ClusterIpcTransportOptions = {}) {
    const channel = options.channel ?? processChannel()
    this.peer = new IpcPeer(channel, {
      request: (op, body) => (op === 'deliver' ? this.deliver(body as DeliverRequest) : Promise.reject(new Error(`Unknown IPC request '${op}'`))),
      notice: (op, body) => {
        if (op === 'dead-letter') this.reportDeadLetter(body as DeadLetterNotice)
      },
    })
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    this.assertOpen()
    const span = startPublishSpan(this.name, topic, messages)
    try {
      await this.peer.request('publish', { topic, messages: span.messages.map(outgoingToWire) })
      span.end()
    } catch (error) {
      span.end(error)
      throw error
    }
  }

  async partitionCount(topic: string): Promise<number> {
    this.assertOpen()
    return (await this.peer.request('partitionCount', { topic })) as number
  }

  async subscribe(topics: string | readonly string[], options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    this.assertOpen()
    const groupId = groupIdOf(options)
    const id = this.nextSubscription++
    this.subscriptions.set(id, { handler, onDeadLetter: options.onDeadLetter, groupId })
    const request: SubscribeRequest = { subscription: id, topics: typeof topics === 'string' ? [topics] : [...topics], options: subscribeOptionsToWire(options) }
    try {
      await this.peer.request('subscribe', request)
    } catch (error) {
      this.subscriptions.delete(id)
      throw error
    }
    let closing: Promise<void> | undefined
    return {
      groupId,
      close: () => (closing ??= this.unsubscribe(id)),
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    // Deliveries keep being answered while the broker lets in-flight handlers finish.
    await Promise.all([...this.subscriptions.keys()].map((id) => this.unsubscribe(id)))
    this.closed = true
    this.peer.close()
  }

  private async unsubscribe(id: number): Promise<void> {
    if (!this.subscriptions.has(id)) return
    try {
      await this.peer.request('unsubscribe', { subscription: id })
    } finally {
      this.subscriptions.delete(id)
    }
  }

  private async deliver(request: DeliverRequest): Promise<void> {
    const subscription = this.subscriptions.get(request.subscription)
    // Closed here first: the broker gives the message to another member of the group.
    if (subscription === undefined) throw Object.assign(new Error('subscription closed'), { transient: true })
    const message = incomingFromWire(request.message)
    await withConsumeSpan(this.name, subscription.groupId, message, () => subscription.handler(message))
  }

  private reportDeadLetter(notice: DeadLetterNotice): void {
    try {
      this.subscriptions.get(notice.subscription)?.onDeadLetter?.(notice.letter)
    } catch {
      // A report that fails changes nothing: the message is consumed either way.
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StrataError('E_BUS_UNAVAILABLE', 'The cluster IPC transport is closed')
  }
}

function processChannel(): IpcChannel {
  if (process.send === undefined) {
    throw new StrataError('E_BUS_UNAVAILABLE', 'ClusterIpcTransport needs an IPC channel: run it in a node:cluster worker (or a forked child) whose parent runs a ClusterIpcBroker')
  }
  return process as unknown as IpcChannel
}
