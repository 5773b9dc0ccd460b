import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifyWebhook, type WebhookPayload } from '../../src/app.js'

export interface ReceivedAttempt {
  id: string
  attempt: number
  verified: boolean
  answered: number
  at: number
}

/**
 * A real webhook receiver on loopback, as the guide tells users to write one: verify the signature on the raw body,
 * refuse stale timestamps, process each id once. Per path, the test scripts failures (`failFirst`) or hangs.
 */
export class WebhookReceiver {
  readonly accepted: Array<{ path: string; payload: WebhookPayload; at: number }> = []
  readonly attempts: Array<ReceivedAttempt & { path: string }> = []
  /** Path → how many of its first requests answer 500; Infinity always fails. */
  readonly failFirst = new Map<string, number>()
  /** Path → the next request is held open and never answered (a receiver or network that hangs). */
  readonly hangNext = new Set<string>()
  onRequest: ((path: string) => void) | undefined
  private readonly seen = new Set<string>()
  private readonly held: ServerResponse[] = []
  private server: Server | undefined

  constructor(readonly secret: string) {}

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  acceptedAt(path: string): WebhookPayload[] {
    return this.accepted.filter((entry) => entry.path === path).map((entry) => entry.payload)
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const path = request.url ?? '/'
    this.onRequest?.(path)
    const attempt = Number(request.headers['x-strata-delivery-attempt'])
    let id = ''
    try {
      id = verifyWebhook({ secret: this.secret, body, headers: request.headers }).id
    } catch {
      this.attempts.push({ path, id, attempt, verified: false, answered: 401, at: Date.now() })
      response.writeHead(401).end()
      return
    }
    if (this.hangNext.delete(path)) {
      this.attempts.push({ path, id, attempt, verified: true, answered: 0, at: Date.now() })
      this.held.push(response)
      return
    }
    const failures = this.failFirst.get(path) ?? 0
    const before = this.attempts.filter((a) => a.path === path).length
    const answered = before < failures ? 500 : 200
    this.attempts.push({ path, id, attempt, verified: true, answered, at: Date.now() })
    if (answered === 200 && !this.seen.has(id)) {
      // Idempotency: a retried or repeated id is acknowledged again but processed once.
      this.seen.add(id)
      this.accepted.push({ path, payload: JSON.parse(body.toString('utf8')) as WebhookPayload, at: Date.now() })
    }
    response.writeHead(answered).end()
  }

  async stop(): Promise<void> {
    for (const response of this.held) response.destroy()
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())))
  }
}
