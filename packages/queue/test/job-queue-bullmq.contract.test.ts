import { requireQueueRedis, uniqueName } from '@strata/testkit'
import { BullmqJobQueue } from '../src/bullmq/index.js'
import { jobQueueContractSuite } from '../src/contract/index.js'

const url = await requireQueueRedis()

jobQueueContractSuite('BullMQ on the queue Redis', async (options) => {
  const queue = new BullmqJobQueue<unknown>(uniqueName('contract'), { ...options, url })
  return {
    queue,
    cleanup: async () => {
      await queue.obliterate()
      await queue.close()
    },
  }
})
