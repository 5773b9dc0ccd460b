import { requireTcp, servers } from '@strata/testkit'
import { redisStore } from '@strata/core/redis'
import { runL2ContractSuite } from '@strata/core/testing'

runL2ContractSuite('redis', async () => {
  const url = new URL(servers.redisUrl)
  await requireTcp('Redis', { host: url.hostname, port: Number(url.port || 6379) })
  const store = redisStore({ url: servers.redisUrl })
  return { store, cleanup: () => store.disconnect() }
})
