import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One span as an OTLP/HTTP JSON export carries it, flattened with its resource's service name. */
export interface ReceivedSpan {
  service: string
  traceId: string
  spanId: string
  /** Empty for a root span. */
  parentSpanId: string
  name: string
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number
  scope: string
  attributes: Record<string, unknown>
  /** The spans this one links to (a batch consumer links to every producer it serves). */
  links: Array<{ traceId: string; spanId: string }>
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const

interface OtlpValue {
  stringValue?: string
  intValue?: string | number
  boolValue?: boolean
  doubleValue?: number
}
interface OtlpAttribute {
  key: string
  value: OtlpValue
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] }
    scopeSpans?: Array<{
      scope?: { name?: string }
      spans?: Array<{
        traceId: string
        spanId: string
        parentSpanId?: string
        name: string
        kind: number
        attributes?: OtlpAttribute[]
        links?: Array<{ traceId: string; spanId: string }>
      }>
    }>
  }>
}

/**
 * A real OTLP/HTTP trace receiver on loopback for tests: services export to it exactly as to a collector
 * (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL=http/json), and the test reads what arrived. JSON
 * encoding only: ids are hex strings there, as OTLP/JSON specifies; a protobuf export is refused with 415.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = []
  private constructor(private readonly server: Server) {}

  static async start(host = '127.0.0.1'): Promise<OtlpReceiver> {
    const holder: { receiver?: OtlpReceiver } = {}
    const server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        if (request.method !== 'POST' || request.url !== '/v1/traces') return void response.writeHead(404).end()
        if (!(request.headers['content-type'] ?? '').includes('json')) return void response.writeHead(415).end()
        try {
          holder.receiver!.accept(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport)
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
        } catch {
          response.writeHead(400).end()
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, host, resolve))
    holder.receiver = new OtlpReceiver(server)
    return holder.receiver
  }

  get endpoint(): string {
    const address = this.server.address() as AddressInfo
    return `http://${address.address}:${address.port}`
  }

  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId)
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  private accept(body: OtlpExport): void {
    for (const resourceSpans of body.resourceSpans ?? []) {
      const service = resourceSpans.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? ''
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          this.spans.push({
            service,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind,
            scope: scopeSpans.scope?.name ?? '',
            attributes: Object.fromEntries((span.attributes ?? []).map((attribute) => [attribute.key, valueOf(attribute.value)])),
            links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
          })
        }
      }
    }
  }
}

function valueOf(value: OtlpValue | undefined): unknown {
  if (value === undefined) return undefined
  return value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue
}
