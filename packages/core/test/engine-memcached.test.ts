import { beforeAll } from 'vitest'
import { requireMemcached, servers } from '@strata/testkit'
import { memcachedStore } from '../src/stores/memcached/index.js'
import { runEngineSuite } from './support/engine-suite.js'

beforeAll(async () => requireMemcached())
runEngineSuite('a Memcached pool of two servers', { makeStore: () => memcachedStore({ servers: servers.memcachedServers }) })
