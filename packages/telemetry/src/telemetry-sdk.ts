import { FastifyOtelInstrumentation } from '@fastify/otel'
import { metrics } from '@opentelemetry/api'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import type { Instrumentation } from '@opentelemetry/instrumentation'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis'
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { NodeSDK } from '@opentelemetry/sdk-node'

export interface TelemetryOptions {
  /** `service.name` when OTEL_SERVICE_NAME is not set. */
  serviceName: string
  /** Read instead of process.env (tests). */
  env?: NodeJS.ProcessEnv
}

export interface Telemetry {
  readonly serviceName: string
  /** False when OTEL_SDK_DISABLED=true: nothing is exported, the API stays a no-op. */
  readonly enabled: boolean
  /** OpenTelemetry metrics in the Prometheus text format, for a service's own /metrics to append (no second port). */
  prometheusText(): Promise<string>
  /** Flushes and stops exporting; call last in a graceful shutdown. */
  shutdown(): Promise<void>
}

// One SDK per process, whichever service or test asks first: a second NodeSDK would register a second set of
// instrumentations and exporters and duplicate every span.
const SINGLETON = Symbol.for('strata.telemetry')
type Holder = { [SINGLETON]?: Telemetry }

/**
 * Starts the OpenTelemetry NodeSDK once per process. Everything about export is the standard OTEL_* variables
 * (OTEL_TRACES_EXPORTER=otlp|zipkin|none, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_ZIPKIN_ENDPOINT,
 * OTEL_TRACES_SAMPLER, OTEL_BSP_SCHEDULE_DELAY, ...), read by the SDK itself. Instrumentations: http (server and client), undici (fetch and the proxy's origin pool), fastify routes,
 * ioredis, pg. Kafka and BullMQ are traced by Strata's own adapters (@strata/bus, @strata/queue), which know where a
 * message really starts and ends; kafkajs's instrumentation would trace the coalesced producer batch instead.
 *
 * ESM caveat: auto-instrumentation of imported modules needs the loader hook registered before they load; start
 * services with `--import @strata/telemetry/register` (register.ts), which calls this.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const holder = globalThis as Holder
  const existing = holder[SINGLETON]
  if (existing !== undefined) return existing
  const env = options.env ?? process.env
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || options.serviceName
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') {
    const disabled: Telemetry = { serviceName, enabled: false, prometheusText: () => Promise.resolve(''), shutdown: () => Promise.resolve() }
    holder[SINGLETON] = disabled
    return disabled
  }
  // Pulled by the service's /metrics, never serving on a port of its own. No target_info (it carries the process
  // command line, and Prometheus knows the target anyway) and no otel_scope_* labels on every series.
  const prometheus = new PrometheusExporter({ preventServerStart: true, withoutTargetInfo: true, withoutScopeInfo: true })
  const sdk = new NodeSDK({
    serviceName,
    metricReaders: [prometheus],
    instrumentations: defaultInstrumentations(),
  })
  sdk.start()
  let stopped: Promise<void> | undefined
  const telemetry: Telemetry = {
    serviceName,
    enabled: true,
    prometheusText: () => prometheusText(prometheus),
    shutdown: () => (stopped ??= sdk.shutdown().catch(() => undefined)),
  }
  holder[SINGLETON] = telemetry
  return telemetry
}

/** The process's telemetry if a service started it, else undefined (libraries use the no-op API then). */
export function currentTelemetry(): Telemetry | undefined {
  return (globalThis as Holder)[SINGLETON]
}

/** The meter Strata's own metrics are recorded on (a no-op meter until the SDK runs). */
export function strataMeter(name = 'strata') {
  return metrics.getMeter(name)
}

function defaultInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({
      // Scrapes and probes would be most of the traces and tell nothing.
      ignoreIncomingRequestHook: (request) => /^\/(metrics|health|ready|live)/.test(request.url ?? ''),
    }),
    new UndiciInstrumentation(),
    new FastifyOtelInstrumentation({ registerOnInitialization: true }),
    new IORedisInstrumentation({ requireParentSpan: true }),
    new PgInstrumentation({ requireParentSpan: true }),
  ]
}

async function prometheusText(exporter: PrometheusExporter): Promise<string> {
  // The exporter's request handler is the public way to serialise what it collected; feed it a minimal response.
  return new Promise<string>((resolve) => {
    let body = ''
    const response = {
      statusCode: 200,
      setHeader: () => response,
      end: (chunk?: string) => {
        body += chunk ?? ''
        resolve(body)
      },
    }
    exporter.getMetricsRequestHandler({} as never, response as never)
  })
}
