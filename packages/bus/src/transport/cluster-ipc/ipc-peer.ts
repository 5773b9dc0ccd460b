import { StrataError, isStrataError, type ErrorCode } from '@strata/core'

/**
 * One end of a Node IPC channel: a cluster worker's `process`, the primary's `cluster.Worker`, or a forked
 * `ChildProcess` — all three send and receive serializable messages in order.
 */
export interface IpcChannel {
  send(message: unknown): boolean
  on(event: 'message', listener: (message: unknown) => void): unknown
  on(event: 'disconnect', listener: () => void): unknown
  off(event: 'message', listener: (message: unknown) => void): unknown
  off(event: 'disconnect', listener: () => void): unknown
}

/** Marks the bus's messages, so the channel can carry others (cluster's own, the application's). */
const TAG = 'strata.bus.ipc.v1'

interface WireError {
  message: string
  code?: string
  transient?: boolean
}

type Frame =
  | { tag: typeof TAG; kind: 'request'; id: number; op: string; body: unknown }
  | { tag: typeof TAG; kind: 'response'; id: number; value?: unknown; error?: WireError }
  | { tag: typeof TAG; kind: 'notice'; op: string; body: unknown }

export type RequestHandler = (op: string, body: unknown) => Promise<unknown>
export type NoticeHandler = (op: string, body: unknown) => void

/**
 * Requests with answers and one-way notices over an IpcChannel. A handler's error crosses as its message, its
 * StrataError code and its `transient` mark, so the other side can tell poison from a dependency that is down.
 * When the channel goes away, every unanswered request rejects with E_BUS_UNAVAILABLE (transient).
 */
export class IpcPeer {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  private readonly onMessage = (message: unknown): void => this.receive(message)
  private readonly onDisconnect = (): void => this.fail(new StrataError('E_BUS_UNAVAILABLE', 'The IPC channel to the other process is closed'))
  private open = true

  constructor(
    private readonly channel: IpcChannel,
    private readonly handlers: { request?: RequestHandler; notice?: NoticeHandler } = {},
  ) {
    channel.on('message', this.onMessage)
    channel.on('disconnect', this.onDisconnect)
  }

  request(op: string, body: unknown): Promise<unknown> {
    if (!this.open) return Promise.reject(new StrataError('E_BUS_UNAVAILABLE', 'The IPC channel to the other process is closed'))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      if (!this.post({ tag: TAG, kind: 'request', id, op, body })) {
        this.pending.delete(id)
        reject(new StrataError('E_BUS_UNAVAILABLE', `IPC request '${op}' could not be sent`))
      }
    })
  }

  notify(op: string, body: unknown): void {
    if (this.open) this.post({ tag: TAG, kind: 'notice', op, body })
  }

  /** Stops listening and rejects what is still unanswered with `error` (E_BUS_UNAVAILABLE by default). */
  close(error?: Error): void {
    this.channel.off('message', this.onMessage)
    this.channel.off('disconnect', this.onDisconnect)
    this.fail(error ?? new StrataError('E_BUS_UNAVAILABLE', 'The IPC peer is closed'))
  }

  private fail(error: Error): void {
    this.open = false
    const waiting = [...this.pending.values()]
    this.pending.clear()
    for (const call of waiting) call.reject(error)
  }

  private post(frame: Frame): boolean {
    try {
      return this.channel.send(frame)
    } catch {
      // A channel closing under us throws ERR_IPC_CHANNEL_CLOSED: same as not sent.
      return false
    }
  }

  private receive(message: unknown): void {
    if (typeof message !== 'object' || message === null || (message as { tag?: unknown }).tag !== TAG) return
    const frame = message as Frame
    if (frame.kind === 'response') {
      const call = this.pending.get(frame.id)
      if (call === undefined) return
      this.pending.delete(frame.id)
      if (frame.error === undefined) call.resolve(frame.value)
      else call.reject(errorFromWire(frame.error))
    } else if (frame.kind === 'notice') {
      this.handlers.notice?.(frame.op, frame.body)
    } else {
      const answer = this.handlers.request?.(frame.op, frame.body) ?? Promise.reject(new Error(`No handler for IPC request '${frame.op}'`))
      answer.then(
        (value) => this.post({ tag: TAG, kind: 'response', id: frame.id, value }),
        (error: unknown) => this.post({ tag: TAG, kind: 'response', id: frame.id, error: errorToWire(error) }),
      )
    }
  }
}

function errorToWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { message: String(error) }
  return {
    message: error.message,
    ...(isStrataError(error) ? { code: error.code } : {}),
    ...((error as { transient?: unknown }).transient === true ? { transient: true } : {}),
  }
}

function errorFromWire(wire: WireError): Error {
  const error: Error = wire.code === undefined ? new Error(wire.message) : new StrataError(wire.code as ErrorCode, wire.message)
  if (wire.transient === true) Object.assign(error, { transient: true })
  return error
}
