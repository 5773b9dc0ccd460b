import type { StrataCache } from '@strata/core'
import { InvalidationExecutor } from '@strata/invalidation'
import type { NamespaceRegistry } from '../namespaces/namespace-registry.js'
import type { ProxyService } from '../proxy/proxy-service.js'

/**
 * @strata/invalidation's executor over this gateway: namespaces through the registry (their policies, origins and
 * writers), surrogate keys through the proxy (an unknown upstream is E_UPSTREAM_NOT_FOUND). The engine has a bus, so
 * it announces every change to the other instances itself.
 */
export function gatewayExecutor(cache: StrataCache, registry: NamespaceRegistry, proxy: ProxyService, clock: () => number): InvalidationExecutor {
  return new InvalidationExecutor({
    cache,
    resolve: async (namespace) => (registry.get(namespace) ?? (await registry.resolve(namespace))).cache,
    purgeSurrogateKeys: (upstream, keys, soft) => proxy.cacheFor(upstream).purgeSurrogateKeys(keys, { soft }),
    clock,
  })
}
