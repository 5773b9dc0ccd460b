import { createCache, memoryStore } from '@strata/core'
import { ApiKeys, AuditTrail, Authenticator, MemoryApiKeyStore, MemoryAuditLog } from '@strata/security'
import { buildGateway } from '../app.js'
import { NamespaceRegistry } from '../namespaces/namespace-registry.js'

/**
 * The gateway's OpenAPI document, as /docs/json serves it. It depends on the routes only, not on configuration, but
 * the routes depend on auth: the API-key and audit routes (/v1/admin/keys, /v1/admin/audit) exist only with it, as in
 * production (main.ts and pnpm start turn it on), so the document is built from a gateway with auth.
 */
export async function buildOpenApiDocument(): Promise<Record<string, unknown>> {
  const cache = createCache({ l2: memoryStore() })
  const registry = new NamespaceRegistry(cache)
  const auth = { authenticator: new Authenticator(new ApiKeys(new MemoryApiKeyStore())), audit: new AuditTrail(new MemoryAuditLog(), { source: 'strata/gateway/docs' }) }
  const gateway = await buildGateway({ cache, registry, processMetrics: false, auth })
  try {
    await gateway.app.ready()
    return JSON.parse(JSON.stringify(gateway.app.swagger())) as Record<string, unknown>
  } finally {
    await gateway.close()
    registry.close()
    await cache.close()
  }
}
