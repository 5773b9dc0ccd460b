import { MemoryTransport } from '../memory/memory-transport.js'
import type { Subscription, Transport } from '../transport.js'
import { IpcPeer, type IpcChannel } from './ipc-peer.js'
import {
  incomingToWire,
  outgoingFromWire,
  type DeadLetterNotice,
  type DeliverRequest,
  type SubscribeRequest,
  type WireOutgoing,
} from './ipc-messages.js'

interface Attached {
  peer: IpcPeer
  subscriptions: Map<number, Subscription>
}

/**
 * The parent's side of ClusterIpcTransport: a node:cluster primary attaches each worker, and the workers' publishes
 * and subscriptions land on one in-process transport here, which delivers to the subscribers in every worker (a
 * handler's answer crosses back before the position moves). A worker that dies is detached: its subscriptions leave
 * their groups and its unanswered deliveries go to another member, as when a Kafka consumer dies.
 */
export class ClusterIpcBroker {
  private readonly attached = new Map<IpcChannel, Attached>()

  /** By default the topics keep the newest 10 000 messages per partition: the primary lives as long as the gateway. */
  constructor(private readonly transport: Transport = new MemoryTransport({ retainPerPartition: 10_000 })) {}

  /** Serves `channel` (a `cluster.Worker`, a `ChildProcess`) until `detach`. */
  attach(channel: IpcChannel): void {
    if (this.attached.has(channel)) return
    const subscriptions = new Map<number, Subscription>()
    const peer: IpcPeer = new IpcPeer(channel, { request: (op, body) => this.serve(peer, subscriptions, op, body) })
    this.attached.set(channel, { peer, subscriptions })
  }

  /** Its subscriptions leave their groups; deliveries it has not answered are handed to another member. */
  async detach(channel: IpcChannel): Promise<void> {
    const attached = this.attached.get(channel)
    if (attached === undefined) return
    this.attached.delete(channel)
    // Closing first marks each subscription as leaving, so the rejections below end its deliveries as abandoned.
    const leaving = [...attached.subscriptions.values()].map((subscription) => subscription.close())
    attached.peer.close(Object.assign(new Error('The worker is gone'), { transient: true }))
    await Promise.all(leaving)
  }

  async close(): Promise<void> {
    await Promise.all([...this.attached.keys()].map((channel) => this.detach(channel)))
    await this.transport.close()
  }

  private async serve(peer: IpcPeer, subscriptions: Map<number, Subscription>, op: string, body: unknown): Promise<unknown> {
    switch (op) {
      case 'publish': {
        const { topic, messages } = body as { topic: string; messages: WireOutgoing[] }
        await this.transport.publish(topic, messages.map(outgoingFromWire))
        return null
      }
      case 'partitionCount': {
        const { topic } = body as { topic: string }
        return this.transport.partitionCount === undefined ? 1 : this.transport.partitionCount(topic)
      }
      case 'subscribe': {
        const { subscription: id, topics, options } = body as SubscribeRequest
        const subscription = await this.transport.subscribe(
          topics,
          { ...options, onDeadLetter: (letter) => peer.notify('dead-letter', { subscription: id, letter } satisfies DeadLetterNotice) },
          async (message) => {
            await peer.request('deliver', { subscription: id, message: incomingToWire(message) } satisfies DeliverRequest)
          },
        )
        subscriptions.set(id, subscription)
        return subscription.groupId
      }
      case 'unsubscribe': {
        const { subscription: id } = body as { subscription: number }
        const subscription = subscriptions.get(id)
        subscriptions.delete(id)
        await subscription?.close()
        return null
      }
      default:
        throw new Error(`Unknown IPC request '${op}'`)
    }
  }
}
