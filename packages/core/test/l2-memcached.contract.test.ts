import { requireMemcached } from '@strata/testkit'
import { memcachedStore } from '@strata/core/memcached'
import { runL2ContractSuite } from '@strata/core/testing'

// Memcached cannot list its keys: it leaves scan out (the gateway's entry browser answers 501 E_UNSUPPORTED_BY_STORE).
// The suite stores a 1 MiB value: memcached must run with -I 2m or more (its default item limit is 1 MiB, key and
// header included). On a smaller limit that one test fails with E_VALUE_TOO_LARGE, which says so.
runL2ContractSuite('memcached', async () => {
  const store = memcachedStore({ servers: await requireMemcached() })
  return { store, cleanup: () => store.disconnect() }
}, { capabilities: { scan: false } })

// The same contract with every key kept on both servers (EVCache-style replication): leases, fills, deletes and clears
// must behave exactly as with one copy.
runL2ContractSuite('memcached (replicas: 2)', async () => {
  const store = memcachedStore({ servers: await requireMemcached(), replicas: 2 })
  return { store, cleanup: () => store.disconnect() }
}, { capabilities: { scan: false } })
