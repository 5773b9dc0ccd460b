import type { DeadLetter, IncomingMessage, OutgoingMessage, SubscribeOptions } from '../transport.js'

/** What crosses the channel between a ClusterIpcTransport and its ClusterIpcBroker: JSON only (bytes as base64). */
export interface WireOutgoing {
  key?: string
  partition?: number
  value: string
  headers?: Record<string, string>
}

export type WireIncoming = Omit<IncomingMessage, 'value'> & { value: string }

/** SubscribeOptions without its callbacks (the broker says when `onDeadLetter` should be called). */
export type WireSubscribeOptions = Pick<SubscribeOptions, 'group' | 'mode' | 'instanceId' | 'startFrom' | 'retry' | 'deadLetter'>

export interface SubscribeRequest {
  subscription: number
  topics: string[]
  options: WireSubscribeOptions
}

export interface DeliverRequest {
  subscription: number
  message: WireIncoming
}

export interface DeadLetterNotice {
  subscription: number
  letter: DeadLetter
}

export function outgoingToWire(message: OutgoingMessage): WireOutgoing {
  return {
    ...(message.key === undefined ? {} : { key: message.key }),
    ...(message.partition === undefined ? {} : { partition: message.partition }),
    value: Buffer.from(message.value).toString('base64'),
    ...(message.headers === undefined ? {} : { headers: message.headers }),
  }
}

export function outgoingFromWire(message: WireOutgoing): OutgoingMessage {
  return { ...message, value: Buffer.from(message.value, 'base64') }
}

export function incomingToWire(message: IncomingMessage): WireIncoming {
  return { ...message, value: message.value.toString('base64') }
}

export function incomingFromWire(message: WireIncoming): IncomingMessage {
  return { ...message, value: Buffer.from(message.value, 'base64') }
}

export function subscribeOptionsToWire(options: SubscribeOptions): WireSubscribeOptions {
  const { group, mode, instanceId, startFrom, retry, deadLetter } = options
  return {
    group,
    ...(mode === undefined ? {} : { mode }),
    ...(instanceId === undefined ? {} : { instanceId }),
    ...(startFrom === undefined ? {} : { startFrom }),
    ...(retry === undefined ? {} : { retry }),
    ...(deadLetter === undefined ? {} : { deadLetter }),
  }
}
