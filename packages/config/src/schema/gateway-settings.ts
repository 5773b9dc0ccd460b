import { Type } from '@sinclair/typebox'
import { Duration } from '../duration.js'
import { OneOf, OnOff, listen, setting } from '../setting.js'
import { WorkerCount } from '../worker-count.js'

const Bytes = (description: string) => Type.Integer({ minimum: 1, description })

export const UpstreamSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'Base URL of the origin' }),
    timeoutMs: Type.Optional(Duration({ minimum: 1, description: 'Per request to the origin' })),
    keepForRevalidationMs: Type.Optional(Duration({ description: 'How long a stale response is kept for conditional revalidation' })),
    heuristicFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    maxBodyBytes: Type.Optional(Bytes('Largest response body stored, bytes (default 8 MiB); a larger answer streams to the client and is not stored')),
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
    staleIfErrorMs: Type.Optional(Duration({ description: 'Serve stale this long when the origin fails (RFC 5861 stale-if-error for every response)' })),
    targetedCacheControl: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'A Cache-Control field for this cache only (RFC 9213), e.g. Strata-Cache-Control' })),
    cdnCacheControl: Type.Optional(Type.Boolean({ description: 'Honour CDN-Cache-Control (RFC 9213); default true' })),
    forwardHeaders: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }), { maxItems: 64, description: 'Request headers forwarded on cacheable requests besides the built-in allowlist' })),
    cacheStatusKey: Type.Optional(Type.Boolean({ description: 'Name the cache key in Cache-Status' })),
    negativeTtlMs: Type.Optional(Duration({ description: 'How long a 404/410 without explicit freshness or Last-Modified is fresh (negative caching)' })),
  },
  { additionalProperties: false },
)

const AccessEventsSchema = Type.Object(
  {
    defaultSampleRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    namespaces: Type.Optional(
      Type.Record(Type.String(), Type.Object({ sampleRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })), hashKeys: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
    ),
    hashSalt: Type.Optional(Type.String()),
    topic: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false, description: 'Sampling policy for strata.access.v1 (needs bus kafka); unset publishes none' },
)

/**
 * The gateway (section `gateway`). Namespace policies are checked in depth by the gateway (its admin schema); here they
 * must be objects keyed by a valid namespace name.
 */
export const GatewaySettingsSchema = Type.Object(
  {
    ...listen('STRATA_GATEWAY', 8080, { host: 'HOST', port: 'PORT' }),
    bus: setting(OneOf(['kafka', 'local', 'none'], 'none', "How instances tell each other what they invalidated; 'kafka' for several instances"), { env: 'STRATA_GATEWAY_BUS' }),
    queue: setting(
      OneOf(['redis', 'memory'], 'redis', "Where write-behind writes wait: 'redis' (durable buffer drained by services/write-behind) or 'memory' (in-process, lost on a crash)"),
      { env: 'STRATA_GATEWAY_QUEUE' },
    ),
    writeBehindMaxDepth: setting(Type.Integer({ minimum: 0, default: 100_000, description: 'Refuse write-behind writes past this many keys waiting (0 = no limit)' }), { env: 'STRATA_WB_MAX_DEPTH' }),
    writeBehindMaxLag: setting(Duration({ default: 60_000, description: 'Refuse write-behind writes while the oldest waiting one is older (0 = no limit)' }), { env: 'STRATA_WB_MAX_LAG_MS' }),
    writeBehindPolicy: setting(OneOf(['reject', 'block'], 'reject', "Past a limit: 'reject' answers 503 + Retry-After, 'block' waits first"), { env: 'STRATA_WB_POLICY' }),
    writeBehindBlockTimeout: setting(Duration({ default: 5_000, description: "How long 'block' waits for room" }), { env: 'STRATA_WB_BLOCK_TIMEOUT_MS' }),
    writeBehindRetryAfter: setting(Duration({ default: 1_000, description: 'The Retry-After of a 503 E_BACKPRESSURE' }), { env: 'STRATA_WB_RETRY_AFTER_MS' }),
    upstreams: setting(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), UpstreamSchema, { default: {}, description: 'Proxy upstreams, served under /proxy/<name>/' }), {
      env: 'STRATA_GATEWAY_UPSTREAMS',
    }),
    namespaces: setting(
      Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }), Type.Object({}, { additionalProperties: true }), { default: {}, description: 'Namespace policies created at start' }),
      { env: 'STRATA_GATEWAY_NAMESPACES' },
    ),
    bodyLimit: setting(Type.Integer({ minimum: 1, default: 2 * 1024 * 1024, description: 'Largest request body, bytes' }), { env: 'STRATA_GATEWAY_BODY_LIMIT' }),
    maxHeaderSize: setting(Type.Integer({ minimum: 1, default: 16 * 1024, description: 'Largest request header block, bytes' }), { env: 'STRATA_GATEWAY_MAX_HEADER_SIZE' }),
    workers: setting(
      WorkerCount({
        default: 1,
        description:
          "Processes serving the port (node:cluster): an integer, or 'auto' for one per core; above 1 each worker's L1 follows the others' invalidations (over Kafka with bus kafka, else over the primary's IPC)",
      }),
      { env: 'STRATA_GATEWAY_WORKERS' },
    ),
    drainDelay: setting(Duration({ default: 5_000, description: 'After SIGTERM, readiness fails this long before the server stops accepting' }), { env: 'STRATA_GATEWAY_DRAIN_DELAY_MS' }),
    auth: setting(OnOff('on', "'off' is an open gateway: only behind something that authenticates"), { env: 'STRATA_GATEWAY_AUTH' }),
    bootstrapAdminKey: setting(Type.String({ default: '', pattern: '^$|^sk_', description: 'An sk_<id>_<secret> admin key stored at start if its id is new' }), {
      env: 'STRATA_BOOTSTRAP_ADMIN_KEY',
      secret: true,
    }),
    keyStore: setting(OneOf(['postgres', 'memory'], 'postgres', 'Where API keys and the audit log live'), { env: 'STRATA_GATEWAY_KEY_STORE' }),
    rateLimit: setting(Type.String({ pattern: '^\\d+(\\.\\d+)?/[1-9]\\d*$', default: '50/100', description: 'Requests per second / burst for keys without their own limit' }), {
      env: 'STRATA_RATE_LIMIT',
    }),
    encryptionKeys: setting(
      Type.String({ default: '', pattern: '^$|^[^:,]+:[^,]+(,[^:,]+:[^,]+)*$', description: 'id:base64,id:base64 (the first is current), for namespaces that require encryption' }),
      { env: 'STRATA_ENCRYPTION_KEYS', secret: true },
    ),
    jwtJwksUrl: setting(Type.String({ default: '', pattern: '^$|^https?://', description: 'Accept JWT bearer tokens signed by the keys at this JWKS URL' }), { env: 'STRATA_JWT_JWKS_URL' }),
    jwtIssuer: setting(Type.String({ default: '' }), { env: 'STRATA_JWT_ISSUER' }),
    jwtAudience: setting(Type.String({ default: '' }), { env: 'STRATA_JWT_AUDIENCE' }),
    tlsCertFile: setting(Type.String({ default: '', description: 'Serve HTTPS with this certificate (PEM) and tlsKeyFile' }), { env: 'STRATA_TLS_CERT_FILE' }),
    tlsKeyFile: setting(Type.String({ default: '' }), { env: 'STRATA_TLS_KEY_FILE' }),
    consoleDistDir: setting(Type.String({ default: '', description: 'The built console the gateway serves at /console/ (default: services/console/dist of the repository)' }), {
      env: 'STRATA_CONSOLE_DIST',
    }),
    consoleAlertingUrl: setting(Type.String({ default: '', pattern: '^$|^https?://', description: 'Alerting service URL the console calls (listed in /console/config.json, allowed by its CSP)' }), {
      env: 'STRATA_CONSOLE_ALERTING_URL',
    }),
    consoleAnalyticsUrl: setting(Type.String({ default: '', pattern: '^$|^https?://', description: 'Analytics service URL the console calls' }), { env: 'STRATA_CONSOLE_ANALYTICS_URL' }),
    consoleInvalidatorUrl: setting(Type.String({ default: '', pattern: '^$|^https?://', description: 'Invalidator service URL the console calls' }), { env: 'STRATA_CONSOLE_INVALIDATOR_URL' }),
    l1MaxEntries: setting(Type.Integer({ minimum: 0, default: 10_000, description: "The in-process L1's capacity in entries (all namespaces together)" }), { env: 'STRATA_GATEWAY_L1_ENTRIES' }),
    l1MaxBytes: setting(
      Type.Integer({ minimum: 1, default: 256 * 1024 * 1024, description: "The in-process L1's capacity in encoded bytes (all namespaces together); bounds memory whatever the value sizes" }),
      { env: 'STRATA_GATEWAY_L1_BYTES' },
    ),
    allowedOrigins: setting(
      Type.String({ default: '', pattern: '^$|^https?://[^,]+(,https?://[^,]+)*$', description: 'Comma-separated origins (scheme://host:port) namespace admins may point a namespace at' }),
      { env: 'STRATA_GATEWAY_ALLOWED_ORIGINS' },
    ),
    jwtRequireExp: setting(OnOff('on', "'off' accepts JWTs without an exp claim (they never expire)"), { env: 'STRATA_JWT_REQUIRE_EXP' }),
    accessEvents: setting(Type.Optional(AccessEventsSchema), { env: 'STRATA_GATEWAY_ACCESS_EVENTS' }),
  },
  { additionalProperties: false },
)
