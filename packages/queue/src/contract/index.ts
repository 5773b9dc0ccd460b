export { jobQueueContractSuite, type ContractQueue, type QueueFactory } from './job-queue-contract-suite.js'
