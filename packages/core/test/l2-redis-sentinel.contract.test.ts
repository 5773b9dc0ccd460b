import { requireTcp, servers } from '@strata/testkit'
import { redisStore } from '@strata/core/redis'
import { runL2ContractSuite } from '@strata/core/testing'

runL2ContractSuite('redis-sentinel', async () => {
  await requireTcp('Redis Sentinel', servers.redisSentinels[0]!)
  const store = redisStore({ sentinels: servers.redisSentinels, name: servers.redisSentinelName })
  return { store, cleanup: () => store.disconnect() }
})
