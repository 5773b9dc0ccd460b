import { requireRedis } from '@strata/testkit'
import { redisStore } from '@strata/core/redis'
import { runL2ContractSuite } from '@strata/core/testing'

runL2ContractSuite('redis', async () => {
  const store = redisStore({ url: await requireRedis() })
  return { store, cleanup: () => store.disconnect() }
})
