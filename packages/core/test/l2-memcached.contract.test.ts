import { requireTcp, hostPorts, servers } from '@strata/testkit'
import { memcachedStore } from '@strata/core/memcached'
import { runL2ContractSuite } from '@strata/core/testing'

// The suite stores a 1 MiB value: memcached must run with -I 2m or more (its default item limit is 1 MiB, key and
// header included). On a smaller limit that one test fails with E_VALUE_TOO_LARGE, which says so.
runL2ContractSuite('memcached', async () => {
  for (const target of hostPorts(servers.memcachedServers.join(','))) await requireTcp('Memcached', target)
  const store = memcachedStore({ servers: servers.memcachedServers })
  return { store, cleanup: () => store.disconnect() }
})
