// @strata/queue — the job-queue port and its in-process adapter, and the write-behind buffer the engine enqueues
// into. BullMQ (./bullmq) and the Redis write-behind buffer (./redis) are subpath exports so ioredis and bullmq load
// only for those who use them.
export type {
  JobQueue,
  Job,
  JobHandler,
  JobWorker,
  AddOptions,
  ProcessOptions,
  QueueCounts,
  DeadLetter,
  JobQueueOptions,
} from './job-queue.js'
export { DEFAULT_RETRY, resolveRetry, retryDelay, type RetryPolicy } from './retry-policy.js'
export { MemoryJobQueue } from './memory/memory-job-queue.js'
export {
  fieldOf,
  refOf,
  type PendingWrites,
  type PendingWrite,
  type WriteRef,
  type VersionedRef,
  type BackpressureLimits,
  type PutOutcome,
  type PendingStats,
} from './write-behind/pending-writes.js'
export { MemoryPendingWrites } from './write-behind/memory-pending-writes.js'
export {
  writeBehindQueue,
  type WriteBehindQueueOptions,
  type WriteBehindQueueHandle,
  type BackpressureState,
} from './write-behind/write-behind-queue.js'
export { startFlushTrace, withBufferAddSpan, type FlushTrace, type TracedWrite } from './write-behind/write-behind-tracing.js'
