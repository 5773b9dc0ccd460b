import { beforeAll } from 'vitest'
import { requireRedis, servers } from '@strata/testkit'
import { redisStore } from '../src/stores/redis/index.js'
import { runEngineSuite } from './support/engine-suite.js'

beforeAll(async () => requireRedis())
runEngineSuite('Redis', { makeStore: () => redisStore({ url: servers.redisUrl }) })
