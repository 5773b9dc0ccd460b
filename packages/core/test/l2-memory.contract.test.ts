import { runL2ContractSuite } from '@strata/core/testing'
import { MemoryStore } from '../src/stores/index.js'

runL2ContractSuite('memory', async () => {
  const store = new MemoryStore()
  return { store, cleanup: () => store.disconnect() }
})
