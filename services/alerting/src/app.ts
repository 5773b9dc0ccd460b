import { randomUUID } from 'node:crypto'
import type { AuthPluginOptions } from '@strata/security'
import { createServiceShell, type ServiceShellOptions } from '@strata/service'
import { withSpan } from '@strata/telemetry'
import { ErrorEventPublisher, createEvent, publishEvents, type AlertEvent, type Transport } from '@strata/bus'
import type { DeadLetter, JobQueue, JobWorker } from '@strata/queue'
import { compileRule, expandRule, type AlertRule, type Receiver } from '@strata/config'
import type { FastifyInstance } from 'fastify'
import { AlertingMetrics } from './alerting-metrics.js'
import type { DeliveryJob } from './delivery/webhook-payload.js'
import { webhookSender } from './delivery/webhook-sender.js'
import { AlertEngine, type AlertTransition } from './engine/alert-engine.js'
import { alertingRoutes } from './http/alerting-routes.js'
import { ErrorEventSource, type ErrorEventSourceOptions } from './metrics/error-event-source.js'
import { AuditEventSource, type AuditEventSourceOptions } from './metrics/audit-event-source.js'
import type { MetricSource } from './metrics/metric-source.js'
import type { AlertStore } from './store/alert-store.js'
import { topicUse } from './topic-use.js'

export { loadAlertingFile, parseAlertingConfig, type AlertingConfig } from '@strata/config'
export { PrometheusScrapeSource } from './metrics/prometheus-scrape-source.js'
export { ErrorEventSource, ERROR_EVENTS_METRIC, type ErrorEventSourceOptions } from './metrics/error-event-source.js'
export { AuditEventSource, AUDIT_EVENTS_METRIC, type AuditEventSourceOptions } from './metrics/audit-event-source.js'
export type { MetricSource, MetricSample } from './metrics/metric-source.js'
export { MemoryAlertStore } from './store/memory-alert-store.js'
export { RedisAlertStore } from './store/redis-alert-store.js'
export type { AlertStore, AlertRecord, Silence, DeliveryRecord, Notification } from './store/alert-store.js'
export type { DeliveryJob, WebhookPayload, WebhookAlert } from './delivery/webhook-payload.js'
export { WEBHOOK_SCHEMA_VERSION } from './delivery/webhook-payload.js'
export { verifyWebhook, signWebhook, WEBHOOK_HEADERS } from '@strata/client/webhooks'
export { compileRule, expandRule, TEMPLATES, type AlertRule, type Receiver } from '@strata/config'

export interface AlertingDependencies {
  /**
   * API keys / JWTs, rate limits and audit for the HTTP API (packages/security): reading rules, alerts, silences and
   * deliveries needs `read` on `*`, changing rules and silences `admin` on `*` (audited); health stays open. Without
   * it the API is open (tests of other concerns).
   */
  auth?: Omit<AuthPluginOptions, 'stage'>
  /**
   * Origins the web console calls this service from (STRATA_CORS_ORIGINS; a function for origins known only once the
   * gateway listens). None: no cross-origin access.
   */
  corsOrigins?: readonly string[] | (() => readonly string[])
  sources: readonly MetricSource[]
  /**
   * Read `strata.errors.v1` from this transport as the `strata_error_events_total` series (rules on error events by
   * code, service, operation, rate), and run the default `dead-lettered-work` rule (template `error-dead-letters`)
   * unless a rule of that name is given. None: error events are not read.
   */
  errorEvents?: { transport: Transport; deadLetterWindow?: string | number } & ErrorEventSourceOptions
  /**
   * Read `strata.audit.v1` from this transport as the `strata_audit_events_total{service, action, outcome}` series
   * (rules on audited actions, template `audit-events`: a burst of denials, any admin action). None: not read.
   */
  auditEvents?: { transport: Transport } & AuditEventSourceOptions
  store: AlertStore
  /** Rules from the file; rules created over the API are kept in the store and join them at start. */
  rules: readonly AlertRule[]
  receivers: readonly Receiver[]
  /** The webhook delivery queue (BullMQ on the queue Redis in production). */
  deliveries: JobQueue<DeliveryJob>
  /** Where state changes (`strata.alerts.v1`) and delivery failures (`strata.errors.v1`) go; none: not published. */
  transport?: Transport
  /** Evaluation interval. Default 15 s. */
  intervalMs?: number
  /** Run the webhook worker in this process (default true). */
  deliver?: boolean
  /** Parallel deliveries. Default 4. */
  deliveryConcurrency?: number
  instanceId?: string
  clock?: () => number
  /** pino: a logger, options for one, or true (with trace ids, from the service shell). Default off. */
  logger?: ServiceShellOptions['logger']
}

export interface Alerting {
  readonly http: FastifyInstance
  readonly engine: AlertEngine
  /** Loads persisted alerts and API rules, drains the outbox, starts the evaluation loop and the webhook worker. */
  start(): Promise<void>
  /** One evaluation now (tests drive time with it when the loop is not wanted). */
  evaluate(): Promise<void>
  /** Wire as the delivery queue's onDeadLetter: records the failure and publishes E_WEBHOOK_FAILED. */
  handleDeadLetter(letter: DeadLetter<unknown>): void
  stop(): Promise<void>
}

/** The default rule over dead-lettered work, run whenever error events are read. */
export const DEAD_LETTER_RULE = 'dead-lettered-work'

/** Builds the alerting service from its dependencies; `main.ts` wires the real ones. */
export function buildAlerting(deps: AlertingDependencies): Alerting {
  const clock = deps.clock ?? Date.now
  const instanceId = deps.instanceId ?? `alerting-${randomUUID()}`
  const source = `strata/alerting/${instanceId}`
  let running = false
  let lastTick: { at: number; ok: boolean } | undefined
  const shell = createServiceShell({
    name: 'alerting',
    logger: deps.logger,
    auth: deps.auth,
    corsOrigins: deps.corsOrigins,
    // Query strings carry numbers (`?limit=50`).
    coerceTypes: 'array',
    checks: {
      evaluation: () => ({
        up: running,
        detail: lastTick === undefined ? (running ? 'no evaluation yet' : 'not started') : `last evaluation ${lastTick.ok ? 'succeeded' : 'failed'} at ${new Date(lastTick.at).toISOString()}`,
      }),
      store: () => deps.store.outbox().then(() => true),
    },
    metrics: [() => metrics.registry.metrics()],
  })
  const http = shell.app
  const receivers = new Map(deps.receivers.map((receiver) => [receiver.name, receiver]))
  const errorSource = deps.errorEvents === undefined ? undefined : new ErrorEventSource(deps.errorEvents.transport, deps.errorEvents)
  const auditSource = deps.auditEvents === undefined ? undefined : new AuditEventSource(deps.auditEvents.transport, deps.auditEvents)
  const fileRules = [...deps.rules]
  if (errorSource !== undefined && !fileRules.some((rule) => rule.name === DEAD_LETTER_RULE)) {
    const window = deps.errorEvents?.deadLetterWindow
    fileRules.push(compileRule(expandRule({ name: DEAD_LETTER_RULE, template: 'error-dead-letters', ...(window === undefined ? {} : { params: { window } }) }), 'default'))
  }
  // Failed webhook deliveries go to strata.errors.v1 like every service's errors (and so to its own error rules).
  const errors = deps.transport === undefined ? undefined : new ErrorEventPublisher(deps.transport, {
    service: 'alerting',
    source,
    clock,
    onPublishError: (error, dropped) => http.log.warn({ err: error, dropped }, 'error events not published (they are in this log)'),
  })
  const apiRules = new Map<string, AlertRule>()
  const allRules = () => [...fileRules, ...apiRules.values()]

  const publish = async (topic: string, events: Parameters<typeof publishEvents>[2]): Promise<void> => {
    if (deps.transport === undefined) return
    try {
      await publishEvents(deps.transport, topic, events)
    } catch (error) {
      http.log.error({ err: error, topic }, 'publishing to the bus failed')
    }
  }
  const onTransitions = (transitions: AlertTransition[]): Promise<void> =>
    publish(
      topicUse.produced.alerts,
      transitions.map(({ alert, groupKey }) =>
        createEvent<AlertEvent>({
          type: 'strata.alert.v1',
          source,
          subject: alert.fingerprint,
          data: {
            alertId: alert.fingerprint,
            rule: alert.rule,
            state: alert.state,
            severity: alert.severity,
            summary: alert.summary,
            ...(alert.value === undefined || !Number.isFinite(alert.value) ? {} : { value: alert.value }),
            labels: alert.labels,
            groupKey,
            activeSince: alert.activeSince,
            at: alert.resolvedAt ?? alert.firedAt ?? alert.activeSince,
          },
        }),
      ),
    )

  const metrics = new AlertingMetrics(() => engine.listAlerts())
  const engine: AlertEngine = new AlertEngine({
    sources: [...deps.sources, ...(errorSource === undefined ? [] : [errorSource]), ...(auditSource === undefined ? [] : [auditSource])],
    store: deps.store,
    receivers: deps.receivers,
    deliveries: deps.deliveries,
    onTransitions,
    onSourceError: (name, error) => {
      metrics.sourceErrors.inc({ source: name })
      http.log.warn({ err: error, source: name }, 'metric source could not be read')
    },
    clock,
  })

  alertingRoutes(http, {
    store: deps.store,
    rules: allRules,
    alerts: () => engine.listAlerts(),
    addRule: async (rule, input) => {
      await deps.store.putApiRule(rule.name, input)
      apiRules.set(rule.name, rule)
      engine.setRules(allRules())
    },
    removeRule: async (name) => {
      if (!(await deps.store.deleteApiRule(name))) return false
      apiRules.delete(name)
      engine.setRules(allRules())
      return true
    },
    clock,
  })
  let timer: NodeJS.Timeout | undefined
  let worker: JobWorker | undefined
  let inFlight: Promise<void> = Promise.resolve()
  const evaluate = async (): Promise<void> => {
    try {
      // A root span per evaluation: its scrapes, store reads and deliveries queued join one trace.
      await withSpan('alerting.evaluate', {}, () => engine.tick())
      lastTick = { at: clock(), ok: true }
      metrics.evaluations.inc({ outcome: 'ok' })
    } catch (error) {
      lastTick = { at: clock(), ok: false }
      metrics.evaluations.inc({ outcome: 'failed' })
      throw error
    }
  }
  const loop = (): void => {
    inFlight = evaluate()
      .catch((error: unknown) => http.log.error({ err: error }, 'evaluation failed'))
      .finally(() => {
        if (running) timer = setTimeout(loop, deps.intervalMs ?? 15_000)
      })
  }

  return {
    http,
    engine,
    evaluate,
    async start() {
      for (const { name, input } of await deps.store.apiRules()) {
        try {
          apiRules.set(name, compileRule(expandRule(input), 'api'))
        } catch (error) {
          http.log.error({ err: error, rule: name }, 'a stored API rule no longer validates; skipped')
        }
      }
      await engine.start(allRules())
      // Deliveries first: notifications a killed process left queued go out while the error-event consumer is still
      // joining its group (seconds on Kafka), not after it.
      if (deps.deliver !== false) {
        worker = deps.deliveries.process(webhookSender({ receivers: () => receivers, store: deps.store, clock, onAttempt: (receiver, outcome) => metrics.deliveries.inc({ receiver, outcome }) }), { concurrency: deps.deliveryConcurrency ?? 4 })
      }
      await errorSource?.start()
      await auditSource?.start()
      running = true
      loop()
    },
    handleDeadLetter(letter) {
      const job = letter.data as Partial<DeliveryJob>
      const notificationId = job.notificationId ?? letter.id
      const receiver = job.receiver ?? 'unknown'
      metrics.deliveries.inc({ receiver, outcome: 'dead_lettered' })
      void deps.store
        .recordDelivery({ notificationId, receiver, attempt: letter.attempts, outcome: 'dead-lettered', error: letter.error, at: clock() })
        .catch((error: unknown) => http.log.error({ err: error }, 'recording a dead letter failed'))
      http.log.error({ notificationId, receiver, error: letter.error }, 'webhook delivery dead-lettered')
      errors?.report({
        code: 'E_WEBHOOK_FAILED',
        message: `delivery ${notificationId} to receiver '${receiver}' failed after ${letter.attempts} attempts: ${letter.error}`,
        operation: 'webhook',
        subject: notificationId,
        deadLetter: true,
      })
    },
    async stop() {
      running = false
      clearTimeout(timer)
      await inFlight
      await worker?.close()
      await errorSource?.close()
      await auditSource?.close()
      await errors?.close()
      await shell.close()
    },
  }
}
export { topicUse } from './topic-use.js'
