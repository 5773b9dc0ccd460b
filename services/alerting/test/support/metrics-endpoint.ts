import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A Prometheus text endpoint on loopback whose gauges the test sets: scraped by the real PrometheusScrapeSource. */
export class MetricsEndpoint {
  readonly values = new Map<string, number>()
  private server: Server | undefined

  set(series: string, value: number): void {
    this.values.set(series, value)
  }

  async start(): Promise<string> {
    this.server = createServer((_request, response) => {
      const text = [...this.values].map(([series, value]) => `${series} ${value}`).join('\n') + '\n'
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text)
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/metrics`
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())))
  }
}
