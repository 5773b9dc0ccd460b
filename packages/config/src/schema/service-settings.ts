import { Type } from '@sinclair/typebox'
import { Duration } from '../duration.js'
import { OneOf, OnOff, listen, setting } from '../setting.js'

const authOf = (prefix: string, what: string) =>
  setting(OnOff('on', `API keys (the gateways', in PostgreSQL) on ${what}; 'off' leaves it open`), { env: `${prefix}_AUTH` })
const Topic = (fallback: string, description: string) => Type.String({ pattern: '^[A-Za-z0-9._-]{1,249}$', default: fallback, description })
const List = (description: string, fallback: string[] = []) => Type.Array(Type.String({ minLength: 1 }), { default: fallback, description })

/** services/invalidator (section `invalidator`). */
export const InvalidatorSettingsSchema = Type.Object(
  {
    ...listen('STRATA_INVALIDATOR', 8091),
    rules: setting(Type.String({ minLength: 1, default: 'invalidation-rules.yaml', description: 'The rules file (YAML)' }), { env: 'STRATA_INVALIDATOR_RULES' }),
    group: setting(Type.String({ minLength: 1, default: 'strata.invalidator', description: 'Consumer group of the invalidators (they share the work)' }), { env: 'STRATA_INVALIDATOR_GROUP' }),
    auth: authOf('STRATA_INVALIDATOR', 'the HTTP API'),
  },
  { additionalProperties: false },
)

/** services/write-behind (section `writeBehind`); `queue` is also the gateway's buffer name. */
export const WriteBehindSettingsSchema = Type.Object(
  {
    ...listen('STRATA_WB', 8093),
    queue: setting(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$', default: 'write-behind', description: 'Buffer name the gateways write to and this service drains' }), { env: 'STRATA_WB_QUEUE' }),
    auth: authOf('STRATA_WB', 'the HTTP API'),
    origin: setting(OneOf(['postgres', 'http'], 'postgres', "Where buffered writes go: a PostgreSQL table, or PUT/DELETE on an HTTP origin"), { env: 'STRATA_WB_ORIGIN' }),
    table: setting(Type.String({ pattern: '^([A-Za-z_][A-Za-z0-9_]{0,62}\\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$', default: 'strata_write_behind', description: 'The origin table, optionally schema-qualified (origin postgres)' }), { env: 'STRATA_WB_TABLE' }),
    httpOriginUrl: setting(Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8080/writes', description: 'Base URL (origin http)' }), { env: 'STRATA_WB_HTTP_ORIGIN_URL' }),
    batchSize: setting(Type.Integer({ minimum: 1, default: 500, description: 'Writes per flush job' }), { env: 'STRATA_WB_BATCH_SIZE' }),
    interval: setting(Duration({ default: 100, minimum: 1, description: 'How often the buffer is drained into jobs' }), { env: 'STRATA_WB_INTERVAL_MS' }),
    concurrency: setting(Type.Integer({ minimum: 1, default: 2, description: 'Flush jobs at once per process' }), { env: 'STRATA_WB_CONCURRENCY' }),
    lease: setting(Duration({ default: 60_000, minimum: 1, description: 'How long a drained batch is reserved before another flusher may take it' }), { env: 'STRATA_WB_LEASE_MS' }),
    attempts: setting(Type.Integer({ minimum: 1, default: 20, description: 'Tries of a flush job before its writes are dead' }), { env: 'STRATA_WB_ATTEMPTS' }),
    backoff: setting(Duration({ default: 250, description: 'First retry delay (doubles)' }), { env: 'STRATA_WB_BACKOFF_MS' }),
    backoffMax: setting(Duration({ default: 10_000, description: 'Longest retry delay' }), { env: 'STRATA_WB_BACKOFF_MAX_MS' }),
    lock: setting(Duration({ default: 30_000, minimum: 1, description: 'BullMQ job lock (a dead worker’s job moves on after it)' }), { env: 'STRATA_WB_LOCK_MS' }),
    stalledInterval: setting(Duration({ default: 15_000, minimum: 1, description: 'How often stalled jobs are looked for' }), { env: 'STRATA_WB_STALLED_INTERVAL_MS' }),
    statementTimeout: setting(Duration({ default: 10_000, minimum: 1, description: 'PostgreSQL statement timeout of a flush' }), { env: 'STRATA_WB_STATEMENT_TIMEOUT_MS' }),
    pgPool: setting(Type.Integer({ minimum: 1, default: 4, description: 'PostgreSQL connections' }), { env: 'STRATA_WB_PG_POOL' }),
  },
  { additionalProperties: false },
)

/** services/warmer (section `warmer`). */
export const WarmerSettingsSchema = Type.Object(
  {
    ...listen('STRATA_WARMER', 8097),
    plan: setting(Type.String({ minLength: 1, default: 'warm-plan.yaml', description: 'The warm plan (YAML)' }), { env: 'STRATA_WARMER_PLAN' }),
    auth: authOf('STRATA_WARMER', 'the HTTP API (keys in keysPostgresUrl)'),
  },
  { additionalProperties: false },
)

/** services/analytics (section `analytics`). Probe lists accept 'none'. */
export const AnalyticsSettingsSchema = Type.Object(
  {
    ...listen('STRATA_ANALYTICS', 8094),
    group: setting(Type.String({ minLength: 1, default: 'strata.analytics' }), { env: 'STRATA_ANALYTICS_GROUP' }),
    schema: setting(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$', default: 'strata_analytics', description: 'PostgreSQL schema of the rollups' }), { env: 'STRATA_ANALYTICS_SCHEMA' }),
    accessTopic: setting(Topic('strata.access.v1', 'Access events read'), { env: 'STRATA_ANALYTICS_ACCESS_TOPIC' }),
    invalidationsTopic: setting(Topic('strata.invalidations.v1', 'Invalidations read'), { env: 'STRATA_ANALYTICS_INVALIDATIONS_TOPIC' }),
    errorsTopic: setting(Topic('strata.errors.v1', 'Error events read'), { env: 'STRATA_ANALYTICS_ERRORS_TOPIC' }),
    alertsTopic: setting(Topic('strata.alerts.v1', "Alert state changes read (the report's timeline)"), { env: 'STRATA_ANALYTICS_ALERTS_TOPIC' }),
    warmingTopic: setting(Topic('strata.warming.v1', "Warming runs read (the report's timeline)"), { env: 'STRATA_ANALYTICS_WARMING_TOPIC' }),
    flushInterval: setting(Duration({ default: 1_000, minimum: 1, description: 'How often rollups are written' }), { env: 'STRATA_ANALYTICS_FLUSH_MS' }),
    resourcesInterval: setting(Duration({ default: 15_000, minimum: 1, description: 'How often resource probes run' }), { env: 'STRATA_ANALYTICS_RESOURCES_MS' }),
    redisProbes: setting(List("Redis URLs whose INFO is sampled ('none'; unset: l2.redisUrl)"), { env: 'STRATA_ANALYTICS_REDIS' }),
    memcachedProbes: setting(List("host:port of Memcached servers whose stats are sampled ('none'; unset: l2.memcachedServers)"), { env: 'STRATA_ANALYTICS_MEMCACHED' }),
    lagGroups: setting(List("Consumer groups whose lag is sampled ('none'; unset: the invalidators' and this group)"), { env: 'STRATA_ANALYTICS_LAG_GROUPS' }),
    scrape: setting(List('name=url pairs of other services’ /metrics'), { env: 'STRATA_ANALYTICS_SCRAPE' }),
    scrapeKey: setting(Type.String({ default: '', description: 'API key (read on *) sent to the scraped services' }), { env: 'STRATA_ANALYTICS_SCRAPE_KEY', secret: true }),
    hotKeysInterval: setting(Duration({ default: 60_000, description: 'How often hot keys are published for the warmer (0: never)' }), { env: 'STRATA_ANALYTICS_HOT_KEYS_MS' }),
    hotKeysTopic: setting(Topic('strata.hot-keys.v1', 'Where hot keys go'), { env: 'STRATA_ANALYTICS_HOT_KEYS_TOPIC' }),
    auth: authOf('STRATA_ANALYTICS', 'the HTTP API'),
  },
  { additionalProperties: false },
)

/** services/alerting (section `alerting`). */
export const AlertingSettingsSchema = Type.Object(
  {
    ...listen('STRATA_ALERTING', 8095),
    rules: setting(Type.String({ minLength: 1, default: 'alerting-rules.yaml', description: 'Rules and receivers (YAML)' }), { env: 'STRATA_ALERTING_RULES' }),
    scrape: setting(List('/metrics URLs evaluated by the rules', ['http://127.0.0.1:8080/metrics']), { env: 'STRATA_ALERTING_SCRAPE' }),
    scrapeKey: setting(Type.String({ default: '', description: 'API key (read on *) sent to the scraped services' }), { env: 'STRATA_ALERTING_SCRAPE_KEY', secret: true }),
    interval: setting(Type.Optional(Duration({ minimum: 1, description: "Evaluation interval (unset: the rules file's, else 15 s)" })), { env: 'STRATA_ALERTING_INTERVAL_MS' }),
    queue: setting(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$', default: 'strata-alert-webhooks', description: 'BullMQ queue of webhook deliveries' }), { env: 'STRATA_ALERTING_QUEUE' }),
    retryAttempts: setting(Type.Integer({ minimum: 1, default: 8 }), { env: 'STRATA_ALERTING_RETRY_ATTEMPTS' }),
    retryBase: setting(Duration({ default: 1_000, description: 'First retry delay of a delivery (doubles)' }), { env: 'STRATA_ALERTING_RETRY_BASE_MS' }),
    retryMax: setting(Duration({ default: 300_000, description: 'Longest retry delay' }), { env: 'STRATA_ALERTING_RETRY_MAX_MS' }),
    lock: setting(Duration({ default: 30_000, minimum: 1, description: 'Delivery job lock' }), { env: 'STRATA_ALERTING_LOCK_MS' }),
    stalledInterval: setting(Duration({ default: 15_000, minimum: 1 }), { env: 'STRATA_ALERTING_STALLED_INTERVAL_MS' }),
    errorsTopic: setting(Topic('strata.errors.v1', 'Error events read (error rules, the default dead-letter rule)'), { env: 'STRATA_ALERTING_ERRORS_TOPIC' }),
    auditTopic: setting(Topic('strata.audit.v1', 'Audit events read (audit rules)'), { env: 'STRATA_ALERTING_AUDIT_TOPIC' }),
    auth: authOf('STRATA_ALERTING', 'the HTTP API'),
  },
  { additionalProperties: false },
)

/** services/cdc (section `cdc`). */
export const CdcSettingsSchema = Type.Object(
  {
    ...listen('STRATA_CDC', 8096),
    slot: setting(Type.String({ pattern: '^[a-z0-9_]{1,63}$', default: 'strata_cdc', description: 'Logical replication slot' }), { env: 'STRATA_CDC_SLOT' }),
    publication: setting(Type.String({ pattern: '^[A-Za-z0-9_]{1,63}$', default: 'strata_cdc' }), { env: 'STRATA_CDC_PUBLICATION' }),
    tables: setting(List('Tables captured (schema.table or table); none: every table of the publication'), { env: 'STRATA_CDC_TABLES' }),
    topic: setting(Topic('strata.table-changes.v1', 'Where table changes go'), { env: 'STRATA_CDC_TOPIC' }),
    auth: authOf('STRATA_CDC', 'the HTTP API (keys in keysPostgresUrl)'),
  },
  { additionalProperties: false },
)
