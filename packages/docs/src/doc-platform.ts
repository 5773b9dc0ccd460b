import { servers, startPlatformProcess, type PlatformProcess } from '@strata/testkit'

export interface DocPlatform {
  /** services/platform running as its own process (the docs runner imports no service). */
  platform: PlatformProcess
  /** What every sample sees (doc-samples-convention.md). */
  env: Record<string, string>
  close(): Promise<void>
}

/** The embedded platform (`pnpm start`'s, as a process) on ephemeral ports, one per .md file so no doc sees another's state. */
export async function startDocPlatform(): Promise<DocPlatform> {
  const platform = await startWithRetry()
  const { urls, adminKey } = platform
  const env: Record<string, string> = {
    STRATA_URL: urls.gateway.replace(/\/$/, ''),
    STRATA_KEY: adminKey,
    STRATA_ORIGIN_URL: urls.origin.replace(/\/$/, ''),
    STRATA_ALERTING_URL: urls.alerting.replace(/\/$/, ''),
    STRATA_ANALYTICS_URL: urls.analytics.replace(/\/$/, ''),
    // A `pnpm start` a sample runs in the background takes ephemeral ports instead of 8080/4001/8095.
    PORT: '0',
    STRATA_DEMO_ORIGIN_PORT: '0',
    STRATA_ALERTING_PORT: '0',
    STRATA_ANALYTICS_PORT: '0',
  }
  return { platform, env, close: () => platform.stop() }
}

/**
 * On a machine loaded by other work, Fastify's plugin timeout (10 s) can expire while the platform starts; that says
 * nothing about the doc, so a start that fails is tried once more before the doc fails with it.
 */
async function startWithRetry(): Promise<PlatformProcess> {
  const start = () => startPlatformProcess({ alertingIntervalMs: 1_000, analyticsFlushMs: 200 })
  try {
    return await start()
  } catch {
    return await start()
  }
}

/** What a `stack=infra` block gets: the real servers of `pnpm infra:up` (CONVENTIONS.md names them). */
export function infraEnv(): Record<string, string> {
  return {
    STRATA_REDIS_URL: servers.redisUrl,
    STRATA_QUEUE_REDIS_URL: servers.queueRedisUrl,
    STRATA_KAFKA_BROKERS: servers.kafkaBrokers.join(','),
    STRATA_POSTGRES_URL: servers.postgresUrl,
    // The convention's short name for the same URL.
    STRATA_PG_URL: servers.postgresUrl,
    STRATA_MEMCACHED_SERVERS: servers.memcachedServers.join(','),
  }
}
