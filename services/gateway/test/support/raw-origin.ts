import net from 'node:net'

export interface RawRequest {
  method: string
  path: string
  headers: Record<string, string>
}

/** What a raw origin does with one request (`index`: how many came before for the same target): bytes to write (then keep the connection), or cut the connection. */
export type RawAnswer = string | { reset: true }

/**
 * An HTTP/1.1 origin on loopback that writes exactly the bytes a test gives it — the only way to send what Node's own
 * server would correct (a 304 with Content-Length) or to reset a connection mid-request. Requests without a body only.
 */
export class RawOrigin {
  readonly requests: RawRequest[] = []
  private readonly sockets = new Set<net.Socket>()
  private readonly server = net.createServer((socket) => {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    this.serve(socket)
  })
  private script: (request: RawRequest, index: number) => RawAnswer = () => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'
  url = ''

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    const { port } = this.server.address() as net.AddressInfo
    this.url = `http://127.0.0.1:${port}`
    return this
  }

  on(script: (request: RawRequest, index: number) => RawAnswer): void {
    this.script = script
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private serve(socket: net.Socket): void {
    let buffered = ''
    socket.on('error', () => undefined)
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1')
      let end: number
      while ((end = buffered.indexOf('\r\n\r\n')) !== -1) {
        const head = buffered.slice(0, end)
        buffered = buffered.slice(end + 4)
        const [line = '', ...fields] = head.split('\r\n')
        const [method = '', path = ''] = line.split(' ')
        const headers: Record<string, string> = {}
        for (const field of fields) {
          const colon = field.indexOf(':')
          headers[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim()
        }
        const request = { method, path, headers }
        this.requests.push(request)
        const answer = this.script(request, this.requests.filter((r) => r.path === path).length - 1)
        if (typeof answer === 'string') socket.write(answer)
        else {
          socket.resetAndDestroy()
          return
        }
      }
    })
  }
}

/** An HTTP/1.1 response as raw text; `date` is added unless given. */
export function rawResponse(status: string, headers: Record<string, string>, body = ''): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
  return `HTTP/1.1 ${status}\r\n${lines.join('')}\r\n${body}`
}
