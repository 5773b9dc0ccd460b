import { requireTcp, servers } from '@strata/testkit'
import { redisStore } from '@strata/core/redis'
import { runL2ContractSuite } from '@strata/core/testing'

runL2ContractSuite('redis-cluster', async () => {
  await requireTcp('Redis Cluster', servers.redisClusterNodes[0]!)
  const store = redisStore({ clusterNodes: servers.redisClusterNodes })
  return { store, cleanup: () => store.disconnect() }
})
