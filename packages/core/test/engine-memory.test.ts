import { memoryStore, type MemoryStore } from '../src/index.js'
import { runEngineSuite } from './support/engine-suite.js'

const stores = new Map<string, MemoryStore>()
runEngineSuite('the in-process L2', {
  makeStore: (testId) => {
    let store = stores.get(testId)
    if (store === undefined) stores.set(testId, (store = memoryStore()))
    return store
  },
})
