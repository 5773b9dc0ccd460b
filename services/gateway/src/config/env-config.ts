import type { NamespaceSpec } from '../namespaces/namespace-spec.js'
import type { UpstreamConfig } from '../proxy/proxy-service.js'

/** The gateway's configuration as main.ts reads it from the environment (the only place that does). */
export interface GatewayConfig {
  host: string
  port: number
  /** 'redis' (STRATA_REDIS_URL) or 'memory' (a single instance, nothing shared). */
  l2: 'redis' | 'memory'
  redisUrl: string
  /**
   * How instances tell each other what they invalidated: 'kafka' (STRATA_KAFKA_BROKERS, one broadcast group per
   * instance on strata.invalidations.v1 — the setting for several instances), 'local' (in-process) or 'none'.
   */
  bus: 'kafka' | 'local' | 'none'
  kafkaBrokers: string[]
  /** STRATA_KAFKA_TLS=on: TLS to the brokers (system CAs, or STRATA_KAFKA_CA_FILE). */
  kafkaTls: { caFile: string | undefined } | undefined
  upstreams: Record<string, UpstreamConfig>
  namespaces: Record<string, NamespaceSpec>
  bodyLimit: number
  maxHeaderSize: number
  /** After SIGTERM, readiness fails for this long before the server stops accepting (load balancer catch-up). */
  drainDelayMs: number
  logLevel: string
  /** STRATA_GATEWAY_AUTH: 'on' (the default) or 'off' (an open gateway: only behind something that authenticates). */
  auth: 'on' | 'off'
  /** STRATA_BOOTSTRAP_ADMIN_KEY: an `sk_<id>_<secret>` admin key stored at start if its id is new (make one with `pnpm --filter @strata/gateway keygen`). */
  bootstrapAdminKey: string | undefined
  /** STRATA_GATEWAY_KEY_STORE: where API keys and the audit log live: 'postgres' (STRATA_POSTGRES_URL) or 'memory'. */
  keyStore: 'postgres' | 'memory'
  postgresUrl: string
  /** STRATA_RATE_LIMIT: requests per second and burst for keys without their own limit, `50/100`. */
  rateLimit: { perSecond: number; burst: number }
  /** STRATA_KEY_CACHE_MS: how long a verified key is trusted from memory (bound on revocation delay). */
  keyCacheMs: number
  /** STRATA_ENCRYPTION_KEYS (`id:base64,id:base64`, the first is current): for namespaces that require encryption. */
  encryptionKeys: { current: string; keys: Record<string, string> } | undefined
  /** STRATA_JWT_JWKS_URL, STRATA_JWT_ISSUER, STRATA_JWT_AUDIENCE: accept JWT bearer tokens from this identity provider. */
  jwt: { jwksUrl: string; issuer: string; audience: string } | undefined
  /** STRATA_TLS_CERT_FILE and STRATA_TLS_KEY_FILE: serve HTTPS. */
  tls: { certFile: string; keyFile: string } | undefined
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return {
    host: env.HOST ?? '0.0.0.0',
    port: int(env, 'PORT', 8080),
    l2: oneOf(env, 'STRATA_GATEWAY_L2', ['redis', 'memory'], 'redis'),
    redisUrl: env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379',
    bus: oneOf(env, 'STRATA_GATEWAY_BUS', ['kafka', 'local', 'none'], 'none'),
    kafkaBrokers: (env.STRATA_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((broker) => broker.trim()).filter(Boolean),
    kafkaTls: oneOf(env, 'STRATA_KAFKA_TLS', ['on', 'off'], 'off') === 'on' ? { caFile: env.STRATA_KAFKA_CA_FILE === '' ? undefined : env.STRATA_KAFKA_CA_FILE } : undefined,
    upstreams: jsonOf(env, 'STRATA_GATEWAY_UPSTREAMS', {}),
    namespaces: jsonOf(env, 'STRATA_GATEWAY_NAMESPACES', {}),
    bodyLimit: int(env, 'STRATA_GATEWAY_BODY_LIMIT', 2 * 1024 * 1024),
    maxHeaderSize: int(env, 'STRATA_GATEWAY_MAX_HEADER_SIZE', 16 * 1024),
    drainDelayMs: int(env, 'STRATA_GATEWAY_DRAIN_DELAY_MS', 5_000),
    logLevel: env.LOG_LEVEL ?? 'info',
    auth: oneOf(env, 'STRATA_GATEWAY_AUTH', ['on', 'off'], 'on'),
    bootstrapAdminKey: env.STRATA_BOOTSTRAP_ADMIN_KEY === undefined || env.STRATA_BOOTSTRAP_ADMIN_KEY === '' ? undefined : env.STRATA_BOOTSTRAP_ADMIN_KEY,
    keyStore: oneOf(env, 'STRATA_GATEWAY_KEY_STORE', ['postgres', 'memory'], 'postgres'),
    postgresUrl: env.STRATA_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5433/strata',
    rateLimit: rate(env.STRATA_RATE_LIMIT ?? '50/100'),
    keyCacheMs: int(env, 'STRATA_KEY_CACHE_MS', 5_000),
    encryptionKeys: keys(env.STRATA_ENCRYPTION_KEYS),
    jwt: jwt(env),
    tls:
      env.STRATA_TLS_CERT_FILE !== undefined && env.STRATA_TLS_KEY_FILE !== undefined
        ? { certFile: env.STRATA_TLS_CERT_FILE, keyFile: env.STRATA_TLS_KEY_FILE }
        : undefined,
  }
}

function jwt(env: NodeJS.ProcessEnv): { jwksUrl: string; issuer: string; audience: string } | undefined {
  const jwksUrl = env.STRATA_JWT_JWKS_URL
  if (jwksUrl === undefined || jwksUrl === '') return undefined
  const issuer = env.STRATA_JWT_ISSUER
  const audience = env.STRATA_JWT_AUDIENCE
  if (issuer === undefined || issuer === '' || audience === undefined || audience === '') {
    throw new Error('STRATA_JWT_JWKS_URL needs STRATA_JWT_ISSUER and STRATA_JWT_AUDIENCE')
  }
  return { jwksUrl, issuer, audience }
}

function rate(raw: string): { perSecond: number; burst: number } {
  const [perSecond, burst] = raw.split('/').map(Number)
  if (perSecond === undefined || burst === undefined || !(perSecond > 0) || !Number.isInteger(burst) || burst < 1) {
    throw new Error(`STRATA_RATE_LIMIT must be <per second>/<burst>, e.g. 50/100, got '${raw}'`)
  }
  return { perSecond, burst }
}

function keys(raw: string | undefined): { current: string; keys: Record<string, string> } | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const pairs = raw.split(',').map((pair) => {
    const colon = pair.indexOf(':')
    if (colon <= 0) throw new Error('STRATA_ENCRYPTION_KEYS must be <id>:<base64 32 bytes>[,...], the first one current')
    return [pair.slice(0, colon).trim(), pair.slice(colon + 1).trim()] as const
  })
  return { current: pairs[0]![0], keys: Object.fromEntries(pairs) }
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`)
  return value
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`)
  return raw as T
}

function jsonOf<T>(env: NodeJS.ProcessEnv, name: string, fallback: T): T {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  try {
    return JSON.parse(raw) as T
  } catch {
    throw new Error(`${name} must be JSON`)
  }
}
