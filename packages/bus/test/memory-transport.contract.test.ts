import { MemoryTransport } from '../src/index.js'
import { runTransportContractSuite } from '../src/testing/index.js'

runTransportContractSuite({ name: 'memory', create: () => new MemoryTransport() })
