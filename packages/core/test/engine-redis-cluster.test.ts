import { beforeAll } from 'vitest'
import { requireRedisCluster, servers } from '@strata/testkit'
import { redisStore } from '../src/stores/redis/index.js'
import { runEngineSuite } from './support/engine-suite.js'

beforeAll(async () => requireRedisCluster())
runEngineSuite('Redis Cluster', { makeStore: () => redisStore({ clusterNodes: servers.redisClusterNodes }) })
