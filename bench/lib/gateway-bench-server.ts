import Fastify from 'fastify'
import { createCache, memoryStore } from '@strata/core'
import { LOG_REDACT_PATHS, NamespaceRegistry, buildGateway, type GatewayAuth } from '@strata/gateway'
import { ApiKeys, AuditTrail, Authenticator, MemoryApiKeyStore, MemoryAuditLog, RedisRateLimiter } from '@strata/security'
import { createLogger } from '@strata/telemetry'
import { Redis } from 'ioredis'

// A child process for `pnpm bench gateway` and `pnpm bench proxy`: the gateway (embedded default store) and, for the
// gateway bench, a bare Fastify route returning the same bytes (the floor) and the gateway as main.ts runs it (auth on:
// an API key checked on every request, its rate limit in Redis, process metrics); `origin` serves the proxy bench's
// origin alone (the gateway under test is then main.ts). Prints READY <json of ports>.
const mode = process.argv[2] ?? 'gateway'
let originUrl: string | undefined
if (mode === 'proxy' || mode === 'origin') {
  // The origin every contender of `pnpm bench proxy` fronts: 1 KiB and 64 KiB bodies, cacheable for an hour.
  const origin = Fastify({ logger: false })
  for (const [path, size] of [['/1k', 1024], ['/64k', 64 * 1024]] as const) {
    const body = Buffer.alloc(size, 'a')
    origin.get(path, (_request, reply) => reply.header('cache-control', 'public, max-age=3600').type('application/octet-stream').send(body))
  }
  originUrl = await origin.listen({ port: 0, host: '127.0.0.1' })
}
if (mode === 'origin') {
  console.log(`READY ${JSON.stringify({ origin: Number(new URL(originUrl!).port) })}`)
  process.on('SIGTERM', () => process.exit(0))
  await new Promise(() => undefined)
}
const value = { id: 42, name: 'Product 42', price: 19.5, tags: ['a', 'b', 'c'], description: 'x'.repeat(120) }
const bytes = JSON.stringify(value)

const cache = createCache({ l2: memoryStore() })
const registry = new NamespaceRegistry(cache)
await registry.start({ bench: { ttl: 3_600_000 } })
const gateway = await buildGateway({
  cache,
  registry,
  processMetrics: false,
  docs: false,
  ...(originUrl === undefined ? {} : { upstreams: { origin: { url: originUrl } } }),
})
const ports: Record<string, number> = {}
let benchKey: string | undefined
await registry.get('bench')!.cache.set('hot', value)
await gateway.app.listen({ port: 0, host: '127.0.0.1' })
ports.strata = (gateway.app.server.address() as { port: number }).port

if (originUrl !== undefined) ports.origin = Number(new URL(originUrl).port)
if (mode === 'gateway') {
  ports['strata-auth'] = await authenticatedGateway()
  const floor = Fastify({ logger: false })
  floor.get('/v1/namespaces/:ns/keys/:key', (_request, reply) => reply.type('application/json; charset=utf-8').send(bytes))
  await floor.listen({ port: 0, host: '127.0.0.1' })
  ports.floor = (floor.server.address() as { port: number }).port
}
console.log(`READY ${JSON.stringify({ ...ports, ...(benchKey === undefined ? {} : { key: benchKey }) })}`)
process.on('SIGTERM', () => process.exit(0))

/**
 * The gateway with auth, metrics and logging as main.ts wires them: API keys (verified once, then cached), a per-key rate limit
 * in Redis (token buckets on STRATA_REDIS_URL under a fresh prefix; the limit is far above the load), the audit
 * trail (reads are not audited), process metrics on. Its key is printed with the ports (READY …"key").
 */
async function authenticatedGateway(): Promise<number> {
  const redis = new Redis(process.env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379')
  const apiKeys = new ApiKeys(new MemoryApiKeyStore(), { cacheTtlMs: 5_000 })
  const { token } = await apiKeys.create({ name: 'bench reader', grants: [{ namespace: 'bench', scopes: ['read'] }], rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } })
  const auth: GatewayAuth = {
    authenticator: new Authenticator(apiKeys),
    rateLimiter: new RedisRateLimiter(redis, `bench-gateway-${Date.now().toString(36)}:ratelimit`),
    audit: new AuditTrail(new MemoryAuditLog(), { source: 'strata/gateway/bench' }),
  }
  const authCache = createCache({ l2: memoryStore() })
  const authRegistry = new NamespaceRegistry(authCache)
  await authRegistry.start({ bench: { ttl: 3_600_000 } })
  await authRegistry.get('bench')!.cache.set('hot', value)
  // main.ts's logger: pino at info with its redaction (nothing is written per request at info; Fastify still gives
  // every request a child logger).
  const logger = createLogger('strata-gateway', { level: 'info', redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } })
  const gateway = await buildGateway({ cache: authCache, registry: authRegistry, auth, docs: false, logger })
  await gateway.app.listen({ port: 0, host: '127.0.0.1' })
  benchKey = token
  return (gateway.app.server.address() as { port: number }).port
}
