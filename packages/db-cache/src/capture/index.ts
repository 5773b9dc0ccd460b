// @strata/db-cache/capture — change capture from PostgreSQL logical replication to the bus, and the follower that
// turns table-change events into invalidations. pg-logical-replication loads only for those who import this.
export { ChangeCapture, type ChangeCaptureOptions, type CaptureProgress } from './change-capture.js'
export { ensureReplicationSlot, dropReplicationSlot, assertReplicationNames, type ReplicationSetup } from './replication-slot.js'
export { TransactionChanges, type CommittedTransaction, type PgoutputMessage } from './transaction-changes.js'
export { followTableChanges, type FollowTableChangesOptions, type RowKeyRule } from './table-change-follower.js'
export { topicUse } from './topic-use.js'
