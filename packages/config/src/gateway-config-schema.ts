import { Type, type Static } from '@sinclair/typebox'

const Port = Type.Integer({ minimum: 0, maximum: 65_535 })
const Bytes = Type.Integer({ minimum: 1 })

export const UpstreamSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'Base URL of the origin' }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    keepForRevalidationMs: Type.Optional(Type.Integer({ minimum: 0 })),
    heuristicFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    maxBodyBytes: Type.Optional(Bytes),
    connections: Type.Optional(Type.Integer({ minimum: 1 })),
    public: Type.Optional(Type.Boolean({ description: "Anyone may use this upstream without a gateway credential (same as auth: 'public')" })),
    auth: Type.Optional(
      Type.Union([Type.Literal('public'), Type.Literal('api-key'), Type.Literal('jwt'), Type.Literal('any')], {
        description: "Which credentials this upstream takes when auth is on (default 'any': an API key or a JWT)",
      }),
    ),
    mount: Type.Optional(Type.String({ pattern: '^/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?$', description: "Also serve the upstream at this path prefix ('/' fronts a whole site)" })),
    hosts: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$' }), { maxItems: 64, description: 'Also serve the upstream, whole, for these Host names' })),
    connectionsPerClient: Type.Optional(Type.Integer({ minimum: 1, description: 'Origin connections one client (key, JWT subject or address) may hold' })),
    queueLimit: Type.Optional(Type.Integer({ minimum: 0, description: 'Requests waiting for an origin connection before 503 + Retry-After' })),
    staleIfErrorMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Serve stale this long when the origin fails (RFC 5861 stale-if-error for every response)' })),
    targetedCacheControl: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'A Cache-Control field for this cache only (RFC 9213), e.g. Strata-Cache-Control' })),
    cdnCacheControl: Type.Optional(Type.Boolean({ description: 'Honour CDN-Cache-Control (RFC 9213); default true' })),
    forwardHeaders: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }), { maxItems: 64, description: 'Request headers forwarded on cacheable requests besides the built-in allowlist' })),
    cacheStatusKey: Type.Optional(Type.Boolean({ description: 'Name the cache key in Cache-Status' })),
    negativeTtlMs: Type.Optional(Type.Integer({ minimum: 0, description: 'How long a 404/410 without explicit freshness or Last-Modified is fresh (negative caching)' })),
  },
  { additionalProperties: false },
)

/**
 * The gateway's configuration. Each field has a default and one environment variable (ENV_OF); a YAML or JSON file
 * may set any of them, and the environment wins over the file. Namespace policies are checked in depth by the gateway
 * (its admin schema); here they must be objects keyed by a valid namespace name.
 */
export const GatewayConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Address to listen on' }),
    port: Type.Integer({ ...Port, default: 8080 }),
    l2: Type.Union([Type.Literal('redis'), Type.Literal('memory')], { default: 'redis', description: "'memory' is a single instance, nothing shared" }),
    redisUrl: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
    bus: Type.Union([Type.Literal('kafka'), Type.Literal('local'), Type.Literal('none')], {
      default: 'none',
      description: "How instances tell each other what they invalidated; 'kafka' for several instances",
    }),
    kafkaBrokers: Type.Array(Type.String({ pattern: '^[^\\s:]+:\\d+$' }), { minItems: 1, default: ['127.0.0.1:9092'] }),
    queue: Type.Union([Type.Literal('redis'), Type.Literal('memory')], {
      default: 'redis',
      description: "Where write-behind writes wait: 'redis' (durable buffer drained by services/write-behind) or 'memory' (in-process, lost on a crash)",
    }),
    queueRedisUrl: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6380', description: 'The queue Redis (appendonly yes)' }),
    writeBehindBuffer: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$', default: 'write-behind', description: "Buffer name shared with services/write-behind's STRATA_WB_QUEUE" }),
    writeBehindMaxDepth: Type.Integer({ minimum: 0, default: 100_000, description: 'Refuse write-behind writes past this many keys waiting (0 = no limit)' }),
    writeBehindMaxLagMs: Type.Integer({ minimum: 0, default: 60_000, description: 'Refuse write-behind writes while the oldest waiting one is older (0 = no limit)' }),
    writeBehindPolicy: Type.Union([Type.Literal('reject'), Type.Literal('block')], { default: 'reject', description: "Past a limit: 'reject' answers 503 + Retry-After, 'block' waits first" }),
    writeBehindBlockTimeoutMs: Type.Integer({ minimum: 0, default: 5_000, description: "How long 'block' waits for room" }),
    writeBehindRetryAfterMs: Type.Integer({ minimum: 0, default: 1_000, description: 'The Retry-After of a 503 E_BACKPRESSURE' }),
    upstreams: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), UpstreamSchema, { default: {} }),
    namespaces: Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }), Type.Object({}, { additionalProperties: true }), { default: {} }),
    bodyLimit: Type.Integer({ minimum: 1, default: 2 * 1024 * 1024, description: 'Largest request body, bytes' }),
    maxHeaderSize: Type.Integer({ minimum: 1, default: 16 * 1024, description: 'Largest request header block, bytes' }),
    drainDelayMs: Type.Integer({ minimum: 0, default: 5_000, description: 'After SIGTERM, readiness fails this long before the server stops accepting' }),
    logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)), { default: 'info' }),
    kafkaTls: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'off', description: 'TLS to the Kafka brokers (system CAs, or kafkaCaFile)' }),
    kafkaCaFile: Type.String({ default: '', description: 'PEM file of the CA that signed the brokers' }),
    auth: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'on', description: "'off' is an open gateway: only behind something that authenticates" }),
    bootstrapAdminKey: Type.String({ default: '', pattern: '^$|^sk_', description: 'An sk_<id>_<secret> admin key stored at start if its id is new' }),
    keyStore: Type.Union([Type.Literal('postgres'), Type.Literal('memory')], { default: 'postgres', description: 'Where API keys and the audit log live' }),
    postgresUrl: Type.String({ pattern: '^postgres(ql)?://', default: 'postgres://postgres@127.0.0.1:5433/strata' }),
    rateLimit: Type.String({ pattern: '^\\d+(\\.\\d+)?/[1-9]\\d*$', default: '50/100', description: 'Requests per second / burst for keys without their own limit' }),
    keyCacheMs: Type.Integer({ minimum: 0, default: 5_000, description: 'How long a verified key is trusted from memory (bound on revocation delay)' }),
    encryptionKeys: Type.String({ default: '', pattern: '^$|^[^:,]+:[^,]+(,[^:,]+:[^,]+)*$', description: 'id:base64,id:base64 (the first is current), for namespaces that require encryption' }),
    jwtJwksUrl: Type.String({ default: '', pattern: '^$|^https?://', description: 'Accept JWT bearer tokens signed by the keys at this JWKS URL' }),
    jwtIssuer: Type.String({ default: '' }),
    jwtAudience: Type.String({ default: '' }),
    tlsCertFile: Type.String({ default: '', description: 'Serve HTTPS with this certificate (PEM) and tlsKeyFile' }),
    tlsKeyFile: Type.String({ default: '' }),
    consoleDistDir: Type.String({ default: '', description: "The built console the gateway serves at /console/ (default: services/console/dist of the repository)" }),
    consoleAlertingUrl: Type.String({ default: '', pattern: '^$|^https?://', description: 'Alerting service URL the console calls (listed in /console/config.json, allowed by its CSP)' }),
    consoleAnalyticsUrl: Type.String({ default: '', pattern: '^$|^https?://', description: 'Analytics service URL the console calls' }),
    consoleInvalidatorUrl: Type.String({ default: '', pattern: '^$|^https?://', description: 'Invalidator service URL the console calls' }),
    l1MaxEntries: Type.Integer({ minimum: 0, default: 10_000, description: "The in-process L1's capacity in entries (all namespaces together)" }),
    accessEvents: Type.Optional(
      Type.Object(
        {
          defaultSampleRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          namespaces: Type.Optional(
            Type.Record(Type.String(), Type.Object({ sampleRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })), hashKeys: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
          ),
          hashSalt: Type.Optional(Type.String()),
          topic: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false, description: 'Sampling policy for strata.access.v1 (needs bus kafka); unset publishes none' },
      ),
    ),
  },
  { additionalProperties: false },
)

export type GatewayConfig = Static<typeof GatewayConfigSchema>
export type GatewayConfigField = keyof GatewayConfig

/** The environment variable of each field, how its text becomes a value, and whether it is a secret (never shown). */
export const ENV_OF: Record<GatewayConfigField, { name: string; kind: 'string' | 'integer' | 'list' | 'json'; secret?: boolean }> = {
  host: { name: 'HOST', kind: 'string' },
  port: { name: 'PORT', kind: 'integer' },
  l2: { name: 'STRATA_GATEWAY_L2', kind: 'string' },
  redisUrl: { name: 'STRATA_REDIS_URL', kind: 'string' },
  bus: { name: 'STRATA_GATEWAY_BUS', kind: 'string' },
  kafkaBrokers: { name: 'STRATA_KAFKA_BROKERS', kind: 'list' },
  queue: { name: 'STRATA_GATEWAY_QUEUE', kind: 'string' },
  queueRedisUrl: { name: 'STRATA_QUEUE_REDIS_URL', kind: 'string' },
  writeBehindBuffer: { name: 'STRATA_WB_QUEUE', kind: 'string' },
  writeBehindMaxDepth: { name: 'STRATA_WB_MAX_DEPTH', kind: 'integer' },
  writeBehindMaxLagMs: { name: 'STRATA_WB_MAX_LAG_MS', kind: 'integer' },
  writeBehindPolicy: { name: 'STRATA_WB_POLICY', kind: 'string' },
  writeBehindBlockTimeoutMs: { name: 'STRATA_WB_BLOCK_TIMEOUT_MS', kind: 'integer' },
  writeBehindRetryAfterMs: { name: 'STRATA_WB_RETRY_AFTER_MS', kind: 'integer' },
  upstreams: { name: 'STRATA_GATEWAY_UPSTREAMS', kind: 'json' },
  namespaces: { name: 'STRATA_GATEWAY_NAMESPACES', kind: 'json' },
  bodyLimit: { name: 'STRATA_GATEWAY_BODY_LIMIT', kind: 'integer' },
  maxHeaderSize: { name: 'STRATA_GATEWAY_MAX_HEADER_SIZE', kind: 'integer' },
  drainDelayMs: { name: 'STRATA_GATEWAY_DRAIN_DELAY_MS', kind: 'integer' },
  logLevel: { name: 'LOG_LEVEL', kind: 'string' },
  kafkaTls: { name: 'STRATA_KAFKA_TLS', kind: 'string' },
  kafkaCaFile: { name: 'STRATA_KAFKA_CA_FILE', kind: 'string' },
  auth: { name: 'STRATA_GATEWAY_AUTH', kind: 'string' },
  bootstrapAdminKey: { name: 'STRATA_BOOTSTRAP_ADMIN_KEY', kind: 'string', secret: true },
  keyStore: { name: 'STRATA_GATEWAY_KEY_STORE', kind: 'string' },
  postgresUrl: { name: 'STRATA_POSTGRES_URL', kind: 'string', secret: true },
  rateLimit: { name: 'STRATA_RATE_LIMIT', kind: 'string' },
  keyCacheMs: { name: 'STRATA_KEY_CACHE_MS', kind: 'integer' },
  encryptionKeys: { name: 'STRATA_ENCRYPTION_KEYS', kind: 'string', secret: true },
  jwtJwksUrl: { name: 'STRATA_JWT_JWKS_URL', kind: 'string' },
  jwtIssuer: { name: 'STRATA_JWT_ISSUER', kind: 'string' },
  jwtAudience: { name: 'STRATA_JWT_AUDIENCE', kind: 'string' },
  tlsCertFile: { name: 'STRATA_TLS_CERT_FILE', kind: 'string' },
  tlsKeyFile: { name: 'STRATA_TLS_KEY_FILE', kind: 'string' },
  consoleDistDir: { name: 'STRATA_CONSOLE_DIST', kind: 'string' },
  consoleAlertingUrl: { name: 'STRATA_CONSOLE_ALERTING_URL', kind: 'string' },
  consoleAnalyticsUrl: { name: 'STRATA_CONSOLE_ANALYTICS_URL', kind: 'string' },
  consoleInvalidatorUrl: { name: 'STRATA_CONSOLE_INVALIDATOR_URL', kind: 'string' },
  l1MaxEntries: { name: 'STRATA_GATEWAY_L1_ENTRIES', kind: 'integer' },
  accessEvents: { name: 'STRATA_GATEWAY_ACCESS_EVENTS', kind: 'json' },
}
