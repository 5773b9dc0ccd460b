import type { AccessSamplingConfig } from '../access/access-sampling.js'
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
  upstreams: Record<string, UpstreamConfig>
  namespaces: Record<string, NamespaceSpec>
  bodyLimit: number
  maxHeaderSize: number
  /** After SIGTERM, readiness fails for this long before the server stops accepting (load balancer catch-up). */
  drainDelayMs: number
  logLevel: string
  /**
   * STRATA_GATEWAY_ACCESS_EVENTS: JSON sampling policy (`{"defaultSampleRate":0.01,"namespaces":{"users":{"sampleRate":1,
   * "hashKeys":true}}}`) for `strata.access.v1` on Kafka; unset publishes none. Needs STRATA_GATEWAY_BUS=kafka.
   */
  accessEvents: AccessSamplingConfig | undefined
  /** STRATA_GATEWAY_L1_ENTRIES: the in-process L1's capacity in entries (all namespaces together). */
  l1MaxEntries: number
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return {
    host: env.HOST ?? '0.0.0.0',
    port: int(env, 'PORT', 8080),
    l2: oneOf(env, 'STRATA_GATEWAY_L2', ['redis', 'memory'], 'redis'),
    redisUrl: env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379',
    bus: oneOf(env, 'STRATA_GATEWAY_BUS', ['kafka', 'local', 'none'], 'none'),
    kafkaBrokers: (env.STRATA_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((broker) => broker.trim()).filter(Boolean),
    upstreams: jsonOf(env, 'STRATA_GATEWAY_UPSTREAMS', {}),
    namespaces: jsonOf(env, 'STRATA_GATEWAY_NAMESPACES', {}),
    bodyLimit: int(env, 'STRATA_GATEWAY_BODY_LIMIT', 2 * 1024 * 1024),
    maxHeaderSize: int(env, 'STRATA_GATEWAY_MAX_HEADER_SIZE', 16 * 1024),
    drainDelayMs: int(env, 'STRATA_GATEWAY_DRAIN_DELAY_MS', 5_000),
    logLevel: env.LOG_LEVEL ?? 'info',
    accessEvents: jsonOf<AccessSamplingConfig | undefined>(env, 'STRATA_GATEWAY_ACCESS_EVENTS', undefined),
    l1MaxEntries: int(env, 'STRATA_GATEWAY_L1_ENTRIES', 10_000),
  }
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
