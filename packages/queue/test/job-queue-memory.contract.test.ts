import { MemoryJobQueue } from '../src/index.js'
import { jobQueueContractSuite } from '../src/contract/index.js'

jobQueueContractSuite('in-process', async (options) => {
  const queue = new MemoryJobQueue<unknown>('contract', options)
  return { queue, cleanup: () => queue.close() }
})
