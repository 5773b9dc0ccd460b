import { beforeAll } from 'vitest'
import { requireSentinel, servers } from '@strata/testkit'
import { redisStore } from '../src/stores/redis/index.js'
import { runEngineSuite } from './support/engine-suite.js'

beforeAll(async () => requireSentinel())
runEngineSuite('Redis via Sentinel', {
  makeStore: () => redisStore({ sentinels: servers.redisSentinels, name: servers.redisSentinelName }),
})
